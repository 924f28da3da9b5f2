import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { nestingBound } from "../../policy/resolver/nesting";
import {
  auditPaths,
  auditWorkflowText,
  MAX_EVALUATIONS_PER_JOB,
  MAX_NESTING_DEPTH,
  type AuditReport,
  type FileResult,
  type FleetOptions,
} from "../../policy/resolver";
import {
  CORPUS_DIR,
  CORPUS_FLEET,
  errorLines,
  jobVerdicts,
  listCorpus,
  readManifest,
  REUSABLE_DIR,
} from "../fixtures/workflows/corpus";

const manifest = readManifest();
const PREFIX_FLEET: FleetOptions = { labels: [], labelPrefixes: ["tinyland-"] };

function workflow(runsOn: string, extra = ""): string {
  return `on: push\n${extra}jobs:\n  build:\n    runs-on: ${runsOn}\n    steps:\n      - run: echo build\n`;
}

describe("resolver corpus manifest", () => {
  it("lists every corpus file", () => {
    assert.deepEqual(Object.keys(manifest).sort(), listCorpus());
  });

  it("contains at least 40 workflows", () => {
    assert.ok(listCorpus().length >= 40, `only ${listCorpus().length} corpus files`);
  });

  for (const [file, expected] of Object.entries(manifest)) {
    const match = /^(clean|violation|error)-/.exec(path.basename(file));
    if (match === null) {
      continue;
    }
    it(`${file} is named for its verdict`, () => {
      const byName = { clean: "pass", violation: "violation", error: "error" }[match[1]];
      assert.equal(expected.verdict, byName);
    });
  }
});

describe("auditPaths over the corpus", () => {
  let report: AuditReport;
  const byFile = new Map<string, FileResult>();

  before(async () => {
    report = await auditPaths([CORPUS_DIR, REUSABLE_DIR], CORPUS_FLEET);
    for (const result of report.files) {
      byFile.set(path.relative(CORPUS_DIR, result.file), result);
    }
  });

  it("reports every corpus file once", () => {
    assert.deepEqual([...byFile.keys()].sort(), listCorpus());
  });

  it("summary counts the file verdicts", () => {
    const counts = { pass: 0, violation: 0, error: 0 };
    for (const expected of Object.values(manifest)) {
      counts[expected.verdict]++;
    }
    assert.deepEqual(report.summary, counts);
  });

  for (const [file, expected] of Object.entries(manifest)) {
    it(`${file}: ${expected.verdict}`, () => {
      const result = byFile.get(file);
      assert.ok(result !== undefined, `${file} is missing from the report`);
      assert.equal(result.verdict, expected.verdict);
      assert.deepEqual(jobVerdicts(result), expected.jobs);
      assert.deepEqual(errorLines(result), expected.errorLines ?? []);
    });
  }
});

describe("auditPaths over reusable workflows", () => {
  let report: AuditReport;

  before(async () => {
    report = await auditPaths([REUSABLE_DIR], CORPUS_FLEET);
  });

  function job(file: string, id: string): FileResult["jobs"][string] | undefined {
    return report.files.find((result) => path.basename(result.file) === file)?.jobs[id];
  }

  it("gives a caller its callee's label sets", () => {
    assert.deepEqual(job("caller-matrix.yml", "build")?.labelSets, [["tinyland-nix"], ["tinyland-dind"]]);
  });

  it("names the callee in a caller's reason", () => {
    assert.match(
      job("caller-hosted.yml", "test")?.reasons[0] ?? "",
      /^called workflow callee-hosted\.yml, job test: /,
    );
  });

  it("names the caller in a callee's reason", () => {
    assert.match(job("callee-hosted.yml", "test")?.reasons[0] ?? "", /passed by caller-hosted\.yml:5/);
  });

  it("follows a value through a chain", () => {
    assert.match(
      job("chain-end.yml", "build")?.reasons[0] ?? "",
      /passed by chain-middle\.yml:10 .*passed by chain-start\.yml:5/,
    );
  });
});

describe("auditWorkflowText over the corpus", () => {
  for (const [file, expected] of Object.entries(manifest)) {
    const alone = expected.alone ?? expected;
    it(`${file} alone: ${alone.verdict}`, async () => {
      const text = fs.readFileSync(path.join(CORPUS_DIR, file), "utf8");
      const result = await auditWorkflowText(text, file, CORPUS_FLEET);
      assert.equal(result.verdict, alone.verdict);
      assert.deepEqual(jobVerdicts(result), alone.jobs);
    });
  }
});

describe("auditWorkflowText", () => {
  it("lists each label set of a matrix", async () => {
    const text = fs.readFileSync(path.join(CORPUS_DIR, "clean-matrix-prefix.yml"), "utf8");
    const result = await auditWorkflowText(text, "clean-matrix-prefix.yml", CORPUS_FLEET);
    assert.deepEqual(result.jobs.build.labelSets, [["tinyland-nix"], ["tinyland-docker"]]);
  });

  it("reports the line of runs-on", async () => {
    const text = fs.readFileSync(path.join(CORPUS_DIR, "clean-matrix-prefix.yml"), "utf8");
    const result = await auditWorkflowText(text, "clean-matrix-prefix.yml", CORPUS_FLEET);
    assert.equal(result.jobs.build.line, 8);
  });

  it("names the trigger that leaves an input empty", async () => {
    const file = "violation-input-empty-on-schedule.yml";
    const result = await auditWorkflowText(
      fs.readFileSync(path.join(CORPUS_DIR, file), "utf8"),
      file,
      CORPUS_FLEET,
    );
    assert.match(result.jobs.drift.reasons[0], /ubuntu-latest.*on schedule, inputs\.runner empty/);
  });

  it("keeps both branches of an unknown condition", async () => {
    const result = await auditWorkflowText(
      workflow("${{ github.ref == 'refs/heads/main' && 'tinyland-nix' || 'tinyland-docker' }}"),
      "ci.yml",
      PREFIX_FLEET,
    );
    assert.deepEqual(result.jobs.build.labelSets, [["tinyland-docker"], ["tinyland-nix"]]);
  });

  it("takes an unknown value as empty too", async () => {
    const result = await auditWorkflowText(workflow("${{ vars.LANE || 'ubuntu-latest' }}"), "ci.yml", {
      ...PREFIX_FLEET,
      variables: { OTHER: "x" },
    });
    assert.equal(result.jobs.build.verdict, "violation");
    assert.ok(result.jobs.build.reasons.some((reason) => reason.includes("vars.LANE")));
    assert.ok(
      result.jobs.build.reasons.some((reason) => reason.includes('"ubuntu-latest" is a GitHub-hosted')),
    );
  });

  it("reads one unknown value consistently", async () => {
    const result = await auditWorkflowText(
      workflow("${{ vars.LANE && 'tinyland-nix' || 'tinyland-docker' }}"),
      "ci.yml",
      PREFIX_FLEET,
    );
    assert.equal(result.jobs.build.verdict, "pass");
  });

  it("names the unknown condition taken", async () => {
    const file = "violation-and-or-fallback.yml";
    const result = await auditWorkflowText(
      fs.readFileSync(path.join(CORPUS_DIR, file), "utf8"),
      file,
      CORPUS_FLEET,
    );
    assert.match(result.jobs.build.reasons[0], /github\.ref == 'refs\/heads\/main' is false/);
  });

  it("merges include entries like GitHub", async () => {
    // Entries that add a key everywhere, merge where original values match, or become new combinations.
    const text = [
      "on: push",
      "jobs:",
      "  a:",
      "    strategy:",
      "      matrix:",
      "        fruit: [apple, pear]",
      "        animal: [cat, dog]",
      "        include:",
      "          - color: green",
      "          - color: pink",
      "            animal: cat",
      "          - fruit: apple",
      "            shape: circle",
      "          - fruit: banana",
      "          - fruit: banana",
      "            animal: cat",
      "    runs-on: tinyland-${{ matrix.fruit }}-${{ matrix.animal }}-${{ matrix.color }}-${{ matrix.shape }}",
    ].join("\n");
    const result = await auditWorkflowText(text, "ci.yml", PREFIX_FLEET);
    assert.deepEqual(result.jobs.a.labelSets, [
      ["tinyland-apple-cat-pink-circle"],
      ["tinyland-apple-dog-green-circle"],
      ["tinyland-pear-cat-pink-"],
      ["tinyland-pear-dog-green-"],
      ["tinyland-banana---"],
      ["tinyland-banana-cat--"],
    ]);
  });

  it("fails closed on an empty matrix", async () => {
    const text =
      "on: push\njobs:\n  a:\n    strategy:\n      matrix:\n        os: []\n    runs-on: ${{ matrix.os }}\n";
    const result = await auditWorkflowText(text, "ci.yml", PREFIX_FLEET);
    assert.equal(result.jobs.a.verdict, "violation");
  });

  it("resolves a declared variable", async () => {
    const result = await auditWorkflowText(workflow("${{ vars.LANE }}"), "ci.yml", {
      ...PREFIX_FLEET,
      variables: { LANE: "tinyland-dind" },
    });
    assert.deepEqual(result.jobs.build.labelSets, [["tinyland-dind"]]);
  });

  it("matches exact fleet labels case-insensitively", async () => {
    const result = await auditWorkflowText(workflow("ARC-GPU"), "ci.yml", {
      labels: ["arc-gpu"],
      labelPrefixes: [],
    });
    assert.equal(result.jobs.build.verdict, "pass");
  });

  it("rejects a label equal to the prefix", async () => {
    const result = await auditWorkflowText(workflow("tinyland-"), "ci.yml", PREFIX_FLEET);
    assert.equal(result.jobs.build.verdict, "violation");
  });

  it("rejects hosted labels in any case", async () => {
    const result = await auditWorkflowText(workflow("[tinyland-nix, Ubuntu-Latest]"), "ci.yml", PREFIX_FLEET);
    assert.equal(result.jobs.build.verdict, "violation");
  });

  it("fails closed past the evaluation cap", async () => {
    // Thirteen independent unknown conditions give 2^13 = 8192 branches, past the cap of 4096.
    const args = Array.from({ length: 13 }, (_, i) => `github.ref == '${i}' && 'a' || 'b'`).join(", ");
    const placeholders = Array.from({ length: 13 }, (_, i) => `{${i}}`).join("");
    const result = await auditWorkflowText(
      workflow(`\${{ format('tinyland-${placeholders}', ${args}) }}`),
      "ci.yml",
      PREFIX_FLEET,
    );
    assert.ok(MAX_EVALUATIONS_PER_JOB < 8192);
    assert.equal(result.jobs.build.verdict, "violation");
    assert.match(result.jobs.build.reasons.join(" "), /more than 4096 combinations/);
  });

  it("reports a YAML error with its line", async () => {
    const file = "error-duplicate-runs-on.yml";
    const result = await auditWorkflowText(
      fs.readFileSync(path.join(CORPUS_DIR, file), "utf8"),
      file,
      CORPUS_FLEET,
    );
    assert.match(result.errors[0], /^line 6: .*the key "runs-on" appears twice/);
  });

  it("names the allowed contexts", async () => {
    const result = await auditWorkflowText(workflow("${{ env.RUNNER }}"), "ci.yml", PREFIX_FLEET);
    assert.match(result.errors[0], /env\.RUNNER.*github, needs, strategy, matrix, inputs, vars/);
  });

  it("rejects an alias bomb quickly", async () => {
    const lines = ["on: push", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++) {
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    }
    lines.push("jobs:", "  build:", "    runs-on: *a9");
    const started = Date.now();
    const result = await auditWorkflowText(lines.join("\n"), "bomb.yml", PREFIX_FLEET);
    assert.equal(result.verdict, "error");
    assert.ok(Date.now() - started < 2000, "the alias bomb took longer than 2 s");
  });

  it("follows matrix include into new combinations only on conflict", async () => {
    const text = [
      "on: push",
      "jobs:",
      "  test:",
      "    strategy:",
      "      matrix:",
      "        lane: [nix]",
      "        include:",
      "          - lane: nix",
      "            extra: docker",
      "          - lane: dind",
      "    runs-on: tinyland-${{ matrix.lane }}-${{ matrix.extra }}",
    ].join("\n");
    const result = await auditWorkflowText(text, "ci.yml", PREFIX_FLEET);
    assert.deepEqual(result.jobs.test.labelSets, [["tinyland-nix-docker"], ["tinyland-dind-"]]);
  });
});

describe("nesting depth", () => {
  const cases: Array<{ name: string; text: string; line: number }> = [
    {
      name: "flow lists 100,000 deep",
      text: `on: push\njobs:\n  a:\n    runs-on: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
      line: 4,
    },
    {
      name: "unclosed flow mappings",
      text: `on: push\njobs:\n  a:\n    runs-on: ${"{a: ".repeat(100_000)}\n`,
      line: 4,
    },
    {
      name: "compact block lists",
      text: `on: push\njobs:\n  a:\n    runs-on:\n${"- ".repeat(100_000)}x\n`,
      line: 5,
    },
    {
      name: "indented block mappings",
      text: `on: push\n${Array.from({ length: 300 }, (_, i) => `${" ".repeat(i)}k${i}:\n`).join("")}`,
      line: MAX_NESTING_DEPTH + 2,
    },
  ];
  for (const { name, text, line } of cases) {
    it(`reports ${name} as too deep`, async () => {
      const result = await auditWorkflowText(text, "deep.yml", PREFIX_FLEET);
      assert.equal(result.verdict, "error");
      assert.equal(result.errors.length, 1);
      assert.match(result.errors[0], /nests collections more than 100 levels deep/);
      assert.ok(result.errors[0].startsWith(`line ${line}: `), result.errors[0]);
    });
  }

  for (const { name, text } of cases) {
    it(`bounds ${name} above the limit`, () => {
      assert.ok(nestingBound(text) > MAX_NESTING_DEPTH);
    });
  }

  it("does not call it a YAML error", async () => {
    const text = workflow(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    const result = await auditWorkflowText(text, "deep.yml", PREFIX_FLEET);
    assert.doesNotMatch(result.errors.join("\n"), /not valid YAML|call stack/);
  });

  it("accepts nesting at the bound", async () => {
    // The root mapping is one level and each list adds one.
    const depth = MAX_NESTING_DEPTH - 1;
    const deep = `${"[".repeat(depth)}x${"]".repeat(depth)}`;
    const text = workflow("tinyland-nix", `x-deep: ${deep}\n`);
    const result = await auditWorkflowText(text, "deep.yml", PREFIX_FLEET);
    assert.deepEqual(result.errors, []);
  });

  it("rejects one level past the bound", async () => {
    const deep = `${"[".repeat(MAX_NESTING_DEPTH)}x${"]".repeat(MAX_NESTING_DEPTH)}`;
    const text = workflow("tinyland-nix", `x-deep: ${deep}\n`);
    const result = await auditWorkflowText(text, "deep.yml", PREFIX_FLEET);
    assert.match(result.errors[0], /^line 2: the file nests collections more than 100 levels deep/);
  });

  it("ignores brackets inside scalars", async () => {
    const script = `echo ${"[{".repeat(500)}`;
    const text = workflow("tinyland-nix").replace("echo build", `'${script}'`);
    const result = await auditWorkflowText(text, "ci.yml", PREFIX_FLEET);
    assert.equal(result.verdict, "pass");
  });

  it("ignores indentation inside block scalars", async () => {
    const body = Array.from({ length: 300 }, (_, i) => `          ${" ".repeat(i)}line ${i}`).join("\n");
    const text = `on: push\njobs:\n  a:\n    runs-on: tinyland-nix\n    steps:\n      - run: |\n${body}\n`;
    const result = await auditWorkflowText(text, "ci.yml", PREFIX_FLEET);
    assert.equal(result.verdict, "pass");
  });

  it("counts lines of a block scalar", async () => {
    const body = Array.from({ length: 50 }, (_, i) => `          line ${i}`).join("\n");
    const text =
      `on: push\njobs:\n  a:\n    runs-on: tinyland-nix\n    steps:\n      - run: |\n${body}\n` +
      `  b:\n    runs-on: ${"[".repeat(200)}\n`;
    const result = await auditWorkflowText(text, "ci.yml", PREFIX_FLEET);
    assert.ok(result.errors[0]?.startsWith("line 58: "), result.errors[0]);
  });
});

describe("fleet options", () => {
  it("rejects an empty fleet", async () => {
    await assert.rejects(
      auditWorkflowText(workflow("tinyland-nix"), "ci.yml", { labels: [], labelPrefixes: [] }),
      {
        message: /at least one runner label or label prefix/,
      },
    );
  });

  it("rejects a hosted fleet prefix", async () => {
    await assert.rejects(
      auditWorkflowText(workflow("tinyland-nix"), "ci.yml", { labels: [], labelPrefixes: ["ubuntu-"] }),
      { message: /"ubuntu-" must not start with the GitHub-hosted family/ },
    );
  });

  it("rejects a missing path", async () => {
    await assert.rejects(auditPaths([path.join(CORPUS_DIR, "no-such-file.yml")], PREFIX_FLEET), {
      message: /no-such-file\.yml" does not exist/,
    });
  });
});
