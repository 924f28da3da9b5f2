/**
 * Scale benchmark of `flywheel render`: renders a runners stack of 200 and 400 lanes and a github
 * stack of 500 and 1,000 repositories. Configurations are synthesized in memory and go through the
 * same loader, program and mock recorder as `flywheel render`. Prints registrations, seconds,
 * registrations per second and the ratio of the time at 2N to the time at N, which should stay at
 * or below 2.2 (linear with some slack for garbage collection).
 *
 * Run with `npm run bench`. It is a measurement, not a test, so it exits non-zero only when a render
 * fails.
 */
import * as os from "node:os";
import * as path from "node:path";
import { renderStackChain, renderStackConfig, RenderResult } from "../automation/render/render";
import { readStackFile, StackFileConfig } from "../automation/render/stack-file";

const PROJECT_DIR = path.resolve(__dirname, "..");

/** Ratio of time at 2N to time at N above which a render no longer scales linearly. */
const MAX_DOUBLING_RATIO = 2.2;

/** One measured render. */
interface Measurement {
  label: string;
  size: number;
  registrations: number;
  /** Elapsed time. */
  wallSeconds: number;
  /** CPU time of this process, user and system; steadier than wall time on a shared machine. */
  cpuSeconds: number;
}

/** Builds a runners stack of `lanes` extra lanes on the runners-dev example's configuration. */
function runnersConfig(lanes: number): StackFileConfig {
  const example = readStackFile("runners-dev", PROJECT_DIR);
  const runners = JSON.parse(example.config["flywheel:runners"]) as Record<string, unknown>;
  const laneMap: Record<string, unknown> = {};
  for (let i = 0; i < lanes; i++) {
    const id = String(i).padStart(4, "0");
    laneMap[`lane-${id}`] = {
      label: `bench-lane-${id}`,
      caches: i % 2 === 0 ? ["attic", "bazel"] : ["bazel"],
    };
  }
  // The default lanes stay; the synthesized ones come on top of them.
  runners["lanes"] = laneMap;
  return {
    // The environment of the example keeps the reference on caches-dev, whose outputs are supplied.
    config: { ...example.config, "flywheel:environment": "dev", "flywheel:runners": JSON.stringify(runners) },
    secretKeys: example.secretKeys,
  };
}

/** Builds a github stack of `repositories` private repositories, each like the example's application repository. */
function githubConfig(repositories: number): StackFileConfig {
  const example = readStackFile("github-dev", PROJECT_DIR);
  const names: string[] = ["flywheel"];
  const repositoryMap: Record<string, unknown> = {
    flywheel: { visibility: "private", defaultBranch: "main" },
  };
  for (let i = 1; i < repositories; i++) {
    const name = `app-${String(i).padStart(4, "0")}`;
    names.push(name);
    repositoryMap[name] = {
      visibility: "private",
      defaultBranch: "main",
      workflows: ["validate", "secretDetection", "platformProof", "buildAndPublish", "proofStatus"],
      lanes: { validate: "tinyland-docker" },
      buildPaths: ["flake.nix", "flake.lock", "apps/**"],
    };
  }
  return {
    config: {
      ...example.config,
      "flywheel:environment": "dev",
      "flywheel:repositories": JSON.stringify(repositoryMap),
      "flywheel:runnerGroups": JSON.stringify({ "tinyland-fleet": { repositories: names } }),
    },
    secretKeys: example.secretKeys,
  };
}

async function measure(
  label: string,
  size: number,
  stack: string,
  config: StackFileConfig,
  stackReferences: Record<string, Record<string, unknown>>,
): Promise<Measurement> {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const result: RenderResult = await renderStackConfig({ stack, config, stackReferences });
  const cpu = process.cpuUsage(cpuStart);
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    label,
    size,
    registrations: result.resources.length,
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function ratioLine(label: string, small: number, large: number): string {
  const ratio = large / small;
  const verdict = ratio <= MAX_DOUBLING_RATIO ? "within" : "ABOVE";
  return `  ${label} ratio: ${ratio.toFixed(2)} (${verdict} the ${MAX_DOUBLING_RATIO} target)`;
}

function report(small: Measurement, large: Measurement): string[] {
  const rows = [small, large].map((m) =>
    [
      `  ${m.label.padEnd(26)}`,
      `${String(m.registrations).padStart(6)} registrations`,
      `${m.wallSeconds.toFixed(2).padStart(7)} s wall`,
      `${m.cpuSeconds.toFixed(2).padStart(7)} s CPU`,
      `${(m.registrations / m.wallSeconds).toFixed(0).padStart(5)} /s wall`,
      `${(m.registrations / m.cpuSeconds).toFixed(0).padStart(5)} /s CPU`,
    ].join(" "),
  );
  rows.push(ratioLine(`CPU time ${large.size}/${small.size}`, small.cpuSeconds, large.cpuSeconds));
  rows.push(ratioLine(`wall time ${large.size}/${small.size}`, small.wallSeconds, large.wallSeconds));
  return rows;
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus.length} cores (${cpus[0]?.model ?? "unknown model"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.arch()}, load average ${os.loadavg()[0].toFixed(1)}`,
  );

  // The outputs the synthesized stacks read through their StackReferences.
  const [caches, runners] = await renderStackChain("runners-dev", { projectDir: PROJECT_DIR });
  const referenced = { [caches.stack]: caches.outputs, [runners.stack]: runners.outputs };

  // A first render loads and compiles every module, so it is left out of the measurements.
  await measure("warm-up", 1, "runners-bench", runnersConfig(2), referenced);

  const runnersSmall = await measure(
    "runners stack, 200 lanes",
    200,
    "runners-bench",
    runnersConfig(200),
    referenced,
  );
  const runnersLarge = await measure(
    "runners stack, 400 lanes",
    400,
    "runners-bench",
    runnersConfig(400),
    referenced,
  );
  const githubSmall = await measure(
    "github stack, 500 repos",
    500,
    "github-bench",
    githubConfig(500),
    referenced,
  );
  const githubLarge = await measure(
    "github stack, 1000 repos",
    1000,
    "github-bench",
    githubConfig(1000),
    referenced,
  );

  console.log("runners:");
  report(runnersSmall, runnersLarge).forEach((line) => console.log(line));
  console.log("github:");
  report(githubSmall, githubLarge).forEach((line) => console.log(line));
}

main().catch((err: unknown) => {
  console.error(`bench/render: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
