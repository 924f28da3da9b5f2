import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource, RecordResult } from "../../automation/render/recorder";
import {
  at,
  devStackFile,
  FAKE_CACHE_OUTPUTS,
  named,
  ofType,
  recordRunners,
  resolveInput,
  withKeys,
} from "./helpers/runners";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const ARC_REPOSITORY = "oci://ghcr.io/actions/actions-runner-controller-charts";

/** Collects every value under a key named `image`, anywhere in the inputs. */
function imagesIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) {
    value.forEach((item) => imagesIn(item, found));
  } else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      if (key === "image" && typeof child === "string") {
        found.push(child);
      } else {
        imagesIn(child, found);
      }
    }
  }
  return found;
}

function runnerContainer(release: RecordedResource): Record<string, unknown> {
  return at(release.inputs, "values", "template", "spec", "containers", 0) as Record<string, unknown>;
}

function envOf(release: RecordedResource): Map<string, unknown> {
  const env = (runnerContainer(release)["env"] ?? []) as Array<{ name: string; value: unknown }>;
  return new Map(env.map((variable) => [variable.name, variable.value]));
}

describe("runners stack: default fleet", () => {
  let result: RecordResult;

  before(async () => {
    result = await recordRunners();
  });

  describe("ARC controller", () => {
    let controller: RecordedResource;
    before(() => {
      controller = named(result, "arc-controller-release");
    });

    it("is a Helm release of the controller chart", () => {
      assert.equal(controller.inputs["chart"], `${ARC_REPOSITORY}/gha-runner-scale-set-controller`);
    });
    it("pins chart version 0.13.1", () => {
      assert.equal(controller.inputs["version"], "0.13.1");
    });
    it("is released as arc-controller", () => {
      assert.equal(controller.inputs["name"], "arc-controller");
    });
    it("runs in arc-systems", () => {
      assert.equal(controller.inputs["namespace"], "arc-systems");
    });
    it("waits 600 seconds for Helm", () => {
      assert.equal(controller.inputs["timeout"], 600);
    });
    it("uses the eventual update strategy", () => {
      assert.equal(at(controller.inputs, "values", "flags", "updateStrategy"), "eventual");
    });
    it("logs at info level", () => {
      assert.equal(at(controller.inputs, "values", "flags", "logLevel"), "info");
    });
    it("requests 100m CPU", () => {
      assert.equal(at(controller.inputs, "values", "resources", "requests", "cpu"), "100m");
    });
    it("requests 128Mi memory", () => {
      assert.equal(at(controller.inputs, "values", "resources", "requests", "memory"), "128Mi");
    });
    it("is limited to 250m CPU", () => {
      assert.equal(at(controller.inputs, "values", "resources", "limits", "cpu"), "250m");
    });
    it("is limited to 256Mi memory", () => {
      assert.equal(at(controller.inputs, "values", "resources", "limits", "memory"), "256Mi");
    });
    it("is a child of the Controller component", () => {
      assert.equal(controller.parent, "arc-controller");
    });
    it("has a flywheel:arc:Controller component", () => {
      assert.equal(named(result, "arc-controller").type, "flywheel:arc:Controller");
    });
  });

  describe("scale sets", () => {
    it("installs one release per enabled lane", () => {
      const releases = ofType(result, RELEASE)
        .filter((release) => release.name !== "arc-controller-release")
        .map((release) => release.inputs["name"])
        .sort();
      assert.deepEqual(releases, ["gh-docker", "gh-nix"]);
    });
    it("leaves the dind lane uninstalled", () => {
      assert.equal(
        result.resources.some((resource) => resource.name.startsWith("gh-dind")),
        false,
      );
    });

    const lanes = [
      { release: "gh-nix", label: "tinyland-nix", requests: ["500m", "1Gi"], limits: ["4", "8Gi"] },
      { release: "gh-docker", label: "tinyland-docker", requests: ["100m", "256Mi"], limits: ["2", "4Gi"] },
    ];
    for (const lane of lanes) {
      describe(`lane ${lane.release}`, () => {
        let release: RecordedResource;
        before(() => {
          release = named(result, `${lane.release}-release`);
        });

        it("uses the scale-set chart", () => {
          assert.equal(release.inputs["chart"], `${ARC_REPOSITORY}/gha-runner-scale-set`);
        });
        it("pins chart version 0.13.1", () => {
          assert.equal(release.inputs["version"], "0.13.1");
        });
        it("runs in arc-runners", () => {
          assert.equal(release.inputs["namespace"], "arc-runners");
        });
        it("is a child of its ScaleSet component", () => {
          assert.equal(release.parent, lane.release);
        });
        it("has a flywheel:arc:ScaleSet component", () => {
          assert.equal(named(result, lane.release).type, "flywheel:arc:ScaleSet");
        });
        it(`is labelled ${lane.label}`, () => {
          assert.equal(at(release.inputs, "values", "runnerScaleSetName"), lane.label);
        });
        it("keeps no idle runner", () => {
          assert.equal(at(release.inputs, "values", "minRunners"), 0);
        });
        it("scales to 5 runners", () => {
          assert.equal(at(release.inputs, "values", "maxRunners"), 5);
        });
        it("registers in the default runner group", () => {
          assert.equal(at(release.inputs, "values", "runnerGroup"), "default");
        });
        it("names the organization URL", () => {
          assert.equal(
            at(release.inputs, "values", "githubConfigUrl"),
            "https://github.com/tinyland-example",
          );
        });
        it("names the credentials Secret", () => {
          assert.equal(at(release.inputs, "values", "githubConfigSecret"), "github-app-secret");
        });
        it("names the controller service account", () => {
          assert.equal(
            at(release.inputs, "values", "controllerServiceAccount", "name"),
            "arc-controller-gha-rs-controller",
          );
        });
        it("names the controller namespace", () => {
          assert.equal(at(release.inputs, "values", "controllerServiceAccount", "namespace"), "arc-systems");
        });
        it("names its container runner", () => {
          assert.equal(runnerContainer(release)["name"], "runner");
        });
        it("runs /home/runner/run.sh", () => {
          assert.deepEqual(runnerContainer(release)["command"], ["/home/runner/run.sh"]);
        });
        it("runs the actions-runner image", () => {
          assert.match(
            String(runnerContainer(release)["image"]),
            /^ghcr\.io\/actions\/actions-runner:\d+\.\d+\.\d+$/,
          );
        });
        it(`requests ${lane.requests.join(" / ")}`, () => {
          assert.deepEqual(at(runnerContainer(release), "resources", "requests"), {
            cpu: lane.requests[0],
            memory: lane.requests[1],
          });
        });
        it(`is limited to ${lane.limits.join(" / ")}`, () => {
          assert.deepEqual(at(runnerContainer(release), "resources", "limits"), {
            cpu: lane.limits[0],
            memory: lane.limits[1],
          });
        });
        it("sets no container mode", () => {
          assert.equal(at(release.inputs, "values", "containerMode"), undefined);
        });
        it("gets the Bazel cache endpoint", () => {
          assert.equal(envOf(release).get("BAZEL_REMOTE_CACHE"), FAKE_CACHE_OUTPUTS.bazelCacheEndpoint);
        });
      });
    }
  });

  describe("cache environment", () => {
    it("gives the nix lane NIX_CONFIG with flakes", () => {
      assert.equal(
        envOf(named(result, "gh-nix-release")).get("NIX_CONFIG"),
        "experimental-features = nix-command flakes",
      );
    });
    it("gives the nix lane the Attic server", () => {
      assert.equal(
        envOf(named(result, "gh-nix-release")).get("ATTIC_SERVER"),
        FAKE_CACHE_OUTPUTS.atticEndpoint,
      );
    });
    it("gives the nix lane the Attic cache name", () => {
      assert.equal(envOf(named(result, "gh-nix-release")).get("ATTIC_CACHE"), "main");
    });
    it("gives the docker lane no Attic server", () => {
      assert.equal(envOf(named(result, "gh-docker-release")).has("ATTIC_SERVER"), false);
    });
    it("gives the docker lane no NIX_CONFIG", () => {
      assert.equal(envOf(named(result, "gh-docker-release")).has("NIX_CONFIG"), false);
    });
    it("follows a different caches stack", async () => {
      const moved = { ...FAKE_CACHE_OUTPUTS, atticEndpoint: "http://attic.moved-ns.svc.cluster.local" };
      const rerun = await recordRunners(devStackFile(), { cacheOutputs: moved });
      assert.equal(envOf(named(rerun, "gh-nix-release")).get("ATTIC_SERVER"), moved.atticEndpoint);
    });
    it("reads a configured caches stack", async () => {
      const file = withKeys({ "flywheel:cachesStack": "caches-shared" });
      const shared = {
        ...FAKE_CACHE_OUTPUTS,
        bazelCacheEndpoint: "grpc://bazel-cache.shared-ns.svc.cluster.local:9092",
      };
      const rerun = await recordRunners(file, { cachesStack: "caches-shared", cacheOutputs: shared });
      assert.equal(
        envOf(named(rerun, "gh-docker-release")).get("BAZEL_REMOTE_CACHE"),
        shared.bazelCacheEndpoint,
      );
    });
    it("reads the caches-dev stack", () => {
      assert.equal(named(result, "caches").inputs["name"], "caches-dev");
    });
  });

  describe("GitHub App credentials", () => {
    let secret: RecordedResource;
    before(() => {
      secret = named(result, "github-app-secret-secret");
    });

    it("is named github-app-secret", () => {
      assert.equal(at(secret.inputs, "metadata", "name"), "github-app-secret");
    });
    it("lives in the runner namespace", () => {
      assert.equal(at(secret.inputs, "metadata", "namespace"), "arc-runners");
    });
    it("has no base64 data field", () => {
      assert.equal(secret.inputs["data"], undefined);
    });
  });

  describe("safety", () => {
    it("creates no registry pull secret without a token", () => {
      assert.equal(
        ofType(result, SECRET).some(
          (resource) => resource.inputs["type"] === "kubernetes.io/dockerconfigjson",
        ),
        false,
      );
    });
    it("finds images to check", () => {
      assert.ok(imagesIn(result.resources.map((resource) => resource.inputs)).length >= 3);
    });
    it("tags no image latest", () => {
      const latest = imagesIn(result.resources.map((resource) => resource.inputs)).filter((image) =>
        image.endsWith(":latest"),
      );
      assert.deepEqual(latest, []);
    });
    it("leaves no image untagged", () => {
      const untagged = imagesIn(result.resources.map((resource) => resource.inputs)).filter(
        (image) => !/:[^/:]+$/.test(image) && !/@sha256:[a-f0-9]{64}$/.test(image),
      );
      assert.deepEqual(untagged, []);
    });
    it("puts no credential-looking key in a ConfigMap", () => {
      const keys = ofType(result, CONFIG_MAP).flatMap((map) =>
        Object.keys((map.inputs["data"] ?? {}) as object),
      );
      assert.deepEqual(
        keys.filter((key) => /token|password|secret|private|credential|key$/i.test(key)),
        [],
      );
    });
    it("sets no TCP Docker host", () => {
      const tcp = ofType(result, RELEASE).filter((release) =>
        JSON.stringify(release.inputs).includes("tcp://localhost:2375"),
      );
      assert.deepEqual(tcp, []);
    });
  });

  describe("component tree", () => {
    it("parents every Kubernetes object but the namespaces", () => {
      const orphans = result.resources
        .filter((resource) => resource.type.startsWith("kubernetes:") && resource.parent === null)
        .map((resource) => resource.name)
        .sort();
      assert.deepEqual(orphans, ["controller-namespace", "runner-namespace"]);
    });
    it("names every child after its parent", () => {
      const misnamed = result.resources
        .filter((resource) => resource.parent !== null && !resource.name.startsWith(`${resource.parent}-`))
        .map((resource) => resource.name);
      assert.deepEqual(misnamed, []);
    });
    it("uses flywheel tokens for components", () => {
      const tokens = result.resources.filter((resource) => !resource.custom).map((resource) => resource.type);
      assert.deepEqual(
        tokens.filter((token) => !/^flywheel:(arc|guardrails):[A-Z]\w+$/.test(token)),
        [],
      );
    });
  });

  describe("namespaces", () => {
    it("creates arc-runners", () => {
      assert.equal(at(named(result, "runner-namespace").inputs, "metadata", "name"), "arc-runners");
    });
    it("creates arc-systems", () => {
      assert.equal(at(named(result, "controller-namespace").inputs, "metadata", "name"), "arc-systems");
    });
    it("enforces baseline Pod Security without dind", () => {
      assert.equal(
        at(
          named(result, "runner-namespace").inputs,
          "metadata",
          "labels",
          "pod-security.kubernetes.io/enforce",
        ),
        "baseline",
      );
    });
  });

  describe("outputs", () => {
    it("lists every configured lane", () => {
      const lanes = result.outputs["lanes"] as Array<Record<string, unknown>>;
      assert.deepEqual(lanes.map((lane) => lane["releaseName"]).sort(), ["gh-dind", "gh-docker", "gh-nix"]);
    });
    it("describes the nix lane in full", () => {
      const lanes = result.outputs["lanes"] as Array<Record<string, unknown>>;
      assert.deepEqual(
        lanes.find((lane) => lane["releaseName"] === "gh-nix"),
        {
          label: "tinyland-nix",
          scaleSetName: "tinyland-nix",
          releaseName: "gh-nix",
          runnerGroup: "default",
          minRunners: 0,
          maxRunners: 5,
          githubConfigUrl: "https://github.com/tinyland-example",
          scope: "organization",
          namespace: "arc-runners",
          containerMode: "none",
          enabled: true,
        },
      );
    });
    it("marks the dind lane disabled", () => {
      const lanes = result.outputs["lanes"] as Array<Record<string, unknown>>;
      assert.equal(lanes.find((lane) => lane["releaseName"] === "gh-dind")?.["enabled"], false);
    });
    it("lists enabled labels", () => {
      assert.deepEqual(result.outputs["labels"], ["tinyland-nix", "tinyland-docker"]);
    });
    it("names the controller namespace", () => {
      assert.equal(result.outputs["controllerNamespace"], "arc-systems");
    });
    it("names the runner namespace", () => {
      assert.equal(result.outputs["runnerNamespace"], "arc-runners");
    });
    it("passes the cache endpoints through", () => {
      assert.deepEqual(result.outputs["cacheEndpoints"], {
        bazel: FAKE_CACHE_OUTPUTS.bazelCacheEndpoint,
        bazelHttp: FAKE_CACHE_OUTPUTS.bazelCacheHttpEndpoint,
        atticServer: FAKE_CACHE_OUTPUTS.atticEndpoint,
        atticCache: FAKE_CACHE_OUTPUTS.atticCacheName,
      });
    });
    it("has exactly the contract's keys", () => {
      assert.deepEqual(Object.keys(result.outputs).sort(), [
        "cacheEndpoints",
        "controllerNamespace",
        "labels",
        "lanes",
        "runnerNamespace",
      ]);
    });
  });
});

describe("runners stack: ordering and secrets", () => {
  const dependencies = new Map<string, string[]>();
  let stringData: unknown;
  let stringDataIsSecret = false;
  let result: RecordResult;

  before(async () => {
    const pending: Array<Promise<void>> = [];
    result = await recordRunners(devStackFile(), {
      observe: (args) => {
        if (args.type === "flywheel:arc:ScaleSet") {
          const dependsOn = ([] as unknown[]).concat(args.opts.dependsOn ?? []);
          dependencies.set(
            args.name,
            dependsOn.map((resource) => String((resource as { __name?: string }).__name)),
          );
        }
        if (args.name === "github-app-secret-secret") {
          const value = args.props["stringData"];
          pending.push(
            (async () => {
              stringDataIsSecret = await pulumi.isSecret(value as pulumi.Output<unknown>);
              stringData = await resolveInput(value);
            })(),
          );
        }
      },
    });
    await Promise.all(pending);
  });

  for (const lane of ["gh-nix", "gh-docker"]) {
    it(`creates the runner namespace before ${lane}`, () => {
      assert.ok(dependencies.get(lane)?.includes("runner-namespace"));
    });
    it(`installs the controller before ${lane}`, () => {
      assert.ok(dependencies.get(lane)?.includes("arc-controller"));
    });
    it(`writes the credentials before ${lane}`, () => {
      assert.ok(dependencies.get(lane)?.includes("github-app-secret"));
    });
  }

  it("writes exactly the three ARC credential keys", () => {
    assert.deepEqual(Object.keys(stringData as object).sort(), [
      "github_app_id",
      "github_app_installation_id",
      "github_app_private_key",
    ]);
  });
  it("passes the App ID from configuration", () => {
    assert.equal(at(stringData, "github_app_id"), "placeholder-for-flywheel:githubAppId");
  });
  it("passes the private key from configuration", () => {
    assert.equal(at(stringData, "github_app_private_key"), "placeholder-for-flywheel:githubAppPrivateKey");
  });
  it("sends the credentials as a Pulumi secret", () => {
    assert.equal(stringDataIsSecret, true);
  });
  it("records the credentials as [secret]", () => {
    assert.equal(named(result, "github-app-secret-secret").inputs["stringData"], "[secret]");
  });
  it("shows no credential in any input or output", () => {
    const recorded = JSON.stringify([result.resources, result.outputs]);
    assert.equal(recorded.includes("placeholder-for-"), false);
  });
});
