/**
 * `flywheel audit`: checks workflow files for jobs that can run on a runner outside the fleet. It reads
 * only the files it is given: no stack, no state, no credentials.
 */
import { parseArgs } from "node:util";
import { auditPaths, DEFAULT_LABEL_PREFIX, type AuditReport, type FleetOptions } from "../../policy/resolver";

/** Exit status when every file passes. */
const EXIT_PASS = 0;
/** Exit status when any job can run outside the fleet. */
const EXIT_VIOLATION = 1;
/** Exit status when any file is invalid, or on bad usage. */
const EXIT_ERROR = 2;

/** Variable names GitHub accepts: letters, digits and `_`, not starting with a digit. */
const VARIABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

type OutputFormat = "text" | "json";

const HELP = `Usage: flywheel audit [options] <path>...

Checks GitHub Actions workflows for jobs whose runs-on can reach a runner outside
the fleet (a GitHub-hosted runner, an unknown label, or a value known only at
run time). A path is a workflow file, a directory of workflows, or a repository
root (its .github/workflows is read).

Options:
  --label <name>          A fleet runner label (an ARC scale set name); repeatable.
  --label-prefix <prefix> Labels starting with this prefix are fleet labels; repeatable.
                          When no --label and no --label-prefix is given, the prefix
                          "${DEFAULT_LABEL_PREFIX}" applies.
  --var <NAME=VALUE>      A known value of vars.NAME; repeatable. Any other vars.NAME
                          that runs-on reads is unknown and fails the job.
  --format <text|json>    Output format (default: json). json prints one object;
                          text prints one line per failing job or file error, then a count.
  -h, --help              Print this help.

Exit status: 0 every job passes, 1 any job violates the rule, 2 any file is invalid
or the command is used wrongly.
`;

/** A mistake in the command line, reported with the help hint and exit status 2. */
class UsageError extends Error {}

interface AuditOptions {
  fleet: FleetOptions;
  format: OutputFormat;
  paths: string[];
}

/** Runs `flywheel audit` with `argv` (the arguments after `audit`) and returns the exit status. */
export async function run(argv: string[]): Promise<number> {
  let options: AuditOptions | "help";
  try {
    options = parseOptions(argv);
  } catch (error) {
    return usageFailure(error);
  }
  if (options === "help") {
    process.stdout.write(HELP);
    return EXIT_PASS;
  }

  let report: AuditReport;
  try {
    report = await auditPaths(options.paths, options.fleet);
  } catch (error) {
    // auditPaths throws only for a missing path or invalid fleet options, both usage mistakes.
    return usageFailure(error);
  }
  process.stdout.write(
    options.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatText(report),
  );
  return exitStatus(report);
}

function usageFailure(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`flywheel audit: ${message}\nRun "flywheel audit --help" for usage.\n`);
  return EXIT_ERROR;
}

function parseOptions(argv: string[]): AuditOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        label: { type: "string", multiple: true },
        "label-prefix": { type: "string", multiple: true },
        var: { type: "string", multiple: true },
        format: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }

  const { values, positionals } = parsed;
  if (values.help === true) {
    return "help";
  }

  const format = values.format ?? "json";
  if (format !== "text" && format !== "json") {
    throw new UsageError(`--format must be "text" or "json", but it is "${format}".`);
  }
  if (positionals.length === 0) {
    throw new UsageError(`no path given; pass a workflow file, a directory or a repository root.`);
  }

  const labels = values.label ?? [];
  const givenPrefixes = values["label-prefix"] ?? [];
  for (const [option, list] of [
    ["--label", labels],
    ["--label-prefix", givenPrefixes],
  ] as const) {
    if (list.some((value) => value.trim() === "")) {
      throw new UsageError(
        `${option} must not be empty; pass a runner label such as "${DEFAULT_LABEL_PREFIX}nix".`,
      );
    }
  }

  const labelPrefixes =
    labels.length === 0 && givenPrefixes.length === 0 ? [DEFAULT_LABEL_PREFIX] : givenPrefixes;
  return {
    fleet: { labels, labelPrefixes, variables: parseVariables(values.var ?? []) },
    format,
    paths: positionals,
  };
}

function parseVariables(assignments: string[]): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const assignment of assignments) {
    const separator = assignment.indexOf("=");
    const name = separator < 0 ? assignment : assignment.slice(0, separator);
    if (separator < 0 || !VARIABLE_NAME_PATTERN.test(name)) {
      throw new UsageError(
        `--var must be NAME=VALUE with a name of letters, digits and "_", but it is "${assignment}"; ` +
          `e.g. --var RUNNER=${DEFAULT_LABEL_PREFIX}nix.`,
      );
    }
    variables[name] = assignment.slice(separator + 1);
  }
  return variables;
}

/** Formats the report as `file:line: job <id>: <reason>` lines and a closing count. */
export function formatText(report: AuditReport): string {
  const lines: string[] = [];
  for (const file of report.files) {
    for (const error of file.errors) {
      const match = /^line (\d+): (.*)$/s.exec(error);
      lines.push(match === null ? `${file.file}: ${error}` : `${file.file}:${match[1]}: ${match[2]}`);
    }
    for (const [id, job] of Object.entries(file.jobs)) {
      if (job.verdict === "violation") {
        lines.push(`${file.file}:${job.line}: job ${id}: ${job.reasons.join("; ")}`);
      }
    }
  }
  const { pass, violation, error } = report.summary;
  const total = pass + violation + error;
  lines.push(
    `${total} ${total === 1 ? "file" : "files"} checked: ${pass} pass, ${violation} violation, ${error} error`,
  );
  return `${lines.join("\n")}\n`;
}

function exitStatus(report: AuditReport): number {
  if (report.summary.error > 0) {
    return EXIT_ERROR;
  }
  return report.summary.violation > 0 ? EXIT_VIOLATION : EXIT_PASS;
}
