import { parseArgs } from "node:util";
import { UsageError } from "./errors";
import { runCi } from "./run-ci";

/** Exit status for bad usage or unreadable input. */
const EXIT_USAGE = 2;

const HELP = `Usage: flywheel ci [options]

Decides the Pulumi operations for the current GitHub event (from GITHUB_EVENT_NAME and
GITHUB_EVENT_PATH), runs them in dependency order and reports to the log, the job summary,
a sticky pull request comment, annotations and an optional JSON record.

Options:
  --dry-run                 Decide and report without running the Pulumi CLI.
  --json <file>             Write the JSON record of the run to <file>, creating missing parent
                            folders. <file> must not be an existing directory.
  --env <name>              Environment whose stacks (<family>-<name>) are considered; repeatable
                            or comma-separated, and never empty. Default: dev.
  --rules <file>            YAML or JSON file overriding the path rules, autoApply and dependsOn.
  --concurrency <n>         Independent stacks run at once, at most. Default: 2.
  --lock-retries <n>        Retries of an operation on a locked stack. Default: 3.
  --lock-retry-delay <ms>   Wait before the first lock retry in milliseconds, doubled after
                            each retry. Default: 5000.
  --repo <dir>              Root of the git checkout. Default: the current directory.
  -h, --help                Print this help.

Exit status: 0 when every operation succeeded and no mandatory policy was violated, 1 otherwise,
2 for bad usage or unreadable input.
`;

/** Options that take a number, so a value such as `-1` belongs to the option and is not an option itself. */
const NUMERIC_OPTIONS: readonly string[] = ["--concurrency", "--lock-retries", "--lock-retry-delay"];

/**
 * Joins `--concurrency -1` into `--concurrency=-1`. `parseArgs` otherwise rejects the value as
 * ambiguous, and the range check below gives the clearer message.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (NUMERIC_OPTIONS.includes(argv[i]) && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${argv[i]}=${next}`);
      i++;
      continue;
    }
    joined.push(argv[i]);
  }
  return joined;
}

function integerOption(name: string, value: string | undefined, fallback: number, minimum: number): number {
  if (value === undefined) {
    return fallback;
  }
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isInteger(parsed) || parsed < minimum) {
    throw new UsageError(
      `${name} ${JSON.stringify(value)} is invalid: it must be an integer of ${minimum} or more, such as ${fallback}.`,
    );
  }
  return parsed;
}

/** Splits the `--env` values on commas. An empty selection is bad usage, not a silent default of dev. */
function environmentsOf(values: string[] | undefined): string[] {
  if (values === undefined) {
    return ["dev"];
  }
  const environments = values
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter(Boolean);
  if (environments.length === 0) {
    throw new UsageError(
      `--env ${values.map((value) => JSON.stringify(value)).join(" ")} names no environment; ` +
        "pass a name such as --env dev, or leave the option out to use dev.",
    );
  }
  return environments;
}

/** Parses `flywheel ci` arguments, runs the driver, and returns the exit status. */
export async function run(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const cancel = (signal: NodeJS.Signals): void => {
    process.stderr.write(`flywheel ci: received ${signal}; cancelling the running operations.\n`);
    controller.abort();
  };
  try {
    const { values } = (() => {
      try {
        return parseArgs({
          args: joinNegativeValues(argv),
          options: {
            "dry-run": { type: "boolean", default: false },
            json: { type: "string" },
            env: { type: "string", multiple: true },
            rules: { type: "string" },
            concurrency: { type: "string" },
            "lock-retries": { type: "string" },
            "lock-retry-delay": { type: "string" },
            repo: { type: "string" },
            help: { type: "boolean", short: "h", default: false },
          },
          strict: true,
          allowPositionals: false,
        });
      } catch (err) {
        throw new UsageError(`${(err as Error).message}. Run \`flywheel ci --help\` for the options.`, {
          cause: err,
        });
      }
    })();
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const environments = environmentsOf(values.env);
    const concurrency = integerOption("--concurrency", values.concurrency, 2, 1);
    const lockRetries = integerOption("--lock-retries", values["lock-retries"], 3, 0);
    const lockRetryDelayMs = integerOption("--lock-retry-delay", values["lock-retry-delay"], 5000, 0);
    process.on("SIGINT", cancel);
    process.on("SIGTERM", cancel);
    const { exitCode } = await runCi({
      repoRoot: values.repo ?? process.cwd(),
      dryRun: values["dry-run"] ?? false,
      jsonFile: values.json,
      environments,
      rulesFile: values.rules,
      concurrency,
      lockRetries,
      lockRetryDelayMs,
      env: process.env,
      signal: controller.signal,
    });
    return exitCode;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`flywheel ci: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  } finally {
    process.off("SIGINT", cancel);
    process.off("SIGTERM", cancel);
  }
}
