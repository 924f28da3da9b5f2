import * as fs from "node:fs";
import * as path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import { ToolchainError } from "./errors";

/**
 * Loads the Automation API on first use: it takes about a second to load, which `--dry-run` and
 * `--help` should not pay. `require` because a dynamic `import()` bypasses ts-node's CommonJS hooks.
 */
export function loadAutomation(): typeof import("@pulumi/pulumi/automation") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
}

/** One place the Pulumi CLI was looked for, and the problem found there. */
interface Attempt {
  place: string;
  problem: string;
}

/**
 * Finds the Pulumi CLI: the installation root in `FLYWHEEL_PULUMI_ROOT`, then `<repo>/.toolchain`
 * (what `npm run toolchain` builds), then `pulumi` on PATH. Each root contains `bin/pulumi`. Throws a
 * `ToolchainError` listing every place tried and how to install the CLI.
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
  roots.push({ place: "PATH" });

  const attempts: Attempt[] = [];
  for (const { place, root } of roots) {
    if (root !== undefined && !fs.existsSync(path.join(root, "bin", "pulumi"))) {
      attempts.push({ place, problem: "no bin/pulumi" });
      continue;
    }
    try {
      return await PulumiCommand.get(root === undefined ? {} : { root });
    } catch (err) {
      attempts.push({ place, problem: firstLine(err) });
    }
  }
  const tried = attempts.map(({ place, problem }) => `${place}: ${problem}`).join("; ");
  throw new ToolchainError(
    `No usable Pulumi CLI was found (${tried}). Install it with \`npm run toolchain\` (builds it into ` +
      ".toolchain from Go modules) or the official installer (https://www.pulumi.com/docs/install/), " +
      "or set FLYWHEEL_PULUMI_ROOT to the folder that holds bin/pulumi.",
  );
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n").find((line) => line.trim().length > 0) ?? "failed";
}
