import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource, RecordResult } from "../../automation/render/recorder";
import type { StackFileConfig } from "../../automation/render/stack-file";
import { at, named, ofType, recordRunners, resolveInput, withKeys, withRunners } from "./helpers/runners";

const SECRET = "kubernetes:core/v1:Secret";

function values(release: RecordedResource): Record<string, unknown> {
  return release.inputs["values"] as Record<string, unknown>;
}

function runnerEnv(release: RecordedResource): Map<string, unknown> {
  const env = at(release.inputs, "values", "template", "spec", "containers", 0, "env") as Array<{
    name: string;
    value: unknown;
  }>;
  return new Map(env.map((variable) => [variable.name, variable.value]));
}

describe("runners stack: dind lane", () => {
  let result: RecordResult;
  before(async () => {
    result = await recordRunners(
      withRunners((runners) => (runners["lanes"] = { "gh-dind": { enabled: true } })),
    );
  });

  it("installs the dind release", () => {
    assert.equal(named(result, "gh-dind-release").inputs["name"], "gh-dind");
  });
  it("selects ARC's dind container mode", () => {
    assert.deepEqual(values(named(result, "gh-dind-release"))["containerMode"], { type: "dind" });
  });
  it("reaches Docker on the unix socket", () => {
    assert.equal(
      runnerEnv(named(result, "gh-dind-release")).get("DOCKER_HOST"),
      "unix:///var/run/docker.sock",
    );
  });
  it("never points Docker at TCP", () => {
    assert.equal(JSON.stringify(named(result, "gh-dind-release").inputs).includes("tcp://"), false);
  });
  it("gets no cache variables by default", () => {
    assert.equal(runnerEnv(named(result, "gh-dind-release")).has("BAZEL_REMOTE_CACHE"), false);
  });
  it("lets the namespace run the privileged sidecar", () => {
    assert.equal(
      at(
        named(result, "runner-namespace").inputs,
        "metadata",
        "labels",
        "pod-security.kubernetes.io/enforce",
      ),
      "privileged",
    );
  });
  it("lists the dind label", () => {
    assert.ok((result.outputs["labels"] as string[]).includes("tinyland-dind"));
  });
  it("exports the dind container mode", () => {
    const lanes = result.outputs["lanes"] as Array<Record<string, unknown>>;
    assert.equal(lanes.find((lane) => lane["releaseName"] === "gh-dind")?.["containerMode"], "dind");
  });
});

describe("runners stack: kubernetes mode", () => {
  let release: RecordedResource;
  before(async () => {
    const file = withRunners((runners) => {
      runners["lanes"] = {
        "gh-nix": {
          containerMode: "kubernetes",
          workVolumeClaim: { storageClassName: "fast-ssd", size: "20Gi" },
        },
      };
    });
    release = named(await recordRunners(file), "gh-nix-release");
  });

  it("selects kubernetes container mode", () => {
    assert.equal(at(values(release), "containerMode", "type"), "kubernetes");
  });
  it("passes the storage class", () => {
    assert.equal(
      at(values(release), "containerMode", "kubernetesModeWorkVolumeClaim", "storageClassName"),
      "fast-ssd",
    );
  });
  it("passes the claim size", () => {
    assert.equal(
      at(
        values(release),
        "containerMode",
        "kubernetesModeWorkVolumeClaim",
        "resources",
        "requests",
        "storage",
      ),
      "20Gi",
    );
  });
  it("requests ReadWriteOnce access", () => {
    assert.deepEqual(at(values(release), "containerMode", "kubernetesModeWorkVolumeClaim", "accessModes"), [
      "ReadWriteOnce",
    ]);
  });
  it("sets no Docker host", () => {
    assert.equal(runnerEnv(release).has("DOCKER_HOST"), false);
  });
});

describe("runners stack: no claim outside kubernetes mode", () => {
  it("emits no work volume claim for any default lane", async () => {
    const result = await recordRunners();
    const claims = result.resources.filter((resource) =>
      JSON.stringify(resource.inputs).includes("kubernetesModeWorkVolumeClaim"),
    );
    assert.deepEqual(claims, []);
  });
});

describe("runners stack: extra scale set for another organization", () => {
  let result: RecordResult;
  let otherCredentials: unknown;

  before(async () => {
    const base = withRunners((runners) => {
      runners["extraScaleSets"] = {
        "other-nix": {
          label: "other-nix",
          githubConfigUrl: "https://github.com/other-example/tools",
          githubApp: "other",
          maxRunners: 2,
          caches: ["attic"],
        },
      };
    });
    const file: StackFileConfig = withKeys(
      {
        "flywheel:extraGithubApps": JSON.stringify({
          other: { appId: "3000003", installationId: "4000004", privateKey: "other-pem" },
        }),
      },
      ["flywheel:extraGithubApps"],
      base,
    );
    const pending: Array<Promise<void>> = [];
    result = await recordRunners(file, {
      observe: (args) => {
        if (args.name === "other-nix-github-app-secret") {
          pending.push(
            resolveInput(args.props["stringData"]).then((value) => {
              otherCredentials = value;
            }),
          );
        }
      },
    });
    await Promise.all(pending);
  });

  it("installs a release for it", () => {
    assert.equal(named(result, "other-nix-release").inputs["name"], "other-nix");
  });
  it("points it at the other repository", () => {
    assert.equal(
      values(named(result, "other-nix-release"))["githubConfigUrl"],
      "https://github.com/other-example/tools",
    );
  });
  it("gives it its own credentials Secret", () => {
    assert.equal(values(named(result, "other-nix-release"))["githubConfigSecret"], "other-nix-github-app");
  });
  it("creates that Secret in the runner namespace", () => {
    assert.equal(
      at(named(result, "other-nix-github-app-secret").inputs, "metadata", "namespace"),
      "arc-runners",
    );
  });
  it("fills that Secret from the other App", () => {
    assert.equal(at(otherCredentials, "github_app_private_key"), "other-pem");
  });
  it("keeps the other App's key out of the record", () => {
    assert.equal(JSON.stringify(result.resources).includes("other-pem"), false);
  });
  it("applies its own maxRunners", () => {
    assert.equal(values(named(result, "other-nix-release"))["maxRunners"], 2);
  });
  it("keeps the default lanes on the example organization", () => {
    assert.equal(
      values(named(result, "gh-nix-release"))["githubConfigUrl"],
      "https://github.com/tinyland-example",
    );
  });
  it("keeps two credentials Secrets", () => {
    assert.equal(ofType(result, "flywheel:arc:GithubAppSecret").length, 2);
  });
  it("exports repository scope", () => {
    const lanes = result.outputs["lanes"] as Array<Record<string, unknown>>;
    assert.equal(lanes.find((lane) => lane["releaseName"] === "other-nix")?.["scope"], "repository");
  });
  it("exports the other URL", () => {
    const lanes = result.outputs["lanes"] as Array<Record<string, unknown>>;
    assert.equal(
      lanes.find((lane) => lane["releaseName"] === "other-nix")?.["githubConfigUrl"],
      "https://github.com/other-example/tools",
    );
  });
});

describe("runners stack: registry pull secret", () => {
  let result: RecordResult;
  let dockerConfig: unknown;
  let dockerConfigIsSecret = false;

  before(async () => {
    const file = withKeys(
      { "flywheel:ghcrToken": "ghcr-token-value", "flywheel:ghcrUsername": "tinyland-bot" },
      ["flywheel:ghcrToken"],
    );
    const pending: Array<Promise<void>> = [];
    result = await recordRunners(file, {
      observe: (args) => {
        if (args.name === "ghcr-auth-arc-runners") {
          const stringData = args.props["stringData"] as pulumi.Output<unknown>;
          pending.push(
            (async () => {
              dockerConfigIsSecret = await pulumi.isSecret(stringData);
              dockerConfig = JSON.parse(String(at(await resolveInput(stringData), ".dockerconfigjson")));
            })(),
          );
        }
      },
    });
    await Promise.all(pending);
  });

  function pullSecrets(): RecordedResource[] {
    return ofType(result, SECRET).filter(
      (secret) => secret.inputs["type"] === "kubernetes.io/dockerconfigjson",
    );
  }

  it("creates one copy per ARC namespace", () => {
    assert.deepEqual(
      pullSecrets()
        .map((secret) => at(secret.inputs, "metadata", "namespace"))
        .sort(),
      ["arc-runners", "arc-systems"],
    );
  });
  it("names each copy ghcr-auth", () => {
    assert.deepEqual(
      pullSecrets().map((secret) => at(secret.inputs, "metadata", "name")),
      ["ghcr-auth", "ghcr-auth"],
    );
  });
  it("records the Docker config as [secret]", () => {
    assert.deepEqual(
      pullSecrets().map((secret) => secret.inputs["stringData"]),
      ["[secret]", "[secret]"],
    );
  });
  it("sends the Docker config as a Pulumi secret", () => {
    assert.equal(dockerConfigIsSecret, true);
  });
  it("authenticates the username to ghcr.io", () => {
    assert.equal(at(dockerConfig, "auths", "ghcr.io", "username"), "tinyland-bot");
  });
  it("authenticates with the token", () => {
    assert.equal(at(dockerConfig, "auths", "ghcr.io", "password"), "ghcr-token-value");
  });
  it("keeps the token out of the record", () => {
    assert.equal(JSON.stringify([result.resources, result.outputs]).includes("ghcr-token-value"), false);
  });
  it("lets the controller pull with it", () => {
    assert.deepEqual(values(named(result, "arc-controller-release"))["imagePullSecrets"], [
      { name: "ghcr-auth" },
    ]);
  });
  it("lets runners pull with it", () => {
    assert.deepEqual(at(values(named(result, "gh-nix-release")), "template", "spec", "imagePullSecrets"), [
      { name: "ghcr-auth" },
    ]);
  });
});
