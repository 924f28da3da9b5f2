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
 * How one family declares its configuration keys (without the `flywheel:` namespace). The loader
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
  /** Stack name as Pulumi knows it, such as `runners-dev`. */
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

/** Freezes an object graph in place so that no stack can change the parsed configuration. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !(value instanceof Secret) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) {
      deepFreeze(child);
    }
  }
  return value;
}

function decode(value: string): unknown {
  // Pulumi passes structured values as JSON and plain values as bare strings.
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function wrapSecret(value: unknown): unknown {
  if (typeof value === "string") {
    return new Secret(value);
  }
  if (Array.isArray(value)) {
    return value.map(wrapSecret);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrapSecret(v)]));
  }
  return value;
}

/**
 * Parses a stack's configuration once, at the boundary. Every problem found is reported together in
 * one `ConfigError`, before any resource is registered.
 */
export function loadStackConfig(stack: string, raw: RawConfig): StackConfig {
  const prefix = `${NAMESPACE}:`;
  const problems: ConfigProblem[] = [];
  const own: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw.values)) {
    if (fullKey.startsWith(prefix)) {
      own[fullKey.slice(prefix.length)] = decode(value);
    }
  }

  const family = own["family"];
  if (typeof family !== "string" || !(FAMILIES as readonly string[]).includes(family)) {
    throw new ConfigError(stack, [
      {
        key: `${prefix}family`,
        rule: family === undefined ? "is required" : `must be one of ${FAMILIES.join(", ")}, not ${JSON.stringify(family)}`,
        accepted: `pulumi config set ${prefix}family runners`,
      },
    ]);
  }
  const definition = DEFINITIONS[family as Family];

  const defaultEnvironment = stack.includes("-") ? stack.slice(stack.lastIndexOf("-") + 1) : stack;
  const environment = own["environment"] ?? defaultEnvironment;
  if (typeof environment !== "string" || !ENVIRONMENT_PATTERN.test(environment)) {
    problems.push({
      key: `${prefix}environment`,
      rule: "must be lower-case letters, digits and dashes, starting with a letter, at most 31 characters",
      accepted: "dev",
    });
  }

  const familyInput: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(own)) {
    if (key === "family" || key === "environment") {
      continue;
    }
    const isSecret = raw.secretKeys.has(`${prefix}${key}`);
    if (definition.secretKeys.includes(key)) {
      if (!isSecret) {
        problems.push({
          key: `${prefix}${key}`,
          rule: "must be set as a secret so that it is encrypted in the stack configuration",
          accepted: `pulumi config set --secret ${prefix}${key} <value>`,
        });
        continue;
      }
      familyInput[key] = wrapSecret(value);
    } else {
      familyInput[key] = value;
    }
  }

  const parsed = definition.schema.safeParse(familyInput);
  if (!parsed.success) {
    problems.push(...problemsFromZod(NAMESPACE, parsed.error).map((p) => ({ ...p, key: p.key.replace(`${NAMESPACE}.`, prefix) })));
  }
  if (problems.length > 0) {
    throw new ConfigError(stack, problems);
  }

  const identity: StackIdentity = { stack, environment: environment as string };
  return deepFreeze({ ...identity, family, [family]: parsed.data } as StackConfig);
}
