/**
 * Resolution of one job: every label set its `runs-on` can request, over every trigger, input value,
 * matrix combination and expression branch, judged against the fleet.
 */
import * as path from "node:path";
import { BranchChooser, type ContextPath, type ExpressionData, type ExpressionLibrary } from "./expressions";
import { judgeLabelSet, type Fleet } from "./labels";
import { expandMatrix, type MatrixCombination } from "./matrix";
import {
  compiledReferences,
  compileValue,
  evaluateValue,
  hasExpressions,
  literalValue,
  TemplateError,
  type CompiledValue,
} from "./template";
import type { JobResult } from "./types";
import type { ParsedJob, ParsedWorkflow, WorkflowError } from "./workflow";
import { LOCAL_WORKFLOW_PATTERN } from "./workflow";
import { buildWorlds, type CallInputSource, type InputDomains, type InputValue, type World } from "./worlds";

/**
 * Maximum expression evaluations per job, counting every event, input value, matrix combination and
 * branch. GitHub runs at most 256 jobs per matrix; 4096 leaves room for 16 variants of events, inputs
 * and branches on top of a full matrix while one job stays well under a second. Past it the job fails
 * closed.
 */
export const MAX_EVALUATIONS_PER_JOB = 4096;

/**
 * Maximum depth of reusable workflow calls followed. GitHub allows a caller plus nine nested levels of
 * reusable workflows (ten in all).
 */
export const MAX_CALL_DEPTH = 10;

/** Reasons kept per job; the rest are counted in one closing reason. */
const MAX_REASONS_PER_JOB = 20;

/** Contexts GitHub lets `jobs.<id>.runs-on` and `jobs.<id>.with` read. */
export const RUNS_ON_CONTEXTS: readonly string[] = [
  "github",
  "needs",
  "strategy",
  "matrix",
  "inputs",
  "vars",
];

/** Contexts GitHub lets `jobs.<id>.strategy` read. */
const STRATEGY_CONTEXTS: readonly string[] = ["github", "needs", "vars", "inputs"];

/** The audit-wide inputs of job resolution: the fleet, the library and the other audited files. */
export interface ResolveContext {
  library: ExpressionLibrary;
  fleet: Fleet;
  /** Finds a called local workflow among the audited files; undefined when it was not audited. */
  findCallee(uses: string, callerFile: string): ParsedWorkflow | undefined;
  /** Values every audited caller passes to `workflow`'s inputs, one map per call. */
  callSites(workflow: ParsedWorkflow): InputDomains[];
}

/** The result of resolving a job: a verdict, or an error GitHub would reject the file for. */
export type JobOutcome = { result: JobResult } | { error: WorkflowError };

/** Evaluations left for one job, shared by everything resolving it needs. */
interface Budget {
  remaining: number;
}

/** One value an expression can take, and the path that leads to it. */
interface Outcome {
  value?: ExpressionData;
  error?: string;
  description: string;
}

/** A job's compiled values, reused for every world. */
interface CompiledJob {
  runsOn?: CompiledValue;
  matrix?: CompiledValue;
  with: Array<[string, CompiledValue]>;
}

/** Resolves one job of a workflow audited on its own (its call inputs come from defaults and callers). */
export function resolveJob(workflow: ParsedWorkflow, job: ParsedJob, context: ResolveContext): JobOutcome {
  const source: CallInputSource = { kind: "callers", sites: () => context.callSites(workflow) };
  return resolveJobWith(workflow, job, context, source, [], { remaining: MAX_EVALUATIONS_PER_JOB });
}

function resolveJobWith(
  workflow: ParsedWorkflow,
  job: ParsedJob,
  context: ResolveContext,
  source: CallInputSource,
  callStack: string[],
  budget: Budget,
): JobOutcome {
  let compiled: CompiledJob;
  try {
    compiled = compileJob(context.library, job);
  } catch (error) {
    if (error instanceof TemplateError) {
      return { error: { line: job.valueLine, message: `job "${job.id}": ${error.message}` } };
    }
    throw error;
  }
  if (job.uses !== undefined) {
    return { result: resolveCall(workflow, job, compiled, context, source, callStack, budget) };
  }
  const outcomes = enumerate(workflow, compiled.runsOn as CompiledValue, compiled, context, source, budget);
  return { result: judgeOutcomes(context, job, outcomes) };
}

function compileJob(library: ExpressionLibrary, job: ParsedJob): CompiledJob {
  const strategy = job.strategy;
  const matrixSource =
    strategy !== null && typeof strategy === "object" && !Array.isArray(strategy) && "matrix" in strategy
      ? (strategy as Record<string, unknown>).matrix
      : undefined;
  return {
    runsOn: job.hasRunsOn ? compileValue(library, job.runsOn, "runs-on", RUNS_ON_CONTEXTS) : undefined,
    matrix:
      matrixSource === undefined
        ? undefined
        : compileValue(library, matrixSource, "strategy.matrix", STRATEGY_CONTEXTS),
    // `with` matters only to a job that calls a reusable workflow.
    with:
      job.uses === undefined
        ? []
        : Object.entries(job.with).map(([name, value]) => [
            name,
            compileValue(library, value, `with.${name}`, RUNS_ON_CONTEXTS),
          ]),
  };
}

/**
 * Evaluates `target` on every path: each world (event and inputs), each matrix combination and each
 * branch of the expressions. Returns the outcomes, or a single failing outcome when the budget runs out.
 */
function enumerate(
  workflow: ParsedWorkflow,
  target: CompiledValue,
  compiled: CompiledJob,
  context: ResolveContext,
  source: CallInputSource,
  budget: Budget,
): Outcome[] {
  const { library } = context;
  if (compiled.matrix === undefined && !hasExpressions(target)) {
    // Most jobs name literal labels: one value, with no context to enumerate.
    budget.remaining--;
    return [{ value: library.fromPlain(literalValue(target)), description: "" }];
  }
  const targetReferences = compiledReferences(library, target);
  const references = [
    ...targetReferences,
    ...(compiled.matrix === undefined ? [] : compiledReferences(library, compiled.matrix)),
  ];
  const worlds = buildWorlds(library, workflow, references, source, context.fleet, budget.remaining);
  if (!Array.isArray(worlds)) {
    return [{ error: worlds.problem, description: "" }];
  }
  const projection = matrixProjection(targetReferences);
  const outcomes: Outcome[] = [];
  for (const world of worlds) {
    const combinations = matrixCombinations(library, compiled.matrix, world, projection, budget);
    if (!Array.isArray(combinations)) {
      outcomes.push({ error: combinations.problem, description: world.description });
      continue;
    }
    for (const combination of combinations) {
      const matrixContext = combination.matrix;
      const description = [world.description, combination.description]
        .filter((part) => part !== "")
        .join(", ");
      const values = evaluateBranches(library, target, { ...world.contexts, matrix: matrixContext }, budget);
      if (values === undefined) {
        return [budgetOutcome()];
      }
      for (const value of values) {
        const path = [description, ...value.decisions].filter((part) => part !== "").join(", ");
        outcomes.push({ value: value.value, error: value.error, description: path });
      }
    }
  }
  return outcomes;
}

function budgetOutcome(): Outcome {
  return {
    error:
      `runs-on can take more than ${MAX_EVALUATIONS_PER_JOB} combinations of events, inputs, matrix ` +
      `values and branches, too many to check; split the job or narrow its expressions`,
    description: "",
  };
}

/** The value (or evaluation error) of one branch, and the unknowable decisions that lead to it. */
interface BranchResult {
  value?: ExpressionData;
  error?: string;
  decisions: string[];
}

/**
 * Evaluates a compiled value under every branch of its unknowable decisions. Returns undefined when
 * the budget runs out. An evaluation error of the library (e.g. `fromJSON` of invalid JSON) becomes an
 * error outcome.
 */
function evaluateBranches(
  library: ExpressionLibrary,
  compiled: CompiledValue,
  contexts: Record<string, ExpressionData>,
  budget: Budget,
): BranchResult[] | undefined {
  const { data } = library.expressions;
  const dictionary = new data.Dictionary(...Object.entries(contexts).map(([key, value]) => ({ key, value })));
  const chooser = new BranchChooser();
  const results: BranchResult[] = [];
  do {
    if (budget.remaining <= 0) {
      return undefined;
    }
    budget.remaining--;
    try {
      const value = evaluateValue(library, compiled, dictionary, chooser);
      results.push({ value, decisions: chooser.decisions() });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      results.push({ error: `the expression fails to evaluate: ${detail}`, decisions: chooser.decisions() });
    }
  } while (chooser.advance());
  return results;
}

/** Returns the matrix keys the target reads, or undefined when it reads the matrix as a whole. */
function matrixProjection(references: ContextPath[]): Set<string> | undefined {
  const keys = new Set<string>();
  for (const reference of references) {
    if (reference[0] !== "matrix") {
      continue;
    }
    if (reference.length < 2 || reference[1] === "*") {
      return undefined;
    }
    keys.add(reference[1].toLowerCase());
  }
  return keys;
}

interface DescribedCombination {
  matrix: ExpressionData;
  description: string;
}

/**
 * Expands the matrix in one world, keeps only the keys the target reads and drops duplicates, so a
 * large matrix whose `runs-on` reads one key costs one evaluation per distinct value of that key.
 */
function matrixCombinations(
  library: ExpressionLibrary,
  compiledMatrix: CompiledValue | undefined,
  world: World,
  projection: Set<string> | undefined,
  budget: Budget,
): DescribedCombination[] | { problem: string } {
  const { data } = library.expressions;
  if (compiledMatrix === undefined) {
    return [{ matrix: new data.Dictionary(), description: "" }];
  }
  const evaluated = evaluateBranches(library, compiledMatrix, world.contexts, budget);
  if (evaluated === undefined) {
    return { problem: budgetOutcome().error as string };
  }
  const seen = new Map<string, DescribedCombination>();
  for (const result of evaluated) {
    if (result.value === undefined) {
      return { problem: `strategy.matrix: ${result.error}` };
    }
    const expansion = expandMatrix(library, result.value);
    if ("problem" in expansion) {
      return expansion;
    }
    for (const combination of expansion.combinations) {
      const projected = project(library, combination, projection);
      const key = combinationKey(library, projected);
      if (!seen.has(key)) {
        seen.set(key, { matrix: projected, description: describeCombination(library, projected) });
      }
    }
  }
  return [...seen.values()];
}

function project(
  library: ExpressionLibrary,
  combination: MatrixCombination,
  projection: Set<string> | undefined,
): ExpressionData {
  if (projection === undefined || library.isUnknown(combination)) {
    return combination;
  }
  const { data } = library.expressions;
  const kept = combination.pairs().filter((pair) => projection.has(pair.key.toLowerCase()));
  return new data.Dictionary(...kept);
}

function combinationKey(library: ExpressionLibrary, combination: ExpressionData): string {
  if (library.isUnknown(combination)) {
    return `?${library.unknownReasons(combination).join("|")}`;
  }
  const { data } = library.expressions;
  if (!(combination instanceof data.Dictionary)) {
    return combination.coerceString();
  }
  return JSON.stringify(
    combination
      .pairs()
      .map((pair) => [
        pair.key.toLowerCase(),
        library.unknownReasons(pair.value).length > 0
          ? `?${library.unknownReasons(pair.value).join("|")}`
          : library.toPlain(pair.value),
      ]),
  );
}

function describeCombination(library: ExpressionLibrary, combination: ExpressionData): string {
  const { data } = library.expressions;
  if (library.isUnknown(combination) || !(combination instanceof data.Dictionary)) {
    return "";
  }
  return combination
    .pairs()
    .map((pair) => `matrix.${pair.key}=${shortValue(library, pair.value)}`)
    .join(", ");
}

function shortValue(library: ExpressionLibrary, value: ExpressionData): string {
  if (library.unknownReasons(value).length > 0) {
    return "unknown";
  }
  const plain = library.toPlain(value);
  return typeof plain === "string" ? plain : JSON.stringify(plain);
}

/** A requested runner: its labels, and the runner group when `runs-on` names one. */
interface Request {
  labels: string[];
  group?: string;
}

/** Turns one evaluated `runs-on` into a request, or into the reason it cannot be one. */
function toRequest(library: ExpressionLibrary, value: ExpressionData): Request | { problem: string } {
  const { data } = library.expressions;
  const unknown = library.unknownReasons(value);
  if (unknown.length > 0) {
    return { problem: `runs-on depends on a value unknown before the run: ${unknown[0]}` };
  }
  if (value instanceof data.Null) {
    return { problem: `runs-on can evaluate to an empty value, which names no runner` };
  }
  if (value instanceof data.Array) {
    return labelsOf(library, value.values(), "runs-on");
  }
  if (value instanceof data.Dictionary) {
    const group = value.get("group");
    const labels = value.get("labels");
    const request = labelsOf(
      library,
      labels === undefined || labels instanceof data.Null
        ? []
        : labels instanceof data.Array
          ? labels.values()
          : [labels],
      "runs-on.labels",
    );
    if ("problem" in request) {
      return request;
    }
    return group === undefined || group instanceof data.Null
      ? request
      : { ...request, group: group.coerceString() };
  }
  return { labels: [value.coerceString()] };
}

function labelsOf(
  library: ExpressionLibrary,
  items: ExpressionData[],
  where: string,
): Request | { problem: string } {
  const { data } = library.expressions;
  const labels: string[] = [];
  for (const item of items) {
    if (item instanceof data.Array || item instanceof data.Dictionary) {
      return { problem: `${where} can contain a list or mapping where a label belongs` };
    }
    labels.push(item.coerceString());
  }
  return { labels };
}

/** Judges every outcome of a job's `runs-on` and builds its result. */
function judgeOutcomes(context: ResolveContext, job: ParsedJob, outcomes: Outcome[]): JobResult {
  const labelSets = new Map<string, string[]>();
  const reasons = new ReasonList();
  if (outcomes.length === 0) {
    // Only a matrix without combinations gets here. GitHub fails such a job, and nothing shows which
    // runner a corrected matrix would pick, so the job fails closed.
    reasons.add(`strategy.matrix expands to no combination, so runs-on cannot be checked`, "");
  }
  for (const outcome of outcomes) {
    const where = outcome.description === "" ? "" : ` (${outcome.description})`;
    if (outcome.value === undefined) {
      reasons.add(outcome.error ?? "runs-on cannot be resolved", where);
      continue;
    }
    const request = toRequest(context.library, outcome.value);
    if ("problem" in request) {
      reasons.add(request.problem, where);
      continue;
    }
    const key = request.labels.map((label) => label.toLowerCase()).join("\u0000");
    if (!labelSets.has(key)) {
      labelSets.set(key, request.labels);
    }
    if (request.group !== undefined && request.labels.length === 0) {
      reasons.add(
        `runs-on names runner group "${request.group}" without labels, so any runner in that group, ` +
          `GitHub-hosted larger runners included, can take the job; add a fleet label`,
        where,
      );
      continue;
    }
    const problem = judgeLabelSet(request.labels, context.fleet);
    if (problem !== undefined) {
      reasons.add(problem, where);
    }
  }
  const list = reasons.list();
  return {
    verdict: list.length === 0 ? "pass" : "violation",
    line: job.valueLine,
    labelSets: [...labelSets.values()],
    reasons: list,
  };
}

/** Reasons without repeats: a problem is reported once, with the first path that leads to it. */
class ReasonList {
  private readonly reasons = new Map<string, string>();
  private dropped = 0;

  add(problem: string, where: string): void {
    if (this.reasons.has(problem)) {
      return;
    }
    if (this.reasons.size >= MAX_REASONS_PER_JOB) {
      this.dropped++;
      return;
    }
    this.reasons.set(problem, `${problem}${where}`);
  }

  list(): string[] {
    const list = [...this.reasons.values()];
    if (this.dropped > 0) {
      list.push(`${this.dropped} more problems of the same job are not listed`);
    }
    return list;
  }
}

/** Resolves a job that calls a reusable workflow: it passes only when every job of the callee does. */
function resolveCall(
  workflow: ParsedWorkflow,
  job: ParsedJob,
  compiled: CompiledJob,
  context: ResolveContext,
  source: CallInputSource,
  callStack: string[],
  budget: Budget,
): JobResult {
  const uses = job.uses as string;
  const fail = (reason: string, labelSets: string[][] = []): JobResult => ({
    verdict: "violation",
    line: job.valueLine,
    labelSets,
    reasons: [reason],
  });
  if (!LOCAL_WORKFLOW_PATTERN.test(uses)) {
    return fail(
      `job calls the reusable workflow "${uses}" of another repository, whose runs-on cannot be seen ` +
        `from here; copy it into this repository's .github/workflows or audit that repository too`,
    );
  }

  const callee = context.findCallee(uses, workflow.file);
  if (callee === undefined) {
    return fail(
      `job calls "${uses}", which is not among the audited files, so its runs-on cannot be checked; ` +
        `audit the repository root or the whole workflows directory`,
    );
  }
  if (callStack.includes(callee.file) || callee.file === workflow.file) {
    return fail(`job calls "${uses}", which calls back into a workflow already being resolved`);
  }
  if (callStack.length + 1 >= MAX_CALL_DEPTH) {
    return fail(
      `job calls "${uses}" more than ${MAX_CALL_DEPTH} reusable workflows deep, past GitHub's limit`,
    );
  }
  if (callee.errors.length > 0) {
    return fail(`job calls "${uses}", which GitHub rejects: ${callee.errors[0].message}`);
  }

  const domains = withValues(workflow, job, compiled, context, source, budget);
  const name = path.basename(callee.file);
  const labelSets: string[][] = [];
  const reasons: string[] = [];
  for (const calleeJob of callee.jobs) {
    const outcome = resolveJobWith(
      callee,
      calleeJob,
      context,
      { kind: "caller", domains },
      [...callStack, workflow.file],
      budget,
    );
    if ("error" in outcome) {
      reasons.push(`called workflow ${name}, line ${outcome.error.line}: ${outcome.error.message}`);
      continue;
    }
    labelSets.push(...outcome.result.labelSets);
    reasons.push(
      ...outcome.result.reasons.map((reason) => `called workflow ${name}, job ${calleeJob.id}: ${reason}`),
    );
  }
  return {
    verdict: reasons.length === 0 ? "pass" : "violation",
    line: job.valueLine,
    labelSets: dedupeLabelSets(labelSets),
    reasons,
  };
}

/**
 * Evaluates the `with:` values a calling job passes, over the caller's own events, inputs and matrix.
 * `source` gives the caller's own `workflow_call` inputs, so a value passed through a chain of reusable
 * workflows reaches the last one.
 */
function withValues(
  workflow: ParsedWorkflow,
  job: ParsedJob,
  compiled: CompiledJob,
  context: ResolveContext,
  source: CallInputSource,
  budget: Budget,
): InputDomains {
  const domains: InputDomains = new Map();
  const site = `passed by ${path.basename(workflow.file)}:${job.valueLine}`;
  for (const [name, value] of compiled.with) {
    const outcomes = enumerate(workflow, value, compiled, context, source, budget);
    const values: InputValue[] = outcomes.map((outcome) => ({
      value:
        outcome.value ??
        context.library.unknown(
          `with.${name}`,
          () => `with.${name} of the caller: ${outcome.error ?? "unknown"}`,
        ),
      source: outcome.description === "" ? site : `${site} ${outcome.description}`,
    }));
    domains.set(name.toLowerCase(), values);
  }
  return domains;
}

/** Collects the values every job in `workflow` passes to `callee`, for auditing the callee on its own. */
export function callSiteValues(
  workflow: ParsedWorkflow,
  callee: ParsedWorkflow,
  context: ResolveContext,
): InputDomains[] {
  const sites: InputDomains[] = [];
  for (const job of workflow.jobs) {
    if (job.uses === undefined || context.findCallee(job.uses, workflow.file) !== callee) {
      continue;
    }
    let compiled: CompiledJob;
    try {
      compiled = compileJob(context.library, job);
    } catch (error) {
      if (error instanceof TemplateError) {
        continue;
      }
      throw error;
    }
    const source: CallInputSource = { kind: "callers", sites: () => context.callSites(workflow) };
    sites.push(withValues(workflow, job, compiled, context, source, { remaining: MAX_EVALUATIONS_PER_JOB }));
  }
  return sites;
}

function dedupeLabelSets(labelSets: string[][]): string[][] {
  const seen = new Map<string, string[]>();
  for (const labels of labelSets) {
    const key = labels.map((label) => label.toLowerCase()).join("\u0000");
    if (!seen.has(key)) {
      seen.set(key, labels);
    }
  }
  return [...seen.values()];
}
