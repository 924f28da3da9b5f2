/**
 * `flywheel ci` end to end: the real CLI and engine, the real stacks and policy pack, stand-in
 * providers and recorded GitHub event payloads. The cases share one sandbox and run in order,
 * because each starts from the state the push to main left behind.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CiRecord, OperationRecord } from "../../automation/ci/record";
import { ZERO_SHA } from "../../automation/ci/changed-files";
import { CACHES_ONLY_RULES_FILE, describeRun, runCi, startCi, type CiRunResult } from "./ci-run";
import { findToolchain, REPO_ROOT, Sandbox } from "./harness";
import { BUSY_MARKER } from "../providers/standin-provider";

const STACKS = ["caches-dev", "runners-dev", "github-dev"] as const;
const RELEASE_JOB = fs.readFileSync(
  path.join(REPO_ROOT, "test", "fixtures", "e2e", "release-job.ts.txt"),
  "utf8",
);
// Line of `runs-on:` in the workflow file that release-job.ts.txt commits.
const RELEASE_RUNS_ON_LINE = 7;

function operation(record: CiRecord | undefined, stack: string, op: OperationRecord["op"]): OperationRecord {
  const found = record?.operations.find((entry) => entry.stack === stack && entry.op === op);
  assert.ok(found, `the record has no ${op} of ${stack}: ${JSON.stringify(record?.operations ?? null)}`);
  return found;
}

function changeCount(op: OperationRecord): number {
  return op.changes.create + op.changes.update + op.changes.delete;
}

function stackOfUrn(urn: string): string {
  return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

describe("flywheel ci end to end", function () {
  let sandbox: Sandbox;
  let pushShas: Record<string, string>;

  /** A push to main that counts every file as changed, so every stack is selected. */
  const pushToMain = () => runCi(sandbox, { event: "push", shas: pushShas });

  /** The same push under settings that select and apply the caches stack alone. */
  const pushCachesOnly = (env: Record<string, string> = {}, args: string[] = []) =>
    startCi(sandbox, { event: "push", shas: pushShas, env, args, rulesFile: CACHES_ONLY_RULES_FILE });

  /** Commits the Release job on a branch, runs the pull request event and returns to main. */
  async function pullRequestAddingReleaseJob(runsOn: string): Promise<CiRunResult> {
    const base = sandbox.git("rev-parse", "HEAD").trim();
    sandbox.git("checkout", "--quiet", "-b", "add-release-job");
    try {
      const stackFile = path.join(sandbox.repo, "stacks", "github.ts");
      const source = fs.readFileSync(stackFile, "utf8");
      const renamed = source.replace(
        "export async function githubStack(",
        "async function githubStackBeforeChange(",
      );
      assert.notEqual(
        renamed,
        source,
        "stacks/github.ts no longer declares `export async function githubStack(`",
      );
      fs.writeFileSync(stackFile, renamed + RELEASE_JOB.replace("__RUNS_ON__", runsOn));
      sandbox.git("commit", "--quiet", "--all", "--message", "Add a release job");
      const head = sandbox.git("rev-parse", "HEAD").trim();
      return await runCi(sandbox, {
        event: "pull_request",
        shas: { BASE_SHA: base, HEAD_SHA: head },
        ref: "refs/pull/42/merge",
        sha: head,
      });
    } finally {
      sandbox.git("checkout", "--quiet", "--force", "main");
      sandbox.git("branch", "--quiet", "-D", "add-release-job");
    }
  }

  before(function () {
    const toolchain = findToolchain();
    if (typeof toolchain === "string") {
      process.stderr.write(`Skipping the end-to-end tests: ${toolchain}.\n`);
      this.skip();
    }
    sandbox = Sandbox.create(toolchain, "ci");
    pushShas = { BEFORE_SHA: ZERO_SHA, AFTER_SHA: sandbox.git("rev-parse", "HEAD").trim() };
  });

  after(function () {
    sandbox?.dispose();
  });

  it("push to main applies stacks in order", async function () {
    const run = await pushToMain();
    assert.equal(run.code, 0, describeRun(run));
    const ups = STACKS.map((stack) => operation(run.record, stack, "up"));
    for (const up of ups) {
      assert.equal(up.status, "succeeded", `${up.stack}: ${up.error ?? ""}`);
    }
    for (let i = 1; i < ups.length; i++) {
      const upstreamEnd = Date.parse(ups[i - 1].endedAt ?? "");
      const start = Date.parse(ups[i].startedAt ?? "");
      assert.ok(start >= upstreamEnd, `${ups[i].stack} started before ${ups[i - 1].stack} ended`);
    }
    for (const up of ups) {
      assert.equal(up.appliedPlan, true, `${up.stack} did not apply the plan its preview saved`);
    }
  });

  it("stack references read real state", function () {
    const caches = sandbox.stackOutputs("caches-dev");
    const runners = sandbox.stackOutputs("runners-dev") as {
      cacheEndpoints?: Record<string, unknown>;
      labels?: string[];
    };
    assert.equal(runners.cacheEndpoints?.bazel, caches.bazelCacheEndpoint);
    assert.equal(runners.cacheEndpoints?.atticServer, caches.atticEndpoint);
    const labels = runners.labels ?? [];
    assert.ok(labels.length > 0, "the runners stack exports no enabled lane labels");
    const workflows = sandbox
      .objects("github")
      .filter(({ object }) => object.type === "github:index/repositoryFile:RepositoryFile");
    assert.ok(workflows.length > 0, "the github stack committed no workflow file");
    // Literal one-line `runs-on: <label>` values; object and expression forms are the policy's to check.
    const literalLabels = workflows.flatMap(({ object }) =>
      [...String(object.properties.content).matchAll(/runs-on:[ \t]*(\S+)/g)]
        .map((match) => match[1].replace(/^["'[]+|["'\],]+$/g, ""))
        .filter((label) => label.length > 0 && !label.startsWith("${{"))
        .map((label) => ({ file: object.id, label })),
    );
    assert.ok(literalLabels.length > 0, "no committed workflow has a literal runs-on label");
    for (const { file, label } of literalLabels) {
      assert.ok(labels.includes(label), `${file} runs on "${label}", not a runners stack label`);
    }
  });

  it("second push reports no changes", async function () {
    const run = await pushToMain();
    assert.equal(run.code, 0, describeRun(run));
    for (const stack of STACKS) {
      const up = operation(run.record, stack, "up");
      assert.equal(changeCount(up), 0, `${stack} changed: ${JSON.stringify(up.changes)}`);
    }
  });

  it("pull request with hosted job is blocked", async function () {
    const run = await pullRequestAddingReleaseJob(`"ubuntu-latest"`);
    assert.equal(run.code, 1, describeRun(run));
    const preview = operation(run.record, "github-dev", "preview");
    assert.notEqual(preview.status, "succeeded");
    const violation = preview.policyViolations.find((entry) =>
      entry.file?.endsWith(".github/workflows/release.yml"),
    );
    assert.ok(violation, `no violation names release.yml: ${JSON.stringify(preview.policyViolations)}`);
    assert.equal(violation.level, "mandatory");
    assert.equal(violation.line, RELEASE_RUNS_ON_LINE);
    const elsewhere = preview.policyViolations.filter(
      (entry) => entry.level === "mandatory" && !entry.message.includes("release.yml"),
    );
    assert.deepEqual(elsewhere, [], "the workflows the stack already generates were blocked too");
    const annotation = run.stdout
      .split("\n")
      .find((line) => line.startsWith("::error") && line.includes("release.yml"));
    assert.ok(annotation, `no error annotation names release.yml:\n${run.stdout}`);
    assert.match(annotation, new RegExp(`line=${RELEASE_RUNS_ON_LINE}\\b`));
  });

  it("label unknown at preview is blocked", async function () {
    const unknownLabel = `new e2eRandom.RandomString("e2e-release-label", { length: 12, special: false }).result`;
    const run = await pullRequestAddingReleaseJob(unknownLabel);
    assert.equal(run.code, 1, describeRun(run));
    const preview = operation(run.record, "github-dev", "preview");
    assert.notEqual(preview.status, "succeeded");
    const mandatory = preview.policyViolations.filter((entry) => entry.level === "mandatory");
    assert.ok(
      mandatory.some((entry) => entry.message.includes("release.yml")),
      `no mandatory violation names release.yml: ${JSON.stringify(preview.policyViolations)}`,
    );
  });

  it("scheduled run finds drift", async function () {
    const runnersObject = sandbox
      .objects("kubernetes")
      .find(
        ({ object }) =>
          stackOfUrn(object.urn) === "runners-dev" && object.type === "kubernetes:helm.sh/v3:Release",
      );
    assert.ok(runnersObject, "the runners stack left no Helm release in the stand-in cluster");
    const edited = { ...runnersObject.object };
    edited.properties = { ...edited.properties, description: "edited outside Pulumi" };
    fs.writeFileSync(runnersObject.file, JSON.stringify(edited, null, 2));
    const resourceName = runnersObject.object.urn.split("::").pop() ?? "";

    const run = await runCi(sandbox, { event: "schedule" });
    assert.equal(run.code, 1, describeRun(run));
    const drift = operation(run.record, "runners-dev", "drift");
    assert.equal(drift.drift, true);
    assert.equal(drift.status, "failed");
    assert.ok(JSON.stringify(drift).includes(resourceName), `the drift record does not name ${resourceName}`);
    const caches = operation(run.record, "caches-dev", "drift");
    assert.equal(caches.drift, false);
  });

  it("update refuses a change after preview", async function () {
    const cachesObject = sandbox
      .objects("kubernetes")
      .find(({ object }) => stackOfUrn(object.urn) === "caches-dev");
    assert.ok(cachesObject, "the caches stack left no object in the stand-in cluster");
    const resourceName = cachesObject.object.urn.split("::").pop() ?? "";
    const urnsBefore = sandbox.stackUrns("caches-dev");

    const run = await pushCachesOnly({ FLYWHEEL_STANDIN_CHANGE_ON_RECHECK: resourceName }).finished;
    assert.equal(run.code, 1, describeRun(run));
    const up = operation(run.record, "caches-dev", "up");
    assert.equal(up.status, "failed");
    assert.equal(up.errorKind, "PlanMismatchError", up.error);
    assert.deepEqual(sandbox.stackUrns("caches-dev"), urnsBefore);
    const stored = JSON.parse(fs.readFileSync(cachesObject.file, "utf8")) as {
      properties: Record<string, unknown>;
    };
    assert.equal(
      stored.properties.standinCheck,
      undefined,
      "the refused update still reached the stand-in cluster",
    );
  });

  it("concurrent updates keep state intact", async function () {
    const urnsBefore = sandbox.stackUrns("caches-dev");
    // Slow checks make both runs' operations last long enough to overlap. The first run waits for
    // the lock and retries; the second gives up at once.
    const env = { FLYWHEEL_STANDIN_CHECK_DELAY_MS: "100" };
    const runs = await Promise.all([
      pushCachesOnly(env, ["--lock-retry-delay", "2000"]).finished,
      pushCachesOnly(env, ["--lock-retries", "0"]).finished,
    ]);
    const transcript = runs.map(describeRun).join("\n\n");
    const failures = runs.flatMap(
      (run) => run.record?.operations.filter((op) => op.status === "failed") ?? [],
    );
    for (const failure of failures) {
      assert.equal(failure.errorKind, "StackLockedError", transcript);
    }
    const waited = runs.some((run) => run.stdout.includes("is locked"));
    assert.ok(waited || failures.length > 0, `neither run met the other's lock:\n${transcript}`);
    assert.ok(
      runs.some((run) => run.code === 0),
      transcript,
    );
    assert.deepEqual(sandbox.lockFiles(), []);
    assert.deepEqual(sandbox.stackUrns("caches-dev"), urnsBefore);
  });

  it("SIGTERM releases the stack lock", async function () {
    // Every resource gets an update to apply, and each update waits, so the signal lands mid-update.
    const generation = { FLYWHEEL_STANDIN_EXTRA_INPUT: "standinGeneration=2" };
    const busy = path.join(sandbox.standinDir, BUSY_MARKER);
    fs.rmSync(busy, { force: true });
    const started = pushCachesOnly({ ...generation, FLYWHEEL_STANDIN_DELAY_MS: "3000" });
    await waitFor(() => fs.existsSync(busy), 240_000, "an update to start");
    started.process.kill("SIGTERM");
    const interrupted = await started.finished;
    assert.notEqual(interrupted.code, 0, describeRun(interrupted));
    assert.equal(operation(interrupted.record, "caches-dev", "up").errorKind, "OperationCancelledError");
    assert.deepEqual(sandbox.lockFiles(), []);

    const next = await pushCachesOnly(generation).finished;
    assert.equal(next.code, 0, describeRun(next));
    const cachesObjects = sandbox
      .objects("kubernetes")
      .filter(({ object }) => stackOfUrn(object.urn) === "caches-dev");
    const stale = cachesObjects.filter(({ object }) => object.properties.standinGeneration !== "2");
    assert.deepEqual(
      stale.map(({ object }) => object.id),
      [],
    );
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
