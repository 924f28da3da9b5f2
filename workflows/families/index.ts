import type { WorkflowFamily } from "../../config/github";
import type { Workflow } from "../model";
import { buildAndPublishWorkflow } from "./build-and-publish";
import type { FamilyContext } from "./context";
import { deployRunnersWorkflow } from "./deploy-runners";
import { platformProofWorkflow } from "./platform-proof";
import { proofStatusWorkflow } from "./proof-status";
import { runnerBenchmarksWorkflow } from "./runner-benchmarks";
import { secretDetectionWorkflow } from "./secret-detection";
import { validateWorkflow } from "./validate";

export type { FamilyContext } from "./context";

/** File name (under `.github/workflows/`) of each family's workflow. */
export const WORKFLOW_FILE_NAMES: Record<WorkflowFamily, string> = {
  validate: "validate.yml",
  secretDetection: "secret-detection.yml",
  platformProof: "platform-proof.yml",
  buildAndPublish: "build-and-publish.yml",
  deployRunners: "deploy-runners.yml",
  runnerBenchmarks: "runner-benchmarks.yml",
  proofStatus: "proof-status.yml",
};

/** Returns the path of a family's workflow file in a repository. */
export function workflowPath(family: WorkflowFamily): string {
  return `.github/workflows/${WORKFLOW_FILE_NAMES[family]}`;
}

/** Builds one family's workflow for one repository. */
export function buildWorkflow(family: WorkflowFamily, context: FamilyContext): Workflow {
  switch (family) {
    case "validate":
      return validateWorkflow(context);
    case "secretDetection":
      return secretDetectionWorkflow(context);
    case "platformProof":
      return platformProofWorkflow(context);
    case "buildAndPublish":
      return buildAndPublishWorkflow(context);
    case "deployRunners":
      return deployRunnersWorkflow(context);
    case "runnerBenchmarks":
      return runnerBenchmarksWorkflow(context);
    case "proofStatus":
      return proofStatusWorkflow(context, WORKFLOW_FILE_NAMES.platformProof);
  }
}
