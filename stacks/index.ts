import type { StackConfig } from "../config/load";
import { cachesStack } from "./caches";
import { runnersStack } from "./runners";
import { githubStack } from "./github";

/** Stack outputs as a plain record of Pulumi inputs; the program exports it as the stack's outputs. */
export type StackOutputs = Record<string, unknown>;

/** Registers the resources of the configured family and returns the stack outputs. */
export async function runStack(config: StackConfig): Promise<StackOutputs> {
  switch (config.family) {
    case "caches":
      return cachesStack(config);
    case "runners":
      return runnersStack(config);
    case "github":
      return githubStack(config);
  }
}
