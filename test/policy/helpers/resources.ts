import * as fs from "node:fs";
import * as path from "node:path";

import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

import type { AnalyzedResource } from "./analyzer";

/**
 * Clean resources for the pack tests: each factory returns a new resource that every policy
 * passes, so a failing case is one mutation away from it.
 */

/** The sentinel the engine sends for a value unknown at preview. */
export const UNKNOWN = unknownValue;

/** Folder of the workflow fixtures. */
export const WORKFLOW_FIXTURES = path.resolve(__dirname, "..", "..", "fixtures", "policy", "workflows");

/** Reads a workflow fixture's text. */
export function readWorkflow(name: string): string {
  return fs.readFileSync(path.join(WORKFLOW_FIXTURES, name), "utf8");
}

/** Returns the 1-based line of the first line of `text` that contains `fragment`. */
export function lineContaining(text: string, fragment: string): number {
  const index = text.split("\n").findIndex((line) => line.includes(fragment));
  if (index === -1) {
    throw new Error(`Fixture text does not contain ${JSON.stringify(fragment)}`);
  }
  return index + 1;
}

export function workflowFile(
  content: string = readWorkflow("fleet.yml"),
  file = ".github/workflows/validate.yml",
): AnalyzedResource {
  return {
    type: "github:index/repositoryFile:RepositoryFile",
    name: "validate-workflow",
    properties: { repository: "platform", file, content, branch: "main" },
  };
}

export function scaleSetRelease(
  name = "gh-nix",
  label = "tinyland-nix",
  maxRunners: unknown = 5,
): AnalyzedResource {
  return {
    type: "kubernetes:helm.sh/v3:Release",
    name,
    properties: {
      name,
      chart: "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set",
      version: "0.13.1",
      namespace: "arc-runners",
      values: {
        githubConfigUrl: "https://github.com/tinyland-example",
        githubConfigSecret: "github-app-secret",
        runnerScaleSetName: label,
        minRunners: 0,
        maxRunners,
        runnerGroup: "default",
        template: {
          spec: {
            containers: [
              {
                name: "runner",
                image: "ghcr.io/actions/actions-runner:2.329.0",
                command: ["/home/runner/run.sh"],
              },
            ],
          },
        },
      },
    },
  };
}

/** Builds a lane in the shape of the runners stack's `lanes` output. */
export function lane(label: string, maxRunners = 5, enabled = true): Record<string, unknown> {
  return {
    label,
    scaleSetName: label,
    releaseName: label.replace(/^tinyland-/, "gh-"),
    runnerGroup: "default",
    minRunners: 0,
    maxRunners,
    githubConfigUrl: "https://github.com/tinyland-example",
    scope: "organization",
    namespace: "arc-runners",
    containerMode: "dind",
    enabled,
  };
}

export function stackReference(lanes: unknown[]): AnalyzedResource {
  return {
    type: "pulumi:pulumi:StackReference",
    name: "runners",
    properties: { name: "runners-dev", outputs: { lanes, labels: [] }, secretOutputNames: [] },
  };
}

export function runnerFleet(lanes: unknown[]): AnalyzedResource {
  return {
    type: "flywheel:github:RunnerFleet",
    name: "runner-fleet",
    properties: { runnersStack: "runners-dev", lanes },
  };
}

export function runnerGroup(): AnalyzedResource {
  return {
    type: "github:index/actionsRunnerGroup:ActionsRunnerGroup",
    name: "fleet-group",
    properties: {
      name: "fleet",
      visibility: "selected",
      allowsPublicRepositories: false,
      selectedRepositoryIds: [1],
    },
  };
}

export function deployment(): AnalyzedResource {
  return {
    type: "kubernetes:apps/v1:Deployment",
    name: "attic",
    properties: {
      metadata: { name: "attic", namespace: "nix-cache" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "attic" } },
        template: {
          metadata: { labels: { app: "attic" } },
          spec: {
            initContainers: [{ name: "wait-db", image: "busybox:1.37.0" }],
            containers: [
              {
                name: "attic",
                image: "ghcr.io/zhaofengli/attic@sha256:" + "0123456789abcdef".repeat(4),
                args: ["--mode", "monolithic"],
              },
            ],
          },
        },
      },
    },
  };
}

export function cacheRelease(): AnalyzedResource {
  return {
    type: "kubernetes:helm.sh/v3:Release",
    name: "bazel-cache",
    properties: {
      chart: "bazel-remote",
      namespace: "bazel-cache",
      values: {
        image: { repository: "buchgr/bazel-remote-cache", tag: "v2.4.4" },
        sidecars: [{ image: "busybox:1.37.0" }],
      },
    },
  };
}

export function configMap(): AnalyzedResource {
  return {
    type: "kubernetes:core/v1:ConfigMap",
    name: "attic-settings",
    properties: {
      metadata: { name: "attic-settings", namespace: "nix-cache" },
      data: {
        ATTIC_SERVER: "http://attic.nix-cache.svc.cluster.local",
        "chunking.toml": "nar-size-threshold = 65536\nmin-size = 16384\n",
        token_ttl: "3600",
      },
    },
  };
}

export function cacheService(): AnalyzedResource {
  return {
    type: "kubernetes:core/v1:Service",
    name: "attic",
    properties: {
      metadata: { name: "attic", namespace: "nix-cache", labels: { app: "attic" } },
      spec: { type: "ClusterIP", ports: [{ port: 80, targetPort: 8080 }], selector: { app: "attic" } },
    },
  };
}

/** Fixture properties that a mutation may read or replace at any depth. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test mutation reaches into nested fixture properties
type MutableProperties = Record<string, any>;

/** Returns a deep copy of `resource` with `change` applied to its properties. */
export function mutate(
  resource: AnalyzedResource,
  change: (properties: MutableProperties) => void,
): AnalyzedResource {
  const copy = structuredClone(resource);
  change(copy.properties);
  return copy;
}
