/**
 * The `flywheel` command line: a thin dispatcher to one module per subcommand. Each subcommand
 * module exports `run(argv): Promise<number>` and returns the process exit status, so that library
 * code never calls `process.exit` and tests can call it directly.
 */

/** A subcommand's entry: parses its own arguments and returns the exit status. */
export type SubcommandRun = (argv: string[]) => Promise<number>;

interface Subcommand {
  summary: string;
  load: () => Promise<SubcommandRun>;
}

// Loaded lazily so that `flywheel audit` does not pay for loading the Pulumi SDK. `require` rather
// than `import()`: under `module: node16` a dynamic import stays a native ESM import, which cannot
// load the TypeScript sources that the CommonJS hook compiles (bin/register.js in the command,
// ts-node in tests).
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading, see the comment above */
const SUBCOMMANDS: Record<string, Subcommand> = {
  render: {
    summary: "Run a stack's program offline with Pulumi mocks and print what it would register.",
    load: async () => (require("./render/command") as typeof import("./render/command")).run,
  },
  audit: {
    summary: "Check workflow files for jobs that can run on a GitHub-hosted runner.",
    load: async () => (require("./audit/command") as typeof import("./audit/command")).run,
  },
  ci: {
    summary: "Decide, run and report the Pulumi operations for the current GitHub event.",
    load: async () => (require("./ci/command") as typeof import("./ci/command")).run,
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Exit status for bad usage, shared by every subcommand. */
export const EXIT_USAGE = 2;

function usage(): string {
  const lines = ["Usage: flywheel <command> [options]", "", "Commands:"];
  for (const [name, sub] of Object.entries(SUBCOMMANDS)) {
    lines.push(`  ${name.padEnd(8)} ${sub.summary}`);
  }
  lines.push("", "Run `flywheel <command> --help` for the options of one command.");
  return lines.join("\n") + "\n";
}

/** Dispatches `argv` (without the node and script paths) to a subcommand and returns its exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const sub = SUBCOMMANDS[name];
  if (sub === undefined) {
    process.stderr.write(
      `flywheel: unknown command "${name}"; expected one of ${Object.keys(SUBCOMMANDS).join(", ")}.\n`,
    );
    process.stderr.write(usage());
    return EXIT_USAGE;
  }
  const run = await sub.load();
  return run(rest);
}
