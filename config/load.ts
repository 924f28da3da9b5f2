import { z } from "zod";
import { ConfigError, ConfigProblem, problemsFromZod } from "./errors";
import { Secret } from "./secret";
import { cachesFamily, CachesConfig } from "./caches";
import { runnersFamily, RunnersConfig } from "./runners";
import { githubFamily, GithubConfig } from "./github";

/** Configuration namespace of this project; `flywheel:family` and so on. */
export const NAMESPACE = "flywheel";

/** The three kinds of stack this program defines. Data flows caches -> runners -> github. */
export type Family = "caches" | "runners" | "github";
export const FAMILIES: readonly Family[] = ["caches", "runners", "github"];

/**
 * Declaration of one family's configuration keys, without the `flywheel:` namespace. The loader
 * handles `family` and `environment`, JSON decoding, secret wrapping and unknown-key checks.
 */
export interface FamilyDefinition<T> {
  family: Family;
  /** Schema over the family's keys. Values of keys in `secretKeys` arrive as `Secret` instances. */
  schema: z.ZodType<T>;
  /**
   * Keys that must be set with `pulumi config set --secret`. A structured secret arrives with each
   * string leaf wrapped as a `Secret`.
   */
  secretKeys: readonly string[];
}

/** Values common to every stack. */
export interface StackIdentity {
  /** Stack name as Pulumi reports it, such as `runners-dev`. */
  stack: string;
  /** Environment suffix shared by the three stacks of one platform, default taken from the stack name. */
  environment: string;
}

/** A stack's parsed, frozen configuration, discriminated by family. */
export type StackConfig =
  | (StackIdentity & { family: "caches"; caches: CachesConfig })
  | (StackIdentity & { family: "runners"; runners: RunnersConfig })
  | (StackIdentity & { family: "github"; github: GithubConfig });

/** Raw configuration as `pulumi.runtime.allConfig()` returns it: full keys to string values. */
export interface RawConfig {
  values: Readonly<Record<string, string>>;
  /** Full keys (`flywheel:githubAppPrivateKey`) whose values were set as secrets. */
  secretKeys: ReadonlySet<string>;
}

const DEFINITIONS: Record<Family, FamilyDefinition<unknown>> = {
  caches: cachesFamily,
  runners: runnersFamily,
  github: githubFamily,
};

const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * Freezes an object graph in place so that no stack can change the parsed configuration. An object
 * that is already frozen is still walked, because its children may not be.
 */
export function deepFreeze<T>(value: T, visited: WeakSet<object> = new WeakSet()): T {
  if (value !== null && typeof value === "object" && !(value instanceof Secret) && !visited.has(value)) {
    visited.add(value);
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) {
      deepFreeze(child, visited);
    }
  }
  return value;
}

/** Returns the environment a stack name implies: its suffix after the last dash (`runners-dev` -> `dev`). */
export function defaultEnvironment(stack: string): string {
  return stack.includes("-") ? stack.slice(stack.lastIndexOf("-") + 1) : stack;
}

function decode(value: string): unknown {
  // Pulumi passes structured values as JSON and plain values as bare strings.
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Wraps every scalar leaf of a decoded secret in a `Secret`. Numbers and booleans are wrapped as
 * their text, because a value set with `--secret` stays secret whatever its type.
 */
function wrapSecretLeaves(value: unknown): unknown {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return new Secret(String(value));
  }
  if (Array.isArray(value)) {
    return value.map(wrapSecretLeaves);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrapSecretLeaves(v)]));
  }
  return value;
}

/** Turns a raw secret value into a `Secret`, or a structure of them when it is JSON. */
function decodeSecret(value: string): unknown {
  const decoded = decode(value);
  // A scalar keeps its exact text: "007" must not become the number 7.
  return decoded !== null && typeof decoded === "object" ? wrapSecretLeaves(decoded) : new Secret(value);
}

function familyProblem(prefix: string, family: unknown): ConfigProblem {
  return {
    key: `${prefix}family`,
    rule:
      family === undefined
        ? "is required"
        : `must be one of ${FAMILIES.map((f) => JSON.stringify(f)).join(", ")}, not ${JSON.stringify(family)}`,
    accepted: `pulumi config set ${prefix}family runners`,
  };
}

/**
 * Parses a stack's configuration once, at the boundary. Every problem found is reported together in
 * one `ConfigError`, before any resource is registered. Keys outside the `flywheel:` namespace (a
 * provider's, such as `kubernetes:context`) are left to their owners.
 */
export function loadStackConfig(stack: string, raw: RawConfig): StackConfig {
  const prefix = `${NAMESPACE}:`;
  const problems: ConfigProblem[] = [];
  const own: Record<string, string> = {};
  for (const [fullKey, value] of Object.entries(raw.values)) {
    if (fullKey.startsWith(prefix)) {
      own[fullKey.slice(prefix.length)] = value;
    }
  }

  const environment = own["environment"] ?? defaultEnvironment(stack);
  if (!ENVIRONMENT_PATTERN.test(environment)) {
    problems.push({
      key: `${prefix}environment`,
      rule:
        own["environment"] === undefined
          ? `is not set, and the stack name's suffix ${JSON.stringify(environment)} is not a valid environment: it must be lower-case letters, digits and dashes, starting with a letter, at most 31 characters`
          : "must be lower-case letters, digits and dashes, starting with a letter, at most 31 characters",
      accepted: "dev",
    });
  }

  const family = own["family"];
  if (family === undefined || !(FAMILIES as readonly string[]).includes(family)) {
    // Without a family there is no schema to check the other keys against.
    throw new ConfigError(stack, [familyProblem(prefix, family), ...problems]);
  }
  const definition = DEFINITIONS[family as Family];

  const familyInput: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(own)) {
    if (key === "family" || key === "environment") {
      continue;
    }
    if (!definition.secretKeys.includes(key)) {
      familyInput[key] = decode(value);
    } else if (raw.secretKeys.has(`${prefix}${key}`)) {
      familyInput[key] = decodeSecret(value);
    } else {
      problems.push({
        key: `${prefix}${key}`,
        rule: "must be set as a secret so that it is encrypted in the stack configuration",
        accepted: `pulumi config set --secret ${prefix}${key} <value>`,
      });
    }
  }

  const parsed = definition.schema.safeParse(familyInput, { reportInput: true });
  if (!parsed.success) {
    // A secret key that was rejected above as plain text is absent here; do not report it twice.
    const reported = new Set(problems.map((p) => p.key));
    problems.push(...problemsFromZod(prefix, parsed.error).filter((p) => !reported.has(p.key)));
  }
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(stack, problems);
  }

  const identity: StackIdentity = { stack, environment };
  return deepFreeze({ ...identity, family, [family]: parsed.data } as StackConfig);
}
