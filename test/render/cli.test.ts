import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "./project";

interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/flywheel.js` as `npx flywheel` would, in the repository root. */
function flywheel(args: string[]): Promise<ProcessResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, "bin", "flywheel.js"), ...args],
      { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        let status: number | null = 0;
        if (error !== null) {
          // A process killed by a signal or the timeout has no exit code.
          status = typeof error.code === "number" ? error.code : null;
        }
        resolve({ status, stdout, stderr });
      },
    );
  });
}

describe("bin/flywheel.js render", function () {
  // A cold start compiles the program through ts-node.
  this.timeout(200_000);

  let result: ProcessResult;
  before(async () => {
    result = await flywheel(["render", "--stack", "runners-dev", "--format", "json"]);
  });

  it("exits 0", () => {
    assert.equal(result.status, 0, result.stderr);
  });

  it("prints the rendered stack as JSON", () => {
    const rendered = JSON.parse(result.stdout) as { stack: string };
    assert.equal(rendered.stack, "runners-dev");
  });

  it("prints no placeholder secret", () => {
    assert.ok(!result.stdout.includes("placeholder-for-"));
  });

  it("prints help without loading stacks", async () => {
    const script = [
      'require("ts-node").register({ transpileOnly: true });',
      'const { run } = require("./automation/render/command.ts");',
      'run(["--help"], { stdout: { write() {} }, stderr: process.stderr }).then(() => {',
      '  process.stdout.write(String(Object.keys(require.cache).some((file) => file.includes("/stacks/"))));',
      "});",
    ].join("\n");
    const loaded = await new Promise<string>((resolve) => {
      execFile(process.execPath, ["-e", script], { cwd: REPO_ROOT, timeout: 180_000 }, (_error, stdout) =>
        resolve(stdout),
      );
    });
    assert.equal(loaded, "false");
  });

  it("exits 2 for an unknown stack", async () => {
    const unknown = await flywheel(["render", "--stack", "runners-prod"]);
    assert.equal(unknown.status, 2);
  });
});
