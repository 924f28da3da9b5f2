import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../automation/ci/command";

/** Runs `flywheel ci` with `argv`, keeping its stderr out of the test output, and returns status and stderr. */
async function runQuietly(argv: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await run(argv), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe("flywheel ci command line", () => {
  it("rejects an unknown option", async () => {
    const { code, stderr } = await runQuietly(["--bogus"]);
    assert.equal(code, 2);
    assert.match(stderr, /--bogus/);
  });

  it("rejects a concurrency of zero", async () => {
    const { code, stderr } = await runQuietly(["--concurrency", "0"]);
    assert.equal(code, 2);
    assert.match(stderr, /--concurrency "0" is invalid: it must be an integer of 1 or more/);
  });

  it("rejects a negative concurrency", async () => {
    const { code, stderr } = await runQuietly(["--concurrency", "-1"]);
    assert.equal(code, 2);
    assert.match(stderr, /--concurrency "-1" is invalid: it must be an integer of 1 or more, such as 2\./);
  });

  it("rejects negative lock retries", async () => {
    const { code, stderr } = await runQuietly(["--lock-retries", "-3"]);
    assert.equal(code, 2);
    assert.match(stderr, /--lock-retries "-3" is invalid: it must be an integer of 0 or more, such as 3\./);
  });

  it("rejects an empty --env", async () => {
    const { code, stderr } = await runQuietly(["--dry-run", "--env", ""]);
    assert.equal(code, 2);
    assert.match(stderr, /--env "" names no environment/);
  });

  it("rejects a directory as --json", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-ci-json-"));
    try {
      const { code, stderr } = await runQuietly(["--dry-run", "--json", dir]);
      assert.equal(code, 2);
      assert.equal(
        stderr,
        `flywheel ci: --json ${dir} is a directory; pass a file path inside it, such as ${path.join(dir, "flywheel-ci.json")}.\n`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects --json under a file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-ci-json-"));
    const file = path.join(dir, "plain-file");
    fs.writeFileSync(file, "");
    try {
      const { code, stderr } = await runQuietly(["--dry-run", "--json", path.join(file, "record.json")]);
      assert.equal(code, 2);
      assert.match(stderr, /is a file, not a directory/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says --json creates parent folders", async () => {
    const write = process.stdout.write.bind(process.stdout);
    let stdout = "";
    process.stdout.write = ((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    }) as typeof process.stdout.write;
    try {
      assert.equal(await run(["--help"]), 0);
    } finally {
      process.stdout.write = write;
    }
    assert.match(
      stdout,
      /--json <file> +Write the JSON record of the run to <file>, creating missing parent\n +folders/,
    );
  });

  it("requires the GitHub event name", async () => {
    const saved = { name: process.env.GITHUB_EVENT_NAME };
    delete process.env.GITHUB_EVENT_NAME;
    try {
      const { code, stderr } = await runQuietly(["--dry-run"]);
      assert.equal(code, 2);
      assert.match(stderr, /GITHUB_EVENT_NAME is not set/);
    } finally {
      if (saved.name !== undefined) {
        process.env.GITHUB_EVENT_NAME = saved.name;
      }
    }
  });
});
