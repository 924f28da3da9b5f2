/**
 * Reading a workflow file into the parts the resolver needs, and the checks GitHub applies before it
 * runs anything (a file that fails them is an `error`, never a verdict).
 */
import { isPlainObject, loadWorkflow, type KeyLines, type WorkflowError } from "./loader";
import { findNestingProblem } from "./nesting";

export type { WorkflowError };

/** Job ids GitHub accepts: a letter or `_`, then letters, digits, `-` or `_`. */
const JOB_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A local reusable workflow, which GitHub requires to live directly in `.github/workflows`. */
export const LOCAL_WORKFLOW_PATTERN = /^\.\/\.github\/workflows\/[^/]+\.ya?ml$/;

/** A reusable workflow of another repository: `owner/repo/.github/workflows/file.yml@ref`. */
const REMOTE_WORKFLOW_PATTERN = /^[^/\s]+\/[^/\s]+\/\.github\/workflows\/[^/@\s]+\.ya?ml@\S+$/;

/** A declared input of `workflow_dispatch` or `workflow_call`. */
export interface WorkflowInput {
  name: string;
  /** `string` when the file gives no type. */
  type: string;
  options: unknown[] | undefined;
  default: unknown;
  hasDefault: boolean;
  required: boolean;
}

/** One job as written, with the lines of its keys. */
export interface ParsedJob {
  id: string;
  /** Line of the job's key. */
  line: number;
  /** Line of `runs-on` or `uses`, else the job's line. */
  valueLine: number;
  runsOn: unknown;
  hasRunsOn: boolean;
  uses: string | undefined;
  with: Record<string, unknown>;
  strategy: unknown;
}

/** A workflow file read far enough to resolve its jobs. */
export interface ParsedWorkflow {
  file: string;
  errors: WorkflowError[];
  /** Trigger names from `on`. */
  events: string[];
  dispatchInputs: WorkflowInput[];
  callInputs: WorkflowInput[];
  jobs: ParsedJob[];
}

/** Reads a workflow's text. Invalid input is reported in `errors`, not thrown (the robustness test checks this). */
export function parseWorkflow(text: string, file: string): ParsedWorkflow {
  const parsed: ParsedWorkflow = {
    file,
    errors: [],
    events: [],
    dispatchInputs: [],
    callInputs: [],
    jobs: [],
  };
  // Both YAML readers compose nodes recursively, so a deeply nested file would exhaust the stack.
  const nestingProblem = findNestingProblem(text);
  if (nestingProblem !== undefined) {
    parsed.errors.push(nestingProblem);
    return parsed;
  }
  const loaded = loadWorkflow(text);
  if ("errors" in loaded) {
    parsed.errors.push(...loaded.errors);
    return parsed;
  }
  const { root, lines } = loaded;
  if (!isPlainObject(root)) {
    parsed.errors.push({
      line: 1,
      message: `a workflow must be a mapping with "on" and "jobs", but the file is not`,
    });
    return parsed;
  }

  readTriggers(parsed, root.on, lines.root("on") ?? 1);
  const jobsLine = lines.root("jobs") ?? 1;
  if (!("jobs" in root)) {
    parsed.errors.push({ line: 1, message: `the workflow has no "jobs" key; add at least one job` });
    return parsed;
  }
  if (!isPlainObject(root.jobs) || Object.keys(root.jobs).length === 0) {
    parsed.errors.push({
      line: jobsLine,
      message: `"jobs" must be a mapping of at least one job id to a job`,
    });
    return parsed;
  }
  for (const [id, job] of Object.entries(root.jobs)) {
    readJob(parsed, id, job, lines.job(id) ?? jobsLine, lines);
  }
  return parsed;
}

function readTriggers(parsed: ParsedWorkflow, on: unknown, line: number): void {
  if (typeof on === "string" && on.trim() !== "") {
    parsed.events = [on];
  } else if (Array.isArray(on) && on.length > 0 && on.every((event) => typeof event === "string")) {
    parsed.events = on as string[];
  } else if (isPlainObject(on) && Object.keys(on).length > 0) {
    parsed.events = Object.keys(on);
    parsed.dispatchInputs = readInputs(on.workflow_dispatch);
    parsed.callInputs = readInputs(on.workflow_call);
  } else {
    parsed.errors.push({
      line,
      message: `"on" must name at least one event (a name, a list of names or a mapping), e.g. "on: push"`,
    });
  }
}

function readInputs(trigger: unknown): WorkflowInput[] {
  if (!isPlainObject(trigger) || !isPlainObject(trigger.inputs)) {
    return [];
  }
  return Object.entries(trigger.inputs).map(([name, definition]) => {
    const spec = isPlainObject(definition) ? definition : {};
    return {
      name,
      type: typeof spec.type === "string" ? spec.type : "string",
      options: Array.isArray(spec.options) ? spec.options : undefined,
      default: spec.default,
      hasDefault: "default" in spec && spec.default !== null,
      required: spec.required === true,
    };
  });
}

function readJob(parsed: ParsedWorkflow, id: string, job: unknown, line: number, lines: KeyLines): void {
  if (!JOB_ID_PATTERN.test(id)) {
    parsed.errors.push({
      line,
      message: `job id "${id}" is invalid: it must start with a letter or "_" and contain only letters, digits, "-" and "_"`,
    });
    return;
  }
  if (!isPlainObject(job)) {
    parsed.errors.push({ line, message: `job "${id}" must be a mapping with "runs-on" or "uses"` });
    return;
  }
  const hasRunsOn = "runs-on" in job;
  const hasUses = "uses" in job;
  if (hasRunsOn && hasUses) {
    parsed.errors.push({
      line,
      message: `job "${id}" has both "runs-on" and "uses"; a job calling a reusable workflow takes its runners from that workflow, so remove "runs-on"`,
    });
    return;
  }
  if (!hasRunsOn && !hasUses) {
    parsed.errors.push({
      line,
      message: `job "${id}" has neither "runs-on" nor "uses"; add "runs-on: <fleet label>"`,
    });
    return;
  }
  const valueLine = lines.jobKey(id, hasRunsOn ? "runs-on" : "uses") ?? line;
  if (hasUses) {
    const uses = job.uses;
    if (
      typeof uses !== "string" ||
      !(LOCAL_WORKFLOW_PATTERN.test(uses) || REMOTE_WORKFLOW_PATTERN.test(uses))
    ) {
      parsed.errors.push({
        line: valueLine,
        message:
          `job "${id}" has an invalid "uses": ${JSON.stringify(uses)}; name a workflow as ` +
          `"./.github/workflows/<file>.yml" or "<owner>/<repo>/.github/workflows/<file>.yml@<ref>"`,
      });
      return;
    }
  }
  if (hasRunsOn) {
    const problem = runsOnShapeProblem(job["runs-on"]);
    if (problem !== undefined) {
      parsed.errors.push({ line: valueLine, message: `job "${id}": ${problem}` });
      return;
    }
  }
  parsed.jobs.push({
    id,
    line,
    valueLine,
    runsOn: job["runs-on"],
    hasRunsOn,
    uses: hasUses ? (job.uses as string) : undefined,
    with: isPlainObject(job.with) ? job.with : {},
    strategy: job.strategy,
  });
}

/** Returns why GitHub rejects the shape of a `runs-on` value, or undefined when the shape is valid. */
function runsOnShapeProblem(runsOn: unknown): string | undefined {
  if (runsOn === null || runsOn === undefined || (typeof runsOn === "string" && runsOn.trim() === "")) {
    return `"runs-on" is empty; name a fleet label`;
  }
  if (Array.isArray(runsOn)) {
    if (runsOn.length === 0) {
      return `"runs-on" is an empty list; name a fleet label`;
    }
    if (runsOn.some((label) => label === null || typeof label === "object")) {
      return `every entry of a "runs-on" list must be a label string`;
    }
    return undefined;
  }
  if (isPlainObject(runsOn)) {
    const extra = Object.keys(runsOn).filter((key) => key !== "group" && key !== "labels");
    if (extra.length > 0) {
      return `"runs-on" as a mapping takes only "group" and "labels", not ${extra.map((key) => `"${key}"`).join(", ")}`;
    }
    if (!("group" in runsOn) && !("labels" in runsOn)) {
      return `"runs-on" as a mapping needs "group" or "labels"`;
    }
    if ("group" in runsOn && (runsOn.group === null || typeof runsOn.group === "object")) {
      return `"runs-on.group" must be a runner group name`;
    }
    const labels = runsOn.labels;
    if ("labels" in runsOn && (labels === null || (typeof labels === "object" && !Array.isArray(labels)))) {
      return `"runs-on.labels" must be a label or a list of labels`;
    }
    if (Array.isArray(labels) && labels.some((label) => label === null || typeof label === "object")) {
      return `every entry of "runs-on.labels" must be a label string`;
    }
  }
  return undefined;
}
