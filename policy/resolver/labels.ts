import type { FleetOptions } from "./types";

/**
 * Label families of GitHub-hosted runners, matched case-insensitively against the start of a label.
 * Source: GitHub's "GitHub-hosted runners" reference (docs.github.com, actions/reference/runners),
 * which lists the standard labels `ubuntu-latest`, `ubuntu-24.04`, `ubuntu-24.04-arm`, `ubuntu-slim`,
 * `windows-latest`, `windows-2025`, `windows-11-arm`, `macos-latest`, `macos-15`, `macos-15-intel` and
 * the larger-runner images built on them. Larger runners carry names an organization chooses, so they
 * cannot be listed: a label outside the fleet fails the fleet check instead.
 */
export const HOSTED_LABEL_FAMILIES: readonly string[] = ["ubuntu-", "windows-", "macos-"];

/** The fleet prefix that applies when the command line names no label and no prefix. */
export const DEFAULT_LABEL_PREFIX = "tinyland-";

/** A fleet with labels lowercased once, so each label check is a plain comparison. */
export interface Fleet {
  labels: ReadonlySet<string>;
  prefixes: readonly string[];
  variables: ReadonlyMap<string, string>;
}

/** Returns the hosted family a label belongs to, or undefined when it names no hosted image. */
export function hostedFamily(label: string): string | undefined {
  const lower = label.toLowerCase();
  return HOSTED_LABEL_FAMILIES.find((family) => lower.startsWith(family));
}

/** Returns whether a label names a runner of the fleet, by exact label or by prefix. */
export function isFleetLabel(label: string, fleet: Fleet): boolean {
  const lower = label.toLowerCase();
  if (fleet.labels.has(lower)) {
    return true;
  }
  return fleet.prefixes.some((prefix) => lower.length > prefix.length && lower.startsWith(prefix));
}

/**
 * Validates fleet options and lowercases them. Throws when the fleet is empty or when a fleet label or
 * prefix falls inside a hosted family, because GitHub would route such a label to its own runners.
 */
export function normalizeFleet(options: FleetOptions): Fleet {
  const labels = (options.labels ?? []).map((label) => label.trim()).filter((label) => label !== "");
  const prefixes = (options.labelPrefixes ?? []).map((prefix) => prefix.trim()).filter((p) => p !== "");
  if (labels.length === 0 && prefixes.length === 0) {
    throw new Error(
      `The fleet must name at least one runner label or label prefix, but both lists are empty; ` +
        `pass e.g. labelPrefixes: ["${DEFAULT_LABEL_PREFIX}"].`,
    );
  }
  for (const name of [...labels, ...prefixes]) {
    const family = hostedFamily(name);
    if (family !== undefined) {
      throw new Error(
        `Fleet label or prefix "${name}" must not start with the GitHub-hosted family "${family}", ` +
          `because GitHub may route it to a hosted runner; rename the scale set (e.g. "${DEFAULT_LABEL_PREFIX}${name}").`,
      );
    }
  }
  const variables = new Map<string, string>();
  for (const [name, value] of Object.entries(options.variables ?? {})) {
    variables.set(name.toLowerCase(), value);
  }
  return {
    labels: new Set(labels.map((label) => label.toLowerCase())),
    prefixes: prefixes.map((prefix) => prefix.toLowerCase()),
    variables,
  };
}

/**
 * Judges one label set a job can request. Returns the reason it breaks the rule, or undefined when it
 * contains at least one fleet label and no GitHub-hosted label.
 */
export function judgeLabelSet(labels: readonly string[], fleet: Fleet): string | undefined {
  const shown = `[${labels.map((label) => (label === "" ? '""' : label)).join(", ")}]`;
  if (labels.length === 0) {
    return `runs-on can request an empty label set, which names no runner of the fleet`;
  }
  const empty = labels.find((label) => label.trim() === "");
  if (empty !== undefined) {
    return `runs-on can request ${shown}, which contains an empty label`;
  }
  for (const label of labels) {
    const family = hostedFamily(label);
    if (family !== undefined) {
      return `runs-on can request ${shown}: "${label}" is a GitHub-hosted label (family ${family}*)`;
    }
  }
  if (!labels.some((label) => isFleetLabel(label, fleet))) {
    return `runs-on can request ${shown}, which contains no fleet label, so it may match a runner outside the fleet or none`;
  }
  return undefined;
}
