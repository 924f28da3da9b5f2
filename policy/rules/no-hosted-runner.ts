import { UNKNOWN_AT_PREVIEW } from "./plain";
import type { Violation } from "./types";
import type { AuditWorkflowText, FleetOptions, FileResult } from "./workflow-audit";
import type { WorkflowFile } from "./workflow-files";

/**
 * Checks one workflow file with the resolver and reports each job that can run outside the fleet
 * and each reason the file is not a valid workflow.
 *
 * Messages start with the location so the CI driver can turn them into annotations
 * (see README.md in this folder for the exact forms).
 */
export async function checkNoHostedRunner(
  workflow: WorkflowFile,
  fleet: FleetOptions,
  audit: AuditWorkflowText,
): Promise<Violation[]> {
  if (workflow.content === UNKNOWN_AT_PREVIEW) {
    return [{ message: unknownContentMessage(workflow.file), urn: workflow.urn }];
  }
  const result = await audit(workflow.content, workflow.file, fleet);
  return violationsFromResult(workflow, result);
}

/** Message for a workflow whose content a preview cannot know. */
export function unknownContentMessage(file: string): string {
  return (
    `${file}: workflow: content must be known at preview, but it could not be verified at preview; ` +
    `build the workflow text from configuration and stack references only, not from resource outputs`
  );
}

/** Message for a path unknown at preview on a resource that may commit a workflow. */
export function unknownPathMessage(resourceName: string): string {
  return (
    `Repository file ${resourceName} must have a file path known at preview, because a workflow ` +
    `under .github/workflows/ could not be verified at preview otherwise`
  );
}

function violationsFromResult(workflow: WorkflowFile, result: FileResult): Violation[] {
  const violations: Violation[] = [];
  for (const error of result.errors) {
    const { line, sentence } = splitLine(error);
    violations.push({
      message: `${locate(workflow.file, line)}workflow: must be a valid workflow: ${sentence}`,
      urn: workflow.urn,
    });
  }
  if (result.verdict === "error" && result.errors.length === 0) {
    violations.push({ message: `${workflow.file}: workflow: must be a valid workflow`, urn: workflow.urn });
  }
  for (const [jobId, job] of Object.entries(result.jobs)) {
    if (job.verdict !== "violation") {
      continue;
    }
    const reasons = job.reasons.length > 0 ? job.reasons.join("; ") : "the resolver gave no reason";
    violations.push({
      message: `${locate(workflow.file, job.line)}job ${jobId}: must run only on fleet runners: ${reasons}`,
      urn: workflow.urn,
    });
  }
  return violations;
}

/** Returns the `file:line: ` prefix, or `file: ` when the line is not known. */
export function locate(file: string, line: number | undefined): string {
  return line === undefined ? `${file}: ` : `${file}:${line}: `;
}

/** Splits the `line <n>: ` prefix the resolver puts on each error sentence. */
function splitLine(error: string): { line?: number; sentence: string } {
  const match = /^line (\d+): (.*)$/is.exec(error);
  return match ? { line: Number(match[1]), sentence: match[2] } : { sentence: error };
}
