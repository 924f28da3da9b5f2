import { z } from "zod";
import type { FamilyDefinition } from "./load";

/**
 * Workflow families a managed repository can get, in the order their files are registered. Each
 * family is one workflow file, `.github/workflows/<file name>.yml`.
 */
export const WORKFLOW_FAMILIES = [
  "validate",
  "secretDetection",
  "platformProof",
  "buildAndPublish",
  "deployRunners",
  "runnerBenchmarks",
  "proofStatus",
] as const;

/** One workflow family, named by its configuration key. */
export type WorkflowFamily = (typeof WORKFLOW_FAMILIES)[number];

/** Families that run this program's own driver or benchmarks, so only the platform repository gets them. */
export const PLATFORM_ONLY_FAMILIES: readonly WorkflowFamily[] = ["deployRunners", "runnerBenchmarks"];

/** Default check name of the policy gate, as the Validate workflow's policy job reports it. */
export const DEFAULT_POLICY_CHECK = "flywheel / policy";

/** Default fleet label of every family's jobs: the nix lane of the default runner fleet. */
export const DEFAULT_LANE = "tinyland-nix";

/** Default paths whose change on the default branch triggers Build and Publish. */
export const DEFAULT_BUILD_PATHS = ["flake.nix", "flake.lock", "nix/**", "packages/**"];

// GitHub's rules for organization logins: letters, digits and single inner dashes, at most 39.
const LOGIN_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
// GitHub's rules for repository names: letters, digits, `.`, `_` and `-`, at most 100.
const REPOSITORY_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;
// A runner scale set name as ARC registers it: no whitespace or commas, which `runs-on` would split.
const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
// A subset of git's ref name rules that covers every branch name a default branch needs.
const BRANCH_PATTERN = /^(?!\/|-)(?!.*(?:\.\.|\/\/|@\{|\.lock$|\/$|\.$))[A-Za-z0-9._/-]{1,255}$/;

/**
 * Returns a string check that carries an accepted value. Zod's built-in checks take no `params`, so the
 * patterns go through `refine`, whose params reach the configuration error.
 */
function matching(pattern: RegExp, message: string, accepted: string) {
  return z.string().refine((value) => pattern.test(value), { message, params: { accepted } });
}

/** Returns a non-empty array check that carries an accepted value, for the same reason as {@link matching}. */
function nonEmpty<T extends z.ZodType>(item: T, message: string, accepted: string) {
  return z.array(item).refine((values) => values.length > 0, { message, params: { accepted } });
}

const login = matching(
  LOGIN_PATTERN,
  "must be a GitHub organization login: letters, digits and single inner dashes, at most 39 characters",
  "tinyland-example",
);

const repositoryName = matching(
  REPOSITORY_PATTERN,
  "must be a GitHub repository name: letters, digits, '.', '_' and '-', at most 100 characters",
  "flywheel",
).refine((name) => name !== "." && name !== ".." && !name.toLowerCase().endsWith(".git"), {
  message: "must not be '.', '..' or end in '.git'",
  params: { accepted: "flywheel" },
});

const label = matching(
  LABEL_PATTERN,
  "must be a fleet label (an ARC runner scale set name) without whitespace or commas",
  DEFAULT_LANE,
);

const branch = matching(BRANCH_PATTERN, "must be a valid git branch name", "main");

const pathGlob = matching(/\S/, "must be a non-empty path pattern", "nix/**");

/** The fleet label of each family's jobs; a family left out uses the stack's `defaultLane`. */
const lanesSchema = z.strictObject(
  Object.fromEntries(WORKFLOW_FAMILIES.map((family) => [family, label.optional()])) as Record<
    WorkflowFamily,
    z.ZodOptional<typeof label>
  >,
);

/** One managed repository, keyed in `repositories` by a logical name. */
const repositorySchema = z.strictObject({
  /** Repository name on GitHub; default the entry's key. */
  name: repositoryName.optional(),
  /** `public`, `private` or `internal`; public repositories reach the fleet only through an explicit allow. */
  visibility: z.enum(["public", "private", "internal"], {
    message: "must be one of public, private, internal",
  }),
  /** Branch the workflow files are committed to and the ruleset protects; default `main`. */
  defaultBranch: branch.default("main"),
  /**
   * Workflow families committed to the repository; default every family in the platform repository
   * and every family but Deploy Runners and Runner Benchmarks elsewhere.
   */
  workflows: z
    .array(z.enum(WORKFLOW_FAMILIES, { message: `must be one of ${WORKFLOW_FAMILIES.join(", ")}` }))
    .optional(),
  /** Fleet label per family, overriding `defaultLane`. */
  lanes: lanesSchema.default({}),
  /** Whether a ruleset on the default branch requires the policy check; default true. */
  ruleset: z.boolean().default(true),
  /** Paths whose change triggers Build and Publish; default the nix build inputs. */
  buildPaths: nonEmpty(pathGlob, "must list at least one path", "[nix/**]").default(DEFAULT_BUILD_PATHS),
});

/** One organization runner group and the managed repositories that may use it. */
const runnerGroupSchema = z.strictObject({
  /** Runner group name on GitHub; default the entry's key. */
  name: z.string().trim().min(1).max(100).optional(),
  /** Keys of `repositories` that may use the group. */
  repositories: nonEmpty(z.string(), "must list at least one repository", "[flywheel]"),
  /**
   * Whether public repositories may use the group; default false, because untrusted fork code on
   * shared runners can poison the build caches. A public repository is rejected unless this is true.
   */
  allowsPublicRepositories: z.boolean().default(false),
  /** Whether only `selectedWorkflows` may use the group; default false. */
  restrictedToWorkflows: z.boolean().default(false),
  /** Workflow references (`org/repo/.github/workflows/x.yml@refs/heads/main`) allowed when restricted. */
  selectedWorkflows: z.array(z.string().min(1)).default([]),
});

/** An actor allowed to bypass the default-branch ruleset, in the GitHub API's terms. */
const bypassActorSchema = z
  .strictObject({
    /** Kind of actor. */
    actorType: z.enum(["OrganizationAdmin", "Integration", "Team", "RepositoryRole", "DeployKey", "User"], {
      message: "must be one of OrganizationAdmin, Integration, Team, RepositoryRole, DeployKey, User",
    }),
    /** Id of the app, team, role or user; left out for OrganizationAdmin and DeployKey. */
    actorId: z.number().int().positive().optional(),
    /** When the actor may bypass the rules. */
    bypassMode: z.enum(["always", "pullRequest", "exempt"], {
      message: "must be one of always, pullRequest, exempt",
    }),
  })
  .refine(
    (actor) =>
      (actor.actorType === "OrganizationAdmin" || actor.actorType === "DeployKey") ===
      (actor.actorId === undefined),
    {
      message: "must set actorId for Integration, Team, RepositoryRole and User actors, and only for them",
      params: { accepted: "{ actorType: Integration, actorId: 123456, bypassMode: always }" },
    },
  );

/** Configuration keys of a `github-<env>` stack, before the cross-field rules. */
const githubBase = z.strictObject({
  /** GitHub organization that owns the managed repositories and runner groups. */
  organization: login,
  /** Stack whose `lanes` and `cacheEndpoints` outputs this stack reads; default `runners-<environment>`. */
  runnersStack: z.string().min(1).optional(),
  /** Status check name the ruleset requires; the Validate workflow's policy job reports it. */
  policyCheck: z.string().trim().min(1).max(255).default(DEFAULT_POLICY_CHECK),
  /** Fleet label of every family's jobs unless a repository's `lanes` names another. */
  defaultLane: label.default(DEFAULT_LANE),
  /** Managed repositories by logical name. */
  repositories: z.record(z.string(), repositorySchema).refine((entries) => Object.keys(entries).length > 0, {
    message: "must list at least one repository",
    params: { accepted: "{ flywheel: { visibility: private } }" },
  }),
  /** Organization runner groups by logical name; default none. */
  runnerGroups: z.record(z.string(), runnerGroupSchema).default({}),
  /**
   * Actors who may push to a default branch without the policy check. The identity that runs this
   * stack must be one of them, because it commits the workflow files straight to that branch;
   * default organization admins.
   */
  rulesetBypassActors: z
    .array(bypassActorSchema)
    .default([{ actorType: "OrganizationAdmin", bypassMode: "always" }]),
  /**
   * Key of the repository that contains this flywheel program; default `flywheel`. Only it gets Deploy
   * Runners and Runner Benchmarks, and other repositories' policy jobs run its audit.
   */
  platformRepository: z.string().min(1).default("flywheel"),
});

const githubSchema = githubBase.transform(fillWorkflowDefaults).superRefine(checkCrossFields);

/** Configuration after defaults, before the cross-field rules. */
type Defaulted = ReturnType<typeof fillWorkflowDefaults>;

/** Fills in each repository's default workflows, which depend on whether it is the platform repository. */
function fillWorkflowDefaults(config: z.output<typeof githubBase>) {
  const repositories = Object.fromEntries(
    Object.entries(config.repositories).map(([key, repository]) => {
      const defaults = WORKFLOW_FAMILIES.filter(
        (family) => key === config.platformRepository || !PLATFORM_ONLY_FAMILIES.includes(family),
      );
      return [key, { ...repository, workflows: repository.workflows ?? defaults }];
    }),
  );
  return { ...config, repositories };
}

/** Parsed configuration of a `github-<env>` stack. */
export type GithubConfig = z.infer<typeof githubSchema>;

/** One managed repository after defaults. */
export type RepositoryConfig = GithubConfig["repositories"][string];

/** One runner group after defaults. */
export type RunnerGroupConfig = GithubConfig["runnerGroups"][string];

/** Configuration keys of the github family. */
export const githubFamily: FamilyDefinition<GithubConfig> = {
  family: "github",
  schema: githubSchema,
  secretKeys: [],
};

/** Returns the GitHub name of a repository entry: its `name`, or else its key. */
export function repositoryNameOf(key: string, repository: { name?: string }): string {
  return repository.name ?? key;
}

/** Returns the GitHub name of a runner group entry: its `name`, or else its key. */
export function runnerGroupNameOf(key: string, group: { name?: string }): string {
  return group.name ?? key;
}

/** Returns the fleet label a repository's jobs of `family` run on. */
export function laneOf(config: GithubConfig, repository: RepositoryConfig, family: WorkflowFamily): string {
  return repository.lanes[family] ?? config.defaultLane;
}

type Issue = { path: PropertyKey[]; message: string; accepted: string };

/** Rules across keys, checked after each key parsed, so that every problem is reported at once. */
function checkCrossFields(config: Defaulted, ctx: z.RefinementCtx): void {
  const issues = [...checkRepositories(config), ...checkRunnerGroups(config)];
  for (const issue of issues) {
    ctx.addIssue({
      code: "custom",
      path: issue.path,
      message: issue.message,
      params: { accepted: issue.accepted },
    });
  }
}

function checkRepositories(config: Defaulted): Issue[] {
  const issues: Issue[] = [];
  if (config.repositories[config.platformRepository] === undefined) {
    issues.push({
      path: ["platformRepository"],
      message: `names "${config.platformRepository}", which is not a key of repositories`,
      accepted: Object.keys(config.repositories).join(", ") || "flywheel",
    });
  }
  const seen = new Map<string, string>();
  for (const [key, repository] of Object.entries(config.repositories)) {
    const name = repositoryNameOf(key, repository);
    if (repository.name === undefined && !repositoryName.safeParse(key).success) {
      issues.push({
        path: ["repositories", key],
        message: "has a key that is not a GitHub repository name and sets no name",
        accepted: "a key such as flywheel, or set name",
      });
    }
    // GitHub compares repository names without regard to case.
    const previous = seen.get(name.toLowerCase());
    if (previous !== undefined) {
      issues.push({
        path: ["repositories", key],
        message: `names repository "${name}", which entry "${previous}" already manages`,
        accepted: "one entry per repository",
      });
    } else {
      seen.set(name.toLowerCase(), key);
    }
    issues.push(...checkRepositoryWorkflows(config, key, repository));
  }
  return issues;
}

function checkRepositoryWorkflows(config: Defaulted, key: string, repository: RepositoryConfig): Issue[] {
  const issues: Issue[] = [];
  const workflows = repository.workflows;
  workflows.forEach((family, index) => {
    if (workflows.indexOf(family) !== index) {
      issues.push({
        path: ["repositories", key, "workflows", index],
        message: `lists ${family} twice`,
        accepted: "each family once",
      });
    }
  });
  for (const family of Object.keys(repository.lanes) as WorkflowFamily[]) {
    if (repository.lanes[family] !== undefined && !workflows.includes(family)) {
      issues.push({
        path: ["repositories", key, "lanes", family],
        message: `sets a lane for ${family}, which the repository's workflows do not include`,
        accepted: `add ${family} to workflows or remove this lane`,
      });
    }
  }
  if (repository.ruleset && !workflows.includes("validate")) {
    issues.push({
      path: ["repositories", key, "ruleset"],
      message: `requires the check "${config.policyCheck}", which only the validate workflow reports, so merges would block forever`,
      accepted: "add validate to workflows, or set ruleset to false",
    });
  }
  const platformOnly = PLATFORM_ONLY_FAMILIES.filter((family) => workflows.includes(family));
  if (key !== config.platformRepository && platformOnly.length > 0) {
    issues.push({
      path: ["repositories", key, "workflows"],
      message: `includes ${platformOnly.join(" and ")}, which run this program and belong only in the platform repository "${config.platformRepository}"`,
      accepted: `remove ${platformOnly.join(" and ")}, or set platformRepository to ${key}`,
    });
  }
  if (workflows.includes("proofStatus") && !workflows.includes("platformProof")) {
    issues.push({
      path: ["repositories", key, "workflows"],
      message: "includes proofStatus, which reports on platformProof runs, without platformProof",
      accepted: "add platformProof, or remove proofStatus",
    });
  }
  if (repository.visibility === "public" && workflows.length > 0 && !allowsPublic(config, key)) {
    issues.push({
      path: ["repositories", key, "workflows"],
      message:
        "must be empty for a public repository unless a runner group with allowsPublicRepositories: true lists it, because fork code on shared runners can poison the caches",
      accepted: "[], or list the repository in a runner group that sets allowsPublicRepositories: true",
    });
  }
  return issues;
}

function allowsPublic(config: Defaulted, repositoryKey: string): boolean {
  return Object.values(config.runnerGroups).some(
    (group) => group.allowsPublicRepositories && group.repositories.includes(repositoryKey),
  );
}

function checkRunnerGroups(config: Defaulted): Issue[] {
  const issues: Issue[] = [];
  const seen = new Map<string, string>();
  for (const [key, group] of Object.entries(config.runnerGroups)) {
    const name = runnerGroupNameOf(key, group);
    const previous = seen.get(name.toLowerCase());
    if (previous !== undefined) {
      issues.push({
        path: ["runnerGroups", key],
        message: `names runner group "${name}", which entry "${previous}" already defines`,
        accepted: "one entry per runner group",
      });
    } else {
      seen.set(name.toLowerCase(), key);
    }
    group.repositories.forEach((repositoryKey, index) => {
      const path = ["runnerGroups", key, "repositories", index];
      const repository = config.repositories[repositoryKey];
      if (repository === undefined) {
        issues.push({
          path,
          message: `names "${repositoryKey}", which is not a key of repositories`,
          accepted: Object.keys(config.repositories).join(", "),
        });
      } else if (group.repositories.indexOf(repositoryKey) !== index) {
        issues.push({ path, message: `lists "${repositoryKey}" twice`, accepted: "each repository once" });
      } else if (repository.visibility === "public" && !group.allowsPublicRepositories) {
        issues.push({
          path,
          message: `names public repository "${repositoryKey}", which a runner group rejects unless allowsPublicRepositories is true, because fork code on shared runners can poison the caches`,
          accepted: "remove it, or set allowsPublicRepositories: true to accept that risk",
        });
      }
    });
    if (group.restrictedToWorkflows !== group.selectedWorkflows.length > 0) {
      issues.push({
        path: ["runnerGroups", key, "selectedWorkflows"],
        message: "must list workflows exactly when restrictedToWorkflows is true",
        accepted:
          "restrictedToWorkflows: true with selectedWorkflows: [org/repo/.github/workflows/x.yml@refs/heads/main]",
      });
    }
  }
  return issues;
}
