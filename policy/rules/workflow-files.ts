import { getString, UNKNOWN_AT_PREVIEW } from "./plain";
import { RESOURCE_TYPES, type ResourceInput } from "./types";

/** Directory GitHub reads workflows from; it ignores subdirectories and other extensions. */
const WORKFLOW_FILE = /^\.github\/workflows\/[^/]+\.ya?ml$/;

/** A workflow file a `RepositoryFile` resource commits to a managed repository. */
export interface WorkflowFile {
  /** Path inside the repository, e.g. `.github/workflows/ci.yml`. */
  file: string;
  /** Workflow text, or the unknown marker when a preview cannot know it yet. */
  content: string | typeof UNKNOWN_AT_PREVIEW;
  /** URN of the resource, for stack policies. */
  urn?: string;
}

/** Normalizes a repository path: no leading `./` or `/`, forward slashes. */
export function normalizeRepositoryPath(file: string): string {
  return file.replace(/\\/g, "/").replace(/^(\.\/|\/)+/, "");
}

/**
 * Reads the workflow file a `RepositoryFile` resource commits, or returns `undefined` when the
 * resource is not one or its `file` is not a workflow under `.github/workflows/`.
 * A `file` unknown at preview is reported by {@link hasPathUnknownAtPreview} instead.
 */
export function workflowFileFrom(resource: ResourceInput): WorkflowFile | undefined {
  if (resource.type !== RESOURCE_TYPES.repositoryFile) {
    return undefined;
  }
  const file = getString(resource.props, ["file"]);
  if (typeof file !== "string") {
    return undefined;
  }
  const normalized = normalizeRepositoryPath(file);
  if (!WORKFLOW_FILE.test(normalized)) {
    return undefined;
  }
  const content = getString(resource.props, ["content"]);
  return {
    file: normalized,
    content: content ?? "",
    urn: resource.urn,
  };
}

/** Returns true for a `RepositoryFile` whose `file` a preview cannot know, so it may be a workflow. */
export function hasPathUnknownAtPreview(resource: ResourceInput): boolean {
  return resource.type === RESOURCE_TYPES.repositoryFile && resource.props.file === UNKNOWN_AT_PREVIEW;
}
