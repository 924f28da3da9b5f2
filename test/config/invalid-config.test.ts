import * as assert from "node:assert/strict";
import { ConfigError } from "../../config/errors";
import { loadStackConfig, RawConfig } from "../../config/load";
import { readStackFile } from "../../automation/render/stack-file";
import { REPO_ROOT } from "../render/project";

/** A mutable copy of an example stack's raw configuration. */
interface Draft {
  values: Record<string, string>;
  secretKeys: Set<string>;
}

/** One invalid configuration: a clean example stack, one mutation, and the full key it must name. */
interface InvalidCase {
  name: string;
  stack: "caches-dev" | "runners-dev" | "github-dev";
  mutate: (draft: Draft) => void;
  key: string;
}

function clean(stack: string): Draft {
  const file = readStackFile(stack, REPO_ROOT);
  return { values: { ...file.config }, secretKeys: new Set(file.secretKeys) };
}

/** Sets `path` inside the structured value of `key`, creating objects on the way. */
function setIn(key: string, path: string[], value: unknown): (draft: Draft) => void {
  return (draft) => {
    const root = (draft.values[key] === undefined ? {} : JSON.parse(draft.values[key])) as Record<
      string,
      unknown
    >;
    let node = root;
    for (const part of path.slice(0, -1)) {
      node[part] = (node[part] as Record<string, unknown> | undefined) ?? {};
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
    draft.values[key] = JSON.stringify(root);
  };
}

function setPlain(key: string, value: string): (draft: Draft) => void {
  return (draft) => {
    draft.values[key] = value;
    draft.secretKeys.delete(key);
  };
}

function setSecret(key: string, value: string): (draft: Draft) => void {
  return (draft) => {
    draft.values[key] = value;
    draft.secretKeys.add(key);
  };
}

function remove(key: string): (draft: Draft) => void {
  return (draft) => {
    delete draft.values[key];
    draft.secretKeys.delete(key);
  };
}

function both(...mutations: ((draft: Draft) => void)[]): (draft: Draft) => void {
  return (draft) => mutations.forEach((mutate) => mutate(draft));
}

const RUNNERS = "flywheel:runners";
const CACHES = "flywheel:caches";
const REPOSITORIES = "flywheel:repositories";

const CASES: InvalidCase[] = [
  // runners
  {
    name: "maxRunners of the wrong type",
    stack: "runners-dev",
    mutate: setIn(RUNNERS, ["lanes", "gh-nix", "maxRunners"], "five"),
    key: "flywheel:runners.lanes.gh-nix.maxRunners",
  },
  {
    name: "negative minRunners",
    stack: "runners-dev",
    mutate: setIn(RUNNERS, ["lanes", "gh-docker", "minRunners"], -1),
    key: "flywheel:runners.lanes.gh-docker.minRunners",
  },
  {
    name: "minRunners above maxRunners",
    stack: "runners-dev",
    mutate: both(
      setIn(RUNNERS, ["lanes", "gh-nix", "minRunners"], 6),
      setIn(RUNNERS, ["lanes", "gh-nix", "maxRunners"], 5),
    ),
    key: "flywheel:runners.lanes.gh-nix.minRunners",
  },
  {
    name: "unknown lane key",
    stack: "runners-dev",
    mutate: setIn(RUNNERS, ["lanes", "gh-nix", "maxRunner"], 5),
    key: "flywheel:runners.lanes.gh-nix.maxRunner",
  },
  {
    name: "missing GitHub App private key",
    stack: "runners-dev",
    mutate: remove("flywheel:githubAppPrivateKey"),
    key: "flywheel:githubAppPrivateKey",
  },
  {
    name: "GitHub App ID in plain text",
    stack: "runners-dev",
    mutate: setPlain("flywheel:githubAppId", "123456"),
    key: "flywheel:githubAppId",
  },
  {
    name: "githubConfigUrl with a trailing slash",
    stack: "runners-dev",
    mutate: setIn(RUNNERS, ["githubConfigUrl"], "https://github.com/tinyland-example/"),
    key: "flywheel:runners.githubConfigUrl",
  },
  {
    name: "githubConfigUrl on another host",
    stack: "runners-dev",
    mutate: setIn(RUNNERS, ["githubConfigUrl"], "https://gitlab.com/tinyland-example"),
    key: "flywheel:runners.githubConfigUrl",
  },
  {
    name: "duplicate lane labels",
    stack: "runners-dev",
    mutate: setIn(RUNNERS, ["lanes", "gh-docker", "label"], "tinyland-nix"),
    key: "flywheel:runners.lanes.gh-docker.label",
  },
  {
    name: "runner image tagged latest",
    stack: "runners-dev",
    mutate: setIn(RUNNERS, ["lanes", "gh-nix", "image"], "ghcr.io/actions/actions-runner:latest"),
    key: "flywheel:runners.lanes.gh-nix.image",
  },
  {
    name: "kubernetes mode without a work volume",
    stack: "runners-dev",
    mutate: setIn(RUNNERS, ["lanes", "gh-nix", "containerMode"], "kubernetes"),
    key: "flywheel:runners.lanes.gh-nix.workVolumeClaim",
  },
  {
    name: "GHCR token without a username",
    stack: "runners-dev",
    mutate: setSecret("flywheel:ghcrToken", "example-ghcr-token"),
    key: "flywheel:ghcrUsername",
  },
  // caches
  {
    name: "cache max_size above its volume",
    stack: "caches-dev",
    mutate: both(
      setIn(CACHES, ["bazelRemote", "volumeSize"], "50Gi"),
      setIn(CACHES, ["bazelRemote", "maxSize"], 60),
    ),
    key: "flywheel:caches.bazelRemote.maxSize",
  },
  {
    name: "5-field backup schedule",
    stack: "caches-dev",
    mutate: setIn(CACHES, ["postgres", "backupSchedule"], "0 0 * * *"),
    key: "flywheel:caches.postgres.backupSchedule",
  },
  {
    name: "Attic minReplicas of the wrong type",
    stack: "caches-dev",
    mutate: setIn(CACHES, ["attic", "minReplicas"], "two"),
    key: "flywheel:caches.attic.minReplicas",
  },
  {
    name: "compression level out of range",
    stack: "caches-dev",
    mutate: setIn(CACHES, ["attic", "compression", "level"], 30),
    key: "flywheel:caches.attic.compression.level",
  },
  {
    name: "bazel-remote image tagged latest",
    stack: "caches-dev",
    mutate: setIn(CACHES, ["bazelRemote", "image"], "buchgr/bazel-remote-cache:latest"),
    key: "flywheel:caches.bazelRemote.image",
  },
  {
    name: "external S3 without an endpoint",
    stack: "caches-dev",
    mutate: both(
      setIn(CACHES, ["objectStore"], { type: "s3", bucket: "attic" }),
      setSecret("flywheel:s3AccessKeyId", "example-access-key"),
      setSecret("flywheel:s3SecretAccessKey", "example-secret-key"),
    ),
    key: "flywheel:caches.objectStore.endpoint",
  },
  {
    name: "S3 secret access key in plain text",
    stack: "caches-dev",
    mutate: both(
      setIn(CACHES, ["objectStore"], { type: "s3", bucket: "attic", endpoint: "https://s3.example.com" }),
      setSecret("flywheel:s3AccessKeyId", "example-access-key"),
      setPlain("flywheel:s3SecretAccessKey", "example-secret-key"),
    ),
    key: "flywheel:s3SecretAccessKey",
  },
  {
    name: "unknown caches key",
    stack: "caches-dev",
    mutate: setIn(CACHES, ["bazelRemote", "maxSizeGb"], 40),
    key: "flywheel:caches.bazelRemote.maxSizeGb",
  },
  // github
  {
    name: "organization that is not a login",
    stack: "github-dev",
    mutate: setPlain("flywheel:organization", "-tinyland-"),
    key: "flywheel:organization",
  },
  {
    name: "unknown repository visibility",
    stack: "github-dev",
    mutate: setIn(REPOSITORIES, ["platform-apps", "visibility"], "secret"),
    key: "flywheel:repositories.platform-apps.visibility",
  },
  {
    name: "unknown workflow family",
    stack: "github-dev",
    mutate: setIn(REPOSITORIES, ["platform-apps", "workflows"], ["validate", "deploy"]),
    key: "flywheel:repositories.platform-apps.workflows[1]",
  },
  {
    name: "lane label with whitespace",
    stack: "github-dev",
    mutate: setIn(REPOSITORIES, ["platform-apps", "lanes", "validate"], "ubuntu latest"),
    key: "flywheel:repositories.platform-apps.lanes.validate",
  },
  {
    name: "unknown top-level key",
    stack: "github-dev",
    mutate: setPlain("flywheel:repos", "{}"),
    key: "flywheel:repos",
  },
];

function loadDraft(stack: string, draft: Draft): void {
  const raw: RawConfig = { values: draft.values, secretKeys: draft.secretKeys };
  loadStackConfig(stack, raw);
}

describe("invalid configuration", () => {
  it("has a clean example for every family", () => {
    for (const stack of ["caches-dev", "runners-dev", "github-dev"]) {
      assert.doesNotThrow(() => loadDraft(stack, clean(stack)), stack);
    }
  });

  for (const testCase of CASES) {
    it(`${testCase.stack}: ${testCase.name}`, () => {
      const draft = clean(testCase.stack);
      testCase.mutate(draft);
      assert.throws(
        () => loadDraft(testCase.stack, draft),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
          assert.ok(
            err.problems.some((p) => p.key === testCase.key),
            `no problem names ${testCase.key}:\n${err.message}`,
          );
          assert.ok(err.message.includes(`${testCase.key}: `), err.message);
          return true;
        },
      );
    });
  }
});
