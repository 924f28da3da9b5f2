import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../config/errors";
import {
  GithubConfig,
  laneOf,
  repositoryNameOf,
  runnerGroupNameOf,
  type RepositoryConfig,
} from "../config/github";
import type { StackConfig } from "../config/load";
import { ManagedRepository, type WorkflowFile } from "../components/github/managed-repository";
import { RunnerFleet } from "../components/github/runner-fleet";
import { RunnerGroup } from "../components/github/runner-group";
import { emitWorkflow } from "../workflows/emit";
import { buildWorkflow, workflowPath } from "../workflows/families";
import {
  bazelStatusUrl,
  checkLanes,
  parseCacheEndpoints,
  parseLanes,
  usableLabels,
  type CacheEndpoints,
} from "../workflows/fleet";
import { VARIABLE_NAMES } from "../workflows/steps";
import type { StackOutputs } from "./index";

type GithubStackConfig = Extract<StackConfig, { family: "github" }>;

/**
 * Registers the GitHub side of the platform: runner groups, and for each managed repository its
 * workflow files, Actions variables and default-branch ruleset. The workflow text is built from
 * configuration and the runners stack's outputs only, so that it is fully known at preview.
 */
export async function githubStack(config: GithubStackConfig): Promise<StackOutputs> {
  const settings = config.github;
  const runnersStack = settings.runnersStack ?? `runners-${config.environment}`;
  checkProviderOwner(config.stack, settings);

  // StackReference outputs are read from the referenced stack's state, so they are known at preview.
  const runners = new pulumi.StackReference("runners", { name: runnersStack });
  const lanes = parseLanes(await runners.requireOutputValue("lanes"), runnersStack);
  const cacheEndpoints = parseCacheEndpoints(
    await runners.requireOutputValue("cacheEndpoints"),
    runnersStack,
  );
  checkLanes(config.stack, settings, lanes, runnersStack);
  const fleetLabels = usableLabels(lanes);
  new RunnerFleet("runner-fleet", { runnersStack, lanes });

  const githubConfig = new pulumi.Config("github");
  const provider = new github.Provider("github", {
    owner: settings.organization,
    // Left unset, the provider reads GITHUB_TOKEN from the environment.
    token: githubConfig.getSecret("token"),
  });

  const runnerGroups = Object.entries(settings.runnerGroups).map(([key, group]) => {
    const component = new RunnerGroup(
      `runner-group-${key}`,
      {
        groupName: runnerGroupNameOf(key, group),
        organization: settings.organization,
        repositories: group.repositories.map((repositoryKey) => {
          const repository = settings.repositories[repositoryKey];
          return { name: repositoryNameOf(repositoryKey, repository), visibility: repository.visibility };
        }),
        allowsPublicRepositories: group.allowsPublicRepositories,
        restrictedToWorkflows: group.restrictedToWorkflows,
        selectedWorkflows: [...group.selectedWorkflows],
      },
      { provider },
    );
    return {
      name: runnerGroupNameOf(key, group),
      repositories: component.repositoryNames,
      allowsPublicRepositories: group.allowsPublicRepositories,
    };
  });

  const workflows: Array<{ repository: string; path: string }> = [];
  const variables: Array<{ repository: string; name: string }> = [];
  for (const [key, repository] of Object.entries(settings.repositories)) {
    const name = repositoryNameOf(key, repository);
    const files = workflowFiles(config, settings, name, repository, fleetLabels);
    // Cache endpoints are cluster-internal: only repositories whose jobs run on the fleet get them.
    const repositoryVariables = files.length > 0 ? cacheVariables(cacheEndpoints, fleetLabels) : {};
    const managed = new ManagedRepository(
      `repository-${key}`,
      {
        repository: name,
        defaultBranch: repository.defaultBranch,
        workflows: files,
        variables: repositoryVariables,
        requiredCheck: repository.ruleset ? settings.policyCheck : undefined,
        bypassActors: settings.rulesetBypassActors.map((actor) => ({ ...actor })),
      },
      { provider },
    );
    workflows.push(...managed.workflowPaths.map((path) => ({ repository: name, path })));
    variables.push(
      ...managed.variableNames.map((variableName) => ({ repository: name, name: variableName })),
    );
  }

  return { workflows, runnerGroups, variables };
}

/** Rejects a `github:owner` that names another organization than the stack manages. */
function checkProviderOwner(stack: string, settings: GithubConfig): void {
  const owner = new pulumi.Config("github").get("owner");
  if (owner !== undefined && owner.toLowerCase() !== settings.organization.toLowerCase()) {
    throw new ConfigError(stack, [
      {
        key: "github:owner",
        rule: `must match flywheel:organization ("${settings.organization}"), not "${owner}"`,
        accepted: `pulumi config set github:owner ${settings.organization}, or remove github:owner`,
      },
    ]);
  }
}

/** Builds and serializes a repository's workflow files. */
function workflowFiles(
  config: GithubStackConfig,
  settings: GithubConfig,
  name: string,
  repository: RepositoryConfig,
  fleetLabels: string[],
): WorkflowFile[] {
  return repository.workflows.map((family) => {
    const workflow = buildWorkflow(family, {
      organization: settings.organization,
      repository: name,
      defaultBranch: repository.defaultBranch,
      lane: laneOf(settings, repository, family),
      fleetLabels,
      policyCheck: settings.policyCheck,
      buildPaths: repository.buildPaths,
      environment: config.environment,
      platform: platformOf(settings, name),
    });
    return { path: workflowPath(family), content: emitWorkflow(workflow, { generatedBy: config.stack }) };
  });
}

/** Returns the Actions variables that carry the cache endpoints and the fleet's labels. */
function cacheVariables(endpoints: CacheEndpoints, fleetLabels: string[]): Record<string, string> {
  return {
    [VARIABLE_NAMES.bazelRemoteCache]: endpoints.bazel,
    [VARIABLE_NAMES.bazelRemoteStatusUrl]: bazelStatusUrl(endpoints),
    [VARIABLE_NAMES.atticServer]: endpoints.atticServer,
    [VARIABLE_NAMES.atticCache]: endpoints.atticCache,
    [VARIABLE_NAMES.fleetLabels]: fleetLabels.join(","),
  };
}

/** Returns the platform repository for a member repository's workflows, or undefined for the platform itself. */
function platformOf(
  settings: GithubConfig,
  name: string,
): { repository: string; defaultBranch: string } | undefined {
  const platform = settings.repositories[settings.platformRepository];
  const platformName = repositoryNameOf(settings.platformRepository, platform);
  return platformName === name
    ? undefined
    : { repository: platformName, defaultBranch: platform.defaultBranch };
}
