import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, StackConfig } from "../../../config/load";
import { readStackConfig } from "../../../stacks/config";
import { runStack } from "../../../stacks";
import { recordProgram, RecordedResource, RecordResult } from "../../../automation/render/recorder";
import { readStackFile, StackFileConfig } from "../../../automation/render/stack-file";

/** Root of the project, where `Pulumi.runners-dev.yaml` lives. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** Stack the runner tests render. */
export const RUNNERS_STACK = "runners-dev";

/** Outputs of a stand-in caches stack. Its namespaces are fictional, so a literal in the program cannot match. */
export const FAKE_CACHE_OUTPUTS = {
  bazelCacheEndpoint: "grpc://bazel-cache.fake-bazel-ns.svc.cluster.local:9092",
  bazelCacheHttpEndpoint: "http://bazel-cache.fake-bazel-ns.svc.cluster.local:8080",
  atticEndpoint: "http://attic.fake-nix-ns.svc.cluster.local",
  atticCacheName: "main",
  namespaces: { bazelCache: "fake-bazel-ns", attic: "fake-nix-ns" },
};

/** Reads the committed example stack file, with placeholders for its encrypted values. */
export function devStackFile(): StackFileConfig {
  return readStackFile(RUNNERS_STACK, REPO_ROOT);
}

/** Returns the example stack file with `flywheel:runners` changed by `mutate`. */
export function withRunners(mutate: (runners: Record<string, unknown>) => void): StackFileConfig {
  const file = devStackFile();
  const runners = JSON.parse(file.config["flywheel:runners"]) as Record<string, unknown>;
  mutate(runners);
  return { ...file, config: { ...file.config, "flywheel:runners": JSON.stringify(runners) } };
}

/** Returns the example stack file with top-level keys set (`value` a string) or removed (`undefined`). */
export function withKeys(
  changes: Record<string, string | undefined>,
  secret: readonly string[] = [],
  base: StackFileConfig = devStackFile(),
): StackFileConfig {
  const config = { ...base.config };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) {
      delete config[key];
    } else {
      config[key] = value;
    }
  }
  const secretKeys = [...base.secretKeys.filter((key) => key in config), ...secret];
  return { config, secretKeys: [...new Set(secretKeys)] };
}

/** Parses a stack file's configuration the way the program does. */
export function loadRunners(file: StackFileConfig): StackConfig {
  return loadStackConfig(RUNNERS_STACK, { values: file.config, secretKeys: new Set(file.secretKeys) });
}

/** Called with each registration's type, name, inputs and options, before the SDK sends it. */
export type RegistrationObserver = (args: pulumi.ResourceTransformationArgs) => void;

/** Options of {@link recordRunners}. */
export interface RecordRunnersOptions {
  /** Outputs of the caches stack; default {@link FAKE_CACHE_OUTPUTS}. */
  cacheOutputs?: Record<string, unknown>;
  /** Name under which the caches stack is served; default `caches-dev`. */
  cachesStack?: string;
  /**
   * Receives registrations as the program made them, with explicit dependencies and with secret
   * inputs still whole, which the recorded inputs no longer show.
   */
  observe?: RegistrationObserver;
}

/** Renders the runners stack under mocks, with a stand-in caches stack behind its StackReference. */
export function recordRunners(
  file: StackFileConfig = devStackFile(),
  options: RecordRunnersOptions = {},
): Promise<RecordResult> {
  const observe = options.observe;
  const program = async (): Promise<Record<string, unknown>> => {
    if (observe !== undefined) {
      pulumi.runtime.registerStackTransformation((args) => {
        observe(args);
        return undefined;
      });
    }
    return runStack(readStackConfig(RUNNERS_STACK));
  };
  return recordProgram(program, {
    stack: RUNNERS_STACK,
    config: file.config,
    secretKeys: file.secretKeys,
    stackReferences: { [options.cachesStack ?? "caches-dev"]: options.cacheOutputs ?? FAKE_CACHE_OUTPUTS },
  });
}

/** Returns the resources of one type. */
export function ofType(result: RecordResult, type: string): RecordedResource[] {
  return result.resources.filter((resource) => resource.type === type);
}

/** Returns the one resource with this logical name, or throws naming what was recorded. */
export function named(result: RecordResult, name: string): RecordedResource {
  const found = result.resources.find((resource) => resource.name === name);
  if (found === undefined) {
    throw new Error(
      `No resource named "${name}"; recorded: ${result.resources.map((r) => r.name).join(", ")}`,
    );
  }
  return found;
}

/** Reads a nested value by a path of keys and indexes. */
export function at(value: unknown, ...keys: Array<string | number>): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== "object") {
      return undefined;
    }
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** Resolves an input that may be an Output, including a secret one, for inspection in tests. */
export function resolveInput(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    return new Promise((resolve) => (value as pulumi.Output<unknown>).apply((v) => resolve(v)));
  }
  return Promise.resolve(value);
}
