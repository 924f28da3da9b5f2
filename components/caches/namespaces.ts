import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Pod Security Admission levels of one namespace. */
export interface PodSecurityLevels {
  /** Level the API server enforces: pods that break it are rejected. */
  enforce: string;
  /** Level the API server warns about when a pod breaks it. */
  warn: string;
  /** Level the API server records in its audit log when a pod breaks it. */
  audit: string;
}

/** One namespace the caches need. */
export interface CacheNamespaceSpec {
  /** Namespace name. */
  name: string;
  /** Pod Security labels; operator namespaces leave them to the cluster default. */
  podSecurity?: PodSecurityLevels;
}

/** Inputs of {@link CacheNamespaces}. */
export interface CacheNamespacesArgs {
  /** Namespaces to create. A name listed twice is created once; the first entry with labels wins. */
  namespaces: CacheNamespaceSpec[];
}

/**
 * The namespaces of the cache stack, created once each even when two caches share one, so that no
 * two resources claim the same namespace.
 */
export class CacheNamespaces extends pulumi.ComponentResource {
  /** Namespace resources by namespace name. */
  public readonly byName: ReadonlyMap<string, k8s.core.v1.Namespace>;

  constructor(name: string, args: CacheNamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:caches:Namespaces", name, {}, opts);

    const merged = new Map<string, CacheNamespaceSpec>();
    for (const spec of args.namespaces) {
      const known = merged.get(spec.name);
      if (known === undefined || (known.podSecurity === undefined && spec.podSecurity !== undefined)) {
        merged.set(spec.name, spec);
      }
    }

    const byName = new Map<string, k8s.core.v1.Namespace>();
    for (const spec of merged.values()) {
      const labels: Record<string, string> = { "app.kubernetes.io/part-of": "flywheel" };
      if (spec.podSecurity !== undefined) {
        labels["pod-security.kubernetes.io/enforce"] = spec.podSecurity.enforce;
        labels["pod-security.kubernetes.io/warn"] = spec.podSecurity.warn;
        labels["pod-security.kubernetes.io/audit"] = spec.podSecurity.audit;
      }
      byName.set(
        spec.name,
        new k8s.core.v1.Namespace(
          `${name}-${spec.name}`,
          { metadata: { name: spec.name, labels } },
          { parent: this },
        ),
      );
    }
    this.byName = byName;

    this.registerOutputs({ namespaces: [...byName.keys()] });
  }

  /** Returns the namespace resource named `namespace`; it must be one of the created namespaces. */
  get(namespace: string): k8s.core.v1.Namespace {
    const resource = this.byName.get(namespace);
    if (resource === undefined) {
      throw new Error(
        `Namespace "${namespace}" is not one of the cache namespaces; add it to CacheNamespacesArgs.`,
      );
    }
    return resource;
  }
}
