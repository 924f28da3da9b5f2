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

function configOf<T extends z.ZodType>(policyName: string, schema: T, raw: unknown): z.output<T> {
  return parsePolicyConfig(policyName, schema, raw);
}

const noHostedRunner: ResourceValidationPolicy = {
  name: "no-hosted-runner",
  description:
    "Every job of a managed workflow runs only on the fleet's own runners, never on a GitHub-hosted one.",
  configSchema: toConfigSchema(fleetConfigSchema),
  validateResource: async (args, reportViolation) => {
    if (args.type !== RESOURCE_TYPES.repositoryFile) {
      return;
    }
    const fleet = configOf("no-hosted-runner", fleetConfigSchema, args.getConfig());
    const resource = toResourceInput(args);
    if (hasPathUnknownAtPreview(resource)) {
      reportViolation(unknownPathMessage(resource.name));
      return;
    }
    const workflow = workflowFileFrom(resource);
    if (workflow) {
      report(await checkNoHostedRunner(workflow, fleet, auditWorkflowText), reportViolation, false);
    }
  },
};

const fleetLabelServed: StackValidationPolicy = {
  name: "fleet-label-served",
  description:
    "Every runner label a managed workflow uses is served by an enabled scale set with maxRunners of at least 1.",
  configSchema: toConfigSchema(fleetConfigSchema),
  validateStack: async (args, reportViolation) => {
    const fleet = configOf("fleet-label-served", fleetConfigSchema, args.getConfig());
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
    ];
    report(
      await checkFleetLabelsServed(workflows, scaleSets, fleet, auditWorkflowText),
      reportViolation,
      true,
    );
  },
};

const noHostedNamedScaleSet: ResourceValidationPolicy = {
  name: "no-hosted-named-scale-set",
  description: "No runner scale set is named like a GitHub-hosted or default runner label.",
  configSchema: toConfigSchema(noOptionsSchema),
  validateResource: (args, reportViolation) => {
    if (args.type !== RESOURCE_TYPES.helmRelease) {
      return;
    }
    configOf("no-hosted-named-scale-set", noOptionsSchema, args.getConfig());
    report(checkScaleSetName(toResourceInput(args)), reportViolation, false);
  },
};

const runnerGroupNoPublic: ResourceValidationPolicy = {
  name: "runner-group-no-public",
  description:
    "Runner groups do not accept public repositories unless the pack configuration allows the group.",
  configSchema: toConfigSchema(runnerGroupConfigSchema),
  validateResource: (args, reportViolation) => {
    if (args.type !== RESOURCE_TYPES.runnerGroup) {
      return;
    }
    const config = configOf("runner-group-no-public", runnerGroupConfigSchema, args.getConfig());
    report(checkRunnerGroupNoPublic(toResourceInput(args), config), reportViolation, false);
  },
};

const pinnedImages: ResourceValidationPolicy = {
  name: "pinned-images",
  description:
    "Every container image of a workload or Helm release is pinned to a tag other than latest or to a digest.",
  configSchema: toConfigSchema(noOptionsSchema),
  validateResource: (args, reportViolation) => {
    if (!isImageBearingType(args.type)) {
      return;
    }
    configOf("pinned-images", noOptionsSchema, args.getConfig());
    report(checkPinnedImages(toResourceInput(args)), reportViolation, false);
  },
};

const noCredentialsInConfigMap: ResourceValidationPolicy = {
  name: "no-credentials-in-configmap",
  description:
    "No ConfigMap contains a credential, by key name or by value, because credentials belong in Secrets.",
  configSchema: toConfigSchema(noOptionsSchema),
  validateResource: (args, reportViolation) => {
    if (args.type !== RESOURCE_TYPES.configMap) {
      return;
    }
    configOf("no-credentials-in-configmap", noOptionsSchema, args.getConfig());
    report(checkConfigMapCredentials(toResourceInput(args)), reportViolation, false);
  },
};

const cacheServicesInternal: ResourceValidationPolicy = {
  name: "cache-services-internal",
  description:
    "No build cache Service is of type LoadBalancer or NodePort unless the pack configuration allows it.",
  configSchema: toConfigSchema(cacheServicesConfigSchema),
  validateResource: (args, reportViolation) => {
    if (args.type !== RESOURCE_TYPES.service) {
      return;
    }
    const config = configOf("cache-services-internal", cacheServicesConfigSchema, args.getConfig());
    report(checkCacheServiceInternal(toResourceInput(args), config), reportViolation, false);
  },
};

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
