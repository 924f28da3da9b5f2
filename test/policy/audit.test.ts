import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatTextLine, run } from "../../automation/audit/command";
import { MAX_WORKFLOW_FILE_BYTES, type AuditReport, type FileResult } from "../../policy/resolver";
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
      name: "empty label prefix",
      argv: ["--label-prefix", "", CORPUS_DIR],
      message: /--label-prefix must not be empty, but it is ""; pass a label prefix such as "tinyland-"/,
    },
    {
      name: "blank label",
      argv: ["--label", " ", CORPUS_DIR],
      message: /--label must not be empty, but it is " "; pass a runner label such as "tinyland-nix"/,
    },
    {
      name: "empty prefix after a label",
      argv: ["--label", "arc-gpu", "--label-prefix=", CORPUS_DIR],
      message: /--label-prefix must not be empty/,
    },
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

describe("flywheel audit text escaping", () => {
  let dir: string;

  /** Writes a workflow whose single job has the given key and runs-on value, and returns its path. */
  function writeWorkflow(name: string, jobKey: string, runsOn: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `on: push\njobs:\n  ${jobKey}:\n    runs-on: ${runsOn}\n`);
    return file;
  }

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-audit-text-"));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a newline in a job id on one line", async () => {
    const file = writeWorkflow(
      "newline.yml",
      '"b\\n/tmp/x.yml:1: all good\\n::error::injected"',
      "ubuntu-latest",
    );
    const result = await audit(["--format", "text", file]);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.ok(lines[0].includes("\\n::error::injected"), lines[0]);
    assert.ok(!lines.some((line) => line.startsWith("::")), result.stdout);
  });

  it("escapes ANSI, C1 and DEL in a label", async () => {
    const file = writeWorkflow("ansi.yml", "build", '"ubuntu-\\e[31mred\\x85next\\x7fend"');
    const result = await audit(["--format", "text", file]);
    const first = result.stdout.split("\n")[0];
    assert.ok(first.includes("ubuntu-\\u001b[31mred\\u0085next\\u007fend"), first);
    const controls = Array.from(result.stdout).filter((character) => {
      const code = character.charCodeAt(0);
      return character !== "\n" && (code < 0x20 || (code >= 0x7f && code <= 0x9f));
    });
    assert.deepEqual(controls, []);
  });

  it("escapes a carriage return and a backslash", () => {
    assert.equal(formatTextLine("a\rb\\nc"), "a\\rb\\\\nc");
  });

  it("escapes line separators and bidi overrides", () => {
    assert.equal(formatTextLine("a\u2028b\u202ec"), "a\\u2028b\\u202ec");
  });

  it("escapes an unpaired surrogate", () => {
    assert.equal(formatTextLine("a\ud800b"), "a\\ud800b");
  });

  it("keeps printable non-ASCII text", () => {
    assert.equal(formatTextLine("job ü 😀"), "job ü 😀");
  });

  it("prefixes a line starting with ::", () => {
    assert.equal(formatTextLine("::error::x.yml:3: job a"), "./::error::x.yml:3: job a");
  });

  it("bounds a long label and counts the rest", async () => {
    const label = `ubuntu-${"x".repeat(100_000)}`;
    const file = writeWorkflow("long.yml", "build", label);
    const result = await audit(["--format", "text", file]);
    const first = result.stdout.split("\n")[0];
    const match = /\.\.\. \((\d+) more characters\)$/.exec(first);
    assert.ok(match !== null, first.slice(-200));
    const fullLine = `${file}:4: job build: runs-on can request [${label}]`;
    assert.ok(first.length < 2100, `line of ${first.length} characters`);
    assert.ok(Number(match[1]) > fullLine.length - 2000, `${match[1]} characters left out`);
  });

  it("counts the characters left out exactly", () => {
    const shown = formatTextLine("a".repeat(2005));
    assert.equal(shown, `${"a".repeat(2000)}... (5 more characters)`);
  });

  it("counts an escape toward the bound", () => {
    const shown = formatTextLine(`${"a".repeat(1999)}\n`);
    assert.equal(shown, `${"a".repeat(1999)}... (1 more characters)`);
  });

  it("bounds the echo of a binary file", async () => {
    const file = path.join(dir, "binary.yml");
    const bytes = Buffer.alloc(200_000);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = (i * 7919) % 256;
    }
    fs.writeFileSync(file, bytes);
    const result = await audit(["--format", "text", file]);
    assert.equal(result.status, 2);
    assert.ok(result.stdout.length < 20_000, `${result.stdout.length} characters printed`);
  });

  it("keeps the raw job id in JSON", async () => {
    const file = writeWorkflow("json.yml", '"b\\n::error::x"', "tinyland-nix");
    const result = await audit(["--format", "json", file]);
    const report = JSON.parse(result.stdout) as AuditReport;
    assert.match(report.files[0].errors[0], /job id "b\n::error::x" is invalid/);
  });

  it("keeps a long label whole in JSON", async () => {
    const label = `ubuntu-${"y".repeat(10_000)}`;
    const file = writeWorkflow("json-long.yml", "build", label);
    const result = await audit(["--format", "json", file]);
    const report = JSON.parse(result.stdout) as AuditReport;
    assert.deepEqual(report.files[0].jobs.build.labelSets, [[label]]);
  });
});

describe("flywheel audit directories", () => {
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-audit-dirs-"));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("rejects a git root without workflows", async () => {
    const root = path.join(dir, "git-root");
    fs.mkdirSync(path.join(root, ".git"), { recursive: true });
    fs.writeFileSync(path.join(root, "Pulumi.dev.yaml"), "config: {}\n");
    const result = await audit([root]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.ok(result.stderr.includes(root), result.stderr);
    assert.match(result.stderr, /no \.github\/workflows folder was found/);
  });

  it("rejects a root with only .github", async () => {
    const root = path.join(dir, "github-root");
    fs.mkdirSync(path.join(root, ".github"), { recursive: true });
    fs.writeFileSync(path.join(root, "tool.yml"), "key: value\n");
    const result = await audit([root]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /contains \.github\), but no \.github\/workflows folder was found/);
  });

  it("treats a .git file as root", async () => {
    const root = path.join(dir, "worktree");
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, ".git"), "gitdir: /elsewhere\n");
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: x\n");
    const result = await audit([root]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /contains \.git\), but no \.github\/workflows folder was found/);
  });

  it("rejects this repository's root", async () => {
    const result = await audit([REPO_ROOT]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no \.github\/workflows folder was found/);
  });

  it("rejects an empty directory", async () => {
    const empty = path.join(dir, "empty");
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, "notes.txt"), "on: push\n");
    const result = await audit([empty]);
    assert.equal(result.status, 2);
    assert.ok(result.stderr.includes(`no workflow files (*.yml, *.yaml) found in ${empty}`), result.stderr);
  });

  it("rejects an empty .github/workflows", async () => {
    const root = path.join(dir, "empty-workflows");
    fs.mkdirSync(path.join(root, ".github", "workflows"), { recursive: true });
    const result = await audit([root]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no workflow files \(\*\.yml, \*\.yaml\) found in .*workflows/);
  });

  it("rejects an empty directory among good ones", async () => {
    const empty = path.join(dir, "empty-second");
    fs.mkdirSync(empty);
    const result = await audit([path.join(CORPUS_DIR, "clean-literal.yml"), empty]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no workflow files/);
  });

  it("says subdirectories are not searched", async () => {
    const parent = path.join(dir, "parent");
    fs.mkdirSync(path.join(parent, "nested"), { recursive: true });
    fs.copyFileSync(path.join(CORPUS_DIR, "clean-literal.yml"), path.join(parent, "nested", "ci.yml"));
    const result = await audit([parent]);
    assert.match(result.stderr, /subdirectories are not searched/);
  });

  it("reads a symlinked workflow in a directory", async () => {
    const linked = path.join(dir, "linked");
    fs.mkdirSync(linked);
    fs.symlinkSync(path.join(CORPUS_DIR, "clean-literal.yml"), path.join(linked, "ci.yml"));
    const result = await audit([...CORPUS_FLEET_ARGS, "--format", "json", linked]);
    assert.equal(JSON.parse(result.stdout).summary.pass, 1);
  });

  it("skips a broken symlink in a directory", async () => {
    const broken = path.join(dir, "broken");
    fs.mkdirSync(broken);
    fs.copyFileSync(path.join(CORPUS_DIR, "clean-literal.yml"), path.join(broken, "ci.yml"));
    fs.symlinkSync(path.join(dir, "missing.yml"), path.join(broken, "gone.yml"));
    const result = await audit([...CORPUS_FLEET_ARGS, "--format", "json", broken]);
    assert.equal(JSON.parse(result.stdout).files.length, 1);
  });

  it("reads a plain directory of workflows", async () => {
    const plain = path.join(dir, "plain");
    fs.mkdirSync(plain);
    fs.copyFileSync(path.join(CORPUS_DIR, "clean-literal.yml"), path.join(plain, "ci.yml"));
    const result = await audit([...CORPUS_FLEET_ARGS, plain]);
    assert.equal(result.status, 0);
  });
});

describe("flywheel audit special files", () => {
  let dir: string;

  function readReport(output: CommandOutput): FileResult {
    return (JSON.parse(output.stdout) as AuditReport).files[0];
  }

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-audit-files-"));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reports a character device as an error", async function () {
    if (!fs.existsSync("/dev/zero")) {
      this.skip();
    }
    const result = await audit(["--format", "json", "/dev/zero"]);
    assert.equal(result.status, 2);
    const file = readReport(result);
    assert.equal(file.verdict, "error");
    assert.match(file.errors[0], /^line 1: .*character device, not a regular file/);
  });

  it("reports a FIFO without waiting", async function () {
    const fifo = path.join(dir, "pipe.yml");
    if (spawnSync("mkfifo", [fifo]).status !== 0) {
      this.skip();
    }
    const result = await audit(["--format", "json", fifo]);
    assert.equal(result.status, 2);
    assert.match(readReport(result).errors[0], /FIFO, not a regular file/);
  });

  it("skips a FIFO in a directory", async function () {
    const folder = path.join(dir, "with-fifo");
    fs.mkdirSync(folder);
    if (spawnSync("mkfifo", [path.join(folder, "pipe.yml")]).status !== 0) {
      this.skip();
    }
    fs.copyFileSync(path.join(CORPUS_DIR, "clean-literal.yml"), path.join(folder, "ci.yml"));
    const result = await audit([...CORPUS_FLEET_ARGS, "--format", "json", folder]);
    const report = JSON.parse(result.stdout) as AuditReport;
    assert.deepEqual(
      report.files.map((file) => path.basename(file.file)),
      ["ci.yml"],
    );
  });

  it("follows a symlink to a workflow", async () => {
    const link = path.join(dir, "link.yml");
    fs.symlinkSync(path.join(CORPUS_DIR, "clean-literal.yml"), link);
    const result = await audit([...CORPUS_FLEET_ARGS, link]);
    assert.equal(result.status, 0);
  });

  it("reports a file that is not UTF-8", async () => {
    const file = path.join(dir, "latin1.yml");
    fs.writeFileSync(file, Buffer.from("on: push\njobs:\n  b\xe9:\n    runs-on: tinyland-nix\n", "latin1"));
    const result = await audit(["--format", "json", file]);
    assert.match(readReport(result).errors[0], /not valid UTF-8/);
  });

  it("reports a file over the size bound", async () => {
    const file = path.join(dir, "huge.yml");
    const line = "# padding\n";
    fs.writeFileSync(file, `on: push\n${line.repeat(MAX_WORKFLOW_FILE_BYTES / line.length + 1)}`);
    const result = await audit(["--format", "json", file]);
    assert.equal(result.status, 2);
    const report = readReport(result);
    assert.equal(report.verdict, "error");
    assert.match(report.errors[0], new RegExp(`larger than ${MAX_WORKFLOW_FILE_BYTES} bytes`));
  });

  it("reads a file at the size bound", async () => {
    const file = path.join(dir, "at-bound.yml");
    const head = "on: push\njobs:\n  a:\n    runs-on: tinyland-nix\n";
    fs.writeFileSync(file, head + "#".repeat(MAX_WORKFLOW_FILE_BYTES - head.length));
    assert.equal(fs.statSync(file).size, MAX_WORKFLOW_FILE_BYTES);
    const result = await audit([file]);
    assert.equal(result.status, 0);
  });

  it("keeps auditing the other files", async function () {
    if (!fs.existsSync("/dev/zero")) {
      this.skip();
    }
    const clean = path.join(CORPUS_DIR, "clean-literal.yml");
    const result = await audit([...CORPUS_FLEET_ARGS, "--format", "json", "/dev/zero", clean]);
    const report = JSON.parse(result.stdout) as AuditReport;
    assert.equal(report.files[1].verdict, "pass");
  });
});

describe("flywheel audit YAML messages", () => {
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-audit-yaml-"));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function errorsOf(text: string): Promise<string[]> {
    const file = path.join(dir, "ci.yml");
    fs.writeFileSync(file, text);
    return (JSON.parse((await audit(["--format", "json", file])).stdout) as AuditReport).files[0].errors;
  }

  it("names a repeated key", async () => {
    const errors = await errorsOf("on: push\njobs:\n  a:\n    runs-on: x\n    'runs-on': y\n");
    assert.match(errors[0], /^line 5: .*the key "runs-on" appears twice/);
  });

  it("names a repeated job id", async () => {
    const errors = await errorsOf("on: push\njobs:\n  a:\n    runs-on: x\n  a:\n    runs-on: y\n");
    assert.match(errors[0], /^line 5: .*the key "a" appears twice/);
  });

  it("explains a second document without a library call", async () => {
    const errors = await errorsOf("on: push\njobs:\n  a:\n    runs-on: x\n---\nb: 1\n");
    assert.match(errors[0], /contains more than one document/);
    assert.doesNotMatch(errors[0], /parseAllDocuments/);
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
