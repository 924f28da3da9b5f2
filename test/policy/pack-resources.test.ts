import * as assert from "node:assert/strict";

import { EnforcementLevel } from "@pulumi/pulumi/proto/analyzer_pb";

import { type Diagnostic, PolicyPackProcess } from "./helpers/analyzer";
import {
  cacheRelease,
  cacheService,
  configMap,
  deployment,
  mutate,
  runnerGroup,
  scaleSetRelease,
  UNKNOWN,
} from "./helpers/resources";

function fromPolicy(diagnostics: Diagnostic[], policyName: string): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.policyName === policyName);
}

describe("policy pack: resource policies", function () {
  let pack: PolicyPackProcess | undefined;

  before(async function () {
    this.timeout(180_000);
    pack = await PolicyPackProcess.start();
  });

  after(async function () {
    await pack?.stop();
  });

  beforeEach(async function () {
    await running().configure({});
  });

  function running(): PolicyPackProcess {
    if (!pack) {
      throw new Error("The policy pack did not start; see the before hook's error.");
    }
    return pack;
  }

  describe("GetAnalyzerInfo", function () {
    it("lists the seven policies", async function () {
      const info = await running().getAnalyzerInfo();
      const names = info.getPoliciesList().map((policy) => policy.getName());
      assert.deepEqual(names, [
        "no-hosted-runner",
        "fleet-label-served",
        "no-hosted-named-scale-set",
        "runner-group-no-public",
        "pinned-images",
        "no-credentials-in-configmap",
        "cache-services-internal",
      ]);
    });

    it("defaults every policy to mandatory", async function () {
      const info = await running().getAnalyzerInfo();
      const levels = new Set(info.getPoliciesList().map((policy) => policy.getEnforcementlevel()));
      assert.deepEqual([...levels], [EnforcementLevel.MANDATORY]);
    });

    it("describes every policy in one sentence", async function () {
      const info = await running().getAnalyzerInfo();
      for (const policy of info.getPoliciesList()) {
        assert.match(policy.getDescription(), /^[A-Z][^.]*\.$/, policy.getName());
      }
    });

    it("publishes the fleet configuration schema", async function () {
      const info = await running().getAnalyzerInfo();
      const policy = info.getPoliciesList().find((item) => item.getName() === "no-hosted-runner");
      const properties = policy?.getConfigschema()?.getProperties()?.toJavaScript() ?? {};
      assert.deepEqual(Object.keys(properties).sort(), ["labelPrefixes", "labels", "variables"]);
    });
  });

  describe("no-hosted-named-scale-set", function () {
    it("passes a fleet-named scale set", async function () {
      const diagnostics = await running().analyze(scaleSetRelease());
      assert.deepEqual(fromPolicy(diagnostics, "no-hosted-named-scale-set"), []);
    });

    it("rejects a scale set named ubuntu-latest", async function () {
      const diagnostics = await running().analyze(scaleSetRelease("gh-nix", "ubuntu-latest"));
      const found = fromPolicy(diagnostics, "no-hosted-named-scale-set");
      assert.equal(found.length, 1);
      assert.match(found[0].message, /runnerScaleSetName "ubuntu-latest" must not look like a GitHub-hosted/);
    });

    it("rejects a scale set named self-hosted", async function () {
      const diagnostics = await running().analyze(scaleSetRelease("gh-nix", "self-hosted"));
      assert.equal(fromPolicy(diagnostics, "no-hosted-named-scale-set").length, 1);
    });

    it("names the scale set after the release without runnerScaleSetName", async function () {
      const release = mutate(scaleSetRelease("windows-2022"), (properties) => {
        delete properties.values.runnerScaleSetName;
      });
      const found = fromPolicy(await running().analyze(release), "no-hosted-named-scale-set");
      assert.match(found[0]?.message ?? "", /"windows-2022"/);
    });

    it("ignores releases of other charts", async function () {
      const diagnostics = await running().analyze(
        mutate(scaleSetRelease("gh-nix", "ubuntu-latest"), (properties) => {
          properties.chart = "bazel-remote";
        }),
      );
      assert.deepEqual(fromPolicy(diagnostics, "no-hosted-named-scale-set"), []);
    });
  });

  describe("runner-group-no-public", function () {
    it("passes a group closed to public repositories", async function () {
      assert.deepEqual(await running().analyze(runnerGroup()), []);
    });

    it("rejects a group open to public repositories", async function () {
      const open = mutate(runnerGroup(), (properties) => {
        properties.allowsPublicRepositories = true;
      });
      const found = fromPolicy(await running().analyze(open), "runner-group-no-public");
      assert.equal(found.length, 1);
      assert.match(found[0].message, /Runner group fleet must not allow public repositories/);
    });

    it("passes an open group listed in allowPublicRunnerGroups", async function () {
      await running().configure({
        "runner-group-no-public": { properties: { allowPublicRunnerGroups: ["fleet"] } },
      });
      const open = mutate(runnerGroup(), (properties) => {
        properties.allowsPublicRepositories = true;
      });
      assert.deepEqual(await running().analyze(open), []);
    });

    it("rejects allowsPublicRepositories unknown at preview", async function () {
      const unknown = mutate(runnerGroup(), (properties) => {
        properties.allowsPublicRepositories = UNKNOWN;
      });
      const found = fromPolicy(await running().analyze(unknown), "runner-group-no-public");
      assert.equal(found[0]?.enforcementLevel, "mandatory");
    });
  });

  describe("pinned-images", function () {
    it("passes a Deployment pinned by tag and digest", async function () {
      assert.deepEqual(await running().analyze(deployment()), []);
    });

    it("rejects a container image tagged latest", async function () {
      const latest = mutate(deployment(), (properties) => {
        properties.spec.template.spec.containers[0].image = "ghcr.io/zhaofengli/attic:latest";
      });
      const found = fromPolicy(await running().analyze(latest), "pinned-images");
      assert.equal(found.length, 1);
      assert.match(found[0].message, /Deployment attic container attic image must be pinned/);
    });

    it("rejects an init container image without a tag", async function () {
      const untagged = mutate(deployment(), (properties) => {
        properties.spec.template.spec.initContainers[0].image = "registry.local:5000/busybox";
      });
      const found = fromPolicy(await running().analyze(untagged), "pinned-images");
      assert.match(found[0]?.message ?? "", /container wait-db image must be pinned.*has no tag/);
    });

    it("passes a registry port without mistaking it for a tag", async function () {
      const withPort = mutate(deployment(), (properties) => {
        properties.spec.template.spec.initContainers[0].image = "registry.local:5000/busybox:1.37.0";
      });
      assert.deepEqual(await running().analyze(withPort), []);
    });

    it("passes the runner image of a scale-set release", async function () {
      assert.deepEqual(fromPolicy(await running().analyze(scaleSetRelease()), "pinned-images"), []);
    });

    it("rejects a scale-set runner image tagged latest", async function () {
      const latest = mutate(scaleSetRelease(), (properties) => {
        properties.values.template.spec.containers[0].image = "ghcr.io/actions/actions-runner:latest";
      });
      const found = fromPolicy(await running().analyze(latest), "pinned-images");
      assert.match(found[0]?.message ?? "", /values\.template\.spec\.containers\[0\]\.image must be pinned/);
    });

    it("passes a Helm image object with a tag", async function () {
      assert.deepEqual(await running().analyze(cacheRelease()), []);
    });

    it("rejects a Helm image object without a tag", async function () {
      const untagged = mutate(cacheRelease(), (properties) => {
        delete properties.values.image.tag;
      });
      const found = fromPolicy(await running().analyze(untagged), "pinned-images");
      assert.match(found[0]?.message ?? "", /Helm release bazel-cache value values\.image must be pinned/);
    });

    it("rejects an image unknown at preview", async function () {
      const unknown = mutate(deployment(), (properties) => {
        properties.spec.template.spec.containers[0].image = UNKNOWN;
      });
      const found = fromPolicy(await running().analyze(unknown), "pinned-images");
      assert.equal(found[0]?.enforcementLevel, "mandatory");
    });

    it("rejects containers unknown at preview", async function () {
      const unknown = mutate(deployment(), (properties) => {
        properties.spec.template.spec.containers = UNKNOWN;
      });
      const found = fromPolicy(await running().analyze(unknown), "pinned-images");
      assert.match(found[0]?.message ?? "", /Deployment attic containers must be known at preview/);
    });

    it("rejects Helm values unknown at preview", async function () {
      const unknown = mutate(cacheRelease(), (properties) => {
        properties.values = UNKNOWN;
      });
      const found = fromPolicy(await running().analyze(unknown), "pinned-images");
      assert.match(found[0]?.message ?? "", /Helm release bazel-cache values must be known at preview/);
    });

    it("rejects a CronJob image tagged latest", async function () {
      const cronJob = {
        type: "kubernetes:batch/v1:CronJob",
        name: "runner-cleanup",
        properties: {
          spec: {
            schedule: "*/5 * * * *",
            jobTemplate: {
              spec: {
                template: { spec: { containers: [{ name: "cleanup", image: "bitnami/kubectl:latest" }] } },
              },
            },
          },
        },
      };
      const found = fromPolicy(await running().analyze(cronJob), "pinned-images");
      assert.match(found[0]?.message ?? "", /CronJob runner-cleanup container cleanup image must be pinned/);
    });
  });

  describe("no-credentials-in-configmap", function () {
    it("passes settings without credentials", async function () {
      assert.deepEqual(await running().analyze(configMap()), []);
    });

    it("rejects a key named like a password", async function () {
      const withKey = mutate(configMap(), (properties) => {
        properties.data.DATABASE_PASSWORD = "hunter2-not-real";
      });
      const found = fromPolicy(await running().analyze(withKey), "no-credentials-in-configmap");
      assert.match(found[0]?.message ?? "", /data key "DATABASE_PASSWORD" must not contain credentials/);
    });

    it("rejects a database URL with a password", async function () {
      const withUrl = mutate(configMap(), (properties) => {
        properties.data.DATABASE_URL = "postgres://attic:example-pass@attic-pg-rw:5432/attic";
      });
      const found = fromPolicy(await running().analyze(withUrl), "no-credentials-in-configmap");
      assert.match(found[0]?.message ?? "", /URL with a password/);
    });

    it("rejects a PEM private key", async function () {
      const withKey = mutate(configMap(), (properties) => {
        properties.data["app.key"] = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";
      });
      const found = fromPolicy(await running().analyze(withKey), "no-credentials-in-configmap");
      assert.match(found[0]?.message ?? "", /PEM private key/);
    });

    it("rejects a signing key inside server.toml", async function () {
      const withToml = mutate(configMap(), (properties) => {
        properties.data["server.toml"] = 'listen = "[::]:8080"\ntoken-hs256-secret-base64 = "c2VjcmV0"\n';
      });
      const found = fromPolicy(await running().analyze(withToml), "no-credentials-in-configmap");
      assert.match(found[0]?.message ?? "", /line 2 assigns token-hs256-secret-base64/);
    });

    it("never quotes the credential value", async function () {
      const withUrl = mutate(configMap(), (properties) => {
        properties.data.DATABASE_URL = "postgres://attic:example-pass@attic-pg-rw:5432/attic";
      });
      const found = fromPolicy(await running().analyze(withUrl), "no-credentials-in-configmap");
      assert.doesNotMatch(found[0]?.message ?? "", /example-pass/);
    });

    it("passes a CA certificate", async function () {
      const withCertificate = mutate(configMap(), (properties) => {
        properties.data["ca.crt"] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
      });
      assert.deepEqual(await running().analyze(withCertificate), []);
    });
  });

  describe("cache-services-internal", function () {
    it("passes a ClusterIP cache Service", async function () {
      assert.deepEqual(await running().analyze(cacheService()), []);
    });

    it("rejects a LoadBalancer in a cache namespace", async function () {
      const exposed = mutate(cacheService(), (properties) => {
        properties.spec.type = "LoadBalancer";
      });
      const found = fromPolicy(await running().analyze(exposed), "cache-services-internal");
      assert.match(
        found[0]?.message ?? "",
        /Service nix-cache\/attic must be of type ClusterIP, not LoadBalancer/,
      );
    });

    it("rejects a NodePort labelled as a cache", async function () {
      const exposed = mutate(cacheService(), (properties) => {
        properties.metadata.namespace = "tools";
        properties.metadata.labels["app.kubernetes.io/component"] = "cache";
        properties.spec.type = "NodePort";
      });
      assert.equal(fromPolicy(await running().analyze(exposed), "cache-services-internal").length, 1);
    });

    it("rejects a LoadBalancer in a namespace unknown at preview", async function () {
      const unknown = mutate(cacheService(), (properties) => {
        properties.metadata.namespace = UNKNOWN;
        properties.spec.type = "LoadBalancer";
      });
      const found = fromPolicy(await running().analyze(unknown), "cache-services-internal");
      assert.match(found[0]?.message ?? "", /namespace or labels are unknown at preview/);
    });

    it("passes a LoadBalancer outside the caches", async function () {
      const elsewhere = mutate(cacheService(), (properties) => {
        properties.metadata.namespace = "ingress";
        properties.spec.type = "LoadBalancer";
      });
      assert.deepEqual(await running().analyze(elsewhere), []);
    });

    it("passes a LoadBalancer listed in allowPublicServices", async function () {
      await running().configure({
        "cache-services-internal": { properties: { allowPublicServices: ["nix-cache/attic"] } },
      });
      const exposed = mutate(cacheService(), (properties) => {
        properties.spec.type = "LoadBalancer";
      });
      assert.deepEqual(await running().analyze(exposed), []);
    });
  });

  describe("enforcement levels", function () {
    const latest = (): ReturnType<typeof deployment> =>
      mutate(deployment(), (properties) => {
        properties.spec.template.spec.containers[0].image = "ghcr.io/zhaofengli/attic:latest";
      });

    it("reports mandatory without configuration", async function () {
      const found = fromPolicy(await running().analyze(latest()), "pinned-images");
      assert.equal(found[0]?.enforcementLevel, "mandatory");
    });

    it("reports advisory when configured advisory", async function () {
      await running().configure({ "pinned-images": { enforcementLevel: "advisory" } });
      const found = fromPolicy(await running().analyze(latest()), "pinned-images");
      assert.equal(found[0]?.enforcementLevel, "advisory");
    });

    it("reports mandatory when configured mandatory", async function () {
      await running().configure({ "pinned-images": { enforcementLevel: "mandatory" } });
      const found = fromPolicy(await running().analyze(latest()), "pinned-images");
      assert.equal(found[0]?.enforcementLevel, "mandatory");
    });

    it("reports nothing when configured disabled", async function () {
      await running().configure({ "pinned-images": { enforcementLevel: "disabled" } });
      assert.deepEqual(fromPolicy(await running().analyze(latest()), "pinned-images"), []);
    });

    it("rejects an unknown configuration key by name", async function () {
      await running().configure({ "pinned-images": { properties: { allowLatest: true } } });
      await assert.rejects(running().analyze(latest()), /"pinned-images" is invalid: allowLatest/);
    });
  });
});
