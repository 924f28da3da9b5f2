import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

/** A repository a runner group selects. */
export interface RunnerGroupRepository {
  /** Repository name on GitHub, in the provider's organization. */
  name: string;
  /** Repository visibility; a public one needs `allowsPublicRepositories`. */
  visibility: "public" | "private" | "internal";
}

/** Inputs of {@link RunnerGroup}. */
export interface RunnerGroupArgs {
  /** Runner group name on GitHub. */
  groupName: string;
  /** Organization that owns the group and the repositories. */
  organization: string;
  /** The only repositories that may use the group (visibility `selected`). */
  repositories: RunnerGroupRepository[];
  /**
   * Whether public repositories may use the group; default false. Fork pull requests run untrusted
   * code, which on shared runners can poison the build caches, so a public repository is rejected
   * unless this is true.
   */
  allowsPublicRepositories?: boolean;
  /** Whether only `selectedWorkflows` may use the group; default false. */
  restrictedToWorkflows?: boolean;
  /** Workflow references allowed when `restrictedToWorkflows` is true. */
  selectedWorkflows?: string[];
}

/**
 * An organization runner group limited to selected repositories. Repository ids are looked up by
 * name through the provider, so the configuration names repositories the way people do.
 */
export class RunnerGroup extends pulumi.ComponentResource {
  /** Runner group name on GitHub. */
  readonly groupName: pulumi.Output<string>;
  /** Names of the repositories that may use the group. */
  readonly repositoryNames: string[];

  constructor(name: string, args: RunnerGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:github:RunnerGroup", name, {}, opts);
    const allowsPublic = args.allowsPublicRepositories ?? false;
    const rejected = args.repositories.filter(
      (repository) => repository.visibility === "public" && !allowsPublic,
    );
    if (rejected.length > 0) {
      throw new Error(
        `Runner group "${args.groupName}" must not select public repositories (${rejected.map((r) => r.name).join(", ")}) ` +
          "unless allowsPublicRepositories is true, because fork code on shared runners can poison the caches; " +
          "remove them or set allowsPublicRepositories to true.",
      );
    }

    const repositoryIds = args.repositories.map(
      (repository) =>
        github.getRepositoryOutput({ fullName: `${args.organization}/${repository.name}` }, { parent: this })
          .repoId,
    );
    const group = new github.ActionsRunnerGroup(
      `${name}-group`,
      {
        name: args.groupName,
        visibility: "selected",
        selectedRepositoryIds: repositoryIds,
        allowsPublicRepositories: allowsPublic,
        restrictedToWorkflows: args.restrictedToWorkflows ?? false,
        selectedWorkflows: args.selectedWorkflows ?? [],
      },
      { parent: this },
    );

    this.groupName = group.name;
    this.repositoryNames = args.repositories.map((repository) => repository.name);
    this.registerOutputs({ groupName: this.groupName, repositoryNames: this.repositoryNames });
  }
}
