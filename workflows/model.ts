/**
 * A typed model of the GitHub Actions workflow syntax, covering the subset the generated workflows
 * use. Keys keep GitHub's own spelling (`runs-on`, `timeout-minutes`, `pull_request`), so that a
 * reader can search from the model to GitHub's workflow syntax reference and back, and so that the
 * emitter serializes objects as they are, without a mapping table.
 */

/** A fleet label: the single string a job's `runs-on` names, an ARC runner scale set name. */
export type FleetLabel = string;

/** Access levels of the `GITHUB_TOKEN` for one permission scope. */
export type PermissionLevel = "read" | "write" | "none";

/** `GITHUB_TOKEN` permissions of a workflow or job; scopes left out get `none`. */
export type Permissions = Partial<
  Record<
    "actions" | "checks" | "contents" | "id-token" | "issues" | "packages" | "pull-requests" | "statuses",
    PermissionLevel
  >
>;

/** Branch and path filters of a `push` or `pull_request` trigger. */
export interface RefFilter {
  /** Branches the event must target. */
  branches?: string[];
  /** Paths of which at least one must change. */
  paths?: string[];
}

/** One input of a manual run. */
export interface DispatchInput {
  /** Sentence shown in the run form. */
  description: string;
  /** Whether the form requires a value. */
  required: boolean;
  /** Input type; `choice` needs `options`. */
  type: "boolean" | "choice" | "number" | "string";
  /** Value when the form leaves the input alone. */
  default?: string | number | boolean;
  /** Values a `choice` input offers. */
  options?: string[];
}

/** Events that start a workflow (`on:`). */
export interface Triggers {
  push?: RefFilter;
  pull_request?: RefFilter;
  /** Cron schedules, in UTC. */
  schedule?: { cron: string }[];
  /** Manual runs; `{}` when the run form has no inputs. */
  workflow_dispatch?: { inputs?: Record<string, DispatchInput> };
}

/** Fields common to every step. */
interface StepBase {
  /** Display name in the run log. */
  name: string;
  /** Identifier for later steps' `steps.<id>` expressions. */
  id?: string;
  /** Expression that must hold for the step to run. */
  if?: string;
  /** Environment of this step only. */
  env?: Record<string, string>;
  /** Upper bound of the step's run time, in minutes. */
  "timeout-minutes"?: number;
}

/** A step that runs a shell script. */
export interface RunStep extends StepBase {
  /** Script text; the workflow's default shell runs it. */
  run: string;
}

/** A step that runs an action, named by a pinned reference from `actions.ts`. */
export interface UsesStep extends StepBase {
  /** `owner/repo@<commit sha>`; see `PINNED_ACTIONS`. */
  uses: string;
  /** The action's inputs. */
  with?: Record<string, string | number | boolean>;
}

/** One step of a job. */
export type Step = RunStep | UsesStep;

/** One job. `runs-on` is a single fleet label string, never a list, expression or group object. */
export interface Job {
  /** Display name, also the check name the job reports to a commit. */
  name: string;
  /** The fleet label that picks the runner scale set. */
  "runs-on": FleetLabel;
  /** Job ids that must succeed first. */
  needs?: string[];
  /** Expression that must hold for the job to run. */
  if?: string;
  /** Token permissions of this job, replacing the workflow's. */
  permissions?: Permissions;
  /** Upper bound of the job's run time, in minutes. */
  "timeout-minutes": number;
  /** Concurrency group that serializes runs of this job. */
  concurrency?: { group: string; "cancel-in-progress": boolean };
  /** Environment of every step. */
  env?: Record<string, string>;
  steps: Step[];
}

/** One workflow file. */
export interface Workflow {
  /** Display name in the Actions tab. */
  name: string;
  on: Triggers;
  /** Token permissions of every job unless the job sets its own. */
  permissions: Permissions;
  /** Default shell of every `run` step. */
  defaults?: { run: { shell: "bash" } };
  /** Jobs by id. */
  jobs: Record<string, Job>;
}
