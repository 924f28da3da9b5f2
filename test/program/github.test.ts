import * as assert from "node:assert/strict";
import type { RecordedResource, RecordResult } from "../../automation/render/recorder";
import { ConfigError } from "../../config/errors";
import * as pulumi from "@pulumi/pulumi";
import { recordProgram } from "../../automation/render/recorder";
import { readStackFile } from "../../automation/render/stack-file";
import { runStack } from "../../stacks";
import { readStackConfig } from "../../stacks/config";
import { laneServes } from "../../workflows/fleet";
import { GITHUB_ACTIONS_APP_ID } from "../../components/github/managed-repository";
import { RunnerGroup } from "../../components/github/runner-group";
import {
  exampleValue,
  FAKE_CACHE_ENDPOINTS,
  fakeLane,
  fakeRunnersOutputs,
  githubStackError,
  Mutation,
  recordGithubStack,
  REPO_ROOT,
  RUNNERS_STACK,
  STACK,
} from "./github-fixture";

const FILE = "github:index/repositoryFile:RepositoryFile";
const VARIABLE = "github:index/actionsVariable:ActionsVariable";
const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
const RUNNER_GROUP = "github:index/actionsRunnerGroup:ActionsRunnerGroup";

/** Families each example repository gets, as Pulumi.github-dev.yaml configures them. */
const EXPECTED_FILES: Record<string, string[]> = {
  flywheel: [
    "validate.yml",
    "secret-detection.yml",
    "platform-proof.yml",
    "build-and-publish.yml",
    "deploy-runners.yml",
    "runner-benchmarks.yml",
    "proof-status.yml",
  ],
  "platform-apps": [
    "validate.yml",
    "secret-detection.yml",
    "platform-proof.yml",
    "build-and-publish.yml",
    "proof-status.yml",
  ],
};

function ofType(result: RecordResult, type: string): RecordedResource[] {
  return result.resources.filter((resource) => resource.type === type);
}

function variableOf(result: RecordResult, repository: string, name: string): RecordedResource | undefined {
  return ofType(result, VARIABLE).find(
    (resource) => resource.inputs["repository"] === repository && resource.inputs["variableName"] === name,
  );
}

type Repositories = Record<string, Record<string, unknown>>;
type RunnerGroups = Record<string, Record<string, unknown>>;

function withRepository(key: string, changes: Record<string, unknown>): Mutation {
  const repositories = exampleValue<Repositories>("flywheel:repositories");
  return {
    config: { "flywheel:repositories": { ...repositories, [key]: { ...repositories[key], ...changes } } },
  };
}

function withRunnerGroup(key: string, changes: Record<string, unknown>): Mutation {
  const groups = exampleValue<RunnerGroups>("flywheel:runnerGroups");
  return { config: { "flywheel:runnerGroups": { ...groups, [key]: { ...groups[key], ...changes } } } };
}

describe("github stack", () => {
  let result: RecordResult;

  before(async () => {
    result = await recordGithubStack();
  });

  describe("workflow files", () => {
    for (const [repository, files] of Object.entries(EXPECTED_FILES)) {
      for (const file of files) {
        it(`registers ${file} in ${repository}`, () => {
          const path = `.github/workflows/${file}`;
          const found = ofType(result, FILE).filter(
            (resource) => resource.inputs["repository"] === repository && resource.inputs["file"] === path,
          );
          assert.equal(found.length, 1);
        });
      }
    }

    it("registers no other workflow files", () => {
      const expected = Object.values(EXPECTED_FILES).reduce((sum, files) => sum + files.length, 0);
      assert.equal(ofType(result, FILE).length, expected);
    });

    it("commits every file to the default branch", () => {
      for (const file of ofType(result, FILE)) {
        assert.equal(file.inputs["branch"], "main", `${file.name} branch`);
      }
    });

    it("overwrites files that already exist", () => {
      for (const file of ofType(result, FILE)) {
        assert.equal(file.inputs["overwriteOnCreate"], true, `${file.name} overwriteOnCreate`);
      }
    });

    it("gives a member repository no platform-only families by default", async () => {
      const defaulted = await recordGithubStack(
        withRepository("platform-apps", { workflows: undefined, lanes: {} }),
      );
      const paths = ofType(defaulted, FILE)
        .filter((resource) => resource.inputs["repository"] === "platform-apps")
        .map((resource) => resource.inputs["file"]);
      assert.deepEqual(paths, [
        ".github/workflows/validate.yml",
        ".github/workflows/secret-detection.yml",
        ".github/workflows/platform-proof.yml",
        ".github/workflows/build-and-publish.yml",
        ".github/workflows/proof-status.yml",
      ]);
    });

    it("gives the public repository no workflows", () => {
      const files = ofType(result, FILE).filter(
        (resource) => resource.inputs["repository"] === "flywheel-docs",
      );
      assert.equal(files.length, 0);
    });

    it("exports each file's repository and path", () => {
      const exported = result.outputs["workflows"] as Array<{ repository: string; path: string }>;
      assert.deepEqual(exported[0], { repository: "flywheel", path: ".github/workflows/validate.yml" });
    });
  });

  describe("runner groups", () => {
    it("registers the configured group", () => {
      assert.equal(ofType(result, RUNNER_GROUP).length, 1);
    });

    it("limits the group to selected repositories", () => {
      assert.equal(ofType(result, RUNNER_GROUP)[0].inputs["visibility"], "selected");
    });

    it("selects one id per listed repository", () => {
      assert.equal((ofType(result, RUNNER_GROUP)[0].inputs["selectedRepositoryIds"] as unknown[]).length, 2);
    });

    it("keeps public repositories out by default", () => {
      assert.equal(ofType(result, RUNNER_GROUP)[0].inputs["allowsPublicRepositories"], false);
    });

    it("rejects a public repository without the allow", async () => {
      const error = await githubStackError(
        withRunnerGroup("tinyland-fleet", { repositories: ["flywheel", "platform-apps", "flywheel-docs"] }),
      );
      assert.match(
        error.message,
        /flywheel:runnerGroups\.tinyland-fleet\.repositories\[2\]: names public repository/,
      );
    });

    it("admits a public repository with the explicit allow", async () => {
      const allowed = await recordGithubStack(
        withRunnerGroup("tinyland-fleet", {
          repositories: ["flywheel", "platform-apps", "flywheel-docs"],
          allowsPublicRepositories: true,
        }),
      );
      assert.equal(ofType(allowed, RUNNER_GROUP)[0].inputs["allowsPublicRepositories"], true);
    });

    it("component rejects a public repository without the allow", async () => {
      const program = async () => {
        new RunnerGroup("group", {
          groupName: "fleet",
          organization: "tinyland-example",
          repositories: [{ name: "docs", visibility: "public" }],
        });
        return {};
      };
      await assert.rejects(
        recordProgram(program, { stack: "github-dev", config: {} }),
        /must not select public repositories \(docs\)/,
      );
    });

    it("exports the group's repositories", () => {
      const groups = result.outputs["runnerGroups"] as Array<{ name: string; repositories: string[] }>;
      assert.deepEqual(groups[0].repositories, ["flywheel", "platform-apps"]);
    });
  });

  describe("variables", () => {
    const expected: Record<string, string> = {
      BAZEL_REMOTE_CACHE: FAKE_CACHE_ENDPOINTS.bazel,
      BAZEL_REMOTE_STATUS_URL: "http://bazel-cache.bazel-cache.svc.cluster.local:8080/status",
      ATTIC_SERVER: FAKE_CACHE_ENDPOINTS.atticServer,
      ATTIC_CACHE: FAKE_CACHE_ENDPOINTS.atticCache,
      FLYWHEEL_FLEET_LABELS: "tinyland-nix,tinyland-docker",
    };
    for (const repository of Object.keys(EXPECTED_FILES)) {
      for (const [name, value] of Object.entries(expected)) {
        it(`sets ${name} in ${repository}`, () => {
          assert.equal(variableOf(result, repository, name)?.inputs["value"], value);
        });
      }
    }

    it("sets no variables in the public repository", () => {
      const variables = ofType(result, VARIABLE).filter(
        (resource) => resource.inputs["repository"] === "flywheel-docs",
      );
      assert.equal(variables.length, 0);
    });

    it("takes the status URL from bazelHttp when exported", async () => {
      const withHttp = await recordGithubStack({
        runners: (outputs) => ({
          ...outputs,
          cacheEndpoints: { ...FAKE_CACHE_ENDPOINTS, bazelHttp: "http://bazel.example.internal:9080" },
        }),
      });
      const status = variableOf(withHttp, "flywheel", "BAZEL_REMOTE_STATUS_URL");
      assert.equal(status?.inputs["value"], "http://bazel.example.internal:9080/status");
    });

    it("exports names without values", () => {
      const exported = result.outputs["variables"] as Array<Record<string, unknown>>;
      assert.deepEqual(Object.keys(exported[0]).sort(), ["name", "repository"]);
    });

    it("fails naming the output when cacheEndpoints lacks a field", async () => {
      const error = await githubStackError({
        runners: (outputs) => ({ ...outputs, cacheEndpoints: { bazel: FAKE_CACHE_ENDPOINTS.bazel } }),
      });
      assert.match(
        error.message,
        /Output "cacheEndpoints" of stack runners-dev .*cacheEndpoints\.atticServer/,
      );
    });
  });

  describe("ruleset", () => {
    function rulesetOf(repository: string): RecordedResource | undefined {
      return ofType(result, RULESET).find((resource) => resource.inputs["repository"] === repository);
    }

    it("requires the policy check", () => {
      const rules = rulesetOf("flywheel")?.inputs["rules"] as {
        requiredStatusChecks: { requiredChecks: unknown[] };
      };
      assert.deepEqual(rules.requiredStatusChecks.requiredChecks, [
        { context: "flywheel / policy", integrationId: GITHUB_ACTIONS_APP_ID },
      ]);
    });

    it("targets the default branch", () => {
      const conditions = rulesetOf("flywheel")?.inputs["conditions"] as { refName: { includes: string[] } };
      assert.ok(conditions.refName.includes.includes("~DEFAULT_BRANCH"));
    });

    it("is enforced", () => {
      assert.equal(rulesetOf("flywheel")?.inputs["enforcement"], "active");
    });

    it("lets organization admins bypass by default", () => {
      assert.deepEqual(rulesetOf("flywheel")?.inputs["bypassActors"], [
        { actorType: "OrganizationAdmin", bypassMode: "always" },
      ]);
    });

    it("protects the internal repository too", () => {
      assert.ok(rulesetOf("platform-apps") !== undefined);
    });

    it("is left out where ruleset is false", () => {
      assert.equal(rulesetOf("flywheel-docs"), undefined);
    });

    it("uses a configured check name", async () => {
      const renamed = await recordGithubStack({ config: { "flywheel:policyCheck": "gate / policy" } });
      const ruleset = ofType(renamed, RULESET).find(
        (resource) => resource.inputs["repository"] === "flywheel",
      );
      const rules = ruleset?.inputs["rules"] as {
        requiredStatusChecks: { requiredChecks: Array<{ context: string }> };
      };
      assert.equal(rules.requiredStatusChecks.requiredChecks[0].context, "gate / policy");
    });
  });

  describe("provider", () => {
    it("takes the owner from the organization", () => {
      const provider = result.resources.find((resource) => resource.type === "pulumi:providers:github");
      assert.equal(provider?.inputs["owner"], "tinyland-example");
    });

    it("records the runner fleet for stack policies", () => {
      const fleets = result.resources.filter((resource) => resource.type === "flywheel:github:RunnerFleet");
      assert.equal(fleets.length, 1);
    });

    it("registers GitHub resources inside components", () => {
      const orphans = result.resources.filter(
        (resource) => resource.type.startsWith("github:") && resource.parent === null,
      );
      assert.equal(orphans.length, 0);
    });

    it("keeps a configured token secret", async () => {
      const withToken = await recordGithubStack({ config: { "github:token": "ghp_exampletoken0000" } });
      const provider = withToken.resources.find((resource) => resource.type === "pulumi:providers:github");
      assert.equal(provider?.inputs["token"], "[secret]");
    });

    it("rejects a github:owner of another organization", async () => {
      const error = await githubStackError({ config: { "github:owner": "someone-else" } });
      assert.match(error.message, /github:owner: must match flywheel:organization/);
    });
  });

  describe("lanes", () => {
    it("fails naming the key when a label is not a lane", async () => {
      const error = await githubStackError(
        withRepository("flywheel", { lanes: { validate: "tinyland-gpu" } }),
      );
      assert.match(
        error.message,
        /flywheel:repositories\.flywheel\.lanes\.validate: names "tinyland-gpu", which is not a lane/,
      );
    });

    it("fails naming the key when a lane has maxRunners 0", async () => {
      const error = await githubStackError({
        runners: (outputs) => ({
          ...outputs,
          lanes: [fakeLane("tinyland-nix"), fakeLane("tinyland-docker", { maxRunners: 0 })],
        }),
      });
      assert.match(error.message, /flywheel:repositories\.flywheel\.lanes\.secretDetection: .*maxRunners 0/);
    });

    it("rejects a lane registered for another organization", async () => {
      const error = await githubStackError({
        runners: (outputs) => ({
          ...outputs,
          lanes: [
            fakeLane("tinyland-nix", { githubConfigUrl: "https://github.com/other-org" }),
            fakeLane("tinyland-docker"),
          ],
        }),
      });
      assert.match(error.message, /flywheel:defaultLane: names "tinyland-nix", which is not a lane of stack/);
    });

    for (const [name, url, serves] of [
      ["organization scope", "https://github.com/tinyland-example", true],
      [
        "repository scope, other case and trailing slash",
        "https://github.com/Tinyland-Example/flywheel/",
        true,
      ],
      ["another repository", "https://github.com/tinyland-example/platform-apps", false],
      ["another organization", "https://github.com/other-org", false],
    ] as const) {
      it(`laneServes: ${name}`, () => {
        const lane = {
          label: "tinyland-nix",
          runnerGroup: "default",
          maxRunners: 5,
          enabled: true,
          githubConfigUrl: url,
        };
        assert.equal(laneServes(lane, "tinyland-example", "flywheel"), serves);
      });
    }

    it("fails naming defaultLane when the default lane is disabled", async () => {
      const error = await githubStackError({ config: { "flywheel:defaultLane": "tinyland-dind" } });
      assert.match(error.message, /flywheel:defaultLane: names "tinyland-dind", whose lane .* is disabled/);
    });

    it("lists the usable labels as accepted values", async () => {
      const error = await githubStackError({ config: { "flywheel:defaultLane": "tinyland-dind" } });
      assert.match(error.message, /accepted: tinyland-nix, tinyland-docker/);
    });

    it("reports the failure as a ConfigError", async () => {
      const error = await githubStackError({ config: { "flywheel:defaultLane": "tinyland-dind" } });
      assert.ok(error instanceof ConfigError);
    });

    it("requires a repository to be in its lane's managed group", async () => {
      const error = await githubStackError({
        runners: (outputs) => ({
          ...outputs,
          lanes: [fakeLane("tinyland-nix", { runnerGroup: "tinyland-fleet" }), fakeLane("tinyland-docker")],
        }),
        ...withRunnerGroup("tinyland-fleet", { repositories: ["flywheel"] }),
      });
      assert.match(
        error.message,
        /flywheel:runnerGroups\.tinyland-fleet\.repositories: must include "platform-apps"/,
      );
    });

    it("runs an allowed public repository on its group's lane", async () => {
      const groups = exampleValue<RunnerGroups>("flywheel:runnerGroups");
      const repositories = exampleValue<Repositories>("flywheel:repositories");
      const allowed = await recordGithubStack({
        config: {
          "flywheel:repositories": {
            ...repositories,
            "flywheel-docs": {
              visibility: "public",
              workflows: ["secretDetection"],
              lanes: { secretDetection: "tinyland-docs" },
              ruleset: false,
            },
          },
          "flywheel:runnerGroups": {
            ...groups,
            "public-docs": { repositories: ["flywheel-docs"], allowsPublicRepositories: true },
          },
        },
        runners: (outputs) => ({
          ...outputs,
          lanes: [
            fakeLane("tinyland-nix"),
            fakeLane("tinyland-docker"),
            fakeLane("tinyland-docs", { runnerGroup: "public-docs" }),
          ],
        }),
      });
      const files = ofType(allowed, FILE).filter(
        (resource) => resource.inputs["repository"] === "flywheel-docs",
      );
      assert.equal(files.length, 1);
    });

    it("rejects a public repository on another group's lane", async () => {
      const groups = exampleValue<RunnerGroups>("flywheel:runnerGroups");
      const repositories = exampleValue<Repositories>("flywheel:repositories");
      const error = await githubStackError({
        config: {
          "flywheel:repositories": {
            ...repositories,
            "flywheel-docs": { visibility: "public", workflows: ["secretDetection"], ruleset: false },
          },
          "flywheel:runnerGroups": {
            ...groups,
            "public-docs": { repositories: ["flywheel-docs"], allowsPublicRepositories: true },
          },
        },
      });
      assert.match(
        error.message,
        /flywheel:defaultLane: runs jobs of public repository "flywheel-docs" on lane "tinyland-nix"/,
      );
    });

    it("fails naming the stack when lanes is malformed", async () => {
      const error = await githubStackError({
        runners: (outputs) => ({ ...outputs, lanes: [{ label: "tinyland-nix" }] }),
      });
      assert.match(error.message, /Output "lanes" of stack runners-dev .*lanes\[0\]\.maxRunners/);
    });

    it("reads the runners stack named in runnersStack", async () => {
      const error = await githubStackError({ config: { "flywheel:runnersStack": "runners-prod" } });
      assert.match(error.message, /runners-prod/);
    });

    it("defaults runnersStack to runners-<environment>", async () => {
      const defaulted = await recordGithubStack({ config: { "flywheel:runnersStack": undefined } });
      const reference = defaulted.resources.find(
        (resource) => resource.type === "pulumi:pulumi:StackReference",
      );
      assert.equal(reference?.inputs["name"], "runners-dev");
    });
  });

  describe("preview", () => {
    it("knows every workflow file's content", async () => {
      // Only the StackReference gets outputs, so content built from any other resource's output stays unknown.
      const contents: unknown[] = [];
      const file = readStackFile(STACK, REPO_ROOT);
      await pulumi.runtime.setMocks(
        {
          newResource(args) {
            if (args.type === FILE) {
              contents.push(args.inputs["content"]);
            }
            const state =
              args.type === "pulumi:pulumi:StackReference"
                ? { name: RUNNERS_STACK, outputs: fakeRunnersOutputs(), secretOutputNames: [] }
                : {};
            return { id: args.custom === false ? undefined : `${args.name}-id`, state };
          },
          call(args) {
            return args.inputs;
          },
        },
        "flywheel",
        STACK,
        true,
      );
      pulumi.runtime.setAllConfig(file.config, file.secretKeys);
      await pulumi.runtime.runInPulumiStack(() => runStack(readStackConfig(STACK)));
      await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
      const unknown = contents.filter(
        (content) => typeof content !== "string" || content === pulumi.runtime.unknownValue,
      );
      assert.ok(contents.length > 0, "no workflow file was registered");
      assert.equal(unknown.length, 0);
    });
  });

  describe("invalid configuration", () => {
    const cases: Array<{ name: string; mutation: () => Mutation; key: string }> = [
      {
        name: "organization that is not a login",
        mutation: () => ({ config: { "flywheel:organization": "-tinyland" } }),
        key: "flywheel:organization",
      },
      {
        name: "unknown top-level key",
        mutation: () => ({ config: { "flywheel:runnerStack": "runners-dev" } }),
        key: "flywheel:runnerStack",
      },
      {
        name: "unknown repository key",
        mutation: () => withRepository("flywheel", { visibilty: "private" }),
        key: "flywheel:repositories.flywheel.visibilty",
      },
      {
        name: "repository name with a slash",
        mutation: () => withRepository("flywheel", { name: "tinyland/flywheel" }),
        key: "flywheel:repositories.flywheel.name",
      },
      {
        name: "duplicate repository",
        mutation: () => withRepository("platform-apps", { name: "FlyWheel" }),
        key: "flywheel:repositories.platform-apps",
      },
      {
        name: "unknown visibility",
        mutation: () => withRepository("flywheel", { visibility: "secret" }),
        key: "flywheel:repositories.flywheel.visibility",
      },
      {
        name: "unknown workflow family",
        mutation: () => withRepository("platform-apps", { workflows: ["validate", "lint"] }),
        key: "flywheel:repositories.platform-apps.workflows[1]",
      },
      {
        name: "invalid default branch",
        mutation: () => withRepository("flywheel", { defaultBranch: "main..next" }),
        key: "flywheel:repositories.flywheel.defaultBranch",
      },
      {
        name: "ruleset without validate",
        mutation: () => withRepository("platform-apps", { workflows: ["secretDetection"], lanes: {} }),
        key: "flywheel:repositories.platform-apps.ruleset",
      },
      {
        name: "proof status without platform proof",
        mutation: () => withRepository("platform-apps", { workflows: ["validate", "proofStatus"] }),
        key: "flywheel:repositories.platform-apps.workflows",
      },
      {
        name: "public repository with workflows",
        mutation: () => withRepository("flywheel-docs", { workflows: ["secretDetection"] }),
        key: "flywheel:repositories.flywheel-docs.workflows",
      },
      {
        name: "lane label with a space",
        mutation: () => withRepository("flywheel", { lanes: { validate: "tinyland nix" } }),
        key: "flywheel:repositories.flywheel.lanes.validate",
      },
      {
        name: "runner group naming an unknown repository",
        mutation: () => withRunnerGroup("tinyland-fleet", { repositories: ["flywheel", "infra"] }),
        key: "flywheel:runnerGroups.tinyland-fleet.repositories[1]",
      },
      {
        name: "bypass actor without its id",
        mutation: () => ({
          config: { "flywheel:rulesetBypassActors": [{ actorType: "Integration", bypassMode: "always" }] },
        }),
        key: "flywheel:rulesetBypassActors[0]",
      },
      {
        name: "platform repository that is not managed",
        mutation: () => ({ config: { "flywheel:platformRepository": "infra" } }),
        key: "flywheel:platformRepository",
      },
      {
        name: "deploy runners outside the platform repository",
        mutation: () => withRepository("platform-apps", { workflows: ["validate", "deployRunners"] }),
        key: "flywheel:repositories.platform-apps.workflows",
      },
      {
        name: "no repositories",
        mutation: () => ({ config: { "flywheel:repositories": {} } }),
        key: "flywheel:repositories",
      },
    ];

    for (const testCase of cases) {
      it(`rejects ${testCase.name}`, async () => {
        const error = await githubStackError(testCase.mutation());
        assert.ok(
          error.message.includes(`  - ${testCase.key}:`),
          `expected "${testCase.key}" in: ${error.message}`,
        );
      });
    }

    it("accepts the example configuration", async () => {
      const clean = await recordGithubStack();
      assert.ok(clean.resources.length > 0);
    });
  });
});
