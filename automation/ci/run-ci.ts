import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderAnnotations } from "./annotations";
import { listChangedFiles } from "./changed-files";
import { changeRangeFor, decide, Decision, PlannedOperation } from "./decide";
import { ToolchainError, UsageError } from "./errors";
import { checkForkOffline, ForkCheckTools, loadForkCheckTools } from "./fork-check";
import { GithubContext, readGithubContext } from "./github-context";
import { renderComment, renderSummary } from "./markdown-report";
import { DEFAULT_SETTINGS, DriverSettings, loadRulesFile, stacksOfEnvironments } from "./path-rules";
import { upsertStickyComment } from "./pr-comment";
import { findPulumiCommand } from "./pulumi-cli";
import { CiRecord, emptyChanges, OperationRecord, writeRecord } from "./record";
import { Redactor } from "./redact";
import { runInDependencyOrder, upstreamStacks } from "./stack-graph";
import { runStackOperation, StackRunContext } from "./stack-runner";
import { WorkflowLog } from "./workflow-log";

/** Options of one `flywheel ci` run. */
export interface CiOptions {
  /** Root of the git checkout: where the diff is taken and `Pulumi.<stack>.yaml` files are read. */
  repoRoot: string;
  /** Decide and report without running the Pulumi CLI; every operation is `planned`. */
  dryRun: boolean;
  /** File the JSON record is written to; none when unset. */
  jsonFile?: string;
  /** Environments whose stacks (`<family>-<environment>`) the run considers; default `["dev"]`. */
  environments: string[];
  /** Rules file overriding the default path rules, auto-apply families and dependencies. */
  rulesFile?: string;
  /** Independent stacks run at once, at most; default 2. */
  concurrency: number;
  /** Retries of an operation on a locked stack; default 3. */
  lockRetries: number;
  /** Wait before the first lock retry, in milliseconds, doubled for each later one; default 5000. */
  lockRetryDelayMs: number;
  /** The process environment: GitHub variables, backend URL, passphrase, token. */
  env: NodeJS.ProcessEnv;
  /** Where the log goes; stdout by default. */
  write?: (text: string) => void;
  /** Aborting it cancels the running operations and starts no new ones. */
  signal?: AbortSignal;
  /** Offline renderer and auditor for forks' pull requests; loaded from the project by default. */
  forkTools?: ForkCheckTools;
}

/** Result of a run: the record that was reported, and the exit status. */
export interface CiResult {
  record: CiRecord;
  exitCode: number;
}

const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

/** Variables whose values are secrets whatever the stack: they are redacted from every output. */
const SECRET_ENVIRONMENT = ["GITHUB_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN"];

function loadSettings(rulesFile: string | undefined): DriverSettings {
  if (rulesFile === undefined) {
    return DEFAULT_SETTINGS;
  }
  try {
    return loadRulesFile(rulesFile);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

/** The stacks of the selected environments that have a `Pulumi.<stack>.yaml` in the checkout. */
function existingStacks(
  repoRoot: string,
  environments: readonly string[],
): { stacks: string[]; missing: string[] } {
  for (const environment of environments) {
    if (!ENVIRONMENT_PATTERN.test(environment)) {
      throw new UsageError(
        `--env "${environment}" is invalid: it must start with a lowercase letter and contain only a-z, 0-9 and "-", such as "dev".`,
      );
    }
  }
  const all = stacksOfEnvironments(environments);
  const stacks = all.filter((stack) => fs.existsSync(path.join(repoRoot, `Pulumi.${stack}.yaml`)));
  for (const environment of environments) {
    if (!stacks.some((stack) => stack.endsWith(`-${environment}`))) {
      throw new UsageError(
        `--env ${environment} names no stack: ${repoRoot} has no Pulumi.<family>-${environment}.yaml; ` +
          "pick an environment that has stack files, such as dev.",
      );
    }
  }
  return { stacks, missing: all.filter((stack) => !stacks.includes(stack)) };
}

async function changedFilesFor(
  context: GithubContext,
  repoRoot: string,
): Promise<{ files: string[]; note?: string }> {
  const range = changeRangeFor(context);
  if (range === undefined) {
    return { files: [] };
  }
  try {
    return await listChangedFiles(repoRoot, range);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

function plannedRecord(operation: PlannedOperation): OperationRecord {
  return { ...operation, status: "planned", changes: emptyChanges(), policyViolations: [] };
}

/** The environment the Pulumi CLI runs with: the backend, the passphrase, and no update check. */
function pulumiEnvironment(
  repoRoot: string,
  env: NodeJS.ProcessEnv,
): { envVars: Record<string, string>; fileBackend: boolean } {
  let backend = env.PULUMI_BACKEND_URL;
  if (!backend) {
    const stateDir = path.join(repoRoot, ".pulumi-state");
    fs.mkdirSync(stateDir, { recursive: true });
    backend = `file://${stateDir}`;
  }
  const envVars: Record<string, string> = { PULUMI_BACKEND_URL: backend, PULUMI_SKIP_UPDATE_CHECK: "true" };
  for (const name of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN"]) {
    const value = env[name];
    if (value !== undefined) {
      envVars[name] = value;
    }
  }
  // Pulumi Cloud keeps locks server-side; every other backend (file, s3, gs, azblob) keeps lock files.
  const fileBackend = !/^https?:\/\//.test(backend);
  return { envVars, fileBackend };
}

async function executeOperations(
  options: CiOptions,
  decision: Decision,
  settings: DriverSettings,
  log: WorkflowLog,
  redactor: Redactor,
  signal: AbortSignal,
): Promise<OperationRecord[]> {
  const records = new Map(
    decision.operations.map((operation) => [operation.stack, plannedRecord(operation)]),
  );
  const fail = (message: string, kind: string): OperationRecord[] => {
    for (const record of records.values()) {
      Object.assign(record, { status: "failed", error: message, errorKind: kind });
    }
    log.error(message);
    return [...records.values()];
  };
  const policyPackDir = path.join(options.repoRoot, "policy");
  if (!fs.existsSync(path.join(policyPackDir, "PulumiPolicy.yaml"))) {
    return fail(
      `Policy pack ${policyPackDir} has no PulumiPolicy.yaml; every preview and update runs it, so restore the pack.`,
      "PolicyPackMissing",
    );
  }
  let pulumiCommand;
  try {
    pulumiCommand = await findPulumiCommand(options.repoRoot, options.env);
  } catch (err) {
    return fail((err as Error).message, err instanceof ToolchainError ? err.name : "ToolchainError");
  }
  const { envVars, fileBackend } = pulumiEnvironment(options.repoRoot, options.env);
  const planDir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-plans-"));
  const buffers = new Map<string, string[]>();
  try {
    const outcomes = await runInDependencyOrder(
      decision.operations.map((operation) => operation.stack),
      (stack) => upstreamStacks(stack, settings.dependsOn),
      async (stack) => {
        const record = records.get(stack) as OperationRecord;
        // Stacks that run side by side would interleave their lines, so each stack's lines are
        // kept and written as one group when the stack finishes.
        const lines: string[] = [];
        buffers.set(stack, lines);
        const stackLog = new WorkflowLog(redactor, (text) => lines.push(text));
        const context: StackRunContext = {
          repoRoot: options.repoRoot,
          pulumiCommand,
          envVars,
          policyPackDir,
          planDir,
          lockFilesInBackend: fileBackend,
          signal,
          log: stackLog,
          redactor,
          lockRetries: options.lockRetries,
          lockRetryDelayMs: options.lockRetryDelayMs,
        };
        log.info(`Started ${record.op} of ${stack}.`);
        record.startedAt = new Date().toISOString();
        const result = await runStackOperation(context, stack, record.op);
        record.endedAt = new Date().toISOString();
        Object.assign(record, result);
        delete (record as { completed?: boolean }).completed;
        await log.group(`${record.op} ${stack}: ${record.status}`, async () => {
          lines.forEach((line) => log.raw(line));
          const { create, update, delete: deleted, same } = record.changes;
          log.info(`${create} to create, ${update} to update, ${deleted} to delete, ${same} unchanged.`);
          if (record.error) {
            log.error(record.error);
          }
        });
        return result.completed;
      },
      { concurrency: options.concurrency, signal },
    );
    for (const [stack, outcome] of outcomes) {
      if (outcome.kind === "blocked") {
        Object.assign(records.get(stack) as OperationRecord, {
          status: "blocked",
          error: `Not run: ${outcome.reason}.`,
        });
      }
    }
  } finally {
    fs.rmSync(planDir, { recursive: true, force: true });
  }
  return decision.operations.map((operation) => records.get(operation.stack) as OperationRecord);
}

function exitCodeOf(record: CiRecord): number {
  const failed = record.operations.some(
    (op) =>
      op.status === "failed" ||
      op.status === "blocked" ||
      op.policyViolations.some((v) => v.level === "mandatory"),
  );
  const forkFailed =
    record.fork !== undefined &&
    (record.fork.errors.length > 0 || record.fork.files.some((f) => f.verdict !== "pass"));
  return failed || forkFailed ? 1 : 0;
}

async function report(
  record: CiRecord,
  context: GithubContext,
  options: CiOptions,
  log: WorkflowLog,
  redactor: Redactor,
): Promise<void> {
  for (const line of renderAnnotations(record)) {
    log.raw(line + "\n");
  }
  if (context.stepSummary) {
    try {
      fs.appendFileSync(context.stepSummary, redactor.redact(renderSummary(record)) + "\n");
    } catch (err) {
      log.warning(
        `The job summary could not be written to ${context.stepSummary}: ${(err as Error).message}`,
      );
    }
  }
  const pullNumber = context.event.pull_request?.number;
  if (
    context.eventName === "pull_request" &&
    pullNumber !== undefined &&
    record.operations.length + (record.fork ? 1 : 0) > 0
  ) {
    if (!context.token) {
      log.warning(
        "GITHUB_TOKEN is not set, so the pull request comment was skipped; give the job a token to get it.",
      );
    } else {
      try {
        const body = redactor.redact(renderComment(record));
        const how = await upsertStickyComment(
          { token: context.token, apiUrl: context.apiUrl, repository: context.repository, pullNumber },
          body,
        );
        log.info(`The pull request comment was ${how}.`);
      } catch (err) {
        log.warning(`The pull request comment could not be written: ${(err as Error).message}`);
      }
    }
  }
  if (options.jsonFile) {
    writeRecord(options.jsonFile, JSON.parse(redactor.redact(JSON.stringify(record))) as CiRecord);
  }
}

/**
 * Runs `flywheel ci`: reads the event, lists the changed files, decides the operations, runs them
 * (unless `dryRun`), and reports to the log, the job summary, the PR comment, annotations and the
 * JSON record. Throws `UsageError` for bad usage or unreadable input; operation failures end in
 * the record and exit status 1.
 */
export async function runCi(options: CiOptions): Promise<CiResult> {
  const redactor = new Redactor();
  SECRET_ENVIRONMENT.forEach((name) => redactor.add(options.env[name]));
  const log = new WorkflowLog(redactor, options.write);

  const context = readGithubContext(options.env);
  const settings = loadSettings(options.rulesFile);
  const { stacks, missing } = existingStacks(options.repoRoot, options.environments);
  const changed = await changedFilesFor(context, options.repoRoot);
  const decision = decide(context, changed.files, stacks, settings);

  const record: CiRecord = {
    event: context.eventName,
    ref: context.ref,
    sha: context.sha,
    dryRun: options.dryRun,
    changedFiles: changed.files,
    operations: decision.operations.map(plannedRecord),
    skipped: [
      ...decision.skipped,
      ...missing.map((stack) => ({ stack, reason: `no Pulumi.${stack}.yaml in the checkout` })),
    ],
    notices: [...(changed.note ? [changed.note] : []), ...decision.notices],
  };
  record.notices.forEach((notice) => log.notice(notice));
  log.info(`${changed.files.length} changed files; ${decision.operations.length} operations decided.`);
  for (const op of record.operations) {
    log.info(`${op.op} ${op.stack}: ${op.reason}`);
  }

  if (decision.fork !== undefined) {
    if (options.dryRun) {
      record.notices.push("Dry run: the offline render and audit of the fork's pull request were not run.");
    } else {
      const tools = options.forkTools ?? loadForkCheckTools(options.repoRoot);
      record.fork = await log.group("Offline render and audit of the fork's pull request", () =>
        checkForkOffline(options.repoRoot, decision.fork?.stacks ?? [], tools),
      );
    }
  } else if (!options.dryRun && decision.operations.length > 0) {
    const controller = new AbortController();
    const forward = (): void => controller.abort();
    options.signal?.addEventListener("abort", forward);
    if (options.signal?.aborted) {
      controller.abort();
    }
    try {
      record.operations = await executeOperations(
        options,
        decision,
        settings,
        log,
        redactor,
        controller.signal,
      );
    } finally {
      options.signal?.removeEventListener("abort", forward);
    }
  }

  record.exitCode = exitCodeOf(record);
  await report(record, context, options, log, redactor);
  return { record, exitCode: record.exitCode };
}
