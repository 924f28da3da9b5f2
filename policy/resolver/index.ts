/**
 * The runs-on resolver: decides, for every job of a workflow, whether any path its `runs-on` can take
 * reaches a runner outside the fleet ("no hosted fallback"). The policy pack, the CI driver and
 * `flywheel audit` all call this module.
 *
 * @example
 * const result = await auditWorkflowText(text, "ci.yml", { labels: [], labelPrefixes: ["tinyland-"] });
 * if (result.verdict !== "pass") console.error(result.jobs, result.errors);
 */
import * as path from "node:path";
import { loadExpressionLibrary } from "./expressions";
import { expandPaths, readWorkflows } from "./files";
import { callSiteValues, resolveJob, type ResolveContext } from "./job";
import { normalizeFleet } from "./labels";
import type { AuditReport, FileResult, FleetOptions, JobResult } from "./types";
import { parseWorkflow, type ParsedWorkflow } from "./workflow";
import type { InputDomains } from "./worlds";

export type {
  AuditReport,
  AuditSummary,
  FileResult,
  FileVerdict,
  FleetOptions,
  JobResult,
  JobVerdict,
} from "./types";
export { DEFAULT_LABEL_PREFIX, HOSTED_LABEL_FAMILIES } from "./labels";
export { MAX_CALL_DEPTH, MAX_EVALUATIONS_PER_JOB } from "./job";
export { MAX_WORKFLOW_FILE_BYTES } from "./files";
export { MAX_NESTING_DEPTH } from "./nesting";

/**
 * Audits one workflow's text. `file` names it in the result. A local reusable workflow it calls cannot
 * be seen from the text alone, so such a job fails closed; use {@link auditPaths} to audit callers and
 * callees together. Throws only for invalid fleet options.
 */
export async function auditWorkflowText(
  text: string,
  file: string,
  fleet: FleetOptions,
): Promise<FileResult> {
  const normalized = normalizeFleet(fleet);
  const library = await loadExpressionLibrary();
  const workflow = parseWorkflow(text, file);
  const context: ResolveContext = {
    library,
    fleet: normalized,
    findCallee: () => undefined,
    callSites: () => [],
  };
  return resolveFile(workflow, context);
}

/**
 * Audits workflow files. A path may be a file, a directory (its `.yml` and `.yaml` files) or a
 * repository root (a directory containing `.git` or `.github`, whose `.github/workflows` is read).
 * Local reusable workflows are followed among the audited files, and the values callers pass count as
 * inputs of the called workflow. Throws when a path does not exist, when a repository root has no
 * `.github/workflows`, when a directory contains no workflow file, or when the fleet options are
 * invalid.
 */
export async function auditPaths(paths: string[], fleet: FleetOptions): Promise<AuditReport> {
  const normalized = normalizeFleet(fleet);
  const library = await loadExpressionLibrary();
  const files = await expandPaths(paths);
  const workflows = readWorkflows(files);

  const byLocation = new Map<string, ParsedWorkflow>();
  for (const workflow of workflows) {
    byLocation.set(path.resolve(workflow.file), workflow);
  }
  const callSitesCache = new Map<ParsedWorkflow, InputDomains[]>();
  const callers = workflows.filter((workflow) => workflow.jobs.some((job) => job.uses !== undefined));
  const context: ResolveContext = {
    library,
    fleet: normalized,
    // GitHub requires local reusable workflows to live directly in .github/workflows, next to their
    // callers, so the callee is the caller's sibling with the called file name.
    findCallee: (uses, callerFile) =>
      byLocation.get(path.resolve(path.dirname(callerFile), path.basename(uses))),
    callSites: (callee) => {
      let sites = callSitesCache.get(callee);
      if (sites === undefined) {
        // Workflows that call each other in a cycle would recurse here forever. So while a callee's
        // sites are being collected, a nested request for them gets none. The cycle itself fails the
        // calling job when it is resolved.
        callSitesCache.set(callee, []);
        sites = callers
          .filter((caller) => caller !== callee)
          .flatMap((caller) => callSiteValues(caller, callee, context));
        callSitesCache.set(callee, sites);
      }
      return sites;
    },
  };

  const results = workflows.map((workflow) => resolveFile(workflow, context));
  return { files: results, summary: summarize(results) };
}

/** Counts the files of each verdict. */
export function summarize(files: FileResult[]): AuditReport["summary"] {
  const summary = { pass: 0, violation: 0, error: 0 };
  for (const file of files) {
    summary[file.verdict]++;
  }
  return summary;
}

function resolveFile(workflow: ParsedWorkflow, context: ResolveContext): FileResult {
  const jobs: Record<string, JobResult> = {};
  const errors = [...workflow.errors];
  for (const job of workflow.jobs) {
    const outcome = resolveJob(workflow, job, context);
    if ("error" in outcome) {
      errors.push(outcome.error);
    } else {
      jobs[job.id] = outcome.result;
    }
  }
  errors.sort((a, b) => a.line - b.line);
  const hasViolation = Object.values(jobs).some((job) => job.verdict === "violation");
  return {
    file: workflow.file,
    verdict: fileVerdict(errors.length > 0, hasViolation),
    jobs,
    errors: errors.map((error) => `line ${error.line}: ${error.message}`),
  };
}

function fileVerdict(hasError: boolean, hasViolation: boolean): FileResult["verdict"] {
  if (hasError) {
    return "error";
  }
  return hasViolation ? "violation" : "pass";
}
