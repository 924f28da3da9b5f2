import * as assert from "node:assert/strict";
import type { RecordedResource, RecordResult } from "../../automation/render/recorder";
import { fitLimitRangeMax } from "../../components/guardrails/runner-namespace-guardrails";
import { parseQuantity } from "../../config/quantity";
import { recordProgram } from "../../automation/render/recorder";
import { RunnerNamespaceGuardrails } from "../../components/guardrails/runner-namespace-guardrails";
import { at, devStackFile, loadRunners, named, ofType, recordRunners, withRunners } from "./helpers/runners";

const CRONJOB = "kubernetes:batch/v1:CronJob";
const PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass";

function limitItem(result: RecordResult): Record<string, unknown> {
  return at(named(result, "runner-guardrails-limits").inputs, "spec", "limits", 0) as Record<string, unknown>;
}

function cleanupContainer(cronJob: RecordedResource): Record<string, unknown> {
  return at(cronJob.inputs, "spec", "jobTemplate", "spec", "template", "spec", "containers", 0) as Record<
    string,
    unknown
  >;
}

function cleanupEnv(cronJob: RecordedResource): Map<string, unknown> {
  const env = cleanupContainer(cronJob)["env"] as Array<{ name: string; value: unknown }>;
  return new Map(env.map((variable) => [variable.name, variable.value]));
}

describe("runner namespace guardrails: defaults", () => {
  let result: RecordResult;
  before(async () => {
    result = await recordRunners();
  });

  it("is a RunnerNamespaceGuardrails component", () => {
    assert.equal(named(result, "runner-guardrails").type, "flywheel:guardrails:RunnerNamespaceGuardrails");
  });

  describe("NetworkPolicy", () => {
    let policy: RecordedResource;
    before(() => {
      policy = named(result, "runner-guardrails-deny-ingress");
    });

    it("applies to the runner namespace", () => {
      assert.equal(at(policy.inputs, "metadata", "namespace"), "arc-runners");
    });
    it("selects every pod", () => {
      assert.deepEqual(at(policy.inputs, "spec", "podSelector"), {});
    });
    it("governs ingress only", () => {
      assert.deepEqual(at(policy.inputs, "spec", "policyTypes"), ["Ingress"]);
    });
    it("admits no ingress", () => {
      assert.equal(at(policy.inputs, "spec", "ingress"), undefined);
    });
    it("is a child of the guardrails", () => {
      assert.equal(policy.parent, "runner-guardrails");
    });
  });

  describe("ResourceQuota", () => {
    let quota: RecordedResource;
    before(() => {
      quota = named(result, "runner-guardrails-quota");
    });

    it("applies to the runner namespace", () => {
      assert.equal(at(quota.inputs, "metadata", "namespace"), "arc-runners");
    });
    it("caps CPU requests at 16", () => {
      assert.equal(at(quota.inputs, "spec", "hard", "requests.cpu"), "16");
    });
    it("caps memory requests at 32Gi", () => {
      assert.equal(at(quota.inputs, "spec", "hard", "requests.memory"), "32Gi");
    });
    it("caps pods at 50", () => {
      assert.equal(at(quota.inputs, "spec", "hard", "pods"), "50");
    });
  });

  describe("LimitRange", () => {
    it("applies to the runner namespace", () => {
      assert.equal(
        at(named(result, "runner-guardrails-limits").inputs, "metadata", "namespace"),
        "arc-runners",
      );
    });
    it("limits containers", () => {
      assert.equal(limitItem(result)["type"], "Container");
    });
    it("defaults limits to 1 / 1Gi", () => {
      assert.deepEqual(limitItem(result)["default"], { cpu: "1", memory: "1Gi" });
    });
    it("defaults requests to 100m / 128Mi", () => {
      assert.deepEqual(limitItem(result)["defaultRequest"], { cpu: "100m", memory: "128Mi" });
    });
    it("allows at most 4 / 8Gi", () => {
      assert.deepEqual(limitItem(result)["max"], { cpu: "4", memory: "8Gi" });
    });
  });

  it("creates no PriorityClass", () => {
    assert.equal(ofType(result, PRIORITY_CLASS).length, 0);
  });

  describe("cleanup CronJob", () => {
    let cronJob: RecordedResource;
    before(() => {
      cronJob = named(result, "runner-guardrails-cleanup-cronjob");
    });

    it("is a PodCleanup component", () => {
      assert.equal(named(result, "runner-guardrails-cleanup").type, "flywheel:guardrails:PodCleanup");
    });
    it("runs every five minutes", () => {
      assert.equal(at(cronJob.inputs, "spec", "schedule"), "*/5 * * * *");
    });
    it("never overlaps itself", () => {
      assert.equal(at(cronJob.inputs, "spec", "concurrencyPolicy"), "Forbid");
    });
    it("runs in the runner namespace", () => {
      assert.equal(at(cronJob.inputs, "metadata", "namespace"), "arc-runners");
    });
    it("pins its image", () => {
      assert.match(String(cleanupContainer(cronJob)["image"]), /:[0-9][^/:]*$/);
    });
    it("cleans the runner namespace", () => {
      assert.equal(cleanupEnv(cronJob).get("NAMESPACE"), "arc-runners");
    });
    it("force-deletes Terminating pods after 300 s", () => {
      assert.equal(cleanupEnv(cronJob).get("TERMINATING_SECONDS"), "300");
    });
    it("deletes Succeeded pods after 600 s", () => {
      assert.equal(cleanupEnv(cronJob).get("SUCCEEDED_SECONDS"), "600");
    });
    it("deletes Failed pods after 1800 s", () => {
      assert.equal(cleanupEnv(cronJob).get("FAILED_SECONDS"), "1800");
    });
    it("runs as its own service account", () => {
      assert.equal(
        at(cronJob.inputs, "spec", "jobTemplate", "spec", "template", "spec", "serviceAccountName"),
        at(named(result, "runner-guardrails-cleanup-account").inputs, "metadata", "name"),
      );
    });
    it("runs the script from its ConfigMap", () => {
      const volumes = at(
        cronJob.inputs,
        "spec",
        "jobTemplate",
        "spec",
        "template",
        "spec",
        "volumes",
      ) as Array<Record<string, unknown>>;
      assert.equal(
        at(
          volumes.find((volume) => volume["name"] === "script"),
          "configMap",
          "name",
        ),
        at(named(result, "runner-guardrails-cleanup-script").inputs, "metadata", "name"),
      );
    });
    it("runs as a non-root user", () => {
      assert.equal(
        at(
          cronJob.inputs,
          "spec",
          "jobTemplate",
          "spec",
          "template",
          "spec",
          "securityContext",
          "runAsNonRoot",
        ),
        true,
      );
    });
    it("drops every capability", () => {
      assert.deepEqual(at(cleanupContainer(cronJob), "securityContext", "capabilities", "drop"), ["ALL"]);
    });
    it("cannot escalate privileges", () => {
      assert.equal(at(cleanupContainer(cronJob), "securityContext", "allowPrivilegeEscalation"), false);
    });
    it("ships a script that deletes pods", () => {
      const script = String(
        at(named(result, "runner-guardrails-cleanup-script").inputs, "data", "cleanup.sh"),
      );
      assert.match(script, /kubectl delete pod/);
    });
  });

  describe("cleanup RBAC", () => {
    it("grants only get, list and delete on pods", () => {
      assert.deepEqual(at(named(result, "runner-guardrails-cleanup-role").inputs, "rules"), [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "delete"] },
      ]);
    });
    it("is a namespaced Role in the runner namespace", () => {
      assert.equal(
        at(named(result, "runner-guardrails-cleanup-role").inputs, "metadata", "namespace"),
        "arc-runners",
      );
    });
    it("binds the Role", () => {
      assert.deepEqual(at(named(result, "runner-guardrails-cleanup-binding").inputs, "roleRef"), {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: at(named(result, "runner-guardrails-cleanup-role").inputs, "metadata", "name"),
      });
    });
    it("binds the CronJob's service account", () => {
      assert.deepEqual(at(named(result, "runner-guardrails-cleanup-binding").inputs, "subjects"), [
        {
          kind: "ServiceAccount",
          name: at(named(result, "runner-guardrails-cleanup-account").inputs, "metadata", "name"),
          namespace: "arc-runners",
        },
      ]);
    });
    it("creates no cluster-wide role", () => {
      assert.equal(
        result.resources.some((resource) => resource.type.includes("ClusterRole")),
        false,
      );
    });
  });
});

describe("runner namespace guardrails: options", () => {
  it("raises the LimitRange max to the largest lane", async () => {
    const file = withRunners((runners) => {
      runners["lanes"] = { "gh-nix": { resources: { limits: { cpu: "8", memory: "16Gi" } } } };
    });
    assert.deepEqual(limitItem(await recordRunners(file))["max"], { cpu: "8", memory: "16Gi" });
  });
  it("ignores disabled lanes when raising the max", async () => {
    const file = withRunners((runners) => {
      runners["lanes"] = { "gh-dind": { resources: { limits: { cpu: "12", memory: "24Gi" } } } };
    });
    assert.deepEqual(limitItem(await recordRunners(file))["max"], { cpu: "4", memory: "8Gi" });
  });
  it("creates the configured PriorityClasses", async () => {
    const file = withRunners((runners) => {
      runners["guardrails"] = { priorityClasses: { enabled: true } };
    });
    const classes = ofType(await recordRunners(file), PRIORITY_CLASS);
    assert.deepEqual(
      classes.map((priority) => [at(priority.inputs, "metadata", "name"), priority.inputs["value"]]).sort(),
      [
        ["arc-runner-high", 1000],
        ["arc-runner-low", 100],
      ],
    );
  });
  it("sets a lane's priority class on its pods", async () => {
    const file = withRunners((runners) => {
      runners["guardrails"] = { priorityClasses: { enabled: true } };
      runners["lanes"] = { "gh-nix": { priorityClassName: "arc-runner-high" } };
    });
    const release = named(await recordRunners(file), "gh-nix-release");
    assert.equal(at(release.inputs, "values", "template", "spec", "priorityClassName"), "arc-runner-high");
  });
  it("drops the CronJob when cleanup is off", async () => {
    const file = withRunners((runners) => {
      runners["guardrails"] = { cleanup: { enabled: false } };
    });
    assert.equal(ofType(await recordRunners(file), CRONJOB).length, 0);
  });
  it("drops every guardrail when all are off", async () => {
    const file = withRunners((runners) => {
      runners["guardrails"] = {
        networkPolicy: { enabled: false },
        resourceQuota: { enabled: false },
        limitRange: { enabled: false },
        cleanup: { enabled: false },
      };
    });
    const children = (await recordRunners(file)).resources.filter((resource) =>
      resource.name.startsWith("runner-guardrails-"),
    );
    assert.deepEqual(children, []);
  });
  it("applies an overridden quota", async () => {
    const file = withRunners((runners) => {
      runners["guardrails"] = { resourceQuota: { cpu: "32" } };
    });
    const quota = named(await recordRunners(file), "runner-guardrails-quota");
    assert.equal(at(quota.inputs, "spec", "hard", "requests.cpu"), "32");
  });
  it("keeps the default memory quota beside an override", async () => {
    const file = withRunners((runners) => {
      runners["guardrails"] = { resourceQuota: { cpu: "32" } };
    });
    const quota = named(await recordRunners(file), "runner-guardrails-quota");
    assert.equal(at(quota.inputs, "spec", "hard", "requests.memory"), "32Gi");
  });
});

describe("fitLimitRangeMax", () => {
  it("keeps the max when every limit fits", () => {
    assert.deepEqual(fitLimitRangeMax({ cpu: "4", memory: "8Gi" }, [{ cpu: "2", memory: "4Gi" }]), {
      cpu: "4",
      memory: "8Gi",
    });
  });
  it("compares across units", () => {
    assert.deepEqual(fitLimitRangeMax({ cpu: "4", memory: "8Gi" }, [{ cpu: "4500m", memory: "8192Mi" }]), {
      cpu: "4500m",
      memory: "8Gi",
    });
  });
});

describe("parseQuantity", () => {
  const cases: Array<[string, number]> = [
    ["500m", 0.5],
    ["4", 4],
    ["1Gi", 2 ** 30],
    ["256Mi", 256 * 2 ** 20],
    ["1G", 1e9],
    ["1.5", 1.5],
    ["1e3", 1000],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${text}`, () => {
      assert.equal(parseQuantity(text), expected);
    });
  }
  it("rejects a word", () => {
    assert.throws(() => parseQuantity("four"), /not a Kubernetes quantity/);
  });
});

describe("RunnerNamespaceGuardrails", () => {
  let result: RecordResult;

  before(async () => {
    const config = loadRunners(devStackFile());
    if (config.family !== "runners") {
      throw new Error("the example stack is not a runners stack");
    }
    const guardrails = config.runners.guardrails;
    result = await recordProgram(
      async () => {
        new RunnerNamespaceGuardrails("team-a", { namespace: "team-a", guardrails, scaleSetLimits: [] });
        new RunnerNamespaceGuardrails("team-b", { namespace: "team-b", guardrails, scaleSetLimits: [] });
        return {};
      },
      { stack: "runners-dev", config: {} },
    );
  });

  it("gives two instances distinct resource names", () => {
    const names = result.resources.map((resource) => `${resource.type}::${resource.name}`);
    assert.equal(new Set(names).size, names.length);
  });
  it("puts each quota in its own namespace", () => {
    assert.deepEqual(
      ofType(result, "kubernetes:core/v1:ResourceQuota")
        .map((quota) => at(quota.inputs, "metadata", "namespace"))
        .sort(),
      ["team-a", "team-b"],
    );
  });
  it("keeps the LimitRange max without scale sets", () => {
    assert.deepEqual(at(named(result, "team-a-limits").inputs, "spec", "limits", 0, "max"), {
      cpu: "4",
      memory: "8Gi",
    });
  });
});
