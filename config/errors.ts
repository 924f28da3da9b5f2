import type { z } from "zod";

/** One rejected configuration value: the full key, the rule it broke and a value that would be accepted. */
export interface ConfigProblem {
  /** Full configuration key, such as `flywheel:runners.scaleSets.gh-nix.maxRunners`. */
  key: string;
  /** The rule the value broke, as a sentence fragment ("must be at least 1"). */
  rule: string;
  /** An example of a value the key accepts, or guidance on how to fix it. */
  accepted?: string;
}

/**
 * Invalid stack configuration. Thrown before any resource is registered; the message lists every
 * problem, one per line, each naming the key, the rule and an accepted value.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(stack: string, problems: ConfigProblem[], options?: { cause?: unknown }) {
    const lines = problems.map((p) => `  - ${p.key}: ${p.rule}${p.accepted ? ` (accepted: ${p.accepted})` : ""}`);
    super(`Invalid configuration for stack "${stack}":\n${lines.join("\n")}`, options);
    this.name = "ConfigError";
    this.problems = Object.freeze([...problems]);
  }
}

/** Joins a key prefix and a schema path the way Pulumi structured configuration is addressed. */
export function joinKey(prefix: string, path: readonly PropertyKey[]): string {
  let key = prefix;
  for (const part of path) {
    key += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  }
  return key;
}

/**
 * Converts a schema library error into configuration problems under `prefix`. Schemas attach the
 * accepted value to a check through its `params.accepted`; an unknown key names its neighbours.
 */
export function problemsFromZod(prefix: string, error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const unknown of issue.keys) {
        problems.push({
          key: joinKey(prefix, [...issue.path, unknown]),
          rule: "is not a known key",
          accepted: "remove it or correct its spelling",
        });
      }
      continue;
    }
    const params = (issue as { params?: { accepted?: string } }).params;
    problems.push({
      key: joinKey(prefix, issue.path),
      rule: issue.message,
      accepted: params?.accepted,
    });
  }
  return problems;
}
