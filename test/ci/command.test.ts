import * as assert from "node:assert/strict";
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
    assert.match(stderr, /--concurrency is "0"; it must be an integer of at least 1/);
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
