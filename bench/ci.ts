// Times `flywheel ci --dry-run` on a push whose change set contains 10,000 files, in a temporary git
// repository, and prints the time beyond Node's own start-up (`node -e ''`, measured separately).
// Run with `npm run bench:ci`.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCi } from "../automation/ci/run-ci";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const CHANGED_FILES = 10_000;
const RUNS = 5;

/** Folders the changed files are spread over, so that every kind of path rule is exercised. */
const FOLDERS = [
  "components/arc",
  "components/caches",
  "components/github",
  "workflows",
  "docs",
  "test/fixtures",
  "policy/rules",
];

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).trim();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeMs(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8" });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  }
  return elapsed;
}

function makeRepository(): { dir: string; eventPath: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-bench-ci-"));
  git(dir, "init", "--quiet", "--initial-branch=main");
  git(dir, "config", "user.email", "bench@example.invalid");
  git(dir, "config", "user.name", "bench");
  git(dir, "config", "commit.gpgsign", "false");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: flywheel\nruntime: nodejs\n");
  for (const family of ["caches", "runners", "github"]) {
    fs.writeFileSync(path.join(dir, `Pulumi.${family}-dev.yaml`), `config:\n  flywheel:family: ${family}\n`);
  }
  git(dir, "add", ".");
  git(dir, "commit", "--quiet", "-m", "Start");
  const before = git(dir, "rev-parse", "HEAD");
  for (let i = 0; i < CHANGED_FILES; i++) {
    const folder = path.join(dir, FOLDERS[i % FOLDERS.length], `group-${i % 50}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `file-${i}.ts`), `export const value${i} = ${i};\n`);
  }
  git(dir, "add", ".");
  git(dir, "commit", "--quiet", "-m", "Change 10,000 files");
  const after = git(dir, "rev-parse", "HEAD");
  const eventPath = path.join(dir, "..", `${path.basename(dir)}-event.json`);
  const event = {
    ref: "refs/heads/main",
    before,
    after,
    repository: { full_name: "tinyland-example/flywheel", default_branch: "main" },
  };
  fs.writeFileSync(eventPath, JSON.stringify(event));
  return { dir, eventPath };
}

/** Picks the command line for `flywheel ci`: bin/flywheel.js when its dispatcher works, else the ci module directly. */
function ciCommand(): { args: string[]; label: string } {
  const bin = path.join(PROJECT_ROOT, "bin", "flywheel.js");
  const probe = spawnSync(process.execPath, [bin, "ci", "--help"], { encoding: "utf8" });
  if (probe.status === 0) {
    return { args: [bin, "ci"], label: "node bin/flywheel.js ci" };
  }
  const module = path.join(PROJECT_ROOT, "automation", "ci", "command.ts");
  const entry = `require(${JSON.stringify(module)}).run(process.argv.slice(1)).then((code) => { process.exitCode = code; })`;
  return {
    args: ["-r", "ts-node/register/transpile-only", "-e", entry, "--"],
    label:
      "node -r ts-node/register/transpile-only (automation/ci/command.ts), because bin/flywheel.js failed",
  };
}

/** Median time of the decision and reporting work alone, in this process, with every module already loaded. */
async function timeInProcess(dir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const run = async (): Promise<number> => {
    const start = process.hrtime.bigint();
    await runCi({
      repoRoot: dir,
      dryRun: true,
      environments: ["dev"],
      concurrency: 2,
      lockRetries: 0,
      lockRetryDelayMs: 0,
      env,
      write: () => undefined,
    });
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    times.push(await run());
  }
  return median(times);
}

async function main(): Promise<void> {
  const { dir, eventPath } = makeRepository();
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REF: "refs/heads/main",
      GITHUB_REPOSITORY: "tinyland-example/flywheel",
      TS_NODE_PROJECT: path.join(PROJECT_ROOT, "tsconfig.json"),
    };
    delete env.GITHUB_STEP_SUMMARY;
    delete env.GITHUB_TOKEN;
    const { args, label } = ciCommand();
    const record = path.join(dir, "..", `${path.basename(dir)}-record.json`);
    const ciArgs = [...args, "--dry-run", "--json", record, "--repo", dir];

    const startup = median(
      Array.from({ length: RUNS }, () => timeMs(process.execPath, ["-e", ""], env, PROJECT_ROOT)),
    );
    timeMs(process.execPath, ciArgs, env, PROJECT_ROOT); // warm the file system cache
    const total = median(
      Array.from({ length: RUNS }, () => timeMs(process.execPath, ciArgs, env, PROJECT_ROOT)),
    );
    const work = await timeInProcess(dir, env);
    const decided = JSON.parse(fs.readFileSync(record, "utf8")) as {
      changedFiles: string[];
      operations: unknown[];
    };
    fs.rmSync(record, { force: true });

    console.log(`command: ${label} --dry-run`);
    console.log(
      `changed files: ${decided.changedFiles.length}, operations decided: ${decided.operations.length}`,
    );
    console.log(`node -e '' start-up (median of ${RUNS}): ${startup.toFixed(0)} ms`);
    console.log(`flywheel ci --dry-run (median of ${RUNS}): ${total.toFixed(0)} ms`);
    console.log(`beyond Node start-up: ${(total - startup).toFixed(0)} ms (target: under 1000 ms)`);
    console.log(`of which deciding and reporting, modules loaded (median of ${RUNS}): ${work.toFixed(0)} ms`);
    console.log(
      `load average while measuring: ${os
        .loadavg()
        .map((load) => load.toFixed(1))
        .join(" ")} on ${os.cpus().length} CPUs`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(eventPath, { force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:ci failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
