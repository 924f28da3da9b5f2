import * as fs from "node:fs";
import * as path from "node:path";
import { renderAnnotations } from "./annotations";
import { listChangedFiles } from "./changed-files";
import { changeRangeFor, decide } from "./decide";
import { UsageError } from "./errors";
import type { ForkCheckTools } from "./fork-check";
import { GithubContext, readGithubContext } from "./github-context";
import { renderComment, renderSummary } from "./markdown-report";
import { DEFAULT_SETTINGS, DriverSettings, loadRulesFile, stacksOfEnvironments } from "./path-rules";
import { checkRecordPath, CiRecord, ForkCheckRecord, plannedRecord, writeRecord } from "./record";
import { Redactor } from "./redact";
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
  /** Log output; stdout by default. */
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

/**
 * Modules only some runs need, loaded on first use so that a dry run does not pay for compiling
 * them. `require` because a dynamic `import()` bypasses the CommonJS hook that compiles the sources.
 */
const lazy = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  executeOperations: () => require("./execute-operations") as typeof import("./execute-operations"),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  forkCheck: () => require("./fork-check") as typeof import("./fork-check"),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  prComment: () => require("./pr-comment") as typeof import("./pr-comment"),
};

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

/** Lists the stacks of the selected environments that have a `Pulumi.<stack>.yaml` in the checkout. */
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

/** Returns `count` with the noun, singular for one: "1 operation", "2 operations". */
function countOf(count: number, singular: string): string {
  return `${count} ${count === 1 ? singular : `${singular}s`}`;
}

/** Lists the fork check's failures, one line each, for its log group. */
function forkFailures(fork: ForkCheckRecord): string[] {
  const failures = [...fork.errors];
  for (const file of fork.files.filter((f) => f.verdict !== "pass")) {
    const reasons = file.reasons.length > 0 ? file.reasons : [`verdict ${file.verdict}`];
    reasons.forEach((reason) => failures.push(`${file.file}: ${reason}`));
  }
  return failures;
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
        const how = await lazy
          .prComment()
          .upsertStickyComment(
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
  if (options.jsonFile !== undefined) {
    checkRecordPath(options.jsonFile);
  }

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
  log.info(
    `${countOf(changed.files.length, "changed file")}, ${countOf(decision.operations.length, "operation")} decided.`,
  );
  for (const op of record.operations) {
    log.info(`${op.op} ${op.stack}: ${op.reason}`);
  }

  if (decision.fork !== undefined) {
    if (options.dryRun) {
      record.notices.push("Dry run: the offline render and audit of the fork's pull request were not run.");
    } else {
      const forkCheck = lazy.forkCheck();
      const tools = options.forkTools ?? forkCheck.loadForkCheckTools(options.repoRoot);
      record.fork = await log.group("Offline render and audit of the fork's pull request", async () => {
        const fork = await forkCheck.checkForkOffline(options.repoRoot, decision.fork?.stacks ?? [], tools);
        const failures = forkFailures(fork);
        failures.forEach((failure) => log.info(failure));
        log.info(
          failures.length === 0
            ? `${countOf(fork.files.length, "workflow file")} passed the audit.`
            : `${countOf(failures.length, "failure")} in the offline check; the annotations and the job summary list them.`,
        );
        return fork;
      });
    }
  } else if (!options.dryRun && decision.operations.length > 0) {
    const controller = new AbortController();
    const forward = (): void => controller.abort();
    options.signal?.addEventListener("abort", forward);
    if (options.signal?.aborted) {
      controller.abort();
    }
    try {
      record.operations = await lazy
        .executeOperations()
        .executeOperations(options, decision, settings, log, redactor, controller.signal);
    } finally {
      options.signal?.removeEventListener("abort", forward);
    }
  }

  record.exitCode = exitCodeOf(record);
  await report(record, context, options, log, redactor);
  return { record, exitCode: record.exitCode };
}
