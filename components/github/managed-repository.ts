import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

/**
 * App id of GitHub Actions. Pinning a required check to it means only a workflow job can satisfy
 * the check, not a commit status that anyone with write access can post under the same name.
 */
export const GITHUB_ACTIONS_APP_ID = 15368;

/** One workflow file to commit. */
export interface WorkflowFile {
  /** Path in the repository, `.github/workflows/<name>.yml`. */
  path: string;
  /** Complete file text, known before any resource exists. */
  content: string;
}

/** An actor allowed to bypass the ruleset, in the GitHub API's terms. */
export interface BypassActor {
  /** `OrganizationAdmin`, `Integration`, `Team`, `RepositoryRole`, `DeployKey` or `User`. */
  actorType: string;
  /** Id of the app, team, role or user; left out for `OrganizationAdmin` and `DeployKey`. */
  actorId?: number;
  /** `always`, `pullRequest` or `exempt`. */
  bypassMode: string;
}

/** Inputs of {@link ManagedRepository}. */
export interface ManagedRepositoryArgs {
  /** Repository name on GitHub, in the provider's organization. */
  repository: string;
  /** Branch the workflow files are committed to and the ruleset protects. */
  defaultBranch: string;
  /** Workflow files to commit; existing files at those paths are overwritten. */
  workflows: WorkflowFile[];
  /** Repository variables by name; values are not secret. */
  variables: Record<string, pulumi.Input<string>>;
  /** Status check the default branch's ruleset requires; no ruleset when undefined. */
  requiredCheck?: string;
  /**
   * Actors who may push to the default branch without the check. The identity that runs this stack
   * must be one of them, because it commits the workflow files straight to that branch.
   */
  bypassActors?: BypassActor[];
}

/** A managed repository's workflow files, Actions variables and default-branch ruleset. */
export class ManagedRepository extends pulumi.ComponentResource {
  /** Paths of the committed workflow files. */
  readonly workflowPaths: string[];
  /** Names of the repository variables set. */
  readonly variableNames: string[];

  constructor(name: string, args: ManagedRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:github:ManagedRepository", name, {}, opts);

    for (const [variableName, value] of Object.entries(args.variables)) {
      new github.ActionsVariable(
        `${name}-variable-${variableName.toLowerCase()}`,
        { repository: args.repository, variableName, value },
        { parent: this },
      );
    }

    for (const workflow of args.workflows) {
      const fileName = workflow.path.slice(workflow.path.lastIndexOf("/") + 1).replace(/\.ya?ml$/, "");
      new github.RepositoryFile(
        `${name}-workflow-${fileName}`,
        {
          repository: args.repository,
          branch: args.defaultBranch,
          file: workflow.path,
          content: workflow.content,
          commitMessage: `Update ${workflow.path} from the flywheel program`,
          overwriteOnCreate: true,
        },
        { parent: this },
      );
    }

    if (args.requiredCheck !== undefined) {
      new github.RepositoryRuleset(
        `${name}-ruleset`,
        {
          repository: args.repository,
          name: "flywheel policy gate",
          target: "branch",
          enforcement: "active",
          conditions: {
            refName: { includes: ["~DEFAULT_BRANCH", `refs/heads/${args.defaultBranch}`], excludes: [] },
          },
          bypassActors: args.bypassActors ?? [],
          rules: {
            deletion: true,
            nonFastForward: true,
            requiredStatusChecks: {
              requiredChecks: [{ context: args.requiredCheck, integrationId: GITHUB_ACTIONS_APP_ID }],
              strictRequiredStatusChecksPolicy: true,
            },
          },
        },
        { parent: this },
      );
    }

    this.workflowPaths = args.workflows.map((workflow) => workflow.path);
    this.variableNames = Object.keys(args.variables);
    this.registerOutputs({ workflowPaths: this.workflowPaths, variableNames: this.variableNames });
  }
}
