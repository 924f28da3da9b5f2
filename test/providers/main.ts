/**
 * Entry of the stand-in provider plugins: `main.ts <package> <engine address> [flags]`. It reports
 * the version of the package's installed SDK, because the engine looks a provider up by the
 * version each resource requests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as provider from "@pulumi/pulumi/provider";
import { STANDIN_DIR_ENV, StandInProvider } from "./standin-provider";

/** Packages with a stand-in: the providers the stacks register resources with. */
export const STANDIN_PACKAGES = ["kubernetes", "github", "random", "command"] as const;

/** Version of the installed `@pulumi/<pkg>` SDK, which its resources request from the engine. */
export function sdkVersion(pkg: string): string {
  const manifestPath = require.resolve(path.join("@pulumi", pkg, "package.json"));
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as { version: string };
  return manifest.version;
}

async function start(argv: string[]): Promise<void> {
  const [pkg, ...engineArgs] = argv;
  if (!(STANDIN_PACKAGES as readonly string[]).includes(pkg)) {
    throw new Error(`Unknown stand-in package "${pkg}"; expected one of ${STANDIN_PACKAGES.join(", ")}.`);
  }
  const directory = process.env[STANDIN_DIR_ENV];
  if (!directory) {
    throw new Error(`${STANDIN_DIR_ENV} is not set; set it to the directory that stands in for the cluster.`);
  }
  await provider.main(new StandInProvider(pkg, sdkVersion(pkg), directory), engineArgs);
}

if (require.main === module) {
  start(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`stand-in provider: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
