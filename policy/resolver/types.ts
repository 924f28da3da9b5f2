/**
 * The result types of the runs-on resolver. They are exactly the JSON that `flywheel audit --format json`
 * prints, so the policy pack, the CI driver and the command line share one shape.
 */

/** The runners that count as the organization's own fleet. */
export interface FleetOptions {
  /** Exact runner labels of the fleet (ARC scale set names), compared case-insensitively. */
  labels: string[];
  /** Label prefixes of the fleet (e.g. `tinyland-`); a label longer than a prefix and starting with it is a fleet label. */
  labelPrefixes: string[];
  /** Known values of `vars.*` (repository or organization variables); any other `vars.NAME` is unknown. */
  variables?: Record<string, string>;
}

/** A job's verdict: `pass` when no path of its `runs-on` can reach a runner outside the fleet. */
export type JobVerdict = "pass" | "violation";

/** A file's verdict: `error` when GitHub would reject the file, else the worst of its jobs' verdicts. */
export type FileVerdict = "pass" | "violation" | "error";

/** The resolution of one job's `runs-on`. */
export interface JobResult {
  verdict: JobVerdict;
  /** 1-based line of the job's `runs-on` (or `uses`), else of the job's key. */
  line: number;
  /** Every distinct label set the job can request, labels as written in the workflow. */
  labelSets: string[][];
  /** One sentence per problem found; empty when the verdict is `pass`. */
  reasons: string[];
}

/** The audit of one workflow file. */
export interface FileResult {
  /** The path as it was given or found. */
  file: string;
  verdict: FileVerdict;
  /** Jobs by job id; a job that GitHub would reject is reported in `errors` instead. */
  jobs: Record<string, JobResult>;
  /** One sentence per reason GitHub would reject the file, each starting with `line <n>: `. */
  errors: string[];
}

/** The number of files with each verdict. */
export interface AuditSummary {
  pass: number;
  violation: number;
  error: number;
}

/** The audit of a set of workflow files. */
export interface AuditReport {
  files: FileResult[];
  summary: AuditSummary;
}
