import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { isPlainObject, loadDocument, loadQuickly, type LoadedWorkflow } from "../../policy/resolver/loader";
import { findNestingProblem } from "../../policy/resolver/nesting";
import { CORPUS_DIR, listCorpus } from "../fixtures/workflows/corpus";
import { mutate, Xorshift32 } from "./helpers/mutate";

/** Mutants compared per run; both readers together take well under a millisecond per file. */
const MUTANTS = 20_000;

/** Token sequences compared per run. */
const TOKEN_SEQUENCES = 100_000;

/**
 * Pieces of YAML that generated texts are made of: keys the resolver looks up, scalars of each core
 * type, indicators, indentation, document markers, tags, anchors, comments and odd characters.
 */
// prettier-ignore
const TOKENS = [
  "on", "jobs", "runs-on", "uses", "a", "b", "1", "1.0", "0x1", "0o7", "+1", ".5", "-.5", "1e3", ".inf",
  "~", "null", "true", "yes", "'q'", '"d"', "'it''s'", '"\\t"', "${{ a }}", "!=", "@", "`", "%", "=", "{",
  "}", "[", "]", ",", ": ", ":", "- ", "-", "?", "? ", "|", ">", "|-", "#c", " #c", "\n", "\n  ", "\n    ",
  "\n      ", " ", "  ", "\t", "\r\n", "---", "...", "!", "!!str ", "&x ", "*x", "<<", "\\", "\u00e9",
  "\ufeff",
];

/** Seed of the run, shown in the test title; set FLYWHEEL_FUZZ_SEED to replay a failing run. */
const SEED = Number(process.env.FLYWHEEL_FUZZ_SEED ?? Date.now() % 2 ** 31) >>> 0 || 1;

/** Collects every key line the resolver can ask for from one reader, as `where: line` entries. */
function keyLines(loaded: LoadedWorkflow): Record<string, number | undefined> {
  const lines: Record<string, number | undefined> = {};
  const root = loaded.root;
  if (!isPlainObject(root)) {
    return lines;
  }
  for (const key of Object.keys(root)) {
    lines[`root ${key}`] = loaded.lines.root(key);
  }
  if (isPlainObject(root.jobs)) {
    for (const [id, job] of Object.entries(root.jobs)) {
      lines[`job ${id}`] = loaded.lines.job(id);
      if (isPlainObject(job)) {
        for (const key of ["runs-on", "uses"]) {
          if (key in job) {
            lines[`job ${id} ${key}`] = loaded.lines.jobKey(id, key);
          }
        }
      }
    }
  }
  return lines;
}

/**
 * Asserts that the quick reader either declines the text or reads it exactly as the document API
 * does: the same values and the same key lines, and never a file the document API rejects.
 * Returns whether the quick reader accepted the text.
 */
function assertSameReading(text: string, label: string): boolean {
  if (findNestingProblem(text) !== undefined) {
    return false;
  }
  const quick = loadQuickly(text);
  if (quick === undefined) {
    return false;
  }
  const document = loadDocument(text);
  assert.ok(!("errors" in document), `${label}: the quick reader accepted a file the document API rejects`);
  assert.deepEqual(quick.root, document.root, `${label}: values differ`);
  assert.deepEqual(keyLines(quick), keyLines(document), `${label}: key lines differ`);
  return true;
}

function corpusTexts(): Array<{ file: string; text: string }> {
  return listCorpus().map((file) => ({ file, text: fs.readFileSync(path.join(CORPUS_DIR, file), "utf8") }));
}

describe("workflow readers", () => {
  it("read every corpus file the same way", () => {
    for (const { file, text } of corpusTexts()) {
      assertSameReading(text, file);
    }
  });

  it("read most clean corpus files quickly", () => {
    const clean = corpusTexts().filter(({ file }) => !file.includes("error-"));
    const quick = clean.filter(({ text }) => loadQuickly(text) !== undefined);
    // The clean files that go to the document API are those with anchors or aliases.
    const declined = clean.filter(({ text }) => loadQuickly(text) === undefined);
    assert.ok(
      declined.every(({ text }) => /[&*][A-Za-z]/.test(text)),
      `declined without an anchor: ${declined.map(({ file }) => file).join(", ")}`,
    );
    assert.ok(quick.length >= clean.length - 5, `${quick.length} of ${clean.length} read quickly`);
  });

  it(`read ${MUTANTS} mutants the same way (seed ${SEED})`, function () {
    this.timeout(300_000);
    const sources = corpusTexts();
    const random = new Xorshift32(SEED);
    for (let n = 0; n < MUTANTS; n++) {
      const source = sources[random.below(sources.length)];
      const mutant = mutate(source.text, random);
      assertSameReading(mutant.text, `seed ${SEED} mutant ${n} (${source.file}: ${mutant.steps.join(", ")})`);
    }
  });

  it(`read ${TOKEN_SEQUENCES} generated token sequences the same way (seed ${SEED})`, function () {
    this.timeout(300_000);
    const random = new Xorshift32(SEED ^ 0x2545f491);
    for (let n = 0; n < TOKEN_SEQUENCES; n++) {
      let text = "";
      for (let count = 3 + random.below(40); count > 0; count--) {
        text += TOKENS[random.below(TOKENS.length)];
      }
      assertSameReading(text, `seed ${SEED} sequence ${n} ${JSON.stringify(text)}`);
    }
  });

  const accepted: Array<{ name: string; text: string }> = [
    {
      name: "YAML 1.2 core scalars",
      text: "a: [~, null, Null, NULL, true, False, 12, +12, -0, 0o17, 0x1F]\n",
    },
    { name: "floats", text: "a: [1.5, .5, 1., 1e3, -2.5E-2, .inf, -.Inf, .nan, 1.0]\n" },
    {
      name: "YAML 1.1 words and binary digits as strings",
      text: "a: [yes, no, on, off, 0b101, 1_000, 012]\n",
    },
    { name: "quoted keys", text: "\"on\": push\n'jobs':\n  \"build\":\n    'runs-on': tinyland-nix\n" },
    {
      name: "flow mappings",
      text: "on: push\njobs: {build: {runs-on: tinyland-nix}, test: {uses: ./x.yml}}\n",
    },
    {
      name: "keys after block scalars",
      text: "on: push\njobs:\n  build:\n    steps:\n      - run: |\n          jobs: x\n    runs-on: tinyland-nix\n",
    },
    { name: "a byte order mark", text: "\ufeffon: push\njobs:\n  a:\n    runs-on: tinyland-nix\n" },
  ];
  for (const { name, text } of accepted) {
    it(`read ${name} the same way`, () => {
      assert.ok(assertSameReading(text, name), `${name}: the quick reader declined`);
    });
  }

  // Texts on which the readers once disagreed. Each must now be declined or read the same way.
  const disputed: Array<{ name: string; text: string }> = [
    { name: "an escape past U+10FFFF", text: 'a: "\\U00110000"\n' },
    { name: "an escape of FFFFFFFF", text: 'a: "\\UFFFFFFFF"\n' },
    { name: "a block key over 1024 characters", text: `${"k".repeat(1025)}: 1\n` },
    { name: "a flow pair key over 1024 characters", text: `a: [${"k".repeat(1025)}: 1]\n` },
    { name: "a key over 1024 UTF-16 units", text: `${"\u{1F600}".repeat(513)}: 1\n` },
    { name: "an escaped break before an empty line", text: 'a: "x\\\n\n  y"\n' },
    { name: "a byte order mark before indentation", text: "\ufeff a: 1\n b: 2\n" },
    { name: "a line separator after a marker", text: "---\u2028a: 1\n" },
    { name: "an empty item of a nested sequence", text: "a:\n- -\n- b\n" },
    { name: "a nested sequence ending empty", text: "a:\n- - b\n  -\n- c\n" },
    { name: "an anchor before a block scalar", text: "e: &b\n  |\n   x\nf: *b\n" },
    { name: "a column-0 comment before a value", text: "a:\n#c\n  b\nc: 1\n" },
    { name: "an empty comment after a blank line", text: "a:\n\n#\n  b\nd: 1\n" },
    { name: "a quoted merge key", text: 'a: {"<<": {b: 1}}\n' },
    { name: "a comment right after a quote", text: 'a: "b"#c\n' },
    { name: "a tab on a block scalar's last line", text: "a: |\n  x\n \t\n" },
    { name: "a tab line in a sequence's block scalar", text: "a:\n  - |\n  \t" },
    { name: "a tab before a less indented line", text: "a:\n  - |\n \t" },
    { name: "a tab line before the next item", text: "a:\n  - |\n  \t\n  - b" },
    { name: "a kept final line of spaces", text: "a: |+\n x\n " },
    { name: "a column-0 comment after a dash", text: "a:\n-\n#c\n b\nd:" },
    { name: "a comment between a dash and its value", text: "a:\n  -\n#c\n   b\n  - c" },
    { name: "an indented comment before a value", text: "a:\n  y:\n  #c\n    r\n  s: 1\n" },
    {
      name: "a comment inside runs-on",
      text: "on: push\njobs:\n  build:\n    runs-on:\n    #self-hosted\n      ubuntu-latest\n    steps:\n      - run: x\n",
    },
    { name: "an empty item before a comment", text: "a:\n  - b\n  -\n  #c\n    d\n  - e\n" },
    { name: "an empty item indented past the next", text: "s:\n -\n- 1\n" },
    { name: "a column-0 comment in a flow mapping", text: "d: {e: f\n#c\n }\n" },
    { name: "a flow mapping as the root", text: "{on: push,\n jobs: {}}\n" },
    { name: "a question mark after a comment", text: "a:\n#c\n ?x\nb: c\n" },
    { name: "a no-break space after a colon", text: "a:\n#c\n x:\u00a0y\nb:\n" },
    { name: "a no-break space after a dash", text: "a:\n#c\n -\u00a0\nb:\n" },
    { name: "an ideographic space after a dash", text: "a:\n#c\n -\u3000\nb:\n" },
    { name: "a question mark in runs-on", text: "jobs:\n  b:\n    runs-on:\n#c\n      ?x\n    uses: y\n" },
  ];
  for (const { name, text } of disputed) {
    it(`read ${name} the same way`, () => {
      assertSameReading(text, name);
    });
  }

  const scripts: Array<{ name: string; run: string }> = [
    { name: "a heredoc", run: 'echo "notes<<EOF" >> "$GITHUB_OUTPUT"' },
    { name: "a shell negation", run: "if ! git diff --quiet; then exit 1; fi" },
    { name: "a Markdown heading", run: 'echo "## Results" >> "$GITHUB_STEP_SUMMARY"' },
    { name: "a redirect to 1.log", run: "./build >1.log" },
    { name: "a cmd line with @", run: "@echo off" },
    { name: "a tab after indentation", run: "printf 'x'\n\tmake" },
    { name: "a backslash before an empty line", run: "make \\\n\nmake test" },
  ];
  for (const { name, run } of scripts) {
    it(`read a script with ${name} quickly`, () => {
      const script = run.replace(/\n/g, "\n          ");
      const text = `on: push\njobs:\n  build:\n    runs-on: tinyland-nix\n    steps:\n      - run: |\n          ${script}\n`;
      assert.ok(assertSameReading(text, name), `${name}: the quick reader declined`);
    });
  }

  it("read flow mappings as sequence items quickly", () => {
    const text =
      "on: push\njobs:\n  build:\n    runs-on: tinyland-nix\n    strategy:\n      matrix:\n" +
      "        include:\n          - {os: linux, node: 20}\n    steps:\n      - {uses: actions/checkout@v4}\n";
    assert.ok(assertSameReading(text, "flow mappings as items"), "the quick reader declined");
  });

  const declined: Array<{ name: string; text: string }> = [
    { name: "a merge key", text: "base: &b {x: 1}\na:\n  <<: *b\n" },
    { name: "an anchor", text: "a: &x tinyland-nix\nb: *x\n" },
    { name: "a YAML 1.1 directive", text: "%YAML 1.1\n---\na: yes\n" },
    { name: "an explicit key", text: "? a\n: b\n" },
    { name: "a number as a key", text: "1: a\n" },
    { name: "a null key", text: "~: a\n" },
    { name: "a duplicate key", text: "a: 1\na: 2\n" },
    { name: "a local tag", text: "a: !custom x\n" },
    { name: "a core tag", text: "a: !!str 12\n" },
    { name: "a non-specific tag", text: "a: ! 12\n" },
    { name: "two documents", text: "a: 1\n---\nb: 2\n" },
    { name: "a tab as indentation", text: "a:\n\tb: 1\n" },
  ];
  for (const { name, text } of declined) {
    it(`leave ${name} to the document API`, () => {
      assert.equal(loadQuickly(text), undefined);
    });
  }
});
