import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../automation/audit/command";
import type { AuditReport, FileResult } from "../../policy/resolver";
import {
  CORPUS_DIR,
  CORPUS_FLEET_ARGS,
  jobVerdicts,
  listCorpus,
  readManifest,
  REUSABLE_DIR,
} from "../fixtures/workflows/corpus";

const manifest = readManifest();
const REPO_ROOT = path.join(__dirname, "..", "..");

interface CommandOutput {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `flywheel audit` in this process, capturing what it writes. */
async function audit(argv: string[]): Promise<CommandOutput> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((chunk: string) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const status = await run(argv);
    return { status, stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

function byCorpusFile(report: AuditReport): Map<string, FileResult> {
  return new Map(report.files.map((result) => [path.relative(CORPUS_DIR, result.file), result]));
}

describe("flywheel audit over the corpus", () => {
  let output: CommandOutput;
  let results: Map<string, FileResult>;

  before(async () => {
    output = await audit([...CORPUS_FLEET_ARGS, "--format", "json", CORPUS_DIR, REUSABLE_DIR]);
    results = byCorpusFile(JSON.parse(output.stdout) as AuditReport);
  });

  it("exits 2 for invalid corpus files", () => {
    assert.equal(output.status, 2);
  });

  it("reports every corpus file", () => {
    assert.deepEqual([...results.keys()].sort(), listCorpus());
  });

  for (const [file, expected] of Object.entries(manifest)) {
    it(`${file}: ${expected.verdict}`, () => {
      const result = results.get(file);
      assert.ok(result !== undefined, `${file} is missing from the output`);
      assert.equal(result.verdict, expected.verdict);
      assert.deepEqual(jobVerdicts(result), expected.jobs);
    });
  }
});

describe("flywheel audit exit status", () => {
  const cases: Array<{ name: string; file: string; status: number }> = [
    { name: "clean file", file: "clean-literal.yml", status: 0 },
    { name: "violating file", file: "violation-literal-ubuntu.yml", status: 1 },
    { name: "invalid file", file: "error-yaml-syntax.yml", status: 2 },
  ];
  for (const { name, file, status } of cases) {
    it(`${name} exits ${status}`, async () => {
      const result = await audit([...CORPUS_FLEET_ARGS, path.join(CORPUS_DIR, file)]);
      assert.equal(result.status, status);
    });
  }

  it("applies the default prefix", async () => {
    const result = await audit([path.join(CORPUS_DIR, "clean-matrix-prefix.yml")]);
    assert.equal(result.status, 0);
  });

  it("replaces the default prefix with --label", async () => {
    const result = await audit(["--label", "arc-gpu", path.join(CORPUS_DIR, "clean-matrix-prefix.yml")]);
    assert.equal(result.status, 1);
  });
});

describe("flywheel audit text format", () => {
  it("prints a line per failing job", async () => {
    const file = path.join(CORPUS_DIR, "violation-literal-ubuntu.yml");
    const result = await audit([...CORPUS_FLEET_ARGS, "--format", "text", file]);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(
      lines[0],
      new RegExp(`^${escape(file)}:5: job build: runs-on can request \\[ubuntu-latest\\]`),
    );
  });

  it("prints a line per file error", async () => {
    const file = path.join(CORPUS_DIR, "error-no-runs-on.yml");
    const result = await audit([...CORPUS_FLEET_ARGS, "--format", "text", file]);
    assert.match(result.stdout, new RegExp(`^${escape(file)}:8: job "broken" has neither`));
  });

  it("ends with the counts", async () => {
    const result = await audit([...CORPUS_FLEET_ARGS, "--format", "text", CORPUS_DIR, REUSABLE_DIR]);
    const counts = { pass: 0, violation: 0, error: 0 };
    for (const expected of Object.values(manifest)) {
      counts[expected.verdict]++;
    }
    const total = counts.pass + counts.violation + counts.error;
    const last = result.stdout.trimEnd().split("\n").at(-1);
    assert.equal(
      last,
      `${total} files checked: ${counts.pass} pass, ${counts.violation} violation, ${counts.error} error`,
    );
  });
});

describe("flywheel audit paths", () => {
  let root: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-audit-"));
    const workflows = path.join(root, ".github", "workflows");
    fs.mkdirSync(workflows, { recursive: true });
    fs.copyFileSync(path.join(REUSABLE_DIR, "caller-hosted.yml"), path.join(workflows, "caller.yml"));
    fs.writeFileSync(
      path.join(workflows, "callee-hosted.yml"),
      fs.readFileSync(path.join(REUSABLE_DIR, "callee-hosted.yml")),
    );
    fs.writeFileSync(path.join(root, "not-a-workflow.yml"), "jobs: [\n");
  });

  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("reads a repository root's workflows", async () => {
    const result = await audit(["--format", "json", root]);
    const report = JSON.parse(result.stdout) as AuditReport;
    assert.deepEqual(
      report.files.map((file) => path.basename(file.file)),
      ["callee-hosted.yml", "caller.yml"],
    );
  });

  it("follows a caller's hosted input into the callee", async () => {
    const result = await audit(["--format", "json", root]);
    const report = JSON.parse(result.stdout) as AuditReport;
    assert.equal(report.files[0].jobs.test.verdict, "violation");
  });
});

describe("flywheel audit usage", () => {
  const cases: Array<{ name: string; argv: string[]; message: RegExp }> = [
    {
      name: "missing path",
      argv: [path.join(CORPUS_DIR, "absent.yml")],
      message: /absent\.yml" does not exist/,
    },
    { name: "no path", argv: [], message: /no path given/ },
    {
      name: "bad format",
      argv: ["--format", "xml", CORPUS_DIR],
      message: /--format must be "text" or "json"/,
    },
    { name: "bad variable", argv: ["--var", "1X", CORPUS_DIR], message: /--var must be NAME=VALUE/ },
    { name: "unknown option", argv: ["--fleet", "x", CORPUS_DIR], message: /Unknown option '--fleet'/ },
    {
      name: "hosted label",
      argv: ["--label", "windows-big", CORPUS_DIR],
      message: /GitHub-hosted family "windows-"/,
    },
  ];
  for (const { name, argv, message } of cases) {
    it(`${name} exits 2`, async () => {
      const result = await audit(argv);
      assert.equal(result.status, 2);
      assert.match(result.stderr, message);
    });
  }

  it("help names the default prefix", async () => {
    const result = await audit(["--help"]);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /the prefix\s+"tinyland-" applies/);
  });
});

describe("bin/flywheel.js audit", () => {
  it("prints the corpus verdicts as JSON", function () {
    this.timeout(120_000);
    const child = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, "bin", "flywheel.js"),
        "audit",
        ...CORPUS_FLEET_ARGS,
        "--format",
        "json",
        CORPUS_DIR,
        REUSABLE_DIR,
      ],
      { encoding: "utf8", cwd: REPO_ROOT },
    );
    assert.equal(child.stderr, "");
    assert.equal(child.status, 2);
    const results = byCorpusFile(JSON.parse(child.stdout) as AuditReport);
    for (const [file, expected] of Object.entries(manifest)) {
      assert.equal(results.get(file)?.verdict, expected.verdict, `${file} verdict`);
      assert.deepEqual(
        results.get(file) && jobVerdicts(results.get(file) as FileResult),
        expected.jobs,
        `${file} jobs`,
      );
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
