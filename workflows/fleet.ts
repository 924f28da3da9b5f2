import { z } from "zod";
import { ConfigError, ConfigProblem, joinKey } from "../config/errors";
import {
  GithubConfig,
  laneOf,
  repositoryNameOf,
  runnerGroupNameOf,
  type RepositoryConfig,
  type WorkflowFamily,
} from "../config/github";

/** bazel-remote's HTTP port (`/status`, `/metrics`), the chart default beside gRPC on 9092. */
export const BAZEL_REMOTE_HTTP_PORT = 8080;

// Fields of the runners stack's `lanes` output this stack relies on; other fields pass through.
const laneSchema = z.looseObject({
  label: z.string().min(1),
  runnerGroup: z.string().min(1),
  maxRunners: z.number().int().nonnegative(),
  enabled: z.boolean(),
  /** Scope of the lane's scale set; optional so that older runners stack outputs still parse. */
  githubConfigUrl: z.string().min(1).optional(),
});

const cacheEndpointsSchema = z.looseObject({
  bazel: z.string().min(1),
  atticServer: z.string().min(1),
  atticCache: z.string().min(1),
  /** bazel-remote's HTTP endpoint; optional because the runners stack may not pass it through. */
  bazelHttp: z.string().min(1).optional(),
});

/** One lane of the runners stack, as far as the workflows depend on it. */
export type Lane = z.infer<typeof laneSchema>;

/** Cache endpoints the runners stack passes through from the caches stack. */
export type CacheEndpoints = z.infer<typeof cacheEndpointsSchema>;

/** Returns the labels of lanes that can run a job: enabled, with at least one runner allowed. */
export function usableLabels(lanes: readonly Lane[]): string[] {
  return lanes.filter((lane) => lane.enabled && lane.maxRunners >= 1).map((lane) => lane.label);
}

function parseOutput<T>(schema: z.ZodType<T>, value: unknown, runnersStack: string, output: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${joinKey(output, issue.path)}: ${issue.message}`)
      .join("; ");
    throw new Error(
      `Output "${output}" of stack ${runnersStack} is not in the expected shape (${detail}); ` +
        `run pulumi up on ${runnersStack} with a matching version of this program.`,
    );
  }
  return parsed.data;
}

/** Validates the runners stack's `lanes` output. */
export function parseLanes(value: unknown, runnersStack: string): Lane[] {
  return parseOutput(z.array(laneSchema), value, runnersStack, "lanes");
}

/** Validates the runners stack's `cacheEndpoints` output. */
export function parseCacheEndpoints(value: unknown, runnersStack: string): CacheEndpoints {
  return parseOutput(cacheEndpointsSchema, value, runnersStack, "cacheEndpoints");
}

/**
 * Returns bazel-remote's HTTP status URL: from the HTTP endpoint when the runners stack passes it
 * through, or else from the gRPC endpoint's host, because both ports belong to the same Service.
 */
export function bazelStatusUrl(endpoints: CacheEndpoints): string {
  if (endpoints.bazelHttp !== undefined) {
    return `${endpoints.bazelHttp.replace(/\/+$/, "")}/status`;
  }
  // Runners stacks deployed before `bazelHttp` was exported lack it; the Service's default HTTP port applies.
  const host = new URL(endpoints.bazel.replace(/^grpcs?:/, "http:")).hostname;
  return `http://${host}:${BAZEL_REMOTE_HTTP_PORT}/status`;
}

/** Returns the configuration key a family's lane comes from: the repository's `lanes` entry or `defaultLane`. */
function laneKey(repositoryKey: string, repository: RepositoryConfig, family: WorkflowFamily): string {
  return repository.lanes[family] !== undefined
    ? joinKey("flywheel:repositories", [repositoryKey, "lanes", family])
    : "flywheel:defaultLane";
}

/**
 * Tells whether a lane's scale set is registered where the repository's jobs can reach it: at the
 * repository's organization, or at the repository itself. A lane of another organization or
 * repository carries the same label but never picks up these jobs.
 */
export function laneServes(lane: Lane, organization: string, repositoryName: string): boolean {
  if (lane.githubConfigUrl === undefined) {
    return true;
  }
  const scope = lane.githubConfigUrl.replace(/\/+$/, "").toLowerCase();
  const organizationUrl = `https://github.com/${organization}`.toLowerCase();
  return scope === organizationUrl || scope === `${organizationUrl}/${repositoryName.toLowerCase()}`;
}

function laneProblem(label: string, lanes: readonly Lane[], runnersStack: string): string | undefined {
  const lane = lanes.find((candidate) => candidate.label === label);
  if (lane === undefined) {
    return `names "${label}", which is not a lane of stack ${runnersStack} serving this repository`;
  }
  if (!lane.enabled) {
    return `names "${label}", whose lane in stack ${runnersStack} is disabled, so its jobs would queue forever`;
  }
  if (lane.maxRunners < 1) {
    return `names "${label}", whose lane in stack ${runnersStack} has maxRunners 0, so its jobs would queue forever`;
  }
  return undefined;
}

/** A runner group this stack manages, with its entry key and GitHub name. */
interface ManagedGroup {
  key: string;
  name: string;
  group: GithubConfig["runnerGroups"][string];
}

/** Returns the problem when a repository's jobs run on a lane of a managed group that does not list it. */
function groupProblem(
  managed: ManagedGroup | undefined,
  repositoryKey: string,
  family: WorkflowFamily,
  label: string,
): ConfigProblem | undefined {
  if (managed === undefined || managed.group.repositories.includes(repositoryKey)) {
    return undefined;
  }
  return {
    key: joinKey("flywheel:runnerGroups", [managed.key, "repositories"]),
    rule: `must include "${repositoryKey}", whose ${family} jobs run on lane "${label}" in this runner group`,
    accepted: `add ${repositoryKey}, or pick a lane in another runner group`,
  };
}

/** Returns the problem when a public repository's jobs run on a lane of a group that does not allow it. */
function publicProblem(
  key: string,
  repositoryKey: string,
  repository: RepositoryConfig,
  lane: Lane,
  managed: ManagedGroup | undefined,
): ConfigProblem | undefined {
  if (repository.visibility !== "public" || (managed?.group.allowsPublicRepositories ?? false)) {
    return undefined;
  }
  return {
    key,
    rule:
      `runs jobs of public repository "${repositoryNameOf(repositoryKey, repository)}" on lane "${lane.label}" ` +
      `in runner group "${lane.runnerGroup}", which this stack does not let public repositories use`,
    accepted: "a lane whose runner group sets allowsPublicRepositories: true and lists the repository",
  };
}

/**
 * Checks that every family's jobs run on an enabled lane with runners, and that each repository
 * may use the runner group of the lanes its jobs run on. Throws one `ConfigError` listing every
 * problem, before any GitHub resource is registered.
 */
export function checkLanes(
  stack: string,
  config: GithubConfig,
  lanes: readonly Lane[],
  runnersStack: string,
): void {
  // Keyed by what the problem is about, so that a problem shared by several families is reported once.
  const problems = new Map<string, ConfigProblem>();
  const add = (id: string, problem: ConfigProblem | undefined) => {
    if (problem !== undefined && !problems.has(id)) {
      problems.set(id, problem);
    }
  };
  const accepted = usableLabels(lanes).join(", ") || `none: enable a lane in ${runnersStack}`;
  const groups: ManagedGroup[] = Object.entries(config.runnerGroups).map(([key, group]) => ({
    key,
    group,
    name: runnerGroupNameOf(key, group),
  }));

  for (const [repositoryKey, repository] of Object.entries(config.repositories)) {
    for (const family of repository.workflows) {
      const label = laneOf(config, repository, family);
      const key = laneKey(repositoryKey, repository, family);
      const serving = lanes.filter((candidate) =>
        laneServes(candidate, config.organization, repositoryNameOf(repositoryKey, repository)),
      );
      const rule = laneProblem(label, serving, runnersStack);
      const lane = serving.find((candidate) => candidate.label === label);
      if (rule !== undefined || lane === undefined) {
        add(key, { key, rule: rule ?? `names "${label}"`, accepted });
        continue;
      }
      const managed = groups.find((entry) => entry.name === lane.runnerGroup);
      add(`group/${repositoryKey}/${lane.runnerGroup}`, groupProblem(managed, repositoryKey, family, label));
      add(`public/${key}`, publicProblem(key, repositoryKey, repository, lane, managed));
    }
  }
  if (problems.size > 0) {
    throw new ConfigError(stack, [...problems.values()]);
  }
}
