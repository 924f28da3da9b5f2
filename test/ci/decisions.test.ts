import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../../automation/ci/errors";
import type { CiRecord } from "../../automation/ci/record";
import { eventFile, githubEnv, runDriver, TempRepo } from "./helpers";

function operations(record: CiRecord): string[] {
  return record.operations.map((op) => `${op.op} ${op.stack}`);
}

describe("flywheel ci decisions", () => {
  let repo: TempRepo;
  let base: string;

  before(() => {
    repo = new TempRepo();
    base = repo.head();
  });

  after(() => {
    repo.remove();
  });

  async function decidePullRequest(
    files: Record<string, string | null>,
    fixture = "pull_request.opened.json",
  ) {
    repo.git("checkout", "--quiet", base);
    const head = repo.commit(files);
    const event = eventFile(fixture, { base, head }, repo.dir);
    return runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("pull_request", event) });
  }

  const pathCases: { name: string; files: Record<string, string | null>; expected: string[] }[] = [
    {
      name: "runners stack file",
      files: { "stacks/runners.ts": "1" },
      expected: ["preview runners-dev", "preview github-dev"],
    },
    {
      name: "runners config",
      files: { "config/runners.ts": "1" },
      expected: ["preview runners-dev", "preview github-dev"],
    },
    {
      name: "arc component",
      files: { "components/arc/scale-set.ts": "1" },
      expected: ["preview runners-dev", "preview github-dev"],
    },
    {
      name: "guardrails component",
      files: { "components/guardrails/quota.ts": "1" },
      expected: ["preview runners-dev", "preview github-dev"],
    },
    {
      name: "caches component",
      files: { "components/caches/attic.ts": "1" },
      expected: ["preview caches-dev", "preview runners-dev", "preview github-dev"],
    },
    {
      name: "github component",
      files: { "components/github/files.ts": "1" },
      expected: ["preview github-dev"],
    },
    {
      name: "workflow definitions",
      files: { "workflows/validate.ts": "1" },
      expected: ["preview github-dev"],
    },
    {
      name: "policy pack",
      files: { "policy/rules/hosted.ts": "1" },
      expected: ["preview caches-dev", "preview runners-dev", "preview github-dev"],
    },
    {
      name: "program entry",
      files: { "index.ts": "1" },
      expected: ["preview caches-dev", "preview runners-dev", "preview github-dev"],
    },
    {
      name: "lock file",
      files: { "package-lock.json": "{}" },
      expected: ["preview caches-dev", "preview runners-dev", "preview github-dev"],
    },
    {
      name: "one stack's settings",
      files: { "Pulumi.runners-dev.yaml": "config: {}\n" },
      expected: ["preview runners-dev", "preview github-dev"],
    },
    {
      name: "other environment's settings",
      files: { "Pulumi.runners-staging.yaml": "config: {}\n" },
      expected: [],
    },
    { name: "markdown only", files: { "components/arc/README.md": "# arc\n" }, expected: [] },
    { name: "docs only", files: { "docs/benchmarks.md": "x" }, expected: [] },
    { name: "deleted readme", files: { "README.md": null }, expected: [] },
  ];

  for (const testCase of pathCases) {
    it(`previews for a change to ${testCase.name}`, async () => {
      const { record, exitCode } = await decidePullRequest(testCase.files);
      assert.deepEqual(operations(record), testCase.expected);
      assert.equal(exitCode, 0);
    });
  }

  it("gives downstream stacks a reason", async () => {
    const { record } = await decidePullRequest({ "config/caches.ts": "2" });
    const github = record.operations.find((op) => op.stack === "github-dev");
    assert.equal(github?.reason, "reads outputs of runners-dev, which is affected");
  });

  it("names the changed file in the reason", async () => {
    const { record } = await decidePullRequest({ "config/caches.ts": "3" });
    assert.equal(record.operations[0].reason, "config/caches.ts changed");
  });

  it("marks every dry-run operation planned", async () => {
    const { record } = await decidePullRequest({ "policy/index.ts": "4" });
    assert.ok(record.operations.every((op) => op.status === "planned"));
  });

  it("lists unaffected stacks as skipped", async () => {
    const { record } = await decidePullRequest({ "components/github/x.ts": "5" });
    assert.deepEqual(
      record.skipped.map((skip) => skip.stack),
      ["caches-dev", "runners-dev"],
    );
  });

  it("records the changed files", async () => {
    const { record } = await decidePullRequest({ "stacks/github.ts": "6", "docs/a.md": "x" });
    assert.deepEqual(record.changedFiles, ["docs/a.md", "stacks/github.ts"]);
  });

  it("logs one changed file in the singular", async () => {
    const { log } = await decidePullRequest({ "stacks/github.ts": "6b" });
    assert.match(log, /^1 changed file, 1 operation decided\.$/m);
  });

  it("previews on synchronize", async () => {
    const { record } = await decidePullRequest({ "stacks/github.ts": "7" }, "pull_request.synchronize.json");
    assert.deepEqual(operations(record), ["preview github-dev"]);
  });

  it("does nothing for a closed pull request", async () => {
    const { record } = await decidePullRequest({ "stacks/github.ts": "8" }, "pull_request.closed.json");
    assert.equal(record.operations.length, 0);
    assert.match(record.notices[0], /action "closed" needs no preview/);
  });

  it("renders a fork's pull request offline", async () => {
    const { record } = await decidePullRequest({ "stacks/runners.ts": "9" }, "pull_request.fork.json");
    assert.equal(record.operations.length, 0);
    assert.match(record.skipped[0].reason, /fork contributor\/flywheel: no state or secrets are used/);
    assert.match(record.notices.join("\n"), /offline render and audit/);
  });

  it("takes environments from --env", async () => {
    repo.git("checkout", "--quiet", base);
    const head = repo.commit({ "stacks/github.ts": "10" });
    const event = eventFile("pull_request.opened.json", { base, head }, repo.dir);
    const { record } = await runDriver({
      repoRoot: repo.dir,
      dryRun: true,
      environments: ["dev", "staging"],
      env: githubEnv("pull_request", event),
    });
    assert.deepEqual(operations(record), ["preview github-dev", "preview github-staging"]);
  });

  describe("push", () => {
    async function decidePush(fixture: string, files: Record<string, string | null>, rulesFile?: string) {
      repo.git("checkout", "--quiet", base);
      const head = repo.commit(files);
      const event = eventFile(fixture, { base, head }, repo.dir);
      return runDriver({ repoRoot: repo.dir, dryRun: true, rulesFile, env: githubEnv("push", event) });
    }

    it("applies runners and previews the rest on main", async () => {
      const { record } = await decidePush("push.main.json", { "config/caches.ts": "11" });
      assert.deepEqual(operations(record), ["preview caches-dev", "up runners-dev", "preview github-dev"]);
    });

    it("says why a stack is auto-applied", async () => {
      const { record } = await decidePush("push.main.json", { "config/runners.ts": "12" });
      assert.match(record.operations[0].reason, /auto-applied on the default branch/);
    });

    it("does nothing on another branch", async () => {
      const { record } = await decidePush("push.branch.json", { "config/runners.ts": "13" });
      assert.equal(record.operations.length, 0);
      assert.match(record.notices[0], /not the default branch main/);
    });

    it("does nothing for a tag", async () => {
      const { record } = await decidePush("push.tag.json", { "config/runners.ts": "14" });
      assert.equal(record.operations.length, 0);
      assert.match(record.notices[0], /tag v1\.2\.0/);
    });

    it("does nothing for a deleted branch", async () => {
      repo.git("checkout", "--quiet", base);
      const head = repo.commit({ "config/runners.ts": "deleted" });
      const event = eventFile("push.main.json", { base, head }, repo.dir, (payload) => {
        payload.deleted = true;
      });
      const { record } = await runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("push", event) });
      assert.equal(record.operations.length, 0);
      assert.match(record.notices[0], /Push deleted refs\/heads\/main/);
    });

    it("counts every file for a new default branch", async () => {
      const { record } = await decidePush("push.new-default-branch.json", { "config/github.ts": "15" });
      assert.ok(record.changedFiles.includes("Pulumi.yaml"));
      assert.deepEqual(operations(record), ["preview caches-dev", "up runners-dev", "preview github-dev"]);
      assert.match(record.notices[0], /no previous commit to compare/);
    });

    it("follows autoApply from a rules file", async () => {
      const rules = path.join(repo.dir, "..", `rules-${path.basename(repo.dir)}.yaml`);
      fs.writeFileSync(rules, "autoApply: [caches, github]\n");
      try {
        const { record } = await decidePush("push.main.json", { "config/caches.ts": "16" }, rules);
        assert.deepEqual(operations(record), ["up caches-dev", "preview runners-dev", "up github-dev"]);
      } finally {
        fs.rmSync(rules);
      }
    });

    it("puts rules-file rules before the defaults", async () => {
      const rules = path.join(repo.dir, "..", `rules-${path.basename(repo.dir)}.json`);
      fs.writeFileSync(
        rules,
        JSON.stringify({ rules: [{ match: "docs/runbooks/**", affects: ["caches"] }] }),
      );
      try {
        const { record } = await decidePush("push.main.json", { "docs/runbooks/restore.txt": "17" }, rules);
        assert.deepEqual(operations(record), ["preview caches-dev", "up runners-dev", "preview github-dev"]);
      } finally {
        fs.rmSync(rules);
      }
    });
  });

  describe("schedule and dispatch", () => {
    it("checks every stack for drift on schedule", async () => {
      const event = eventFile("schedule.json", {}, repo.dir);
      const { record } = await runDriver({
        repoRoot: repo.dir,
        dryRun: true,
        env: githubEnv("schedule", event),
      });
      assert.deepEqual(operations(record), ["drift caches-dev", "drift runners-dev", "drift github-dev"]);
    });

    it("runs the dispatched operation on the named stack", async () => {
      const event = eventFile("workflow_dispatch.json", {}, repo.dir);
      const { record } = await runDriver({
        repoRoot: repo.dir,
        dryRun: true,
        env: githubEnv("workflow_dispatch", event),
      });
      assert.deepEqual(operations(record), ["up runners-dev"]);
    });

    it("expands stacks all in dependency order", async () => {
      const event = eventFile("workflow_dispatch.json", {}, repo.dir, (payload) => {
        payload.inputs = { operation: "refresh", stacks: "all" };
      });
      const { record } = await runDriver({
        repoRoot: repo.dir,
        dryRun: true,
        env: githubEnv("workflow_dispatch", event),
      });
      assert.deepEqual(operations(record), [
        "refresh caches-dev",
        "refresh runners-dev",
        "refresh github-dev",
      ]);
    });

    it("rejects an unknown dispatched stack", async () => {
      const event = eventFile("workflow_dispatch.json", {}, repo.dir, (payload) => {
        payload.inputs = { operation: "up", stacks: "runners-prod" };
      });
      await assert.rejects(
        runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("workflow_dispatch", event) }),
        (err: Error) => err instanceof UsageError && /unknown stack runners-prod/.test(err.message),
      );
    });

    it("rejects an unknown dispatched operation", async () => {
      const event = eventFile("workflow_dispatch.json", {}, repo.dir, (payload) => {
        payload.inputs = { operation: "destroy", stacks: "all" };
      });
      await assert.rejects(
        runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("workflow_dispatch", event) }),
        (err: Error) =>
          err instanceof UsageError && /must be one of preview, up, refresh, drift/.test(err.message),
      );
    });

    it("rejects a dispatched update off the default branch", async () => {
      const event = eventFile("workflow_dispatch.json", {}, repo.dir);
      await assert.rejects(
        runDriver({
          repoRoot: repo.dir,
          dryRun: true,
          env: githubEnv("workflow_dispatch", event, { GITHUB_REF: "refs/heads/evil-branch" }),
        }),
        (err: Error) =>
          err instanceof UsageError &&
          /operation up runs only on the default branch refs\/heads\/main, but the run is on refs\/heads\/evil-branch/.test(
            err.message,
          ),
      );
    });

    for (const operation of ["preview", "refresh", "drift"]) {
      it(`allows a dispatched ${operation} off the default branch`, async () => {
        const event = eventFile("workflow_dispatch.json", {}, repo.dir, (payload) => {
          payload.inputs = { operation, stacks: "runners-dev" };
        });
        const { record } = await runDriver({
          repoRoot: repo.dir,
          dryRun: true,
          env: githubEnv("workflow_dispatch", event, { GITHUB_REF: "refs/heads/evil-branch" }),
        });
        assert.deepEqual(operations(record), [`${operation} runners-dev`]);
      });
    }

    it("rejects a dispatched update without a default branch", async () => {
      const event = eventFile("workflow_dispatch.json", {}, repo.dir, (payload) => {
        delete (payload.repository as { default_branch?: string }).default_branch;
      });
      await assert.rejects(
        runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("workflow_dispatch", event) }),
        (err: Error) => err instanceof UsageError && /lacks repository\.default_branch/.test(err.message),
      );
    });

    it("rejects an unknown dispatch input", async () => {
      const event = eventFile("workflow_dispatch.json", {}, repo.dir, (payload) => {
        payload.inputs = { operation: "preview", stack: "runners-dev" };
      });
      await assert.rejects(
        runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("workflow_dispatch", event) }),
        (err: Error) =>
          err instanceof UsageError &&
          err.message ===
            'workflow_dispatch has unknown input "stack"; the accepted inputs are operation and stacks.',
      );
    });

    it("logs counts in the singular", async () => {
      const event = eventFile("workflow_dispatch.json", {}, repo.dir);
      const { log } = await runDriver({
        repoRoot: repo.dir,
        dryRun: true,
        env: githubEnv("workflow_dispatch", event),
      });
      assert.match(log, /^0 changed files, 1 operation decided\.$/m);
    });

    it("ignores events it does not handle", async () => {
      const event = eventFile("schedule.json", {}, repo.dir);
      const { record } = await runDriver({
        repoRoot: repo.dir,
        dryRun: true,
        env: githubEnv("issues", event),
      });
      assert.equal(record.operations.length, 0);
      assert.match(record.notices[0], /Event issues is not one the driver handles/);
    });
  });

  describe("bad input", () => {
    it("rejects a missing event file", async () => {
      const missing = path.join(repo.dir, "no-such-event.json");
      await assert.rejects(
        runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("push", missing) }),
        (err: Error) => err instanceof UsageError && err.message.includes(missing),
      );
    });

    it("rejects a malformed event file", async () => {
      const broken = path.join(repo.dir, "..", `broken-${path.basename(repo.dir)}.json`);
      fs.writeFileSync(broken, "{ not json");
      try {
        await assert.rejects(
          runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("push", broken) }),
          (err: Error) => err instanceof UsageError && /is not valid JSON/.test(err.message),
        );
      } finally {
        fs.rmSync(broken);
      }
    });

    it("rejects a payload of the wrong kind", async () => {
      const event = eventFile("schedule.json", {}, repo.dir);
      await assert.rejects(
        runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("push", event) }),
        (err: Error) => err instanceof UsageError && /lacks ref, before, after/.test(err.message),
      );
    });

    it("rejects a base commit missing from the checkout", async () => {
      const event = eventFile("pull_request.opened.json", { base: "3".repeat(40), head: base }, repo.dir);
      await assert.rejects(
        runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("pull_request", event) }),
        (err: Error) => err instanceof UsageError && /fetch-depth: 0/.test(err.message),
      );
    });

    it("rejects a SHA that is not 40 hex characters", async () => {
      const event = eventFile("pull_request.opened.json", { base, head: "not-a-sha; rm -rf /" }, repo.dir);
      await assert.rejects(
        runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("pull_request", event) }),
        (err: Error) =>
          err instanceof UsageError &&
          /invalid SHA in pull_request\.head\.sha: "not-a-sha; rm -rf \/" is not 40 hexadecimal/.test(
            err.message,
          ),
      );
    });

    it("rejects an invalid push SHA", async () => {
      const event = eventFile("push.main.json", { base: "1234", head: base }, repo.dir);
      await assert.rejects(
        runDriver({ repoRoot: repo.dir, dryRun: true, env: githubEnv("push", event) }),
        (err: Error) => err instanceof UsageError && /invalid SHA in before: "1234"/.test(err.message),
      );
    });

    it("rejects an environment without stacks", async () => {
      const event = eventFile("schedule.json", {}, repo.dir);
      await assert.rejects(
        runDriver({
          repoRoot: repo.dir,
          dryRun: true,
          environments: ["prod"],
          env: githubEnv("schedule", event),
        }),
        (err: Error) => err instanceof UsageError && /--env prod names no stack/.test(err.message),
      );
    });

    it("rejects an invalid rules file", async () => {
      const rules = path.join(repo.dir, "..", `bad-rules-${path.basename(repo.dir)}.yaml`);
      fs.writeFileSync(rules, "autoApply: [runners, databases]\n");
      const event = eventFile("schedule.json", {}, repo.dir);
      try {
        await assert.rejects(
          runDriver({
            repoRoot: repo.dir,
            dryRun: true,
            rulesFile: rules,
            env: githubEnv("schedule", event),
          }),
          (err: Error) => err instanceof UsageError && err.message.includes("autoApply.1"),
        );
      } finally {
        fs.rmSync(rules);
      }
    });
  });
});
