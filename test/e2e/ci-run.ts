/**
 * Runs `flywheel ci` in a sandbox the way a GitHub Actions job does: a recorded event payload with
 * the sandbox's commit SHAs filled in, the GITHUB_* variables, and a JSON record to read back.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CiRecord } from "../../automation/ci/record";
import { REPO_ROOT, startProcess, type ProcessResult, type RunningProcess, type Sandbox } from "./harness";

const EVENTS_DIR = path.join(REPO_ROOT, "test", "fixtures", "e2e", "events");

/** Driver settings of the tests: every family applies on a push to main. */
export const RULES_FILE = path.join(REPO_ROOT, "test", "fixtures", "e2e", "rules.yaml");

/** Driver settings that select and apply the caches stack alone, for the shorter cases. */
export const CACHES_ONLY_RULES_FILE = path.join(
  REPO_ROOT,
  "test",
  "fixtures",
  "e2e",
  "rules-caches-only.yaml",
);

/** GitHub event names with a recorded payload. */
export type EventName = "push" | "pull_request" | "schedule";

/** One `flywheel ci` invocation. */
export interface CiRunOptions {
  event: EventName;
  /** Values for the payload's `${NAME}` placeholders, such as `AFTER_SHA`. */
  shas?: Record<string, string>;
  /** `GITHUB_REF`; default `refs/heads/main`. */
  ref?: string;
  /** `GITHUB_SHA`; default the sandbox's HEAD. */
  sha?: string;
  /** Extra environment, such as stand-in provider controls. */
  env?: Record<string, string>;
  /** `--rules` file; default {@link RULES_FILE}. */
  rulesFile?: string;
  /** Further `flywheel ci` options, such as `--lock-retries 0`. */
  args?: string[];
}

/** What one run left behind. */
export interface CiRunResult extends ProcessResult {
  /** The JSON record, when the driver wrote one. */
  record?: CiRecord;
  /** The job summary the driver wrote to GITHUB_STEP_SUMMARY. */
  summary: string;
}

/** A started run; {@link CiRun.finished} resolves with its result. */
export interface CiRun {
  process: RunningProcess;
  finished: Promise<CiRunResult>;
}

let runCounter = 0;

/** Fills the payload's `${NAME}` placeholders; an unfilled one fails the test that forgot it. */
function renderPayload(event: EventName, shas: Record<string, string>): string {
  const template = fs.readFileSync(path.join(EVENTS_DIR, `${event}.json`), "utf8");
  return template.replace(/\$\{([A-Z_]+)\}/g, (_match, name: string) => {
    const value = shas[name];
    if (value === undefined) {
      throw new Error(`The ${event} payload needs a value for \${${name}}.`);
    }
    return value;
  });
}

/** Starts `flywheel ci --json <file> --rules <rules>` in the sandbox's repository. */
export function startCi(sandbox: Sandbox, options: CiRunOptions): CiRun {
  runCounter += 1;
  const runDir = path.join(sandbox.root, `run-${runCounter}-${options.event}`);
  fs.mkdirSync(runDir);
  const eventFile = path.join(runDir, "event.json");
  fs.writeFileSync(eventFile, renderPayload(options.event, options.shas ?? {}));
  const recordFile = path.join(runDir, "record.json");
  const summaryFile = path.join(runDir, "summary.md");
  fs.writeFileSync(summaryFile, "");
  const env = sandbox.env({
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: options.event,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_REF: options.ref ?? "refs/heads/main",
    GITHUB_SHA: options.sha ?? sandbox.git("rev-parse", "HEAD").trim(),
    GITHUB_REPOSITORY: "tinyland-example/flywheel",
    GITHUB_WORKSPACE: sandbox.repo,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_RUN_ID: String(1000 + runCounter),
    FLYWHEEL_PULUMI_ROOT: path.dirname(path.dirname(sandbox.toolchain.pulumi)),
    ...options.env,
  });
  const running = startProcess(
    process.execPath,
    [
      path.join(sandbox.repo, "bin", "flywheel.js"),
      "ci",
      "--json",
      recordFile,
      "--rules",
      options.rulesFile ?? RULES_FILE,
      ...(options.args ?? []),
    ],
    { cwd: sandbox.repo, env },
  );
  const finished = running.result.then((result) => ({
    ...result,
    record: fs.existsSync(recordFile)
      ? (JSON.parse(fs.readFileSync(recordFile, "utf8")) as CiRecord)
      : undefined,
    summary: fs.readFileSync(summaryFile, "utf8"),
  }));
  return { process: running, finished };
}

/** Runs `flywheel ci` to completion. */
export function runCi(sandbox: Sandbox, options: CiRunOptions): Promise<CiRunResult> {
  return startCi(sandbox, options).finished;
}

/** Formats the run's output and record for assertion messages. */
export function describeRun(result: CiRunResult): string {
  const record = result.record ? JSON.stringify(result.record, null, 2) : "(no record)";
  return `exit ${result.code}, signal ${result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n--- record\n${record}`;
}
