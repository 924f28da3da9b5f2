import { getPath, isPlainObject, type Plain, type PlainObject, UNKNOWN_AT_PREVIEW } from "./plain";
import type { ResourceInput, Violation } from "./types";

/** Path from a workload's properties to its pod spec, by resource type. */
const POD_SPEC_PATHS: Record<string, readonly string[]> = {
  "kubernetes:core/v1:Pod": ["spec"],
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/** A digest as OCI image references carry it: algorithm, colon, hex encoding. */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/** Returns true when `type` is a resource `pinned-images` checks. */
export function isImageBearingType(type: string): boolean {
  return type in POD_SPEC_PATHS || type === HELM_RELEASE;
}

/**
 * Reports every container image of a workload or Helm release that is neither pinned to a tag
 * other than `latest` nor to a digest.
 */
export function checkPinnedImages(resource: ResourceInput): Violation[] {
  const specPath = POD_SPEC_PATHS[resource.type];
  if (specPath) {
    return checkPodSpec(resource, getPath(resource.props, specPath));
  }
  if (resource.type === HELM_RELEASE) {
    return checkHelmValues(resource, resource.props.values);
  }
  return [];
}

function checkPodSpec(resource: ResourceInput, spec: Plain | undefined): Violation[] {
  const thing = `${kindOf(resource.type)} ${resource.name}`;
  if (spec === UNKNOWN_AT_PREVIEW) {
    return [
      {
        message: `${thing} must have a pod spec known at preview, so its images can be checked for a pinned tag or digest`,
      },
    ];
  }
  const violations: Violation[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = getPath(spec, [list]);
    if (containers === UNKNOWN_AT_PREVIEW) {
      violations.push({
        message: `${thing} ${list} must be known at preview, so their images can be checked for a pinned tag or digest`,
      });
      continue;
    }
    if (!Array.isArray(containers)) {
      continue;
    }
    containers.forEach((container, index) => {
      const containerName =
        isPlainObject(container) && typeof container.name === "string" ? container.name : `#${index}`;
      const image = container === UNKNOWN_AT_PREVIEW ? UNKNOWN_AT_PREVIEW : getPath(container, ["image"]);
      const problem = imageProblem(image);
      if (problem) {
        violations.push({
          message: `${thing} container ${containerName} image must be pinned to a tag or digest: ${problem}`,
        });
      }
    });
  }
  return violations;
}

/**
 * Walks a release's values for image fields: a string under a key named `image`, or an object
 * under `image` with the chart convention `repository` plus `tag` and/or `digest`.
 * NOTE: values given through `valueYamlFiles` and images a chart sets by default are not seen.
 */
function checkHelmValues(resource: ResourceInput, values: Plain | undefined): Violation[] {
  const thing = `Helm release ${resource.name}`;
  if (values === UNKNOWN_AT_PREVIEW) {
    return [
      {
        message: `${thing} values must be known at preview, so their images can be checked for a pinned tag or digest`,
      },
    ];
  }
  const violations: Violation[] = [];
  const visit = (node: Plain | undefined, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, `${path}[${index}]`));
      return;
    }
    if (!isPlainObject(node)) {
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      const keyPath = path ? `${path}.${key}` : key;
      if (key === "image" && (typeof value === "string" || value === UNKNOWN_AT_PREVIEW)) {
        const problem = imageProblem(value);
        if (problem) {
          violations.push({
            message: `${thing} value ${keyPath} must be pinned to a tag or digest: ${problem}`,
          });
        }
      } else if (key === "image" && isPlainObject(value) && "repository" in value) {
        const problem = imageObjectProblem(value);
        if (problem) {
          violations.push({
            message: `${thing} value ${keyPath} must be pinned to a tag or digest: ${problem}`,
          });
        }
      } else {
        visit(value, keyPath);
      }
    }
  };
  visit(values, "values");
  return violations;
}

/** Returns why an image reference is not pinned, or `undefined` when it is. */
export function imageProblem(image: Plain | undefined): string | undefined {
  if (image === UNKNOWN_AT_PREVIEW) {
    return "the image is unknown at preview, so its tag cannot be checked";
  }
  if (typeof image !== "string" || image.trim() === "") {
    return "no image is set";
  }
  const { tag, digest } = parseImageReference(image);
  if (digest !== undefined) {
    return DIGEST.test(digest) ? undefined : `"${image}" has a malformed digest "${digest}"`;
  }
  if (tag === undefined) {
    return `"${image}" has no tag, which means latest`;
  }
  if (tag.toLowerCase() === "latest") {
    return `"${image}" uses the moving tag latest`;
  }
  return undefined;
}

function imageObjectProblem(image: PlainObject): string | undefined {
  const repository = typeof image.repository === "string" ? image.repository : "(unknown repository)";
  const digest = image.digest;
  const tag = image.tag;
  if (digest === UNKNOWN_AT_PREVIEW || tag === UNKNOWN_AT_PREVIEW) {
    return `the tag or digest of ${repository} is unknown at preview`;
  }
  if (typeof digest === "string" && digest !== "") {
    return DIGEST.test(digest) ? undefined : `${repository} has a malformed digest "${digest}"`;
  }
  if (typeof tag !== "string" || tag === "") {
    return `${repository} sets neither tag nor digest, so the chart picks the image`;
  }
  return imageProblem(`${repository}:${tag}`);
}

/**
 * Splits an image reference into its tag and digest. Written here because no installed package
 * parses OCI image references: the tag is what follows the last colon after the last slash (a
 * colon before that slash belongs to a registry port), the digest what follows `@`.
 */
export function parseImageReference(image: string): { tag?: string; digest?: string } {
  const at = image.indexOf("@");
  const name = at === -1 ? image : image.slice(0, at);
  const digest = at === -1 ? undefined : image.slice(at + 1);
  const lastSegment = name.slice(name.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  const tag = colon === -1 ? undefined : lastSegment.slice(colon + 1);
  return { tag: tag === "" ? undefined : tag, digest };
}

function kindOf(type: string): string {
  return type.slice(type.lastIndexOf(":") + 1);
}
