import * as assert from "node:assert/strict";
import { EngineEventFold } from "../../automation/ci/engine-events";
import {
  classifyPulumiError,
  PlanMismatchError,
  PolicyViolationError,
  SecretsProviderError,
  StackLockedError,
  StackNotFoundError,
  StackOperationError,
} from "../../automation/ci/errors";
import { globToRegExp } from "../../automation/ci/glob";
import { affectedStacks, DEFAULT_SETTINGS } from "../../automation/ci/path-rules";
import { Redactor } from "../../automation/ci/redact";
import {
  checkAcyclic,
  DEFAULT_DEPENDENCIES,
  runInDependencyOrder,
  sortByDependencies,
  upstreamStacks,
} from "../../automation/ci/stack-graph";

const DEV_STACKS = ["caches-dev", "runners-dev", "github-dev"];

describe("globToRegExp", () => {
  const cases: { glob: string; path: string; matches: boolean }[] = [
    { glob: "components/arc/**", path: "components/arc/scale-set.ts", matches: true },
    { glob: "components/arc/**", path: "components/arc/deep/x.ts", matches: true },
    { glob: "components/arc/**", path: "components/arcade/x.ts", matches: false },
    { glob: "**/*.md", path: "README.md", matches: true },
    { glob: "**/*.md", path: "docs/a/b.md", matches: true },
    { glob: "Pulumi.*.yaml", path: "Pulumi.yaml", matches: false },
    { glob: "Pulumi.*.yaml", path: "Pulumi.runners-dev.yaml", matches: true },
    { glob: "{stacks,config}/caches.ts", path: "config/caches.ts", matches: true },
    { glob: "{stacks,config}/caches.ts", path: "policy/caches.ts", matches: false },
    { glob: "docs/", path: "docs/benchmarks.md", matches: true },
    { glob: "stacks/?.ts", path: "stacks/ab.ts", matches: false },
  ];
  for (const { glob, path, matches } of cases) {
    it(`${matches ? "matches" : "rejects"} ${path} for ${glob}`, () => {
      assert.equal(globToRegExp(glob).test(path), matches);
    });
  }

  it("rejects an unclosed brace", () => {
    assert.throws(() => globToRegExp("{a,b"), /has no closing "}"/);
  });
});

describe("affectedStacks", () => {
  it("ignores files matching no rule", () => {
    assert.equal(affectedStacks(["test/ci/x.test.ts"], DEV_STACKS, DEFAULT_SETTINGS).size, 0);
  });

  it("counts the files beyond three", () => {
    const files = ["policy/a.ts", "policy/b.ts", "policy/c.ts", "policy/d.ts", "policy/e.ts"];
    const reasons = affectedStacks(files, DEV_STACKS, DEFAULT_SETTINGS).get("caches-dev");
    assert.deepEqual(reasons, [
      "policy/a.ts, policy/b.ts, policy/c.ts and 2 more changed, which every stack uses",
    ]);
  });

  it("affects every stack for a shared config module", () => {
    const affected = affectedStacks(["config/quantity.ts"], DEV_STACKS, DEFAULT_SETTINGS);
    assert.equal(affected.size, DEV_STACKS.length);
  });

  it("leaves stacks upstream of a family's component", () => {
    const affected = affectedStacks(["components/arc/scale-set.ts"], DEV_STACKS, DEFAULT_SETTINGS);
    assert.equal(affected.has("caches-dev"), false);
  });

  it("affects only the named stack file's stack", () => {
    const affected = affectedStacks(
      ["Pulumi.caches-dev.yaml"],
      [...DEV_STACKS, "caches-staging"],
      DEFAULT_SETTINGS,
    );
    assert.equal(affected.has("caches-staging"), false);
  });
});

describe("stack graph", () => {
  it("orders a shuffled chain", () => {
    assert.deepEqual(
      sortByDependencies(["github-dev", "caches-dev", "runners-dev"], DEFAULT_DEPENDENCIES),
      DEV_STACKS,
    );
  });

  it("finds upstream stacks in the same environment", () => {
    assert.deepEqual(upstreamStacks("github-staging", DEFAULT_DEPENDENCIES), ["runners-staging"]);
  });

  it("rejects a cycle", () => {
    assert.throws(
      () => checkAcyclic({ caches: ["github"], runners: ["caches"], github: ["runners"] }, "rules.yaml"),
      /dependsOn has a cycle \(caches -> github -> runners -> caches\)/,
    );
  });

  it("blocks the dependents of a failed stack", async () => {
    const outcomes = await runInDependencyOrder(
      DEV_STACKS,
      (stack) => upstreamStacks(stack, DEFAULT_DEPENDENCIES),
      async (stack) => stack !== "caches-dev",
      { concurrency: 2 },
    );
    assert.deepEqual(outcomes.get("runners-dev"), {
      kind: "blocked",
      reason: "caches-dev, which it depends on, failed",
    });
    assert.deepEqual(outcomes.get("github-dev"), {
      kind: "blocked",
      reason: "runners-dev, which it depends on, was blocked",
    });
  });

  it("counts a rejection as a failure", async () => {
    const outcomes = await runInDependencyOrder(
      ["caches-dev"],
      () => [],
      async () => Promise.reject(new Error("x")),
      {
        concurrency: 1,
      },
    );
    assert.deepEqual(outcomes.get("caches-dev"), { kind: "failed" });
  });

  it("never exceeds the concurrency", async () => {
    let running = 0;
    let peak = 0;
    const stacks = ["caches-a", "caches-b", "caches-c", "caches-d", "caches-e"];
    await runInDependencyOrder(
      stacks,
      () => [],
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
        return true;
      },
      { concurrency: 2 },
    );
    assert.equal(peak, 2);
  });

  it("starts nothing after an abort", async () => {
    const controller = new AbortController();
    controller.abort();
    const outcomes = await runInDependencyOrder(
      ["caches-dev"],
      () => [],
      async () => true,
      {
        concurrency: 1,
        signal: controller.signal,
      },
    );
    assert.equal(outcomes.get("caches-dev")?.kind, "blocked");
  });
});

describe("classifyPulumiError", () => {
  const redactor = new Redactor();
  const failure = (stderr: string) => ({ commandResult: { stdout: "", stderr, code: -2 } });
  const cases: { name: string; stderr: string; type: new (...args: never[]) => StackOperationError }[] = [
    {
      name: "file backend lock",
      stderr:
        "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
        "  file:///state/.pulumi/locks/organization/flywheel/runners-dev/a.json: created by ci@host (pid 7) at 2026-12-04T10:00:00Z",
      type: StackLockedError,
    },
    {
      name: "cloud conflict",
      stderr: "error: [409] Conflict: Another update is currently in progress.",
      type: StackLockedError,
    },
    { name: "missing stack", stderr: "error: no stack named 'runners-dev' found", type: StackNotFoundError },
    {
      name: "plan mismatch",
      stderr: "error: resource urn:x violates plan: properties changed",
      type: PlanMismatchError,
    },
    {
      name: "wrong passphrase",
      stderr: "error: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase",
      type: SecretsProviderError,
    },
    {
      name: "policy failure",
      stderr: "error: preview failed: 1 mandatory policy violation",
      type: PolicyViolationError,
    },
  ];
  for (const { name, stderr, type } of cases) {
    it(`classifies a ${name}`, () => {
      assert.ok(classifyPulumiError("runners-dev", failure(stderr), redactor) instanceof type);
    });
  }

  it("keeps an unknown failure generic", () => {
    const error = classifyPulumiError("runners-dev", failure("error: something odd"), redactor);
    assert.equal(error.name, "StackOperationError");
  });

  it("lists the lock holders", () => {
    const error = classifyPulumiError("runners-dev", failure(cases[0].stderr), redactor) as StackLockedError;
    assert.equal(error.holders.length, 1);
  });
});

describe("EngineEventFold", () => {
  it("counts steps when no summary arrives", () => {
    const fold = new EngineEventFold(new Redactor());
    for (const [op, name] of [
      ["create", "a"],
      ["delete", "b"],
      ["same", "c"],
      ["replace", "d"],
    ]) {
      const metadata = { op, urn: `urn:pulumi:s::flywheel::t::${name}`, type: "t", provider: "" };
      fold.onEvent({ sequence: 1, timestamp: 0, resourcePreEvent: { metadata } } as never);
    }
    assert.deepEqual(fold.changes, { create: 1, update: 1, delete: 1, same: 1 });
  });

  it("strips color tags before locating the file", () => {
    const fold = new EngineEventFold(new Redactor());
    fold.onEvent({
      sequence: 1,
      timestamp: 0,
      policyEvent: {
        message:
          "<{%fg 12%}>apps/.github/workflows/release.yml:9: job release: must run only on fleet runners<{%reset%}>\n",
        color: "raw",
        policyName: "no-hosted-runner",
        policyPackName: "flywheel",
        policyPackVersion: "0.1.0",
        policyPackVersionTag: "",
        enforcementLevel: "mandatory",
      },
    });
    const [violation] = fold.policyViolations;
    assert.equal(
      violation.message,
      "apps/.github/workflows/release.yml:9: job release: must run only on fleet runners",
    );
    assert.equal(violation.file, "apps/.github/workflows/release.yml");
    assert.equal(violation.line, 9);
  });

  it("keeps a policy message without a location", () => {
    const fold = new EngineEventFold(new Redactor());
    fold.onEvent({
      sequence: 1,
      timestamp: 0,
      policyEvent: {
        message: "Release gh-nix must set maxRunners",
        color: "",
        policyName: "scale-set-capacity",
        policyPackName: "flywheel",
        policyPackVersion: "0.1.0",
        policyPackVersionTag: "",
        enforcementLevel: "warning",
      },
    });
    assert.equal(fold.policyViolations[0].file, undefined);
  });
});

describe("Redactor", () => {
  it("redacts every string inside a structured secret", () => {
    const redactor = new Redactor();
    redactor.add(JSON.stringify({ accessKey: "AKIAEXAMPLEKEY", nested: ["swordfish-value"] }));
    assert.equal(redactor.redact("key AKIAEXAMPLEKEY and swordfish-value"), "key [secret] and [secret]");
  });

  it("redacts the JSON-escaped form", () => {
    const redactor = new Redactor();
    redactor.add('line one\nline "two"');
    assert.equal(redactor.redact(JSON.stringify({ v: 'line one\nline "two"' })), '{"v":"[secret]"}');
  });
});
