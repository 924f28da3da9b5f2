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

/**
 * Maximum length of a line of text output, in characters. A line names a path, a job and its reasons,
 * so a longer line is almost always a long value of the audited file echoed back. The JSON format
 * keeps the full text.
 */
const MAX_TEXT_LINE_LENGTH = 2000;

/**
 * Ranges of code points that text output shows as `\\u` escapes, first and last included: C0 controls,
 * DEL and C1 controls, the line and paragraph separators, bidirectional overrides and isolates (which
 * reorder the displayed text), and unpaired surrogates (which cannot be encoded as UTF-8).
 */
const UNSAFE_CODE_POINT_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x2028, 0x2029],
  [0x202a, 0x202e],
  [0x2066, 0x2069],
  [0xd800, 0xdfff],
];

type OutputFormat = "text" | "json";

const HELP = `Usage: flywheel audit [options] <path>...

Checks GitHub Actions workflows for jobs whose runs-on can reach a runner outside
the fleet (a GitHub-hosted runner, an unknown label, or a value known only at
run time). A path is a workflow file, a directory of workflows, or a repository
root (a directory containing .git or .github; its .github/workflows is read).
A directory that yields no workflow file is an error.

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

JSON record (--format json), one object:
  files[]             one entry per workflow file, in the order found
    .file             the path as given or found
    .verdict          "pass", "violation" or "error" (GitHub would reject the file)
    .jobs.<id>        one entry per job GitHub would accept:
      .verdict        "pass" or "violation"
      .line           1-based line of the job's runs-on (or uses), else of its key
      .labelSets      every label set runs-on can request, labels as written
      .reasons        one sentence per problem; empty when the job passes
    .errors[]         one sentence per reason GitHub would reject the file,
                      each starting with "line <n>: "
  summary             the number of files with each verdict: pass, violation, error

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
    // auditPaths throws only for a path that is missing or cannot be read, a directory without
    // workflow files or invalid fleet options, all mistakes in what the command was given.
    return usageFailure(error);
  }
  process.stdout.write(
    options.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatText(report),
  );
  return exitStatus(report);
}

function usageFailure(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `${formatTextLine(`flywheel audit: ${message}`)}\nRun "flywheel audit --help" for usage.\n`,
  );
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
  for (const [option, list, example] of [
    ["--label", labels, `a runner label such as "${DEFAULT_LABEL_PREFIX}nix"`],
    ["--label-prefix", givenPrefixes, `a label prefix such as "${DEFAULT_LABEL_PREFIX}"`],
  ] as const) {
    const blank = list.find((value) => value.trim() === "");
    if (blank !== undefined) {
      throw new UsageError(`${option} must not be empty, but it is "${blank}"; pass ${example}.`);
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

/**
 * Formats the report as `file:line: job <id>: <reason>` lines and a closing count. Every line passes
 * through {@link formatTextLine}, because paths, job ids, labels and reasons come from the audited files.
 */
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
  return `${lines.map(formatTextLine).join("\n")}\n`;
}

/**
 * Makes one line safe to print to a terminal or a CI log. Control characters, line and paragraph
 * separators, bidirectional overrides and `\\` are shown as escapes (`\\n`, `\\u001b`), so a file
 * cannot start a new line, inject a workflow command such as `::error::` or send terminal escapes.
 * A line longer than {@link MAX_TEXT_LINE_LENGTH} is cut and ends with the count of characters left out.
 */
export function formatTextLine(line: string): string {
  const characters = Array.from(line);
  let shown = "";
  for (const [index, character] of characters.entries()) {
    const escaped = escapeCharacter(character);
    if (shown.length + escaped.length > MAX_TEXT_LINE_LENGTH) {
      shown += `... (${characters.length - index} more characters)`;
      break;
    }
    shown += escaped;
  }
  // GitHub Actions reads a log line starting with "::" as a workflow command. Every such line here
  // starts with a relative path, and "./" keeps it the same path.
  return /^\s*::/.test(shown) ? `./${shown}` : shown;
}

function escapeCharacter(character: string): string {
  switch (character) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    case "\\":
      return "\\\\";
  }
  const codePoint = character.codePointAt(0) ?? 0;
  if (!UNSAFE_CODE_POINT_RANGES.some(([first, last]) => codePoint >= first && codePoint <= last)) {
    return character;
  }
  // Every unsafe code point is below U+10000, so four hex digits show it.
  return `\\u${codePoint.toString(16).padStart(4, "0")}`;
}

function exitStatus(report: AuditReport): number {
  if (report.summary.error > 0) {
    return EXIT_ERROR;
  }
  return report.summary.violation > 0 ? EXIT_VIOLATION : EXIT_PASS;
}
