/**
 * Renders a stack offline: runs the program under Pulumi mocks with the configuration in its
 * `Pulumi.<stack>.yaml` and returns every resource it registers and its outputs. A stack that reads
 * another stack through a StackReference gets that stack's rendered outputs, so `github-dev` renders
 * `runners-dev`, which renders `caches-dev`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  defaultEnvironment,
  Family,
  FAMILIES,
  loadStackConfig,
  NAMESPACE,
  StackConfig,
} from "../../config/load";
import { runStack } from "../../stacks";
import { readStackConfig } from "../../stacks/config";
import { ProjectNotFoundError, StackNotFoundError, StackReferenceError, StackReferrer } from "./errors";
import { PlaintextSecret, recordProgram, REDACTED } from "./recorder";
import { readStackFile, StackFileConfig } from "./stack-file";

/** One registered resource as `flywheel render --format json` prints it. */
export interface RenderedResource {
  /** Type token, such as `kubernetes:helm.sh/v3:Release`. */
  type: string;
  /** Logical name. */
  name: string;
  /** Logical name of the parent resource, or null for children of the stack. */
  parent: string | null;
  /** Resolved inputs, every secret shown as `[secret]`. */
  inputs: Record<string, unknown>;
}

/** A rendered stack: the object `flywheel render --format json` prints. */
export interface RenderResult {
  /** Stack name, such as `runners-dev`. */
  stack: string;
  /** Every resource the program registers, in registration order, without the stack itself. */
  resources: RenderedResource[];
  /** Stack outputs, every secret shown as `[secret]`. */
  outputs: Record<string, unknown>;
}

/** Options of {@link renderStack} and {@link renderStackChain}. */
export interface RenderOptions {
  /**
   * Directory holding `Pulumi.yaml` and the `Pulumi.<stack>.yaml` files. Default: the nearest
   * directory with a `Pulumi.yaml`, starting at the working directory.
   */
  projectDir?: string;
  /**
   * Receives one message for each place where the program handed a secret to the engine in clear
   * text. Render shows such a value as `[secret]` anyway; the message names the resource and input.
   */
  onWarning?: (message: string) => void;
}

/** Input of {@link renderStackConfig}: one stack's configuration and the outputs of the stacks it references. */
export interface StackRenderInput {
  /** Stack name, such as `runners-dev`. */
  stack: string;
  /** Configuration in the form a program receives it, as {@link readStackFile} returns it. */
  config: StackFileConfig;
  /** Rendered outputs of referenced stacks, by stack name. */
  stackReferences?: Record<string, Record<string, unknown>>;
  /** Receives a message for each secret the program handed to the engine in clear text. */
  onWarning?: (message: string) => void;
}

/** A family whose stacks read another stack's outputs, and the key that names that stack. */
interface StackReferenceRule {
  /** Configuration key without the namespace, such as `cachesStack`. */
  key: string;
  /** Family of the referenced stack; also the prefix of the default stack name. */
  family: Family;
}

// Data flows caches -> runners -> github; each reference defaults to `<family>-<environment>`.
const REFERENCES: Partial<Record<Family, StackReferenceRule>> = {
  runners: { key: "cachesStack", family: "caches" },
  github: { key: "runnersStack", family: "runners" },
};

const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;

// The characters Pulumi allows in a stack name; anything else cannot name a file in the project.
const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** Lists the stacks that have a `Pulumi.<stack>.yaml` in `projectDir`, sorted by name. */
export function listStacks(projectDir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(projectDir);
  } catch {
    return [];
  }
  return entries
    .map((entry) => STACK_FILE.exec(entry)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

/**
 * Returns `explicit` resolved, or the nearest directory at or above the working directory that contains
 * a `Pulumi.yaml`, the way the Pulumi CLI finds its project.
 */
export function resolveProjectDir(explicit?: string): string {
  if (explicit !== undefined) {
    return path.resolve(explicit);
  }
  let dir = process.cwd();
  for (;;) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new ProjectNotFoundError(process.cwd());
    }
    dir = parent;
  }
}

/** One stack of a render chain, with its configuration file read. */
interface ChainLink {
  stack: string;
  file: StackFileConfig;
}

function readLink(stack: string, projectDir: string, referrer?: StackReferrer): ChainLink {
  if (!STACK_NAME.test(stack)) {
    const source = referrer ? `${referrer.key} of stack "${referrer.stack}"` : "the stack name";
    throw new StackNotFoundError(
      stack,
      `Pulumi.${stack}.yaml`,
      listStacks(projectDir),
      referrer,
      `${source} must contain only letters, digits, "-", "_" and "."`,
    );
  }
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new StackNotFoundError(stack, file, listStacks(projectDir), referrer);
  }
  return { stack, file: readStackFile(stack, projectDir) };
}

function rawFamily(link: ChainLink): string | undefined {
  return link.file.config[`${NAMESPACE}:family`];
}

/** Returns the stack `link` references and the key naming it, or undefined for a family that references none. */
function referenceOf(
  link: ChainLink,
): { stack: string; referrer: StackReferrer; rule: StackReferenceRule } | undefined {
  const family = rawFamily(link);
  if (family === undefined || !(FAMILIES as readonly string[]).includes(family)) {
    // The loader reports the missing or unknown family with its remedy.
    return undefined;
  }
  const rule = REFERENCES[family as Family];
  if (rule === undefined) {
    return undefined;
  }
  const key = `${NAMESPACE}:${rule.key}`;
  const environment = link.file.config[`${NAMESPACE}:environment`] ?? defaultEnvironment(link.stack);
  // A fully qualified reference (`org/flywheel/caches-dev`) names its stack file by the last part.
  const name = link.file.config[key] ?? `${rule.family}-${environment}`;
  const stack = name.split("/").pop() ?? name;
  return { stack, referrer: { stack: link.stack, key }, rule };
}

/**
 * Reads the configuration files of `stack` and of every stack it references, directly or not, and
 * returns them with referenced stacks first. No program runs here, so a cycle or a missing file is
 * reported before anything is registered.
 */
function planChain(stack: string, projectDir: string): ChainLink[] {
  const chain: ChainLink[] = [];
  let link = readLink(stack, projectDir);
  const visited = [stack];
  for (;;) {
    chain.unshift(link);
    const reference = referenceOf(link);
    if (reference === undefined) {
      return chain;
    }
    if (reference.stack === link.stack) {
      // Usually a stack whose family does not match its name: `caches-dev` set to family runners
      // reads the caches stack of its environment, which is `caches-dev` itself.
      throw new StackReferenceError(
        `Stack "${link.stack}" has ${NAMESPACE}:family ${rawFamily(link)}, so it reads a ${reference.rule.family} stack through ${reference.referrer.key}, which names "${link.stack}" itself. Set ${NAMESPACE}:family in Pulumi.${link.stack}.yaml to the family the stack is for, or set ${reference.referrer.key} to a ${reference.rule.family} stack.`,
        [link.stack, link.stack],
      );
    }
    if (visited.includes(reference.stack)) {
      const cycle = [...visited, reference.stack];
      throw new StackReferenceError(
        `Stack references form a cycle: ${cycle.join(" -> ")}. Set ${reference.referrer.key} in Pulumi.${link.stack}.yaml to a ${reference.rule.family} stack.`,
        cycle,
      );
    }
    visited.push(reference.stack);
    const next = readLink(reference.stack, projectDir, reference.referrer);
    const nextFamily = rawFamily(next);
    if (nextFamily !== reference.rule.family) {
      throw new StackReferenceError(
        `Stack "${link.stack}" references stack "${next.stack}" through ${reference.referrer.key}, but that stack's ${NAMESPACE}:family is ${JSON.stringify(nextFamily ?? null)}. ${reference.referrer.key} must name a ${reference.rule.family} stack.`,
        visited,
      );
    }
    link = next;
  }
}

function toRawConfig(file: StackFileConfig) {
  return { values: file.config, secretKeys: new Set(file.secretKeys) };
}

function plaintextWarning(stack: string, found: PlaintextSecret): string {
  const where =
    found.resource === null ? `output ${found.path}` : `resource "${found.resource}" input ${found.path}`;
  return `Stack "${stack}" passes a secret in clear text to ${where}; it is shown as ${REDACTED}. Wrap the value in pulumi.secret() so that the state stores it encrypted.`;
}

/**
 * Validates one stack's configuration and renders it, with the given outputs standing in for the
 * stacks it references. Throws a `ConfigError` before anything is registered when the
 * configuration is invalid.
 */
export async function renderStackConfig(input: StackRenderInput): Promise<RenderResult> {
  // Validate here so that an invalid value fails before the mock runtime starts.
  const config: StackConfig = loadStackConfig(input.stack, toRawConfig(input.config));
  const recorded = await recordProgram(async () => runStack(readStackConfig(config.stack)), {
    stack: input.stack,
    config: input.config.config,
    secretKeys: input.config.secretKeys,
    stackReferences: input.stackReferences,
  });
  for (const found of recorded.plaintextSecrets) {
    input.onWarning?.(plaintextWarning(input.stack, found));
  }
  return {
    stack: input.stack,
    resources: recorded.resources.map(({ type, name, parent, inputs }) => ({ type, name, parent, inputs })),
    outputs: recorded.outputs,
  };
}

/**
 * Renders `stack` and every stack it references, referenced stacks first, and returns one result
 * per stack in that order. Every configuration in the chain is validated before any program runs.
 */
export async function renderStackChain(stack: string, options: RenderOptions = {}): Promise<RenderResult[]> {
  const projectDir = resolveProjectDir(options.projectDir);
  const chain = planChain(stack, projectDir);
  for (const link of chain) {
    loadStackConfig(link.stack, toRawConfig(link.file));
  }

  const results: RenderResult[] = [];
  const outputsByStack: Record<string, Record<string, unknown>> = {};
  for (const link of chain) {
    const result = await renderStackConfig({
      stack: link.stack,
      config: link.file,
      stackReferences: outputsByStack,
      onWarning: options.onWarning,
    });
    results.push(result);
    outputsByStack[link.stack] = result.outputs;
  }
  return results;
}

/**
 * Renders one stack and returns the object `flywheel render --format json` prints. Stacks it
 * references are rendered first to supply their outputs.
 */
export async function renderStack(stack: string, options: RenderOptions = {}): Promise<RenderResult> {
  const results = await renderStackChain(stack, options);
  return results[results.length - 1];
}
