import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { StackFileError } from "./errors";

/** A stack's configuration as read from its `Pulumi.<stack>.yaml`, in the form a program receives it. */
export interface StackFileConfig {
  /** Full keys to values; structured values are JSON-encoded, as the Pulumi runtime passes them. */
  config: Record<string, string>;
  /** Full keys whose values are encrypted (`secure:`) in the file. */
  secretKeys: string[];
}

/**
 * Value given to a program for each encrypted key when the file is read without the stack's
 * passphrase. It is never printed: every secret renders as `[secret]`.
 */
export function placeholderSecret(key: string): string {
  return `placeholder-for-${key}`;
}

function isSecure(value: unknown): boolean {
  return value !== null && typeof value === "object" && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces encrypted leaves of a structured value; returns whether any was found. */
function replaceSecure(value: unknown, key: string, found: { secret: boolean }): unknown {
  if (isSecure(value)) {
    found.secret = true;
    return placeholderSecret(key);
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => replaceSecure(v, `${key}[${i}]`, found));
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, replaceSecure(v, `${key}.${k}`, found)]),
    );
  }
  return value;
}

/** Returns the project name from `Pulumi.yaml` in `projectDir`, or undefined when it cannot be read. */
function projectName(projectDir: string): string | undefined {
  try {
    const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
      name?: unknown;
    } | null;
    return typeof project?.name === "string" ? project.name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads `Pulumi.<stack>.yaml` from `projectDir`. Encrypted values are replaced by placeholders, so
 * the result is fit for rendering under mocks, never for deploying. A key without a namespace
 * belongs to the project, as the Pulumi CLI reads it (`family` in project `flywheel` is `flywheel:family`).
 */
export function readStackFile(stack: string, projectDir: string): StackFileConfig {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new StackFileError(
      file,
      `Stack configuration file ${file} could not be read; create it or pick an existing stack.`,
      { cause: err },
    );
  }
  let document: unknown;
  try {
    document = YAML.parse(text);
  } catch (err) {
    throw new StackFileError(
      file,
      `Stack configuration file ${file} is not valid YAML: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const entries = (document as { config?: unknown } | null)?.config ?? {};
  if (entries === null || typeof entries !== "object" || Array.isArray(entries)) {
    throw new StackFileError(
      file,
      `Stack configuration file ${file} must hold a "config:" mapping of keys to values.`,
    );
  }

  const project = projectName(projectDir);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [name, value] of Object.entries(entries)) {
    const key = name.includes(":") || project === undefined ? name : `${project}:${name}`;
    const found = { secret: false };
    const plain = replaceSecure(value, key, found);
    if (found.secret) {
      secretKeys.push(key);
    }
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  return { config, secretKeys };
}
