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
 * problem, one per line, each naming the key, the rule and an accepted value. Messages never quote
 * the rejected value, because it may be a secret.
 */
export class ConfigError extends Error {
  /** Name of the stack whose configuration was rejected (`stack` is the trace, as on every Error). */
  readonly stackName: string;
  readonly problems: readonly ConfigProblem[];

  constructor(stack: string, problems: ConfigProblem[], options?: { cause?: unknown }) {
    const lines = problems.map(
      (p) => `  - ${p.key}: ${p.rule}${p.accepted ? ` (accepted: ${p.accepted})` : ""}`,
    );
    super(`Invalid configuration for stack "${stack}":\n${lines.join("\n")}`, options);
    this.name = "ConfigError";
    this.stackName = stack;
    this.problems = Object.freeze([...problems]);
  }
}

/**
 * Joins a key prefix and a schema path the way Pulumi structured configuration is addressed. A
 * prefix ending in `:` is a namespace, so the first segment follows it without a dot
 * (`flywheel:` + `runners.minRunners`).
 */
export function joinKey(prefix: string, path: readonly PropertyKey[]): string {
  let key = prefix;
  for (const part of path) {
    if (typeof part === "number") {
      key += `[${part}]`;
    } else if (key === "" || key.endsWith(":")) {
      key += String(part);
    } else {
      key += `.${String(part)}`;
    }
  }
  return key;
}

type Issue = z.core.$ZodIssue & { input?: unknown; params?: { accepted?: string } };

/**
 * Rewrites the schema library's default messages ("Too big: expected number to be <=5") as rule
 * phrases ("must be at most 5"). A message a schema set itself is kept as written. The rejected
 * value is never quoted, because it may be a secret.
 */
function ruleOf(issue: Issue): { rule: string; accepted?: string } {
  const accepted = issue.params?.accepted;
  const isDefaultMessage = /^(Invalid|Too big|Too small|Unrecognized)/.test(issue.message);
  if (!isDefaultMessage) {
    return { rule: issue.message, accepted };
  }
  switch (issue.code) {
    case "invalid_type":
      // The input is present when the schema ran with `reportInput`; otherwise the default message names it.
      if ("input" in issue ? issue.input === undefined : issue.message.endsWith("received undefined")) {
        return { rule: "is required", accepted };
      }
      return { rule: `must be ${withArticle(issue.expected)}`, accepted };
    case "too_big": {
      const bound = String(issue.maximum);
      const rule =
        issue.origin === "array" || issue.origin === "string"
          ? `must have at most ${bound} ${unitOf(issue.origin, bound)}`
          : `must be at most ${bound}`;
      return { rule, accepted: accepted ?? bound };
    }
    case "too_small": {
      const bound = String(issue.minimum);
      const rule =
        issue.origin === "array" || issue.origin === "string"
          ? `must have at least ${bound} ${unitOf(issue.origin, bound)}`
          : `must be at least ${bound}`;
      return { rule, accepted: accepted ?? bound };
    }
    case "invalid_value": {
      const values = issue.values.map((v) => JSON.stringify(v));
      return { rule: `must be one of ${values.join(", ")}`, accepted: accepted ?? values[0] };
    }
    case "invalid_format":
      return { rule: `must be a valid ${issue.format}`, accepted };
    default:
      return { rule: issue.message, accepted };
  }
}

function withArticle(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function unitOf(origin: string, bound: string): string {
  const unit = origin === "array" ? "item" : "character";
  return bound === "1" ? unit : `${unit}s`;
}

/**
 * Converts a schema library error into configuration problems under `prefix` (a namespace such as
 * `flywheel:`, or a key such as `flywheel:runners`). Schemas attach the accepted value to a check
 * through its `params.accepted`.
 */
export function problemsFromZod(prefix: string, error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues as Issue[]) {
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
    problems.push({ key: joinKey(prefix, issue.path), ...ruleOf(issue) });
  }
  return problems;
}
