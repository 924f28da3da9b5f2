import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CiRecord, OperationRecord } from "../../automation/ci/record";
import {
  eventFile,
  FAKE_PULUMI_ROOT,
  FakeCall,
  FakePulumi,
  githubEnv,
  PROJECT_ROOT,
  runDriver,
  stackOf,
  TempRepo,
} from "./helpers";

const RELEASE = "kubernetes:helm.sh/v3:Release";

function urn(stack: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::flywheel::${type}::${name}`;
}

/** Engine events of one resource step: the step, then its outputs. */
function step(stack: string, op: string, name: string, diffs: string[] = []): object[] {
  const metadata = { op, urn: urn(stack, RELEASE, name), type: RELEASE, provider: "", diffs };
  return [{ resourcePreEvent: { metadata } }, { resOutputsEvent: { metadata } }];
}

function summary(resourceChanges: Record<string, number>): object {
  return { summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges, policyPacks: {} } };
}

function policy(message: string, enforcementLevel: "mandatory" | "warning"): object {
  return {
    policyEvent: {
      message,
      color: "never",
      policyName: "no-hosted-fallback",
      policyPackName: "flywheel",
      policyPackVersion: "0.1.0",
      policyPackVersionTag: "0.1.0",
      enforcementLevel,
    },
  };
}

function operation(record: CiRecord, stack: string): OperationRecord {
  const found = record.operations.find((op) => op.stack === stack);
  assert.ok(found, `no operation for ${stack}`);
  return found;
}

function argAfter(call: FakeCall, flag: string): string | undefined {
  const index = call.args.indexOf(flag);
  return index >= 0 ? call.args[index + 1] : undefined;
}

/** Start and end times of each operation command per stack, from the stand-in CLI's log. */
function spans(fake: FakePulumi, command: string): Map<string, { start: number; end: number }> {
  const result = new Map<string, { start: number; end: number }>();
  const byPid = new Map<number, { start: number; end: number; stack: string }>();
  for (const call of fake.calls()) {
    if (call.args[0] !== command) {
      continue;
    }
    if (call.event === "start") {
      byPid.set(call.pid, { start: call.time, end: Infinity, stack: stackOf(call) ?? "" });
    } else if (call.event === "end") {
      const span = byPid.get(call.pid);
      if (span) {
        span.end = call.time;
        result.set(span.stack, { start: span.start, end: span.end });
      }
    }
  }
  return result;
}

function overlap(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}

describe("flywheel ci with the Pulumi CLI", function () {
  this.timeout(120_000);
  let repo: TempRepo;
  let base: string;
  const fakes: FakePulumi[] = [];
  const savedFakeDir = process.env.FAKE_PULUMI_DIR;

  before(() => {
    repo = new TempRepo();
    base = repo.head();
  });

  after(() => {
    repo.remove();
    fakes.forEach((fake) => fake.remove());
    if (savedFakeDir === undefined) {
      delete process.env.FAKE_PULUMI_DIR;
    } else {
      process.env.FAKE_PULUMI_DIR = savedFakeDir;
    }
  });

  function useFake(scenario: unknown): FakePulumi {
    const fake = new FakePulumi(scenario);
    fakes.push(fake);
    process.env.FAKE_PULUMI_DIR = fake.dir;
    return fake;
  }

  function pulumiEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      FLYWHEEL_PULUMI_ROOT: FAKE_PULUMI_ROOT,
      PULUMI_BACKEND_URL: "file:///tmp/flywheel-unused-backend",
      ...extra,
    };
  }

  function pullRequest(files: Record<string, string>): string {
    repo.git("checkout", "--quiet", base);
    const head = repo.commit(files);
    return eventFile("pull_request.opened.json", { base, head }, repo.dir);
  }

  function dispatch(operationName: string, stacks: string): string {
    return eventFile("workflow_dispatch.json", {}, repo.dir, (payload) => {
      payload.inputs = { operation: operationName, stacks };
    });
  }

  describe("push to main", () => {
    let record: CiRecord;
    let exitCode: number;
    let log: string;
    let fake: FakePulumi;

    before(async () => {
      const stack = "runners-dev";
      fake = useFake({
        stacks: {
          [stack]: {
            preview: {
              events: [
                ...step(stack, "create", "gh-nix"),
                ...step(stack, "update", "gh-docker", ["values"]),
                summary({ create: 1, update: 1, same: 2 }),
              ],
            },
            up: {
              events: [
                ...step(stack, "create", "gh-nix"),
                ...step(stack, "update", "gh-docker"),
                summary({ create: 1, update: 1, same: 2 }),
              ],
            },
          },
        },
      });
      repo.git("checkout", "--quiet", base);
      const head = repo.commit({ "config/runners.ts": "push" });
      const event = eventFile("push.main.json", { base, head }, repo.dir);
      ({ record, exitCode, log } = await runDriver({
        repoRoot: repo.dir,
        env: { ...githubEnv("push", event), ...pulumiEnv() },
      }));
    });

    it("exits 0", () => {
      assert.equal(exitCode, 0);
    });

    it("counts the update's changes", () => {
      assert.deepEqual(operation(record, "runners-dev").changes, {
        create: 1,
        update: 1,
        delete: 0,
        same: 2,
      });
    });

    it("marks the update succeeded", () => {
      assert.equal(operation(record, "runners-dev").status, "succeeded");
    });

    it("applies the plan the preview saved", () => {
      const calls = fake.starts("preview").filter((call) => stackOf(call) === "runners-dev") ?? [];
      const [up] = fake.starts("up") ?? [];
      assert.ok(argAfter(calls[0], "--save-plan"));
      assert.equal(argAfter(up, "--plan"), argAfter(calls[0], "--save-plan"));
    });

    it("records that the plan was applied", () => {
      assert.equal(operation(record, "runners-dev").appliedPlan, true);
    });

    it("runs the policy pack on the update", () => {
      const [up] = fake.starts("up") ?? [];
      assert.equal(argAfter(up, "--policy-pack"), path.join(repo.dir, "policy"));
    });

    it("writes the diff without values", () => {
      assert.equal(
        operation(record, "runners-dev").diff,
        `+ create ${RELEASE} gh-nix\n~ update ${RELEASE} gh-docker`,
      );
    });

    it("shows progress before the stack's group", () => {
      const live = log.search(/^runners-dev: \d+ of \d+ resources done\.$/m);
      const group = log.indexOf("::group::up runners-dev");
      assert.ok(live >= 0, log);
      assert.ok(live < group, log);
    });

    it("previews github only after runners finished", () => {
      const runners = operation(record, "runners-dev");
      const github = operation(record, "github-dev");
      assert.ok((runners.endedAt ?? "") <= (github.startedAt ?? ""));
    });

    it("previews the stack that is not auto-applied", () => {
      assert.equal(
        fake.starts("up").every((call) => stackOf(call) === "runners-dev"),
        true,
      );
    });
  });

  describe("mandatory policy violation", () => {
    let record: CiRecord;
    let exitCode: number;
    let log: string;

    before(async () => {
      const message =
        ".github/workflows/platform-proof.yml:14: job proof can run on GitHub-hosted runner ubuntu-latest";
      useFake({
        stacks: {
          "runners-dev": {
            preview: {
              events: [
                ...step("runners-dev", "same", "gh-nix"),
                policy(message, "mandatory"),
                summary({ same: 1 }),
              ],
              exitCode: 255,
              stderr: "error: preview failed\n",
            },
          },
        },
      });
      const event = pullRequest({ "config/runners.ts": "policy" });
      ({ record, exitCode, log } = await runDriver({
        repoRoot: repo.dir,
        env: { ...githubEnv("pull_request", event), ...pulumiEnv() },
      }));
    });

    it("exits 1", () => {
      assert.equal(exitCode, 1);
    });

    it("fails the stack as a policy violation", () => {
      assert.equal(operation(record, "runners-dev").errorKind, "PolicyViolationError");
    });

    it("records the policy and level", () => {
      const [violation] = operation(record, "runners-dev").policyViolations;
      assert.equal(violation.policy, "no-hosted-fallback");
      assert.equal(violation.level, "mandatory");
    });

    it("parses file and line from the message", () => {
      const [violation] = operation(record, "runners-dev").policyViolations;
      assert.equal(violation.file, ".github/workflows/platform-proof.yml");
      assert.equal(violation.line, 14);
    });

    it("blocks the dependent stack", () => {
      assert.equal(operation(record, "github-dev").status, "blocked");
      assert.match(operation(record, "github-dev").error ?? "", /runners-dev, which it depends on, failed/);
    });

    it("annotates the violating line", () => {
      assert.match(
        log,
        /::error file=\.github\/workflows\/platform-proof\.yml,line=14::runners-dev: no-hosted-fallback/,
      );
    });
  });

  describe("locked stack", () => {
    it("retries until the lock is released", async () => {
      const current = useFake({ stacks: { "caches-dev": { preview: { lockedAttempts: 2 } } } });
      const event = dispatch("preview", "caches-dev");
      const { record, log } = await runDriver({
        repoRoot: repo.dir,
        env: { ...githubEnv("workflow_dispatch", event), ...pulumiEnv() },
      });
      assert.equal(operation(record, "caches-dev").status, "succeeded");
      assert.equal(current.starts("preview").length, 3);
      assert.match(log, /Stack caches-dev is locked; retry 2 of 3/);
    });

    it("names the lock holder after the last retry", async () => {
      useFake({ stacks: { "caches-dev": { preview: { lockedAttempts: 99 } } } });
      const event = dispatch("preview", "caches-dev");
      const { record, exitCode } = await runDriver({
        repoRoot: repo.dir,
        lockRetries: 1,
        env: { ...githubEnv("workflow_dispatch", event), ...pulumiEnv() },
      });
      const caches = operation(record, "caches-dev");
      assert.equal(exitCode, 1);
      assert.equal(caches.errorKind, "StackLockedError");
      assert.match(caches.error ?? "", /created by ci@build-host \(pid 4242\)/);
      assert.match(caches.error ?? "", /pulumi cancel --stack caches-dev/);
    });
  });

  describe("crash", () => {
    let record: CiRecord;
    let exitCode: number;

    before(async () => {
      useFake({
        stacks: {
          "caches-dev": { preview: { crash: true, events: step("caches-dev", "create", "bazel-cache") } },
        },
      });
      const event = dispatch("preview", "caches-dev,caches-staging");
      ({ record, exitCode } = await runDriver({
        repoRoot: repo.dir,
        environments: ["dev", "staging"],
        env: { ...githubEnv("workflow_dispatch", event), ...pulumiEnv() },
      }));
    });

    it("exits 1", () => {
      assert.equal(exitCode, 1);
    });

    it("reports the crashed stack failed", () => {
      assert.equal(operation(record, "caches-dev").status, "failed");
      assert.match(operation(record, "caches-dev").error ?? "", /panic: runtime error/);
    });

    it("still runs the independent stack", () => {
      assert.equal(operation(record, "caches-staging").status, "succeeded");
    });
  });

  describe("concurrency", () => {
    const delayed = { preview: { delayMs: 1500 } };
    const scenario = {
      stacks: Object.fromEntries(
        ["caches", "runners", "github"].flatMap((family) =>
          ["dev", "staging"].map((env) => [`${family}-${env}`, delayed]),
        ),
      ),
    };

    it("overlaps independent stacks", async () => {
      const current = useFake(scenario);
      const event = dispatch("preview", "all");
      await runDriver({
        repoRoot: repo.dir,
        environments: ["dev", "staging"],
        env: { ...githubEnv("workflow_dispatch", event), ...pulumiEnv() },
      });
      const times = spans(current, "preview");
      const dev = times.get("caches-dev");
      const staging = times.get("caches-staging");
      assert.ok(dev, "caches-dev was not previewed");
      assert.ok(staging, "caches-staging was not previewed");
      assert.ok(
        overlap(dev, staging),
        `caches-dev ${JSON.stringify(dev)} and caches-staging ${JSON.stringify(staging)} did not overlap`,
      );
    });

    it("never overlaps dependent stacks", async () => {
      const current = useFake(scenario);
      const event = dispatch("preview", "all");
      await runDriver({
        repoRoot: repo.dir,
        environments: ["dev", "staging"],
        env: { ...githubEnv("workflow_dispatch", event), ...pulumiEnv() },
      });
      const times = spans(current, "preview");
      for (const env of ["dev", "staging"]) {
        const [caches, runners, github] = ["caches", "runners", "github"].map((family) => {
          const span = times.get(`${family}-${env}`);
          assert.ok(span, `${family}-${env} was not previewed`);
          return span;
        });
        assert.ok(!overlap(caches, runners), `caches-${env} overlapped runners-${env}`);
        assert.ok(!overlap(runners, github), `runners-${env} overlapped github-${env}`);
      }
    });

    it("runs stacks made independent by a rules file side by side", async () => {
      const current = useFake(scenario);
      const rules = path.join(repo.dir, "..", `independent-${path.basename(repo.dir)}.yaml`);
      fs.writeFileSync(rules, "dependsOn: { caches: [], runners: [], github: [runners] }\n");
      try {
        await runDriver({
          repoRoot: repo.dir,
          rulesFile: rules,
          env: {
            ...githubEnv("workflow_dispatch", dispatch("preview", "caches-dev,runners-dev")),
            ...pulumiEnv(),
          },
        });
      } finally {
        fs.rmSync(rules);
      }
      const times = spans(current, "preview");
      const caches = times.get("caches-dev");
      const runners = times.get("runners-dev");
      assert.ok(caches, "caches-dev was not previewed");
      assert.ok(runners, "runners-dev was not previewed");
      assert.ok(overlap(caches, runners), "caches-dev and runners-dev did not overlap");
    });

    it("keeps to a concurrency of 1", async () => {
      const current = useFake(scenario);
      await runDriver({
        repoRoot: repo.dir,
        concurrency: 1,
        environments: ["dev", "staging"],
        env: {
          ...githubEnv("workflow_dispatch", dispatch("preview", "caches-dev,caches-staging")),
          ...pulumiEnv(),
        },
      });
      const times = spans(current, "preview");
      const dev = times.get("caches-dev");
      const staging = times.get("caches-staging");
      assert.ok(dev, "caches-dev was not previewed");
      assert.ok(staging, "caches-staging was not previewed");
      assert.ok(!overlap(dev, staging), "caches-dev and caches-staging overlapped");
    });
  });

  describe("drift check", () => {
    let record: CiRecord;
    let exitCode: number;
    let current: FakePulumi;

    before(async () => {
      current = useFake({
        stacks: {
          "runners-dev": {
            "preview-refresh": {
              events: [...step("runners-dev", "update", "gh-nix", ["spec"]), summary({ update: 1, same: 4 })],
            },
          },
        },
      });
      const event = eventFile("schedule.json", {}, repo.dir);
      ({ record, exitCode } = await runDriver({
        repoRoot: repo.dir,
        env: { ...githubEnv("schedule", event), ...pulumiEnv() },
      }));
    });

    it("exits 1 when drift is found", () => {
      assert.equal(exitCode, 1);
    });

    it("marks the drifted stack", () => {
      assert.equal(operation(record, "runners-dev").drift, true);
    });

    it("refreshes during the preview", () => {
      assert.ok(current.starts("preview").every((call) => call.args.includes("--refresh")));
    });

    it("still checks the downstream stack", () => {
      assert.equal(operation(record, "github-dev").status, "succeeded");
      assert.equal(operation(record, "github-dev").drift, false);
    });
  });

  describe("missing CLI", () => {
    const savedPath = process.env.PATH;

    afterEach(() => {
      process.env.PATH = savedPath;
    });

    it("fails with the install command", async () => {
      process.env.PATH = "/usr/bin:/bin";
      const event = dispatch("preview", "caches-dev");
      const { record, exitCode } = await runDriver({
        repoRoot: repo.dir,
        env: {
          ...githubEnv("workflow_dispatch", event),
          FLYWHEEL_PULUMI_ROOT: path.join(repo.dir, "no-cli-here"),
        },
      });
      assert.equal(exitCode, 1);
      assert.equal(operation(record, "caches-dev").errorKind, "ToolchainError");
      assert.match(operation(record, "caches-dev").error ?? "", /npm run toolchain/);
    });

    it("names the places tried in one sentence", async () => {
      process.env.PATH = "/usr/bin:/bin";
      const event = dispatch("preview", "caches-dev");
      const root = path.join(repo.dir, "no-cli-here");
      const { record } = await runDriver({
        repoRoot: repo.dir,
        env: { ...githubEnv("workflow_dispatch", event), FLYWHEEL_PULUMI_ROOT: root },
      });
      const expected =
        `No usable Pulumi CLI was found in FLYWHEEL_PULUMI_ROOT (${root}), ${path.join(repo.dir, ".toolchain")} ` +
        "or the PATH, so install it with `npm run toolchain` (which builds it into .toolchain from Go modules) " +
        "or the official installer (https://www.pulumi.com/docs/install/), or set FLYWHEEL_PULUMI_ROOT to the " +
        "folder that contains bin/pulumi.";
      assert.equal(operation(record, "caches-dev").error, expected);
    });
  });

  describe("cancellation", () => {
    let result: { code: number | null; stdout: string; stderr: string };
    let record: CiRecord;
    let current: FakePulumi;

    before(async () => {
      current = useFake({ stacks: { "runners-dev": { preview: { hang: true, leaveLockOnSignal: true } } } });
      const event = pullRequest({ "config/runners.ts": "cancel" });
      const jsonFile = path.join(current.dir, "record.json");
      const entry = `require(${JSON.stringify(path.join(PROJECT_ROOT, "automation/ci/command.ts"))}).run(process.argv.slice(1)).then((code) => { process.exitCode = code; })`;
      const child = spawn(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "-e", entry, "--", "--json", jsonFile, "--repo", repo.dir],
        {
          cwd: PROJECT_ROOT,
          env: {
            ...process.env,
            ...githubEnv("pull_request", event),
            ...pulumiEnv(),
            FAKE_PULUMI_DIR: current.dir,
            TS_NODE_PROJECT: path.join(PROJECT_ROOT, "tsconfig.json"),
          },
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      const deadline = Date.now() + 60_000;
      while (!current.locked("runners-dev") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      child.kill("SIGTERM");
      const code = await exited;
      result = { code, stdout, stderr };
      assert.ok(
        fs.existsSync(jsonFile),
        `no record was written; exit ${code}, stderr: ${stderr}, stdout: ${stdout}`,
      );
      record = JSON.parse(fs.readFileSync(jsonFile, "utf8")) as CiRecord;
    });

    it("exits 1", () => {
      assert.equal(result.code, 1, result.stderr);
    });

    it("interrupts the running CLI", () => {
      assert.ok(current.calls().some((call) => call.event === "signal"));
    });

    it("releases the lock", () => {
      assert.equal(current.locked("runners-dev"), false);
      assert.equal(current.starts("cancel").length, 1);
    });

    it("records the cancelled stack", () => {
      assert.equal(operation(record, "runners-dev").errorKind, "OperationCancelledError");
    });

    it("does not start the dependent stack", () => {
      assert.equal(operation(record, "github-dev").status, "blocked");
      assert.equal(current.starts("preview").filter((call) => stackOf(call) === "github-dev").length, 0);
    });
  });
});
