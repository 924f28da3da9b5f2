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
  --json <file>             Write the JSON record of the run to <file>.
  --env <name>              Environment whose stacks (<family>-<name>) are considered; repeatable
                            or comma-separated. Default: dev.
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

function positiveInteger(name: string, value: string | undefined, fallback: number, minimum: number): number {
  if (value === undefined) {
    return fallback;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) {
    throw new UsageError(
      `${name} is "${value}"; it must be an integer of at least ${minimum}, such as ${fallback}.`,
    );
  }
  return parsed;
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
          args: argv,
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
    const environments = (values.env ?? ["dev"])
      .flatMap((value) => value.split(","))
      .map((value) => value.trim())
      .filter(Boolean);
    process.on("SIGINT", cancel);
    process.on("SIGTERM", cancel);
    const { exitCode } = await runCi({
      repoRoot: values.repo ?? process.cwd(),
      dryRun: values["dry-run"] ?? false,
      jsonFile: values.json,
      environments: environments.length > 0 ? environments : ["dev"],
      rulesFile: values.rules,
      concurrency: positiveInteger("--concurrency", values.concurrency, 2, 1),
      lockRetries: positiveInteger("--lock-retries", values["lock-retries"], 3, 0),
      lockRetryDelayMs: positiveInteger("--lock-retry-delay", values["lock-retry-delay"], 5000, 0),
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
