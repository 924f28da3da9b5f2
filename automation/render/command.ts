/**
 * `flywheel render`: runs a stack's program offline under Pulumi mocks and prints the resources it
 * would register and its outputs, without a Pulumi CLI, a backend or the stack's passphrase.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError } from "../../config/errors";
import { ProjectNotFoundError, StackFileError, StackNotFoundError, StackReferenceError } from "./errors";
import type { RenderedResource, RenderResult } from "./render";

/**
 * Loads the renderer, and with it the Pulumi SDK and every stack, only once the arguments are valid.
 * `--help` and usage errors then return at once and work even when a stack does not compile.
 * `require` because a dynamic `import()` stays a native ESM import under `module: node16`, which
 * cannot load the TypeScript sources that the CommonJS hook compiles (bin/register.js in the
 * command, ts-node in tests).
 */
function loadRenderer(): typeof import("./render") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading, see above
  return require("./render") as typeof import("./render");
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Output streams of the command; default the process's standard streams. */
export interface CommandStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Output formats of `flywheel render`. */
export type RenderFormat = "text" | "json";

const FORMATS: readonly RenderFormat[] = ["text", "json"];

/** Exit status when the stack rendered. */
const EXIT_OK = 0;
/** Exit status when the program failed while it ran. */
const EXIT_FAILED = 1;
/** Exit status for bad usage, an unknown stack or invalid configuration. */
const EXIT_USAGE = 2;

const USAGE = `Usage: flywheel render --stack <name> [--format text|json] [--project-dir <dir>]

Runs a stack's program offline under Pulumi mocks, with the configuration in its
Pulumi.<stack>.yaml, and prints every resource it would register and its outputs.
Stacks it references (runners -> caches, github -> runners) are rendered first and
feed their outputs through the StackReference. Secret values print as [secret].

Options:
  --stack <name>        Stack to render, such as runners-dev (required).
  --format text|json    Output format; default text. json prints one object:
                        { "stack", "resources": [{ "type", "name", "parent", "inputs" }], "outputs" }.
  --project-dir <dir>   Directory with Pulumi.yaml and the stack files; default the
                        nearest one at or above the working directory.
  -h, --help            Print this help.

Exit status: 0 rendered, 1 the program failed, 2 bad usage, unknown stack or invalid configuration.
`;

/** Parsed command line of `flywheel render`. */
interface RenderArguments {
  stack: string;
  format: RenderFormat;
  projectDir?: string;
}

/** A command line that cannot be run; the message states why. */
class UsageError extends Error {}

function parseArguments(argv: string[]): RenderArguments | "help" {
  let values: { stack?: string; format?: string; "project-dir"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        format: { type: "string" },
        "project-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    // Node's messages name the offending option or argument.
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    return "help";
  }
  if (values.stack === undefined || values.stack === "") {
    throw new UsageError("--stack is required: name the stack to render, such as --stack runners-dev.");
  }
  const format = values.format ?? "text";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, not ${JSON.stringify(format)}.`);
  }
  return { stack: values.stack, format: format as RenderFormat, projectDir: values["project-dir"] };
}

/** Formats a rendered stack as text: one line per resource, indented under its parent, then the outputs. */
export function formatText(result: RenderResult): string {
  const children = new Map<string | null, RenderedResource[]>();
  const names = new Set(result.resources.map((r) => r.name));
  for (const resource of result.resources) {
    // A parent that was not rendered (none should be) keeps its child visible at the top level.
    const parent = resource.parent !== null && names.has(resource.parent) ? resource.parent : null;
    children.set(parent, [...(children.get(parent) ?? []), resource]);
  }

  const lines = [`Stack ${result.stack}: ${result.resources.length} resources`];
  const printed = new Set<RenderedResource>();
  const visit = (parent: string | null, depth: number) => {
    for (const resource of children.get(parent) ?? []) {
      if (printed.has(resource)) {
        continue;
      }
      printed.add(resource);
      lines.push(`${"  ".repeat(depth + 1)}${resource.type} ${resource.name}`);
      visit(resource.name, depth + 1);
    }
  };
  visit(null, 0);

  lines.push("Outputs:");
  for (const [name, value] of Object.entries(result.outputs)) {
    lines.push(`  ${name}: ${JSON.stringify(value)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Runs `flywheel render` with `argv` (the arguments after `render`) and returns the exit status. */
export async function run(argv: string[], streams: CommandStreams = process): Promise<number> {
  let args: RenderArguments | "help";
  try {
    args = parseArguments(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      streams.stderr.write(
        `flywheel render: ${err.message}\nRun "flywheel render --help" for the options.\n`,
      );
      return EXIT_USAGE;
    }
    throw err;
  }
  if (args === "help") {
    streams.stdout.write(USAGE);
    return EXIT_OK;
  }

  let result: RenderResult;
  try {
    const { listStacks, renderStack, resolveProjectDir } = loadRenderer();
    const projectDir = resolveProjectDir(args.projectDir);
    if (args.projectDir !== undefined && !isDirectory(projectDir)) {
      streams.stderr.write(
        `flywheel render: --project-dir ${JSON.stringify(args.projectDir)} is not a directory; pass the directory that contains Pulumi.yaml.\n`,
      );
      return EXIT_USAGE;
    }
    if (args.projectDir !== undefined && listStacks(projectDir).length === 0) {
      streams.stderr.write(
        `flywheel render: --project-dir ${JSON.stringify(args.projectDir)} contains no Pulumi.<stack>.yaml file; pass the project directory.\n`,
      );
      return EXIT_USAGE;
    }
    result = await renderStack(args.stack, {
      projectDir,
      onWarning: (message) => streams.stderr.write(`flywheel render: warning: ${message}\n`),
    });
  } catch (err) {
    const isUsage =
      err instanceof ConfigError ||
      err instanceof StackNotFoundError ||
      err instanceof StackReferenceError ||
      err instanceof ProjectNotFoundError ||
      err instanceof StackFileError;
    if (isUsage) {
      streams.stderr.write(`flywheel render: ${err.message}\n`);
      return EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    streams.stderr.write(`flywheel render: rendering stack "${args.stack}" failed: ${message}\n`);
    return EXIT_FAILED;
  }

  streams.stdout.write(args.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : formatText(result));
  return EXIT_OK;
}
