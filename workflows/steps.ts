import { PINNED_ACTIONS, usesOf } from "./actions";
import type { RunStep, UsesStep } from "./model";

/** Node.js major version the flywheel program runs on; its Pulumi SDK pin needs 20 or later. */
export const NODE_VERSION = "20";

/** Pulumi CLI version the driver runs, the same release as the pinned `@pulumi/pulumi` SDK. */
export const PULUMI_VERSION = "3.248.0";

/** Names of the repository variables the github stack sets and the workflows read. */
export const VARIABLE_NAMES = {
  /** gRPC endpoint of bazel-remote, for `--remote_cache`. */
  bazelRemoteCache: "BAZEL_REMOTE_CACHE",
  /** HTTP status URL of bazel-remote (`/status` on its HTTP port). */
  bazelRemoteStatusUrl: "BAZEL_REMOTE_STATUS_URL",
  /** Base URL of the Attic server. */
  atticServer: "ATTIC_SERVER",
  /** Name of the Attic cache the fleet substitutes from and pushes to. */
  atticCache: "ATTIC_CACHE",
  /** Comma-separated fleet labels that have runners, for audits. */
  fleetLabels: "FLYWHEEL_FLEET_LABELS",
} as const;

/** Returns the expression that reads a repository variable. */
export function variable(name: string): string {
  return `\${{ vars.${name} }}`;
}

/** Checks out the repository; `fetchDepth` 0 fetches the full history. */
export function checkout(fetchDepth = 1): UsesStep {
  return {
    name: "Check out the repository",
    uses: usesOf(PINNED_ACTIONS.checkout),
    with: { "fetch-depth": fetchDepth, "persist-credentials": false },
  };
}

/** Installs Node.js. */
export function setupNode(): UsesStep {
  return {
    name: "Set up Node.js",
    uses: usesOf(PINNED_ACTIONS.setupNode),
    with: { "node-version": NODE_VERSION },
  };
}

/** Installs the locked dependencies. */
export function npmCi(): RunStep {
  return { name: "Install dependencies", run: "npm ci" };
}

/** Checks out, installs Node.js and the locked dependencies: the start of every job that runs flywheel. */
export function nodeProject(fetchDepth = 1): [UsesStep, UsesStep, RunStep] {
  return [checkout(fetchDepth), setupNode(), npmCi()];
}

/** Quotes a value for a bash script, so that configuration text never becomes shell syntax. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
