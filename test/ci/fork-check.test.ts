import * as assert from "node:assert/strict";
import { checkForkOffline, ForkCheckTools, loadForkCheckTools } from "../../automation/ci/fork-check";
import type { CiRecord } from "../../automation/ci/record";
import {
  eventFile,
  FAKE_PULUMI_ROOT,
  FakePulumi,
  githubEnv,
  PROJECT_ROOT,
  runDriver,
  TempRepo,
} from "./helpers";

const HOSTED_WORKFLOW =
  "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n";
const FLEET_WORKFLOW =
  "on: push\njobs:\n  build:\n    runs-on: tinyland-nix\n    steps:\n      - run: make\n";

/** The real workflow auditor with a renderer that returns one committed workflow file per github stack. */
function toolsRendering(content: string): ForkCheckTools & { rendered: string[] } {
  const real = loadForkCheckTools(PROJECT_ROOT);
  const rendered: string[] = [];
  return {
    rendered,
    auditWorkflowText: real.auditWorkflowText,
    auditPaths: real.auditPaths,
    renderStack: async (stack) => {
      rendered.push(stack);
      if (stack.startsWith("runners-")) {
        return { resources: [], outputs: { labels: ["tinyland-nix"] } };
      }
      const file = { repository: "flywheel", file: ".github/workflows/validate.yml", content };
      return {
        resources: stack.startsWith("github-")
          ? [{ type: "github:index/repositoryFile:RepositoryFile", inputs: file }]
          : [],
        outputs: {},
      };
    },
  };
}

describe("flywheel ci on a fork's pull request", function () {
  this.timeout(120_000);
  let repo: TempRepo;
  let fake: FakePulumi;
  const savedFakeDir = process.env.FAKE_PULUMI_DIR;

  before(() => {
    repo = new TempRepo();
    fake = new FakePulumi({});
    process.env.FAKE_PULUMI_DIR = fake.dir;
  });

  after(() => {
    repo.remove();
    fake.remove();
    if (savedFakeDir === undefined) {
      delete process.env.FAKE_PULUMI_DIR;
    } else {
      process.env.FAKE_PULUMI_DIR = savedFakeDir;
    }
  });

  async function runFork(files: Record<string, string | null>, tools: ForkCheckTools) {
    repo.git("checkout", "--quiet", "main");
    const base = repo.head();
    const head = repo.commit(files);
    const event = eventFile("pull_request.fork.json", { base, head }, repo.dir);
    return runDriver({
      repoRoot: repo.dir,
      forkTools: tools,
      env: { ...githubEnv("pull_request", event), FLYWHEEL_PULUMI_ROOT: FAKE_PULUMI_ROOT },
    });
  }

  describe("with a hosted label in a rendered workflow", () => {
    let record: CiRecord;
    let exitCode: number;
    let log: string;
    let tools: ReturnType<typeof toolsRendering>;

    before(async () => {
      tools = toolsRendering(HOSTED_WORKFLOW);
      ({ record, exitCode, log } = await runFork({ "config/runners.ts": "fork 1" }, tools));
    });

    it("exits 1", () => {
      assert.equal(exitCode, 1);
    });

    it("renders the affected stacks", () => {
      assert.deepEqual(tools.rendered, ["runners-dev", "github-dev"]);
    });

    it("reports the rendered file as a violation", () => {
      const file = record.fork?.files.find(
        (f) => f.file === "github-dev:flywheel/.github/workflows/validate.yml",
      );
      assert.equal(file?.verdict, "violation");
    });

    it("never calls the Pulumi CLI", () => {
      assert.equal(fake.calls().length, 0);
    });

    it("says the check ran offline", () => {
      assert.match(log, /Offline render and audit of the fork's pull request/);
    });
  });

  it("passes a fleet-only workflow", async () => {
    const { record, exitCode } = await runFork(
      { "config/github.ts": "fork 2" },
      toolsRendering(FLEET_WORKFLOW),
    );
    assert.equal(exitCode, 0);
    assert.deepEqual(
      record.fork?.files.map((f) => f.verdict),
      ["pass"],
    );
  });

  it("audits the checkout's own workflows", async () => {
    const { record, exitCode } = await runFork(
      { "config/github.ts": "fork 3", ".github/workflows/ci.yml": HOSTED_WORKFLOW },
      toolsRendering(FLEET_WORKFLOW),
    );
    const own = record.fork?.files.find((f) => f.file === ".github/workflows/ci.yml");
    assert.equal(own?.verdict, "violation");
    assert.equal(exitCode, 1);
  });

  it("skips a workflows folder without workflow files", async () => {
    const { exitCode } = await runFork(
      {
        "config/github.ts": "fork 3b",
        ".github/workflows/ci.yml": null,
        ".github/workflows/README.txt": "no workflows here",
      },
      toolsRendering(FLEET_WORKFLOW),
    );
    assert.equal(exitCode, 0);
  });

  it("reports a stack that fails to render", async () => {
    const tools = toolsRendering(FLEET_WORKFLOW);
    tools.renderStack = async () => {
      throw new Error("flywheel:maxRunners must be at most 5");
    };
    const { record, exitCode } = await runFork({ "config/github.ts": "fork 4" }, tools);
    assert.equal(exitCode, 1);
    assert.match(
      record.fork?.errors[0] ?? "",
      /github-dev could not be rendered offline: flywheel:maxRunners/,
    );
  });

  describe("with a stack that fails to render", () => {
    const secret = "fork-passphrase-7f3a91c2";
    let log: string;
    let group: string;

    before(async () => {
      const tools = toolsRendering(FLEET_WORKFLOW);
      tools.renderStack = async () => {
        throw new Error(`flywheel:maxRunners must be at most 5 (passphrase ${secret})`);
      };
      repo.git("checkout", "--quiet", "main");
      const base = repo.head();
      const head = repo.commit({ "config/github.ts": "fork 5" });
      const event = eventFile("pull_request.fork.json", { base, head }, repo.dir);
      ({ log } = await runDriver({
        repoRoot: repo.dir,
        forkTools: tools,
        env: { ...githubEnv("pull_request", event), PULUMI_CONFIG_PASSPHRASE: secret },
      }));
      const start = log.indexOf("::group::Offline render and audit of the fork's pull request\n");
      group = log.slice(start, log.indexOf("::endgroup::", start));
    });

    it("prints the failure inside the group", () => {
      assert.match(group, /^Stack github-dev could not be rendered offline: flywheel:maxRunners/m);
    });

    it("annotates the failure as an error", () => {
      assert.match(log, /^::error::Stack github-dev could not be rendered offline: flywheel:maxRunners/m);
    });

    it("redacts secrets from the log", () => {
      assert.ok(!log.includes(secret), "the passphrase appears in the log");
    });
  });

  it("prints an audit violation inside the group", async () => {
    const { log } = await runFork({ "config/runners.ts": "fork 6" }, toolsRendering(HOSTED_WORKFLOW));
    const start = log.indexOf("::group::Offline render and audit of the fork's pull request\n");
    const group = log.slice(start, log.indexOf("::endgroup::", start));
    assert.match(group, /^github-dev:flywheel\/\.github\/workflows\/validate\.yml: job build/m);
  });

  it("passes this project's own stacks", async () => {
    const result = await checkForkOffline(PROJECT_ROOT, ["github-dev"], loadForkCheckTools(PROJECT_ROOT));
    assert.deepEqual(result.errors, []);
    assert.ok(result.files.length > 0, "no workflow file was rendered");
    assert.deepEqual(
      result.files.filter((f) => f.verdict !== "pass"),
      [],
    );
  });
});
