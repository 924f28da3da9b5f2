import type { StackConfig } from "../config/load";
import type { StackOutputs } from "./index";

/** Registers the runner fleet and returns its outputs. */
export async function runnersStack(config: Extract<StackConfig, { family: "runners" }>): Promise<StackOutputs> {
  void config;
  return { lanes: [], labels: [], controllerNamespace: "arc-systems", runnerNamespace: "arc-runners", cacheEndpoints: {} };
}
