import type { PolicyConfigSchema } from "@pulumi/policy";
import { z } from "zod";

import { DEFAULT_LABEL_PREFIX } from "./resolver";
import { hostedLabelReason } from "./rules/hosted-labels";

/** Namespaces of the build caches when the pack configuration names none (the caches stack's defaults). */
export const DEFAULT_CACHE_NAMESPACES = ["bazel-cache", "nix-cache"];

/** Labels that mark a Service as part of a build cache when the pack configuration names none. */
export const DEFAULT_CACHE_LABELS: Record<string, string> = { "app.kubernetes.io/component": "cache" };

/** A fleet label or prefix: non-empty and not one GitHub could route to a hosted or foreign runner. */
const fleetLabel = z
  .string()
  .min(1)
  .superRefine((label, context) => {
    const reason = hostedLabelReason(label);
    if (reason) {
      context.addIssue({
        code: "custom",
        message: `"${label}" must not be a fleet label, because ${reason}`,
      });
    }
  });

const labelList = z.array(fleetLabel);

/** Configuration of the policies that check workflow files against the fleet. */
export const fleetConfigSchema = z
  .strictObject({
    labels: labelList
      .default([])
      .describe("Runner labels the fleet serves, beyond those the runners stack exports."),
    labelPrefixes: labelList
      .default([DEFAULT_LABEL_PREFIX])
      .describe("Label prefixes that mark a runner label as the fleet's own."),
    variables: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        "Values of `vars.*` that workflow expressions may read; any other `vars.*` is unknown and fails closed.",
      ),
  })
  .superRefine((config, context) => {
    if (config.labels.length === 0 && config.labelPrefixes.length === 0) {
      context.addIssue({
        code: "custom",
        path: ["labelPrefixes"],
        message: "labels and labelPrefixes must not both be empty, because the fleet would have no runner",
      });
    }
  });

/** Configuration of `runner-group-no-public`. */
export const runnerGroupConfigSchema = z.strictObject({
  allowPublicRunnerGroups: z
    .array(z.string().min(1))
    .default([])
    .describe("Runner group names allowed to accept public repositories."),
});

/** Configuration of `cache-services-internal`. */
export const cacheServicesConfigSchema = z.strictObject({
  allowPublicServices: z
    .array(z.string().min(1))
    .default([])
    .describe("Service names (`name` or `namespace/name`) allowed to be a LoadBalancer or NodePort."),
  cacheNamespaces: z
    .array(z.string().min(1))
    .default(DEFAULT_CACHE_NAMESPACES)
    .describe("Namespaces whose Services belong to the build caches."),
  cacheLabels: z
    .record(z.string(), z.string())
    .default(DEFAULT_CACHE_LABELS)
    .describe("Labels any one of which marks a Service as part of a build cache."),
});

/** Configuration of the policies that take no options. */
export const noOptionsSchema = z.strictObject({});

export type FleetConfig = z.output<typeof fleetConfigSchema>;
export type RunnerGroupConfig = z.output<typeof runnerGroupConfigSchema>;
export type CacheServicesConfig = z.output<typeof cacheServicesConfigSchema>;

/** Accepted values shown in configuration errors, by key. */
const ACCEPTED_EXAMPLES: Record<string, string> = {
  labels: '["tinyland-nix"]',
  labelPrefixes: '["tinyland-"]',
  variables: '{"RUNNER_LABEL": "tinyland-nix"}',
  allowPublicRunnerGroups: '["open-source"]',
  allowPublicServices: '["nix-cache/attic-public"]',
  cacheNamespaces: '["nix-cache"]',
  cacheLabels: '{"app.kubernetes.io/component": "cache"}',
};

/**
 * Parses the configuration the engine passed for `policyName`, applying the defaults.
 *
 * The engine validates `--policy-pack-config` against {@link toConfigSchema}, but a direct
 * analyzer client does not, so the pack validates again here and applies the defaults itself.
 * @throws Error naming the policy, the key, the rule and an accepted value.
 */
export function parsePolicyConfig<T extends z.ZodType>(
  policyName: string,
  schema: T,
  raw: unknown,
): z.output<T> {
  const result = schema.safeParse(raw ?? {});
  if (result.success) {
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const key = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".") || "(root)";
    const topKey = String(issue.path[0] ?? "");
    const accepted = ACCEPTED_EXAMPLES[topKey];
    let remedy = "fix it";
    if (issue.code === "unrecognized_keys") {
      remedy = "remove it";
    } else if (accepted) {
      remedy = `for example ${accepted}`;
    }
    return `${key}: ${issue.message} (${remedy})`;
  });
  return raiseConfigError(policyName, problems);
}

function raiseConfigError(policyName: string, problems: string[]): never {
  throw new Error(`Policy pack configuration for "${policyName}" is invalid: ${problems.join("; ")}.`);
}

/** Converts a configuration schema to the JSON schema the engine validates `--policy-pack-config` with. */
export function toConfigSchema(schema: z.ZodObject): PolicyConfigSchema {
  const json = z.toJSONSchema(schema, { io: "input" }) as { properties?: PolicyConfigSchema["properties"] };
  return { properties: json.properties ?? {} };
}
