import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "./errors";

/** The Pulumi operation the driver runs on one stack. */
export type OperationKind = "preview" | "up" | "refresh" | "drift";

/**
 * Outcome of one operation: `planned` (decided but not run, as with `--dry-run`), `succeeded`,
 * `failed`, or `blocked` (not run because a stack it depends on failed or the run was cancelled).
 */
export type OperationStatus = "planned" | "succeeded" | "failed" | "blocked";

/** Resource steps of one operation, folded from the engine's events or its change summary. */
export interface ChangeCounts {
  create: number;
  /** Updates, including replacements (each replaced resource counts once). */
  update: number;
  delete: number;
  same: number;
}

/** One policy violation reported by the policy pack during a preview or an update. */
export interface PolicyViolation {
  /** Name of the policy, such as `no-hosted-fallback`. */
  policy: string;
  /** Enforcement level as the engine reports it: `mandatory`, `warning` or `advisory`. */
  level: string;
  message: string;
  /** Workflow file the violation points at, when the message names one as `file:line:`. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
}

/** One stack's operation in the record of a run. */
export interface OperationRecord {
  stack: string;
  op: OperationKind;
  /** Reason this stack was selected, such as `stacks/runners.ts changed`. */
  reason: string;
  status: OperationStatus;
  changes: ChangeCounts;
  policyViolations: PolicyViolation[];
  /** Failure message (redacted) when `status` is `failed` or `blocked`. */
  error?: string;
  /** Kind of failure, the name of the typed error such as `StackLockedError`. */
  errorKind?: string;
  /** For `up`: whether the update applied the plan saved by the preview run just before it. */
  appliedPlan?: boolean;
  /** For `drift`: whether the refreshed preview found any difference. */
  drift?: boolean;
  /** Text of the proposed or applied changes, one resource step a line (redacted). */
  diff?: string;
  /** ISO 8601 times the operation started and ended; absent when it did not run. */
  startedAt?: string;
  endedAt?: string;
}

/** A stack the run left alone, with the reason. */
export interface SkippedStack {
  stack: string;
  reason: string;
}

/** Offline check of a pull request from a fork: what was rendered and audited without state or secrets. */
export interface ForkCheckRecord {
  /** Stacks rendered under mocks. */
  rendered: string[];
  /** Workflow files checked, rendered ones as `<stack>:<repository>/<path>` and the checkout's own. */
  files: { file: string; verdict: "pass" | "violation" | "error"; reasons: string[] }[];
  /** Problems that kept a stack from rendering, one sentence each. */
  errors: string[];
}

/** The JSON record `flywheel ci --json <file>` writes. */
export interface CiRecord {
  event: string;
  ref: string;
  sha?: string;
  dryRun: boolean;
  changedFiles: string[];
  operations: OperationRecord[];
  skipped: SkippedStack[];
  /** Notices about the decision, such as "push to a branch other than main: nothing to do". */
  notices: string[];
  fork?: ForkCheckRecord;
  /** Exit status of the run: 0 success, 1 a failed operation or a mandatory policy violation. */
  exitCode?: number;
}

/** Counts of zero, the starting point of every fold. */
export function emptyChanges(): ChangeCounts {
  return { create: 0, update: 0, delete: 0, same: 0 };
}

/** Builds the record of an operation that was decided but has not run. */
export function plannedRecord(operation: {
  stack: string;
  op: OperationKind;
  reason: string;
}): OperationRecord {
  return { ...operation, status: "planned", changes: emptyChanges(), policyViolations: [] };
}

/**
 * Checks that `file` can become the JSON record: it is not a directory, and its nearest existing
 * ancestor is a directory, so the missing folders can be created. Throws `UsageError` otherwise.
 * Runs before any stack does, so a bad path costs no operation.
 */
export function checkRecordPath(file: string): void {
  const target = path.resolve(file);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    throw new UsageError(
      `--json ${file} is a directory; pass a file path inside it, such as ${path.join(file, "flywheel-ci.json")}.`,
    );
  }
  let ancestor = path.dirname(target);
  while (!fs.existsSync(ancestor)) {
    ancestor = path.dirname(ancestor);
  }
  if (!fs.statSync(ancestor).isDirectory()) {
    throw new UsageError(
      `--json ${file} cannot be created because ${ancestor} is a file, not a directory; pass a path under a directory.`,
    );
  }
}

/** Writes the record as indented JSON, creating missing parent folders. Throws `UsageError` when the file cannot be written. */
export function writeRecord(file: string, record: CiRecord): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
  } catch (err) {
    throw new UsageError(
      `--json ${file} could not be written: ${(err as Error).message}; pass a writable file path.`,
      { cause: err },
    );
  }
}
