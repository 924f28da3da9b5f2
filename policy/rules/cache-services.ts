import type { CacheServicesConfig } from "../config";
import { getPath, getString, isPlainObject, UNKNOWN_AT_PREVIEW } from "./plain";
import type { ResourceInput, Violation } from "./types";

/** Service types that expose a Service outside the cluster. */
const PUBLIC_SERVICE_TYPES = new Set(["LoadBalancer", "NodePort"]);

/**
 * Reports a Service of type LoadBalancer or NodePort that belongs to a build cache (by namespace
 * or label) and is not listed in `allowPublicServices`. Caches stay cluster-internal because a
 * cache reachable from outside lets anyone read build outputs or poison them.
 */
export function checkCacheServiceInternal(resource: ResourceInput, config: CacheServicesConfig): Violation[] {
  const serviceType = getString(resource.props, ["spec", "type"]);
  const name = getString(resource.props, ["metadata", "name"]) ?? resource.name;
  const namespace = getString(resource.props, ["metadata", "namespace"]) ?? "default";
  const thing = `Service ${printable(namespace)}/${printable(name)}`;
  if (serviceType === UNKNOWN_AT_PREVIEW) {
    if (isCacheService(resource, config) === false) {
      return [];
    }
    return [
      {
        message: `${thing} must have a type known at preview, so it can be checked to stay cluster-internal`,
      },
    ];
  }
  if (serviceType === undefined || !PUBLIC_SERVICE_TYPES.has(serviceType)) {
    return [];
  }
  if (typeof name === "string" && isAllowed(config.allowPublicServices, namespace, name)) {
    return [];
  }
  const belongs = isCacheService(resource, config);
  if (belongs === false) {
    return [];
  }
  const reason =
    belongs === "unknown"
      ? "its namespace or labels are unknown at preview, so it may belong to a build cache"
      : "it belongs to a build cache";
  return [
    {
      message:
        `${thing} must be of type ClusterIP, not ${serviceType}, because ${reason}; ` +
        `list it in the pack configuration's allowPublicServices if exposing it is intended`,
    },
  ];
}

/** Returns whether the Service is in a cache namespace or carries a cache label. */
function isCacheService(resource: ResourceInput, config: CacheServicesConfig): boolean | "unknown" {
  const namespace = getString(resource.props, ["metadata", "namespace"]);
  const labels = getPath(resource.props, ["metadata", "labels"]);
  if (namespace === UNKNOWN_AT_PREVIEW || labels === UNKNOWN_AT_PREVIEW) {
    return "unknown";
  }
  if (namespace !== undefined && config.cacheNamespaces.includes(namespace)) {
    return true;
  }
  if (!isPlainObject(labels)) {
    return false;
  }
  let unknownLabel = false;
  for (const [key, value] of Object.entries(config.cacheLabels)) {
    if (labels[key] === value) {
      return true;
    }
    unknownLabel ||= labels[key] === UNKNOWN_AT_PREVIEW;
  }
  return unknownLabel ? "unknown" : false;
}

function isAllowed(
  allowed: readonly string[],
  namespace: string | typeof UNKNOWN_AT_PREVIEW,
  name: string,
): boolean {
  return (
    allowed.includes(name) || (typeof namespace === "string" && allowed.includes(`${namespace}/${name}`))
  );
}

function printable(value: string | typeof UNKNOWN_AT_PREVIEW): string {
  return value === UNKNOWN_AT_PREVIEW ? "(unknown at preview)" : value;
}
