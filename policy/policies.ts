import type {
  EnforcementLevel,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { z } from "zod";

import {
  cacheServicesConfigSchema,
  type FleetConfig,
  fleetConfigSchema,
  noOptionsSchema,
  parsePolicyConfig,
  runnerGroupConfigSchema,
  toConfigSchema,
} from "./config";
import { auditWorkflowText } from "./resolver";
import { checkCacheServiceInternal } from "./rules/cache-services";
import { checkConfigMapCredentials } from "./rules/configmap-credentials";
import { checkFleetLabelsServed } from "./rules/fleet-label-served";
import { checkNoHostedRunner, unknownPathMessage } from "./rules/no-hosted-runner";
import { checkPinnedImages, isImageBearingType } from "./rules/pinned-images";
import { type PlainObject, toPlain } from "./rules/plain";
import { checkRunnerGroupNoPublic } from "./rules/runner-groups";
import {
  checkScaleSetName,
  isScaleSetRelease,
  scaleSetFromRelease,
  scaleSetsFromRunnerFleet,
  scaleSetsFromStackReference,
} from "./rules/scale-sets";
import { RESOURCE_TYPES, type ResourceInput, type Violation } from "./rules/types";
import { hasPathUnknownAtPreview, type WorkflowFile, workflowFileFrom } from "./rules/workflow-files";

/** Enforcement level of every policy unless the pack configuration sets another. */
export const DEFAULT_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

/**
 * Copies a resource out of the policy SDK into plain data. Reading through {@link toPlain} is what
 * keeps a value unknown at preview from downgrading a mandatory policy to an advisory one.
 */
function toResourceInput(resource: ResourceValidationArgs | PolicyResource): ResourceInput {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: toPlain(resource.props) as PlainObject,
  };
}

function report(violations: readonly Violation[], reportViolation: ReportViolation, withUrn: boolean): void {
  for (const violation of violations) {
    if (withUrn && violation.urn) {
      reportViolation(violation.message, violation.urn);
    } else {
      reportViolation(violation.message);
    }
  }
}

/** Definition of a resource policy: its name, description, options and pure check. */
interface ResourcePolicySpec<S extends z.ZodObject> {
  name: string;
  description: string;
  /** Options of the policy; the engine validates `--policy-pack-config` against it. */
  configSchema: S;
  /** Whether the policy checks resources of this type token. */
  appliesTo: (type: string) => boolean;
  /** Checks one resource's inputs with the parsed options. */
  check: (resource: ResourceInput, config: z.output<S>) => Violation[] | Promise<Violation[]>;
}

/** Builds a CrossGuard resource policy around a pure check. */
function resourcePolicy<S extends z.ZodObject>(spec: ResourcePolicySpec<S>): ResourceValidationPolicy {
  return {
    name: spec.name,
    description: spec.description,
    configSchema: toConfigSchema(spec.configSchema),
    validateResource: async (args, reportViolation) => {
      if (!spec.appliesTo(args.type)) {
        return;
      }
      const config = parsePolicyConfig(spec.name, spec.configSchema, args.getConfig());
      report(await spec.check(toResourceInput(args), config), reportViolation, false);
    },
  };
}

/** Checks a workflow file committed by a `RepositoryFile` against the configured fleet. */
async function checkWorkflowResource(resource: ResourceInput, fleet: FleetConfig): Promise<Violation[]> {
  if (hasPathUnknownAtPreview(resource)) {
    return [{ message: unknownPathMessage(resource.name) }];
  }
  const workflow = workflowFileFrom(resource);
  return workflow ? checkNoHostedRunner(workflow, fleet, auditWorkflowText) : [];
}

const noHostedRunner = resourcePolicy({
  name: "no-hosted-runner",
  description:
    "Every job of a managed workflow runs only on the fleet's own runners, never on a GitHub-hosted one.",
  configSchema: fleetConfigSchema,
  appliesTo: (type) => type === RESOURCE_TYPES.repositoryFile,
  check: checkWorkflowResource,
});

const fleetLabelServed: StackValidationPolicy = {
  name: "fleet-label-served",
  description:
    "Every runner label a managed workflow uses is served by an enabled scale set with maxRunners of at least 1.",
  configSchema: toConfigSchema(fleetConfigSchema),
  validateStack: async (args, reportViolation) => {
    const fleet = parsePolicyConfig("fleet-label-served", fleetConfigSchema, args.getConfig());
    const resources = args.resources.map(toResourceInput);
    const workflows = resources
      .map(workflowFileFrom)
      .filter((workflow): workflow is WorkflowFile => workflow !== undefined);
    if (workflows.length === 0) {
      return;
    }
    const scaleSets = [
      ...resources.filter(isScaleSetRelease).map(scaleSetFromRelease),
      ...resources
        .filter((resource) => resource.type === RESOURCE_TYPES.stackReference)
        .flatMap(scaleSetsFromStackReference),
      ...resources
        .filter((resource) => resource.type === RESOURCE_TYPES.runnerFleet)
        .flatMap(scaleSetsFromRunnerFleet),
    ];
    report(
      await checkFleetLabelsServed(workflows, scaleSets, fleet, auditWorkflowText),
      reportViolation,
      true,
    );
  },
};

const noHostedNamedScaleSet = resourcePolicy({
  name: "no-hosted-named-scale-set",
  description: "No runner scale set is named like a GitHub-hosted or default runner label.",
  configSchema: noOptionsSchema,
  appliesTo: (type) => type === RESOURCE_TYPES.helmRelease,
  check: checkScaleSetName,
});

const runnerGroupNoPublic = resourcePolicy({
  name: "runner-group-no-public",
  description:
    "Runner groups do not accept public repositories unless the pack configuration allows the group.",
  configSchema: runnerGroupConfigSchema,
  appliesTo: (type) => type === RESOURCE_TYPES.runnerGroup,
  check: checkRunnerGroupNoPublic,
});

const pinnedImages = resourcePolicy({
  name: "pinned-images",
  description:
    "Every container image of a workload or Helm release is pinned to a tag other than latest or to a digest.",
  configSchema: noOptionsSchema,
  appliesTo: isImageBearingType,
  check: checkPinnedImages,
});

const noCredentialsInConfigMap = resourcePolicy({
  name: "no-credentials-in-configmap",
  description:
    "No ConfigMap contains a credential, by key name or by value, because credentials belong in Secrets.",
  configSchema: noOptionsSchema,
  appliesTo: (type) => type === RESOURCE_TYPES.configMap,
  check: checkConfigMapCredentials,
});

const cacheServicesInternal = resourcePolicy({
  name: "cache-services-internal",
  description:
    "No build cache Service is of type LoadBalancer or NodePort unless the pack configuration allows it.",
  configSchema: cacheServicesConfigSchema,
  appliesTo: (type) => type === RESOURCE_TYPES.service,
  check: checkCacheServiceInternal,
});

/** The policies of the flywheel pack, in the order the engine reports them. */
export const policies = [
  noHostedRunner,
  fleetLabelServed,
  noHostedNamedScaleSet,
  runnerGroupNoPublic,
  pinnedImages,
  noCredentialsInConfigMap,
  cacheServicesInternal,
];
