/**
 * A resource provider for tests that keeps every object as a JSON file in a directory standing in
 * for the cluster or the GitHub organization. It accepts any type token of its package, so one
 * implementation serves kubernetes, github, random and command. Editing a file behind the program's
 * back is drift: `read` returns the file's current contents, so a refresh finds the change.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as provider from "@pulumi/pulumi/provider";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { computedOutputs, invokeResult, nameObject, typeName, type Properties } from "./computed-outputs";

/** Environment variable naming the directory that replaces the cluster and the organization in tests. */
export const STANDIN_DIR_ENV = "FLYWHEEL_STANDIN_DIR";

/**
 * Test controls, read from the environment of the engine that starts the plugin:
 * - `FLYWHEEL_STANDIN_DELAY_MS`: milliseconds each create and update waits before writing, so a
 *   test can interrupt an update while it runs. Each one first touches `<directory>/.busy`.
 * - `FLYWHEEL_STANDIN_CHECK_DELAY_MS`: milliseconds each check waits, so operations on a stack
 *   last long enough for two runs to overlap.
 * - `FLYWHEEL_STANDIN_EXTRA_INPUT`: `<key>=<value>` added to every resource's inputs, like a provider
 *   upgrade that adds a default, so every resource has an update to apply.
 * - `FLYWHEEL_STANDIN_CHANGE_ON_RECHECK`: a resource name whose inputs gain `standinCheck: <n>` from
 *   its second check on, like a provider that normalizes inputs differently between a preview and
 *   the update that follows, so the update no longer matches the preview's plan.
 */
export const DELAY_ENV = "FLYWHEEL_STANDIN_DELAY_MS";
export const CHECK_DELAY_ENV = "FLYWHEEL_STANDIN_CHECK_DELAY_MS";
export const EXTRA_INPUT_ENV = "FLYWHEEL_STANDIN_EXTRA_INPUT";
export const CHANGE_ON_RECHECK_ENV = "FLYWHEEL_STANDIN_CHANGE_ON_RECHECK";

/** File touched when a create or update starts. */
export const BUSY_MARKER = ".busy";

/** One object as stored on disk. */
export interface StoredObject {
  urn: string;
  type: string;
  id: string;
  /** Inputs plus computed outputs: what `read` returns and what a test edits to cause drift. */
  properties: Properties;
}

/** Splits a URN (`urn:pulumi:<stack>::<project>::<qualified type>::<name>`) into type and name. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4) {
    throw new Error(`Invalid URN "${urn}": expected urn:pulumi:<stack>::<project>::<type>::<name>.`);
  }
  const qualifiedType = parts[2];
  return { type: qualifiedType.split("$").pop() ?? qualifiedType, name: parts.slice(3).join("::") };
}

function containsUnknown(value: unknown): boolean {
  if (value === unknownValue) {
    return true;
  }
  if (Array.isArray(value)) {
    return value.some(containsUnknown);
  }
  if (value !== null && typeof value === "object") {
    return Object.values(value).some(containsUnknown);
  }
  return false;
}

/** Lists the top-level keys whose values differ between the old state and the new inputs, ignoring computed keys. */
export function changedKeys(olds: Properties, news: Properties, computed: ReadonlySet<string>): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys]
    .filter((key) => !computed.has(key) && !key.startsWith("__"))
    .filter((key) => containsUnknown(news[key]) || !isDeepStrictEqual(olds[key], news[key]))
    .sort();
}

/** Stand-in provider for one package, storing objects under `<directory>/<package>/`. */
export class StandInProvider implements provider.Provider {
  /** Directory containing this package's objects. */
  private readonly objectsDir: string;
  /** Directory standing in for the cluster or organization. */
  private readonly directory: string;

  /**
   * @param pkg package name, the first segment of every type token it serves (`kubernetes`)
   * @param version version reported to the engine: the one the package's SDK requests
   * @param directory directory standing in for the cluster or organization
   */
  constructor(
    private readonly pkg: string,
    readonly version: string,
    directory: string,
  ) {
    this.directory = directory;
    this.objectsDir = path.join(directory, pkg);
  }

  async check(urn: string, olds: Properties, news: Properties): Promise<provider.CheckResult> {
    const { type, name } = this.resourceOf(urn);
    const inputs = nameObject(type, name, olds ?? {}, news).inputs;
    const checkDelayMs = Number(process.env[CHECK_DELAY_ENV] ?? "0");
    if (checkDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, checkDelayMs));
    }
    const extraInput = process.env[EXTRA_INPUT_ENV];
    if (extraInput) {
      const separator = extraInput.indexOf("=");
      if (separator < 1) {
        throw new Error(`${EXTRA_INPUT_ENV} must be <key>=<value>, not "${extraInput}".`);
      }
      inputs[extraInput.slice(0, separator)] = extraInput.slice(separator + 1);
    }
    if (process.env[CHANGE_ON_RECHECK_ENV] === name) {
      const count = this.countCheck(urn);
      if (count > 1) {
        inputs.standinCheck = count;
      }
    }
    return { inputs };
  }

  async diff(_id: string, urn: string, olds: Properties, news: Properties): Promise<provider.DiffResult> {
    const { type } = this.resourceOf(urn);
    // The Node.js provider SDK cannot send the changed keys to the engine, so the engine compares
    // the old and new properties itself for display. This list only decides whether to update.
    const computed = new Set(Object.keys(computedOutputs(type, "", news)));
    return { changes: changedKeys(olds, news, computed).length > 0, replaces: [] };
  }

  async create(urn: string, inputs: Properties): Promise<provider.CreateResult> {
    const { type, name } = this.resourceOf(urn);
    const { id } = nameObject(type, name, {}, inputs);
    const file = this.fileOf(type, id);
    if (fs.existsSync(file)) {
      throw new Error(
        `${typeName(type)} "${id}" already exists in ${this.objectsDir}; delete ${file} or rename the resource.`,
      );
    }
    await this.simulateLatency();
    const properties = { ...inputs, ...computedOutputs(type, id, inputs) };
    this.write({ urn, type, id, properties });
    return { id, outs: properties };
  }

  async read(id: string, urn: string): Promise<provider.ReadResult> {
    const { type } = this.resourceOf(urn);
    const file = this.fileOf(type, id);
    if (!fs.existsSync(file)) {
      // An empty id reports to the engine that the object no longer exists.
      return { id: "", props: {} };
    }
    const stored = JSON.parse(fs.readFileSync(file, "utf8")) as StoredObject;
    return { id, props: stored.properties };
  }

  async update(id: string, urn: string, _olds: Properties, news: Properties): Promise<provider.UpdateResult> {
    const { type } = this.resourceOf(urn);
    await this.simulateLatency();
    const properties = { ...news, ...computedOutputs(type, id, news) };
    this.write({ urn, type, id, properties });
    return { outs: properties };
  }

  async delete(id: string, urn: string): Promise<void> {
    const { type } = this.resourceOf(urn);
    fs.rmSync(this.fileOf(type, id), { force: true });
  }

  async invoke(token: string, inputs: Properties): Promise<provider.InvokeResult> {
    const outputs = invokeResult(token, inputs);
    if (outputs === undefined) {
      throw new Error(
        `The ${this.pkg} stand-in provider does not implement the function ${token}; add it to test/providers/computed-outputs.ts.`,
      );
    }
    return { outputs };
  }

  /** Returns the path of the file storing the object `id` of `type`. */
  fileOf(type: string, id: string): string {
    const safeId = id.replace(/[^A-Za-z0-9._-]/g, "_");
    return path.join(this.objectsDir, `${typeName(type)}--${safeId}.json`);
  }

  private async simulateLatency(): Promise<void> {
    const delayMs = Number(process.env[DELAY_ENV] ?? "0");
    if (delayMs > 0) {
      fs.writeFileSync(path.join(this.directory, BUSY_MARKER), `${process.pid}\n`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  /** Counts the checks of one resource across plugin processes, in a file per URN. */
  private countCheck(urn: string): number {
    const counters = path.join(this.directory, ".checks");
    fs.mkdirSync(counters, { recursive: true });
    const file = path.join(counters, urn.replace(/[^A-Za-z0-9._-]/g, "_"));
    const count = (fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8")) : 0) + 1;
    fs.writeFileSync(file, String(count));
    return count;
  }

  private resourceOf(urn: string): { type: string; name: string } {
    const resource = parseUrn(urn);
    if (resource.type.split(":")[0] !== this.pkg) {
      throw new Error(
        `The ${this.pkg} stand-in provider received ${resource.type}, a type of another package; check the resource's provider option.`,
      );
    }
    return resource;
  }

  private write(object: StoredObject): void {
    fs.mkdirSync(this.objectsDir, { recursive: true });
    const file = this.fileOf(object.type, object.id);
    // Written to a temporary name and renamed, so a concurrent reader never sees half a file.
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, `${JSON.stringify(object, null, 2)}\n`);
    fs.renameSync(temporary, file);
  }
}
