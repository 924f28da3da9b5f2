import * as fs from "node:fs";
import * as path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import { ToolchainError } from "./errors";

/**
 * Loads the Automation API on first use: it takes about a second to load, which `--dry-run` and
 * `--help` should not pay. `require` because a dynamic `import()` bypasses the CommonJS hook that
 * compiles the sources.
 */
export function loadAutomation(): typeof import("@pulumi/pulumi/automation") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
}

/** One place the Pulumi CLI was looked for, and the problem of the CLI found there, if one was. */
interface Attempt {
  place: string;
  problem?: string;
}

/**
 * Finds the Pulumi CLI: the installation root in `FLYWHEEL_PULUMI_ROOT`, then `<repo>/.toolchain`
 * (what `npm run toolchain` builds), then `pulumi` on PATH. Each root contains `bin/pulumi`. Throws a
 * `ToolchainError` naming every place tried, how to install the CLI, and why a CLI that was found failed.
 */
export async function findPulumiCommand(repoRoot: string, env: NodeJS.ProcessEnv): Promise<PulumiCommand> {
  const { PulumiCommand } = loadAutomation();
  const roots: { place: string; root?: string }[] = [];
  if (env.FLYWHEEL_PULUMI_ROOT) {
    roots.push({
      place: `FLYWHEEL_PULUMI_ROOT (${env.FLYWHEEL_PULUMI_ROOT})`,
      root: env.FLYWHEEL_PULUMI_ROOT,
    });
  }
  const toolchain = path.join(repoRoot, ".toolchain");
  roots.push({ place: toolchain, root: toolchain });
  roots.push({ place: "the PATH" });

  const attempts: Attempt[] = [];
  for (const { place, root } of roots) {
    if (root !== undefined && !fs.existsSync(path.join(root, "bin", "pulumi"))) {
      attempts.push({ place });
      continue;
    }
    try {
      return await PulumiCommand.get(root === undefined ? {} : { root });
    } catch (err) {
      attempts.push({ place, problem: problemOf(err) });
    }
  }
  const places = attempts.map(({ place }) => place);
  const found = attempts
    .filter((attempt) => attempt.problem !== undefined)
    .map(({ place, problem }) => ` The CLI in ${place} failed: ${problem}.`)
    .join("");
  throw new ToolchainError(
    `No usable Pulumi CLI was found in ${places.slice(0, -1).join(", ")} or ${places[places.length - 1]}, so ` +
      "install it with `npm run toolchain` (which builds it into .toolchain from Go modules) or the official " +
      "installer (https://www.pulumi.com/docs/install/), or set FLYWHEEL_PULUMI_ROOT to the folder that " +
      `contains bin/pulumi.${found}`,
  );
}

/**
 * Returns why a CLI that was found could not be used, or undefined when it was not found at all.
 * The Automation API reports a missing executable as a `CommandError` whose message starts with
 * `code: -2` and ends with the spawn error, so only that spawn error is kept.
 */
function problemOf(err: unknown): string | undefined {
  const text = err instanceof Error ? err.message : String(err);
  if (/\bENOENT\b/.test(text)) {
    return undefined;
  }
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/^(code|stdout|stderr):/.test(line));
  return (lines[0] ?? "it did not start").replace(/^err\?: /, "").replace(/\.$/, "");
}
