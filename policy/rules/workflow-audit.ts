/**
 * The part of the `flywheel audit --format json` contract the workflow rules read. The resolver
 * produces it; the rules take the resolver as a parameter so they stay pure and testable.
 */
export interface FleetOptions {
  /** Exact fleet labels. */
  labels: string[];
  /** Prefixes that mark a label as the fleet's own. */
  labelPrefixes: string[];
  /** Known values of `vars.*`. */
  variables?: Record<string, string>;
}

/** Verdict on one job of a workflow file. */
export interface JobResult {
  verdict: "pass" | "violation";
  /** 1-based line of the job's `runs-on`, or of the job when it has none. */
  line: number;
  /** Every label set the job's `runs-on` can take. */
  labelSets: string[][];
  /** One sentence per problem found. */
  reasons: string[];
}

/** Verdict on one workflow file. */
export interface FileResult {
  file: string;
  verdict: "pass" | "violation" | "error";
  jobs: Record<string, JobResult>;
  /** Why the file is not a valid workflow, one sentence each with its line. */
  errors: string[];
}

/** The resolver's entry point for one workflow text. */
export type AuditWorkflowText = (text: string, file: string, fleet: FleetOptions) => Promise<FileResult>;
