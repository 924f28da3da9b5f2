import type { FleetLabel } from "../model";

/** Inputs of a workflow family for one repository, all known before any resource exists. */
export interface FamilyContext {
  /** Organization that owns the repository. */
  organization: string;
  /** Repository name on GitHub. */
  repository: string;
  /** Branch that pushes deploy from and pull requests target. */
  defaultBranch: string;
  /** Fleet label every job of this family runs on. */
  lane: FleetLabel;
  /** Fleet labels that have runners, passed to the policy audit. */
  fleetLabels: readonly FleetLabel[];
  /** Check name the policy job reports and the ruleset requires. */
  policyCheck: string;
  /** Paths whose change triggers Build and Publish. */
  buildPaths: readonly string[];
  /** Environment suffix of the platform's stacks, such as `dev`. */
  environment: string;
  /**
   * The repository that contains this flywheel program, when it is another one. Other repositories'
   * policy jobs check it out to run its audit. Undefined in the platform repository itself.
   */
  platform?: { repository: string; defaultBranch: string };
}

/** Returns the names of the platform's three stacks in one environment, in deployment order. */
export function stackNames(environment: string): string[] {
  return [`caches-${environment}`, `runners-${environment}`, `github-${environment}`];
}
