import * as path from "node:path";
import { recordProgram, RecordResult } from "../../automation/render/recorder";
import { readStackFile } from "../../automation/render/stack-file";
import { runStack } from "../../stacks";
import { readStackConfig } from "../../stacks/config";

/** The project directory, where `Pulumi.github-dev.yaml` lives. */
export const REPO_ROOT = path.resolve(__dirname, "../..");

/** Stack under test and the runners stack it references. */
export const STACK = "github-dev";
export const RUNNERS_STACK = "runners-dev";

/** Returns one lane of the fake runners stack, shaped like an entry of its `lanes` output. */
export function fakeLane(label: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    label,
    scaleSetName: label,
    releaseName: label.replace("tinyland-", "gh-"),
    runnerGroup: "default",
    minRunners: 0,
    maxRunners: 5,
    githubConfigUrl: "https://github.com/tinyland-example",
    scope: "organization",
    namespace: "arc-runners",
    containerMode: { type: "kubernetes" },
    enabled: true,
    ...overrides,
  };
}

/** Cache endpoints of the fake runners stack, as it passes them through from the caches stack. */
export const FAKE_CACHE_ENDPOINTS = {
  bazel: "grpc://bazel-cache.bazel-cache.svc.cluster.local:9092",
  atticServer: "http://attic.nix-cache.svc.cluster.local",
  atticCache: "main",
};

/** Outputs of a runners stack with the default fleet: nix and docker on, dind off. */
export function fakeRunnersOutputs(): Record<string, unknown> {
  return {
    lanes: [
      fakeLane("tinyland-nix"),
      fakeLane("tinyland-docker"),
      fakeLane("tinyland-dind", { enabled: false }),
    ],
    labels: ["tinyland-nix", "tinyland-docker"],
    controllerNamespace: "arc-systems",
    runnerNamespace: "arc-runners",
    cacheEndpoints: { ...FAKE_CACHE_ENDPOINTS },
  };
}

/** Changes to the example stack: configuration keys to set (objects are JSON-encoded) or remove. */
export interface Mutation {
  /** Full keys to new values; `undefined` removes the key. */
  config?: Record<string, unknown>;
  /** Replaces the fake runners stack's outputs. */
  runners?: (outputs: Record<string, unknown>) => Record<string, unknown>;
}

/** Reads a structured key of the example stack file, for a test to change and set again. */
export function exampleValue<T>(key: string): T {
  const value = readStackFile(STACK, REPO_ROOT).config[key];
  return JSON.parse(value) as T;
}

/** Runs the github stack's program under mocks with the example configuration plus `mutation`. */
export async function recordGithubStack(mutation: Mutation = {}): Promise<RecordResult> {
  const file = readStackFile(STACK, REPO_ROOT);
  const config = { ...file.config };
  for (const [key, value] of Object.entries(mutation.config ?? {})) {
    if (value === undefined) {
      delete config[key];
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  const runners = (mutation.runners ?? ((outputs) => outputs))(fakeRunnersOutputs());
  return recordProgram(() => runStack(readStackConfig(STACK)), {
    stack: STACK,
    config,
    secretKeys: file.secretKeys,
    stackReferences: { [RUNNERS_STACK]: runners },
  });
}

/** Runs the program like {@link recordGithubStack} and returns the error it fails with. */
export async function githubStackError(mutation: Mutation): Promise<Error> {
  try {
    await recordGithubStack(mutation);
  } catch (err) {
    return err as Error;
  }
  throw new Error("Expected the github stack to fail, but it registered its resources.");
}
