import { hostedLabelReason } from "./hosted-labels";
import { locate } from "./no-hosted-runner";
import { UNKNOWN_AT_PREVIEW } from "./plain";
import type { ScaleSet } from "./scale-sets";
import type { Violation } from "./types";
import type { AuditWorkflowText, FleetOptions } from "./workflow-audit";
import type { WorkflowFile } from "./workflow-files";

/** Least `maxRunners` that lets a scale set start a runner; with 0 its jobs queue forever. */
const MIN_SERVING_RUNNERS = 1;

/**
 * Reports every label a workflow job can run on that no enabled scale set with
 * `maxRunners >= 1` serves, because such a job waits in the queue forever.
 *
 * `scaleSets` lists the `gha-runner-scale-set` releases of this stack and the lanes the runners
 * stack exports. The resolver runs with `fleet` plus every scale set label (except hosted-looking
 * ones), so lanes named without the fleet prefix still count as the fleet's own.
 */
export async function checkFleetLabelsServed(
  workflows: readonly WorkflowFile[],
  scaleSets: readonly ScaleSet[],
  fleet: FleetOptions,
  audit: AuditWorkflowText,
): Promise<Violation[]> {
  // A scale set named like a hosted label is left out of the fleet, because the resolver rejects
  // such a fleet outright. no-hosted-named-scale-set reports the scale set itself.
  const knownLabels = scaleSets.flatMap((scaleSet) =>
    typeof scaleSet.label === "string" && hostedLabelReason(scaleSet.label) === undefined
      ? [scaleSet.label]
      : [],
  );
  const auditFleet: FleetOptions = { ...fleet, labels: [...new Set([...fleet.labels, ...knownLabels])] };
  const violations: Violation[] = [];
  for (const workflow of workflows) {
    if (workflow.content === UNKNOWN_AT_PREVIEW) {
      violations.push({
        message: `${workflow.file}: workflow: runner labels must be known at preview, but the content could not be verified at preview`,
        urn: workflow.urn,
      });
      continue;
    }
    const result = await audit(workflow.content, workflow.file, auditFleet);
    for (const [jobId, job] of Object.entries(result.jobs)) {
      const labels = new Set(job.labelSets.flat());
      for (const label of labels) {
        const problem = servingProblem(label, scaleSets);
        if (problem) {
          violations.push({
            message:
              `${locate(workflow.file, job.line)}job ${jobId}: label "${label}" must be served by an ` +
              `enabled scale set with maxRunners >= ${MIN_SERVING_RUNNERS}, but ${problem}`,
            urn: workflow.urn,
          });
        }
      }
    }
  }
  return violations;
}

/** Returns why no scale set serves `label`, or `undefined` when one does. */
export function servingProblem(label: string, scaleSets: readonly ScaleSet[]): string | undefined {
  // GitHub matches runner labels case-insensitively.
  const wanted = label.toLowerCase();
  const matching = scaleSets.filter(
    (scaleSet) => typeof scaleSet.label === "string" && scaleSet.label.toLowerCase() === wanted,
  );
  if (matching.some(isServing)) {
    return undefined;
  }
  if (matching.length === 0) {
    const unknownNames = scaleSets.some((scaleSet) => scaleSet.label === UNKNOWN_AT_PREVIEW);
    return unknownNames
      ? "no scale set has that name, and some scale set names are unknown at preview"
      : "no scale set in this stack and no lane of the runners stack has that name";
  }
  return matching.map(describeNotServing).join("; ");
}

function isServing(scaleSet: ScaleSet): boolean {
  if (!scaleSet.enabled || scaleSet.maxRunners === UNKNOWN_AT_PREVIEW) {
    return false;
  }
  return scaleSet.maxRunners === undefined || scaleSet.maxRunners >= MIN_SERVING_RUNNERS;
}

function describeNotServing(scaleSet: ScaleSet): string {
  if (!scaleSet.enabled) {
    return `the ${scaleSet.source} is disabled`;
  }
  if (scaleSet.maxRunners === UNKNOWN_AT_PREVIEW) {
    return `the maxRunners of the ${scaleSet.source} is unknown at preview`;
  }
  return `the ${scaleSet.source} has maxRunners ${scaleSet.maxRunners}`;
}
