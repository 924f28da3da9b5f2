import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { auditPaths, auditWorkflowText, type FileResult } from "../../policy/resolver";
import { CORPUS_DIR, CORPUS_FLEET, readManifest, REUSABLE_DIR } from "../fixtures/workflows/corpus";
import { mutate, Xorshift32 } from "./helpers/mutate";

/** Mutants checked per run; a few thousand keeps the run near ten seconds on two cores. */
const MUTANTS = 3000;

/** Directories of mutated callers and callees audited per run; each contains every reusable file. */
const MUTANT_DIRECTORIES = 200;

/** Time one audit of a mutant may take, in milliseconds. */
const MAX_MILLISECONDS_PER_MUTANT = 2000;

/** Seed of the run, shown in the test title; set FLYWHEEL_FUZZ_SEED to replay a failing run. */
const SEED = Number(process.env.FLYWHEEL_FUZZ_SEED ?? Date.now() % 2 ** 31) >>> 0 || 1;

function checkShape(result: FileResult, lineCount: number, label: string): void {
  assert.ok(
    ["pass", "violation", "error"].includes(result.verdict),
    `${label}: file verdict ${result.verdict}`,
  );
  for (const [id, job] of Object.entries(result.jobs)) {
    assert.ok(["pass", "violation"].includes(job.verdict), `${label}: job ${id} verdict ${job.verdict}`);
    assert.ok(job.line >= 1, `${label}: job ${id} line ${job.line}`);
    assert.ok(job.line <= lineCount, `${label}: job ${id} line ${job.line} past the end`);
  }
  for (const error of result.errors) {
    const line = Number(/^line (\d+): /.exec(error)?.[1]);
    assert.ok(line >= 1, `${label}: error without a line: ${error}`);
    assert.ok(line <= lineCount + 1, `${label}: error line past the end: ${error}`);
  }
}

describe("resolver robustness", () => {
  const sources = Object.entries(readManifest())
    .filter(([, expected]) => expected.verdict !== "error")
    .map(([file]) => ({ file, text: fs.readFileSync(path.join(CORPUS_DIR, file), "utf8") }));

  it(`gives a verdict to ${MUTANTS} mutants (seed ${SEED})`, async function () {
    this.timeout(300_000);
    const random = new Xorshift32(SEED);
    for (let n = 0; n < MUTANTS; n++) {
      const source = sources[random.below(sources.length)];
      const mutant = mutate(source.text, random);
      const label = `seed ${SEED} mutant ${n} (${source.file}: ${mutant.steps.join(", ")})`;
      const started = performance.now();
      let result: FileResult;
      try {
        result = await auditWorkflowText(mutant.text, source.file, CORPUS_FLEET);
      } catch (error) {
        assert.fail(`${label} threw: ${error instanceof Error ? error.stack : String(error)}`);
      }
      const elapsed = performance.now() - started;
      assert.ok(elapsed < MAX_MILLISECONDS_PER_MUTANT, `${label} took ${elapsed.toFixed(0)} ms`);
      checkShape(result, mutant.text.split("\n").length, label);
    }
  });

  it(`gives a verdict to ${MUTANT_DIRECTORIES} mutated call chains (seed ${SEED})`, async function () {
    this.timeout(300_000);
    const random = new Xorshift32(SEED ^ 0x5bd1e995);
    const originals = fs
      .readdirSync(REUSABLE_DIR)
      .map((name) => ({ name, text: fs.readFileSync(path.join(REUSABLE_DIR, name), "utf8") }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-robustness-"));
    try {
      for (let n = 0; n < MUTANT_DIRECTORIES; n++) {
        // Mutate one file per directory, so the others still call into it or are called by it.
        const target = random.below(originals.length);
        const steps: string[] = [];
        for (const [i, original] of originals.entries()) {
          let text = original.text;
          if (i === target) {
            const mutant = mutate(text, random);
            text = mutant.text;
            steps.push(`${original.name}: ${mutant.steps.join(", ")}`);
          }
          fs.writeFileSync(path.join(dir, original.name), text);
        }
        const label = `seed ${SEED} directory ${n} (${steps.join("; ")})`;
        const started = performance.now();
        const report = await auditPaths([dir], CORPUS_FLEET);
        const elapsed = performance.now() - started;
        assert.ok(elapsed < MAX_MILLISECONDS_PER_MUTANT, `${label} took ${elapsed.toFixed(0)} ms`);
        assert.equal(report.files.length, originals.length, `${label}: file count`);
        for (const result of report.files) {
          const lineCount = fs.readFileSync(result.file, "utf8").split("\n").length;
          checkShape(result, lineCount, `${label} ${path.basename(result.file)}`);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const hostile: Array<{ name: string; text: string }> = [
    { name: "empty file", text: "" },
    { name: "only a comment", text: "# nothing\n" },
    { name: "a scalar", text: "push\n" },
    {
      name: "deep nesting",
      text: `on: push\njobs:\n  a:\n    runs-on: ${"[".repeat(500)}${"]".repeat(500)}\n`,
    },
    {
      name: "deep expression",
      text: `on: push\njobs:\n  a:\n    runs-on: \${{ ${"(".repeat(200)}'tinyland-nix'${")".repeat(200)} }}\n`,
    },
    { name: "long label", text: `on: push\njobs:\n  a:\n    runs-on: tinyland-${"x".repeat(100_000)}\n` },
    {
      name: "many jobs",
      text: `on: push\njobs:\n${Array.from({ length: 500 }, (_, i) => `  j${i}:\n    runs-on: tinyland-nix\n`).join("")}`,
    },
    { name: "tab indentation", text: "on: push\njobs:\n\tbuild:\n\t\truns-on: tinyland-nix\n" },
    { name: "binary noise", text: "\u0000\u0001\u0002on: push\u0000\njobs: \u00ff\n" },
    { name: "stray closing braces", text: "on: push\njobs:\n  a:\n    runs-on: tinyland-}}nix\n" },
    { name: "expression in a key", text: "on: push\njobs:\n  a:\n    runs-on: {group: '${{ 1 }}'}\n" },
  ];
  for (const { name, text } of hostile) {
    it(`gives a verdict to ${name}`, async () => {
      const started = performance.now();
      const result = await auditWorkflowText(text, `${name}.yml`, CORPUS_FLEET);
      assert.ok(performance.now() - started < MAX_MILLISECONDS_PER_MUTANT, `${name} took too long`);
      checkShape(result, text.split("\n").length, name);
    });
  }
});
