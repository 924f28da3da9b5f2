/**
 * scripts/pulumi-toolchain.sh on a scratch copy of the repository layout: which CLI it keeps, and
 * how it fails without Go. The case that builds runs only where a CLI was built already, so it
 * relinks in seconds instead of compiling for minutes.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findToolchain, onPath, REPO_ROOT, runProcess } from "./harness";
import { sdkVersion } from "../providers/main";

const SCRIPT = path.join(REPO_ROOT, "scripts", "pulumi-toolchain.sh");
const LAUNCHER = path.join(REPO_ROOT, "scripts", "pulumi-analyzer-policy-nodejs");

/** Creates a directory with the files the script reads: the SDK's package.json, the launcher, go.mod. */
function scratchRepository(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-toolchain-"));
  fs.mkdirSync(path.join(root, "scripts"));
  fs.copyFileSync(SCRIPT, path.join(root, "scripts", "pulumi-toolchain.sh"));
  fs.copyFileSync(LAUNCHER, path.join(root, "scripts", "pulumi-analyzer-policy-nodejs"));
  fs.mkdirSync(path.join(root, "node_modules", "@pulumi", "pulumi"), { recursive: true });
  fs.writeFileSync(
    path.join(root, "node_modules", "@pulumi", "pulumi", "package.json"),
    JSON.stringify({ name: "@pulumi/pulumi", version: sdkVersion("pulumi") }),
  );
  fs.cpSync(path.join(REPO_ROOT, "tools", "pulumi"), path.join(root, "tools", "pulumi"), { recursive: true });
  return root;
}

/** Writes an executable `pulumi` that prints `version` into `dir`. */
function fakePulumi(dir: string, version: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\necho "${version}"\n`, { mode: 0o755 });
}

function runScript(root: string, pathDirs: string[]) {
  const env = { ...process.env, PATH: pathDirs.join(path.delimiter) } as Record<string, string>;
  return runProcess("bash", [path.join(root, "scripts", "pulumi-toolchain.sh")], { cwd: root, env });
}

// Directories with node, git and coreutils but without Go.
const BASE_PATH = [path.dirname(process.execPath), "/usr/bin", "/bin"];

describe("pulumi-toolchain.sh", function () {
  let root: string;

  beforeEach(function () {
    root = scratchRepository();
  });

  afterEach(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("uses a compatible CLI on PATH", async function () {
    const pathCli = path.join(root, "path-bin");
    const minor = sdkVersion("pulumi").split(".").slice(0, 2).join(".");
    fakePulumi(pathCli, `v${minor}.99`);
    const result = await runScript(root, [pathCli, ...BASE_PATH]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`using ${pathCli}/pulumi \\(v${minor}\\.99\\) from PATH`));
    assert.ok(fs.existsSync(path.join(root, ".toolchain", "bin", "pulumi-analyzer-policy-nodejs")));
    assert.match(result.stdout, /export PATH=".*\/\.toolchain\/bin:\$PATH"/);
  });

  it("keeps a built CLI of the pinned version", async function () {
    fakePulumi(path.join(root, ".toolchain", "bin"), `v${sdkVersion("pulumi")}`);
    const result = await runScript(root, BASE_PATH);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /nothing to build/);
  });

  it("fails clearly without Go", async function () {
    const pathCli = path.join(root, "path-bin");
    fakePulumi(pathCli, "v3.100.0");
    const result = await runScript(root, [pathCli, ...BASE_PATH]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /ignoring .*pulumi: it reports '3\.100\.0'/);
    assert.match(result.stderr, /Go is not on PATH, so the Pulumi CLI cannot be built/);
    assert.match(result.stderr, /rerun 'npm run toolchain'/);
  });

  it("rebuilds a CLI without a version", async function () {
    const go = onPath("go");
    if (typeof findToolchain() === "string" || go === undefined) {
      process.stderr.write(
        "Skipping the rebuild case: it needs Go and a CLI built before (a warm build cache).\n",
      );
      this.skip();
    }
    fakePulumi(path.join(root, ".toolchain", "bin"), "");
    const result = await runScript(root, [path.dirname(go), ...BASE_PATH]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /rebuilding .* it reports 'no version'/);
    const built = await runProcess(path.join(root, ".toolchain", "bin", "pulumi"), ["version"], {
      cwd: root,
      env: process.env as Record<string, string>,
    });
    assert.equal(built.stdout.trim(), `v${sdkVersion("pulumi")}`);
  });
});
