import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../config/errors";
import type { RunnersConfig, ScaleSetConfig } from "../../config/runners";
import { Secret } from "../../config/secret";
import { recordProgram } from "../../automation/render/recorder";
import { readStackConfig } from "../../stacks/config";
import { runStack } from "../../stacks";
import type { StackFileConfig } from "../../automation/render/stack-file";
import {
  devStackFile,
  FAKE_CACHE_OUTPUTS,
  loadRunners,
  REPO_ROOT,
  RUNNERS_STACK,
  withKeys,
  withRunners,
} from "./helpers/runners";

/** Parses a stack file and returns the runners configuration, or throws. */
function parse(file: StackFileConfig): RunnersConfig {
  const config = loadRunners(file);
  if (config.family !== "runners") {
    throw new Error(`expected the runners family, got ${config.family}`);
  }
  return config.runners;
}

/** Parses a stack file that must be rejected and returns the error. */
function reject(file: StackFileConfig): ConfigError {
  try {
    loadRunners(file);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error("configuration was accepted but should have been rejected");
}

function scaleSet(config: RunnersConfig, releaseName: string): ScaleSetConfig {
  const found = config.scaleSets.find((candidate) => candidate.releaseName === releaseName);
  if (found === undefined) {
    throw new Error(`no scale set ${releaseName}`);
  }
  return found;
}

/** Sets a nested key of the `flywheel:runners` object, creating objects on the way. */
function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let current = target;
  for (const key of path.slice(0, -1)) {
    current[key] ??= {};
    current = current[key] as Record<string, unknown>;
  }
  current[path[path.length - 1]] = value;
}

function runnersSet(path: string, value: unknown): StackFileConfig {
  return withRunners((runners) => setPath(runners, path.split("."), value));
}

const OTHER_APP = JSON.stringify({
  other: { appId: "3000003", installationId: "4000004", privateKey: "other-pem" },
});

function withExtraScaleSet(extra: Record<string, unknown>, key = "other-org"): StackFileConfig {
  const base = withRunners((runners) => setPath(runners, ["extraScaleSets", key], extra));
  return withKeys({ "flywheel:extraGithubApps": OTHER_APP }, ["flywheel:extraGithubApps"], base);
}

describe("runners configuration: defaults", () => {
  let config: RunnersConfig;
  before(() => {
    config = parse(devStackFile());
  });

  it("defines three lanes", () => {
    assert.deepEqual(
      config.scaleSets.map((lane) => lane.releaseName),
      ["gh-nix", "gh-docker", "gh-dind"],
    );
  });
  const labels = { "gh-nix": "tinyland-nix", "gh-docker": "tinyland-docker", "gh-dind": "tinyland-dind" };
  for (const [release, label] of Object.entries(labels)) {
    it(`labels ${release} ${label}`, () => {
      assert.equal(scaleSet(config, release).label, label);
    });
  }
  it("enables gh-nix", () => {
    assert.equal(scaleSet(config, "gh-nix").enabled, true);
  });
  it("enables gh-docker", () => {
    assert.equal(scaleSet(config, "gh-docker").enabled, true);
  });
  it("disables gh-dind", () => {
    assert.equal(scaleSet(config, "gh-dind").enabled, false);
  });
  it("runs gh-dind with the dind sidecar", () => {
    assert.equal(scaleSet(config, "gh-dind").containerMode, "dind");
  });
  it("gives gh-dind the nix resources", () => {
    assert.deepEqual(scaleSet(config, "gh-dind").resources, {
      requests: { cpu: "500m", memory: "1Gi" },
      limits: { cpu: "4", memory: "8Gi" },
    });
  });
  it("wires gh-nix to Attic and Bazel", () => {
    assert.deepEqual(scaleSet(config, "gh-nix").caches, ["attic", "bazel"]);
  });
  it("wires gh-docker to Bazel", () => {
    assert.deepEqual(scaleSet(config, "gh-docker").caches, ["bazel"]);
  });
  it("scopes the example organization", () => {
    assert.equal(scaleSet(config, "gh-nix").scope, "organization");
  });
  it("uses the github-app-secret Secret", () => {
    assert.equal(scaleSet(config, "gh-nix").githubConfigSecret, "github-app-secret");
  });
  it("leaves the caches stack to the environment", () => {
    assert.equal(config.cachesStack, undefined);
  });
  it("configures no registry pull secret", () => {
    assert.equal(config.registryPull, undefined);
  });
  it("turns priority classes off", () => {
    assert.equal(config.guardrails.priorityClasses.enabled, false);
  });
  it("turns the cleanup CronJob on", () => {
    assert.equal(config.guardrails.cleanup.enabled, true);
  });
  it("keeps credentials as Secret values", () => {
    assert.ok(scaleSet(config, "gh-nix").credentials.privateKey instanceof Secret);
  });
  it("prints no credential", () => {
    assert.equal(JSON.stringify(config).includes("placeholder-for-"), false);
  });
});

describe("runners configuration: overrides", () => {
  it("changes one lane field and keeps the rest", () => {
    const config = parse(runnersSet("lanes.gh-nix.maxRunners", 12));
    assert.equal(scaleSet(config, "gh-nix").maxRunners, 12);
  });
  it("keeps the other defaults of an overridden lane", () => {
    const config = parse(runnersSet("lanes.gh-nix.maxRunners", 12));
    assert.equal(scaleSet(config, "gh-nix").label, "tinyland-nix");
  });
  it("merges one resource value into the defaults", () => {
    const config = parse(runnersSet("lanes.gh-docker.resources.limits.memory", "6Gi"));
    assert.deepEqual(scaleSet(config, "gh-docker").resources, {
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "2", memory: "6Gi" },
    });
  });
  it("adds a lane with the common defaults", () => {
    const config = parse(runnersSet("lanes.gh-arm", { label: "tinyland-arm" }));
    assert.equal(scaleSet(config, "gh-arm").maxRunners, 5);
  });
  it("gives an added lane no caches", () => {
    const config = parse(runnersSet("lanes.gh-arm", { label: "tinyland-arm" }));
    assert.deepEqual(scaleSet(config, "gh-arm").caches, []);
  });
  it("lets a disabled lane share a label", () => {
    const config = parse(runnersSet("lanes.gh-dind.label", "tinyland-nix"));
    assert.equal(scaleSet(config, "gh-dind").label, "tinyland-nix");
  });
  it("accepts the same label in another runner group", () => {
    const file = withRunners((runners) => {
      setPath(runners, ["lanes", "gh-dind"], {
        enabled: true,
        label: "tinyland-nix",
        runnerGroup: "trusted",
      });
    });
    assert.equal(scaleSet(parse(file), "gh-dind").runnerGroup, "trusted");
  });
  it("recognizes repository scope", () => {
    const config = parse(runnersSet("githubConfigUrl", "https://github.com/tinyland-example/flywheel"));
    assert.equal(scaleSet(config, "gh-nix").scope, "repository");
  });
  it("accepts an image pinned by digest", () => {
    const image = `ghcr.io/actions/actions-runner@sha256:${"a".repeat(64)}`;
    assert.equal(scaleSet(parse(runnersSet("lanes.gh-nix.image", image)), "gh-nix").image, image);
  });
  it("keeps a kubernetes-mode claim", () => {
    const file = withRunners((runners) => {
      setPath(runners, ["lanes", "gh-nix", "containerMode"], "kubernetes");
      setPath(runners, ["lanes", "gh-nix", "workVolumeClaim"], { storageClassName: "fast", size: "20Gi" });
    });
    assert.deepEqual(scaleSet(parse(file), "gh-nix").workVolumeClaim, {
      storageClassName: "fast",
      size: "20Gi",
      accessModes: ["ReadWriteOnce"],
    });
  });
  it("reads the caches stack name", () => {
    const file = withKeys({ "flywheel:cachesStack": "caches-shared" });
    assert.equal(parse(file).cachesStack, "caches-shared");
  });
  it("builds the registry pull secret from token and username", () => {
    const file = withKeys(
      { "flywheel:ghcrToken": "ghcr-token-value", "flywheel:ghcrUsername": "tinyland-bot" },
      ["flywheel:ghcrToken"],
    );
    assert.equal(parse(file).registryPull?.secretName, "ghcr-auth");
  });
  it("wraps a numeric secret", () => {
    const file = withKeys({ "flywheel:githubAppId": "1234567" }, ["flywheel:githubAppId"]);
    assert.ok(scaleSet(parse(file), "gh-nix").credentials.appId instanceof Secret);
  });
  it("gives an extra scale set its own credentials", () => {
    const config = parse(
      withExtraScaleSet({
        label: "other-nix",
        githubConfigUrl: "https://github.com/other-org",
        githubApp: "other",
      }),
    );
    assert.equal(scaleSet(config, "other-org").credentials.privateKey.reveal(), "other-pem");
  });
  it("names an extra scale set's Secret after its release", () => {
    const config = parse(
      withExtraScaleSet({
        label: "other-nix",
        githubConfigUrl: "https://github.com/other-org",
        githubApp: "other",
      }),
    );
    assert.equal(scaleSet(config, "other-org").githubConfigSecret, "other-org-github-app");
  });
});

interface InvalidCase {
  /** What is wrong, as the test title. */
  name: string;
  /** The clean example configuration with one mutation. */
  file: () => StackFileConfig;
  /** Full key the error must name. */
  key: string;
}

const INVALID: InvalidCase[] = [
  {
    name: "minRunners above maxRunners",
    file: () => runnersSet("lanes.gh-nix.minRunners", 6),
    key: "flywheel:runners.lanes.gh-nix.minRunners",
  },
  {
    name: "negative maxRunners",
    file: () => runnersSet("lanes.gh-nix.maxRunners", -1),
    key: "flywheel:runners.lanes.gh-nix.maxRunners",
  },
  {
    name: "fractional maxRunners",
    file: () => runnersSet("lanes.gh-docker.maxRunners", 2.5),
    key: "flywheel:runners.lanes.gh-docker.maxRunners",
  },
  {
    name: "duplicate label in one org and group",
    file: () => runnersSet("lanes.gh-docker.label", "tinyland-nix"),
    key: "flywheel:runners.lanes.gh-docker.label",
  },
  {
    name: "duplicate label differing in case",
    file: () => runnersSet("lanes.gh-docker.label", "Tinyland-Nix"),
    key: "flywheel:runners.lanes.gh-docker.label",
  },
  {
    name: "label of a GitHub-hosted runner",
    file: () => runnersSet("lanes.gh-docker.label", "ubuntu-latest"),
    key: "flywheel:runners.lanes.gh-docker.label",
  },
  {
    name: "generic self-hosted label",
    file: () => runnersSet("lanes.gh-nix.label", "self-hosted"),
    key: "flywheel:runners.lanes.gh-nix.label",
  },
  {
    name: "CPU request above its limit",
    file: () => runnersSet("lanes.gh-nix.resources.requests.cpu", "6"),
    key: "flywheel:runners.lanes.gh-nix.resources.requests.cpu",
  },
  {
    name: "memory request above its limit",
    file: () => runnersSet("lanes.gh-docker.resources.requests.memory", "5Gi"),
    key: "flywheel:runners.lanes.gh-docker.resources.requests.memory",
  },
  {
    name: "malformed CPU quantity",
    file: () => runnersSet("lanes.gh-nix.resources.limits.cpu", "four"),
    key: "flywheel:runners.lanes.gh-nix.resources.limits.cpu",
  },
  {
    name: "request above the namespace quota",
    file: () =>
      withRunners((runners) => {
        setPath(runners, ["lanes", "gh-nix", "resources"], {
          requests: { cpu: "20", memory: "1Gi" },
          limits: { cpu: "20", memory: "8Gi" },
        });
      }),
    key: "flywheel:runners.lanes.gh-nix.resources.requests.cpu",
  },
  {
    name: "kubernetes mode without a claim",
    file: () => runnersSet("lanes.gh-nix.containerMode", "kubernetes"),
    key: "flywheel:runners.lanes.gh-nix.workVolumeClaim",
  },
  {
    name: "claim without kubernetes mode",
    file: () => runnersSet("lanes.gh-nix.workVolumeClaim", { storageClassName: "fast", size: "10Gi" }),
    key: "flywheel:runners.lanes.gh-nix.workVolumeClaim",
  },
  {
    name: "claim without a storage class",
    file: () =>
      withRunners((runners) => {
        setPath(runners, ["lanes", "gh-nix", "containerMode"], "kubernetes");
        setPath(runners, ["lanes", "gh-nix", "workVolumeClaim"], { size: "10Gi" });
      }),
    key: "flywheel:runners.lanes.gh-nix.workVolumeClaim.storageClassName",
  },
  {
    name: "unknown container mode",
    file: () => runnersSet("lanes.gh-nix.containerMode", "docker"),
    key: "flywheel:runners.lanes.gh-nix.containerMode",
  },
  {
    name: "unknown lane key",
    file: () => runnersSet("lanes.gh-nix.maxRunner", 3),
    key: "flywheel:runners.lanes.gh-nix.maxRunner",
  },
  {
    name: "unknown runners key",
    file: () => runnersSet("scaleSets", {}),
    key: "flywheel:runners.scaleSets",
  },
  {
    name: "unknown top-level key",
    file: () => withKeys({ "flywheel:runnerImage": "ghcr.io/actions/actions-runner:2.328.0" }),
    key: "flywheel:runnerImage",
  },
  {
    name: "image tagged latest",
    file: () => runnersSet("lanes.gh-nix.image", "ghcr.io/actions/actions-runner:latest"),
    key: "flywheel:runners.lanes.gh-nix.image",
  },
  {
    name: "untagged image",
    file: () => runnersSet("lanes.gh-docker.image", "ghcr.io/actions/actions-runner"),
    key: "flywheel:runners.lanes.gh-docker.image",
  },
  {
    name: "untagged cleanup image",
    file: () => runnersSet("guardrails.cleanup.image", "docker.io/alpine/k8s"),
    key: "flywheel:runners.guardrails.cleanup.image",
  },
  {
    name: "config URL over http",
    file: () => runnersSet("githubConfigUrl", "http://github.com/tinyland-example"),
    key: "flywheel:runners.githubConfigUrl",
  },
  {
    name: "config URL with a trailing slash",
    file: () => runnersSet("githubConfigUrl", "https://github.com/tinyland-example/"),
    key: "flywheel:runners.githubConfigUrl",
  },
  {
    name: "config URL deeper than a repository",
    file: () => runnersSet("githubConfigUrl", "https://github.com/tinyland-example/flywheel/tree"),
    key: "flywheel:runners.githubConfigUrl",
  },
  {
    name: "config URL of an enterprise",
    file: () => runnersSet("githubConfigUrl", "https://github.com/enterprises/tinyland"),
    key: "flywheel:runners.githubConfigUrl",
  },
  {
    name: "config URL missing",
    file: () => withRunners((runners) => delete runners["githubConfigUrl"]),
    key: "flywheel:runners.githubConfigUrl",
  },
  {
    name: "runners key missing",
    file: () => withKeys({ "flywheel:runners": undefined }),
    key: "flywheel:runners.githubConfigUrl",
  },
  {
    name: "App private key missing",
    file: () => withKeys({ "flywheel:githubAppPrivateKey": undefined }),
    key: "flywheel:githubAppPrivateKey",
  },
  {
    name: "App installation ID missing",
    file: () => withKeys({ "flywheel:githubAppInstallationId": undefined }),
    key: "flywheel:githubAppInstallationId",
  },
  {
    name: "App ID in plain text",
    file: () => {
      const file = devStackFile();
      return { ...file, secretKeys: file.secretKeys.filter((key) => key !== "flywheel:githubAppId") };
    },
    key: "flywheel:githubAppId",
  },
  {
    name: "GHCR token without a username",
    file: () => withKeys({ "flywheel:ghcrToken": "ghcr-token-value" }, ["flywheel:ghcrToken"]),
    key: "flywheel:ghcrUsername",
  },
  {
    name: "GHCR username without a token",
    file: () => withKeys({ "flywheel:ghcrUsername": "tinyland-bot" }),
    key: "flywheel:ghcrToken",
  },
  {
    name: "TCP Docker host",
    file: () => runnersSet("lanes.gh-dind.env", { DOCKER_HOST: "tcp://localhost:2375" }),
    key: "flywheel:runners.lanes.gh-dind.env.DOCKER_HOST",
  },
  {
    name: "credential in plain environment",
    file: () => runnersSet("lanes.gh-nix.env", { GITHUB_TOKEN: "value" }),
    key: "flywheel:runners.lanes.gh-nix.env.GITHUB_TOKEN",
  },
  {
    name: "environment overriding a cache variable",
    file: () => runnersSet("lanes.gh-nix.env", { ATTIC_SERVER: "http://elsewhere" }),
    key: "flywheel:runners.lanes.gh-nix.env.ATTIC_SERVER",
  },
  {
    name: "unknown cache",
    file: () => runnersSet("lanes.gh-nix.caches", ["attic", "sccache"]),
    key: "flywheel:runners.lanes.gh-nix.caches[1]",
  },
  {
    name: "lane key that is no release name",
    file: () => runnersSet("lanes.GH_Arm", { label: "tinyland-arm" }),
    key: "flywheel:runners.lanes.GH_Arm",
  },
  {
    name: "added lane without a label",
    file: () => runnersSet("lanes.gh-arm", { maxRunners: 2 }),
    key: "flywheel:runners.lanes.gh-arm.label",
  },
  {
    name: "extra scale set naming a missing App",
    file: () =>
      withExtraScaleSet({
        label: "other-nix",
        githubConfigUrl: "https://github.com/other-org",
        githubApp: "missing",
      }),
    key: "flywheel:runners.extraScaleSets.other-org.githubApp",
  },
  {
    name: "extra scale set without a config URL",
    file: () => withExtraScaleSet({ label: "other-nix", githubApp: "other" }),
    key: "flywheel:runners.extraScaleSets.other-org.githubConfigUrl",
  },
  {
    name: "extra scale set duplicating a lane label",
    file: () =>
      withExtraScaleSet({
        label: "tinyland-nix",
        githubConfigUrl: "https://github.com/tinyland-example",
        githubApp: "other",
      }),
    key: "flywheel:runners.extraScaleSets.other-org.label",
  },
  {
    name: "extra scale set reusing a lane's release name",
    file: () =>
      withExtraScaleSet(
        { label: "other-nix", githubConfigUrl: "https://github.com/other-org", githubApp: "other" },
        "gh-nix",
      ),
    key: "flywheel:runners.extraScaleSets.gh-nix",
  },
  {
    name: "extra scale set sharing the lanes' Secret",
    file: () =>
      withExtraScaleSet({
        label: "other-nix",
        githubConfigUrl: "https://github.com/other-org",
        githubApp: "other",
        githubConfigSecret: "github-app-secret",
      }),
    key: "flywheel:runners.extraScaleSets.other-org.githubConfigSecret",
  },
  {
    name: "runner namespace equal to the controller's",
    file: () => runnersSet("namespace", "arc-systems"),
    key: "flywheel:runners.namespace",
  },
  {
    name: "credentials Secret named like the pull secret",
    file: () => runnersSet("githubConfigSecret", "ghcr-auth"),
    key: "flywheel:runners.githubConfigSecret",
  },
  {
    name: "extra App missing its private key",
    file: () =>
      withKeys(
        { "flywheel:extraGithubApps": JSON.stringify({ other: { appId: "1", installationId: "2" } }) },
        ["flywheel:extraGithubApps"],
      ),
    key: "flywheel:extraGithubApps.other.privateKey",
  },
  {
    name: "six-field cleanup schedule",
    file: () => runnersSet("guardrails.cleanup.schedule", "0 */5 * * * *"),
    key: "flywheel:runners.guardrails.cleanup.schedule",
  },
  {
    name: "LimitRange default above its max",
    file: () => runnersSet("guardrails.limitRange.default.cpu", "6"),
    key: "flywheel:runners.guardrails.limitRange.default.cpu",
  },
  {
    name: "priority class that is not defined",
    file: () =>
      withRunners((runners) => {
        setPath(runners, ["guardrails", "priorityClasses", "enabled"], true);
        setPath(runners, ["lanes", "gh-nix", "priorityClassName"], "arc-runner-urgent");
      }),
    key: "flywheel:runners.lanes.gh-nix.priorityClassName",
  },
  {
    name: "chart version range",
    file: () => runnersSet("scaleSetChart.version", "^0.13"),
    key: "flywheel:runners.scaleSetChart.version",
  },
  {
    name: "unknown controller log level",
    file: () => runnersSet("controller.logLevel", "verbose"),
    key: "flywheel:runners.controller.logLevel",
  },
  {
    name: "lane given as a string",
    file: () => runnersSet("lanes.gh-nix", "tinyland-nix"),
    key: "flywheel:runners.lanes.gh-nix",
  },
  {
    name: "runners given as a string",
    file: () => withKeys({ "flywheel:runners": "https://github.com/tinyland-example" }),
    key: "flywheel:runners",
  },
  {
    name: "string where a number belongs",
    file: () => runnersSet("guardrails.resourceQuota.pods", "fifty"),
    key: "flywheel:runners.guardrails.resourceQuota.pods",
  },
];

describe("runners configuration: invalid values", () => {
  it("starts from a clean configuration", () => {
    assert.equal(parse(devStackFile()).scaleSets.length, 3);
  });

  for (const row of INVALID) {
    describe(row.name, () => {
      let error: ConfigError;
      before(() => {
        error = reject(row.file());
      });

      it(`names ${row.key}`, () => {
        assert.ok(
          error.problems.some((problem) => problem.key === row.key),
          `problems: ${error.problems.map((problem) => problem.key).join(", ")}`,
        );
      });
      it("states a rule", () => {
        const problem = error.problems.find((candidate) => candidate.key === row.key);
        assert.ok((problem?.rule ?? "").length > 0);
      });
      it("gives an accepted value", () => {
        const problem = error.problems.find((candidate) => candidate.key === row.key);
        assert.ok((problem?.accepted ?? "").length > 0);
      });
      it("puts the key in the message", () => {
        assert.ok(error.message.includes(row.key));
      });
      it("leaks no credential", () => {
        assert.equal(/placeholder-for-|other-pem|ghcr-token-value/.test(error.message), false);
      });
      it("reads without undefined", () => {
        assert.equal(error.message.includes("undefined"), false);
      });
    });
  }
});

describe("runners configuration: negative maxRunners", () => {
  it("adds no minRunners problem", () => {
    const error = reject(runnersSet("lanes.gh-nix.maxRunners", -1));
    const keys = error.problems.map((problem) => problem.key);
    assert.equal(keys.includes("flywheel:runners.lanes.gh-nix.minRunners"), false);
  });
});

describe("runners configuration: failure timing", () => {
  let caught: unknown;
  let registered = -1;

  before(async () => {
    const file = runnersSet("lanes.gh-nix.minRunners", 9);
    const result = await recordProgram(
      async () => {
        try {
          return await runStack(readStackConfig(RUNNERS_STACK));
        } catch (error) {
          caught = error;
          return {};
        }
      },
      {
        stack: RUNNERS_STACK,
        config: file.config,
        secretKeys: file.secretKeys,
        stackReferences: { "caches-dev": FAKE_CACHE_OUTPUTS },
      },
    );
    registered = result.resources.length;
  });

  it("raises a ConfigError", () => {
    assert.ok(caught instanceof ConfigError);
  });
  it("registers no resource", () => {
    assert.equal(registered, 0);
  });
});

describe("runners configuration: accepted values", () => {
  function acceptedFor(file: StackFileConfig, key: string): string | undefined {
    return reject(file).problems.find((problem) => problem.key === key)?.accepted;
  }

  it("suggests a lane entry for a bad lane", () => {
    assert.equal(
      acceptedFor(runnersSet("lanes.gh-nix", 5), "flywheel:runners.lanes.gh-nix"),
      '{"label": "tinyland-arm"}',
    );
  });
  it("suggests a quantity for a bad CPU value", () => {
    assert.equal(
      acceptedFor(
        runnersSet("lanes.gh-nix.resources.limits.cpu", "lots"),
        "flywheel:runners.lanes.gh-nix.resources.limits.cpu",
      ),
      "500m",
    );
  });
  it("suggests the limit for a request above it", () => {
    assert.equal(
      acceptedFor(
        runnersSet("lanes.gh-docker.resources.requests.memory", "5Gi"),
        "flywheel:runners.lanes.gh-docker.resources.requests.memory",
      ),
      "4Gi",
    );
  });
  it("suggests the cleanup image for a bad one", () => {
    assert.equal(
      acceptedFor(
        runnersSet("guardrails.cleanup.image", "alpine/k8s:latest"),
        "flywheel:runners.guardrails.cleanup.image",
      ),
      "docker.io/alpine/k8s:1.31.4",
    );
  });
  it("suggests maxRunners for minRunners above it", () => {
    assert.equal(
      acceptedFor(runnersSet("lanes.gh-nix.minRunners", 9), "flywheel:runners.lanes.gh-nix.minRunners"),
      "5",
    );
  });
  it("suggests the secret command for a missing key", () => {
    assert.equal(
      acceptedFor(withKeys({ "flywheel:githubAppId": undefined }), "flywheel:githubAppId"),
      "pulumi config set --secret flywheel:githubAppId <value>",
    );
  });
  it("phrases a wrong type as a rule", () => {
    const problem = reject(runnersSet("lanes.gh-nix", 5)).problems.find(
      (candidate) => candidate.key === "flywheel:runners.lanes.gh-nix",
    );
    assert.equal(problem?.rule, "must be an object");
  });
});

describe("runners-dev stack file", () => {
  const file = devStackFile();

  for (const key of [
    "flywheel:githubAppId",
    "flywheel:githubAppInstallationId",
    "flywheel:githubAppPrivateKey",
  ]) {
    it(`encrypts ${key}`, () => {
      assert.ok(file.secretKeys.includes(key));
    });
  }
  it("carries the passphrase salt", () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.runners-dev.yaml"), "utf8");
    assert.match(text, /^encryptionsalt: v1:\S+$/m);
  });
  it("targets the example organization", () => {
    assert.equal(parse(file).githubConfigUrl, "https://github.com/tinyland-example");
  });
  it("is a runners stack", () => {
    assert.equal(file.config["flywheel:family"], "runners");
  });
});
