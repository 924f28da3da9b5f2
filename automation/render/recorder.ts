/**
 * Runs a stack's program under Pulumi's mock runtime and records every registration. Used by
 * `flywheel render` and by the program's tests, so that both see exactly what the engine would.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { Secret } from "../../config/secret";

/** One resource the program registered, with its inputs as the engine would receive them. */
export interface RecordedResource {
  /** Type token, such as `kubernetes:helm.sh/v3:Release` or `flywheel:arc:ScaleSet`. */
  type: string;
  /** Logical name. */
  name: string;
  /** Logical name of the parent resource, or null for children of the stack. */
  parent: string | null;
  /** True for provider-managed resources, false for components. */
  custom: boolean;
  /** Resolved inputs. Every secret value is replaced by `[secret]`. */
  inputs: Record<string, unknown>;
}

/** A secret configuration value that reached a resource input or a stack output without being a Pulumi secret. */
export interface PlaintextSecret {
  /** Logical name of the resource whose inputs held it, or null for a stack output. */
  resource: string | null;
  /** Property path inside the inputs or outputs, such as `values.githubConfigSecret.github_app_id`. */
  path: string;
}

/** Result of one recorded program run. */
export interface RecordResult {
  resources: RecordedResource[];
  /** Resolved stack outputs, secrets shown as `[secret]`. */
  outputs: Record<string, unknown>;
  /**
   * Places where a secret configuration value or a generated secret appeared in clear text. The
   * recorder has already replaced each by `[secret]`. A non-empty list means that the program handed
   * a secret to the engine unencrypted, so the state would store it in plain text.
   */
  plaintextSecrets: PlaintextSecret[];
}

/** Options of {@link recordProgram}. */
export interface RecordOptions {
  /** Stack name, such as `runners-dev`. */
  stack: string;
  /** Project name; default `flywheel`. */
  project?: string;
  /** Full configuration keys to string values, as Pulumi passes them to a program. */
  config: Record<string, string>;
  /** Full keys of `config` that are secrets. */
  secretKeys?: readonly string[];
  /** Outputs of other stacks, keyed by the stack name a StackReference requests. */
  stackReferences?: Record<string, Record<string, unknown>>;
  /**
   * Whether errors and promises created while the program runs carry stack traces; default false.
   * The SDK captures a trace for every promise it tracks, only to report leaked promises. With
   * ts-node's source maps that took about three quarters of the recording time (100 repositories
   * of the github stack: 8.3 s of CPU with traces, 2.7 s without). Set it to debug a program that
   * throws.
   */
  keepStackTraces?: boolean;
}

/** The string printed in place of every secret value. */
export const REDACTED = "[secret]";

// The SDK's wire marker for a secret value (`specialSigKey` / `specialSecretSig` in runtime/rpc).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * Secret values shorter than this are not searched for in clear text, because they would match
 * ordinary text ("1", "true") far more often than a leak.
 */
const MIN_SCRUBBED_SECRET_LENGTH = 4;

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return (
    value !== null && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

function secretEnvelope(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** Replaces every secret envelope in a deserialized property value by `[secret]`. */
export function redactSecrets(value: unknown): unknown {
  if (isSecretEnvelope(value)) {
    return REDACTED;
  }
  if (Array.isArray(value)) {
    return value.map(redactSecrets);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

function unwrapSecrets(value: unknown): unknown {
  if (isSecretEnvelope(value)) {
    return unwrapSecrets(value.value);
  }
  if (Array.isArray(value)) {
    return value.map(unwrapSecrets);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Collects the string leaves of a configuration value, decoding JSON when the value is structured. */
function stringLeaves(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    into.add(value);
    try {
      const decoded: unknown = JSON.parse(value);
      if (decoded !== null && typeof decoded === "object") {
        stringLeaves(decoded, into);
      }
    } catch {
      // A plain string: already added.
    }
  } else if (Array.isArray(value)) {
    value.forEach((v) => stringLeaves(v, into));
  } else if (value !== null && typeof value === "object") {
    Object.values(value).forEach((v) => stringLeaves(v, into));
  }
}

/**
 * Replaces every string that contains a known secret value by `[secret]`, and notes where it was.
 * This catches a program that passes `Secret.reveal()` or a generated password to a resource without
 * `pulumi.secret`, which the wire format alone would show in clear.
 */
class SecretScrubber {
  readonly found: PlaintextSecret[] = [];
  readonly #values = new Set<string>();

  add(value: string): void {
    if (value.length >= MIN_SCRUBBED_SECRET_LENGTH) {
      this.#values.add(value);
    }
  }

  scrub(value: unknown, resource: string | null, path: string): unknown {
    if (typeof value === "string") {
      for (const secret of this.#values) {
        if (value.includes(secret)) {
          this.found.push({ resource, path });
          return REDACTED;
        }
      }
      return value;
    }
    if (Array.isArray(value)) {
      return value.map((v, i) => this.scrub(v, resource, `${path}[${i}]`));
    }
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, this.scrub(v, resource, path === "" ? k : `${path}.${k}`)]),
      );
    }
    return value;
  }
}

/** Returns a deterministic stand-in of `length` characters from `alphabet` for a generated value. */
function generated(seed: string, length: number, alphabet: string): string {
  let text = "";
  let block = createHash("sha256").update(seed).digest();
  while (text.length < length) {
    for (const byte of block) {
      text += alphabet[byte % alphabet.length];
    }
    block = createHash("sha256").update(block).digest();
  }
  return text.slice(0, length);
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";

/** Returns stand-ins for what the random provider computes for a new resource, stable per name. */
function randomState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const seed = `${type}::${name}`;
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString": {
      const result = generated(seed, Number(inputs["length"] ?? 16), ALPHANUMERIC);
      return type.endsWith("RandomPassword")
        ? { result, bcryptHash: `$2a$10$${generated(`${seed}#hash`, 53, ALPHANUMERIC)}` }
        : { result };
    }
    case "random:index/randomBytes:RandomBytes":
    case "random:index/randomId:RandomId": {
      const bytes = Buffer.from(
        generated(seed, 2 * Number(inputs["length"] ?? inputs["byteLength"] ?? 32), HEX),
        "hex",
      );
      return {
        hex: bytes.toString("hex"),
        base64: bytes.toString("base64"),
        b64Std: bytes.toString("base64"),
        b64Url: bytes.toString("base64url"),
        dec: BigInt(`0x${bytes.toString("hex")}`).toString(),
      };
    }
    case "random:index/randomInteger:RandomInteger":
      return { result: Number(inputs["min"] ?? 0) };
    case "random:index/randomUuid:RandomUuid": {
      const hex = generated(seed, 32, HEX);
      return {
        result: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`,
      };
    }
    default:
      return {};
  }
}

/** Returns true when `value` or anything inside it is `[secret]`. */
function containsRedacted(value: unknown): boolean {
  if (value === REDACTED) {
    return true;
  }
  if (value !== null && typeof value === "object") {
    return Object.values(value).some(containsRedacted);
  }
  return false;
}

/** Builds the state a mocked provider returns for a new resource: its inputs, plus what the engine fills in. */
function mockState(
  args: pulumi.runtime.MockResourceArgs,
  references: Record<string, Record<string, unknown>>,
) {
  const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
  if (args.type === "pulumi:pulumi:StackReference") {
    const referenced = String(inputs["name"] ?? args.name);
    const outputs = references[referenced] ?? references[referenced.split("/").pop() ?? referenced];
    if (outputs === undefined) {
      throw new Error(
        `StackReference "${referenced}" has no outputs to render from; render that stack first or pass its outputs.`,
      );
    }
    // An output rendered as `[secret]` anywhere inside stays a secret in the stack that reads it.
    const secretOutputNames = Object.keys(outputs).filter((name) => containsRedacted(outputs[name]));
    return { name: referenced, outputs, secretOutputNames };
  }
  if (args.type.startsWith("kubernetes:")) {
    // The Kubernetes provider fills in metadata.name from the logical name when it is not given.
    const metadata = (inputs["metadata"] as Record<string, unknown> | undefined) ?? {};
    return { ...inputs, metadata: { ...metadata, name: metadata["name"] ?? args.name } };
  }
  if (args.type.startsWith("random:")) {
    return { ...inputs, ...randomState(args.type, args.name, inputs) };
  }
  return inputs;
}

/** Waits for an Output's value, or returns `[secret]` when it is secret. */
async function resolveOutput(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown>;
    if (await pulumi.isSecret(output)) {
      return REDACTED;
    }
    const resolved = await new Promise<unknown>((resolve) => output.apply((v) => resolve(v)));
    return resolveOutput(resolved);
  }
  if (value instanceof Promise) {
    return resolveOutput(await value);
  }
  if (value instanceof Secret) {
    return REDACTED;
  }
  if (pulumi.Resource.isInstance(value)) {
    return `[resource ${(value as unknown as { __name?: string }).__name ?? "?"}]`;
  }
  if (Array.isArray(value)) {
    return Promise.all(value.map(resolveOutput));
  }
  if (value !== null && typeof value === "object") {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await resolveOutput(v)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

/** The parts of a resource registration request the mock runtime does not pass on to `newResource`. */
interface RegistrationRequest {
  getParent(): string;
  getAdditionalsecretoutputsList(): string[];
}

interface MockMonitorLike {
  registerResource(request: RegistrationRequest, callback: unknown): Promise<void>;
}

/** Returns the logical name a URN ends with (`urn:pulumi:stack::project::type::name`). */
function nameOfUrn(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

function isStackUrn(urn: string): boolean {
  const qualifiedType = urn.split("::")[2] ?? "";
  return qualifiedType.split("$").pop() === "pulumi:pulumi:Stack";
}

let recording = false;

/**
 * Runs `program` under mocks with the given configuration and returns every registration and the
 * resolved outputs. The mock runtime is process-global, so a second call while one is running is
 * rejected.
 */
export async function recordProgram(
  program: () => Promise<Record<string, unknown>>,
  options: RecordOptions,
): Promise<RecordResult> {
  if (recording) {
    throw new Error(
      "recordProgram is already running; the Pulumi mock runtime runs one program at a time, so await the first call.",
    );
  }
  recording = true;
  const stackTraceLimit = Error.stackTraceLimit;
  if (options.keepStackTraces !== true) {
    // NOTE: the limit is process-wide, so other code running while the program is awaited also
    // creates errors without frames. `Resource` still captures its own source position.
    Error.stackTraceLimit = 0;
  }
  try {
    return await record(program, options);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    recording = false;
  }
}

async function record(
  program: () => Promise<Record<string, unknown>>,
  options: RecordOptions,
): Promise<RecordResult> {
  const references = options.stackReferences ?? {};
  const recorded: RecordedResource[] = [];
  const scrubber = new SecretScrubber();
  for (const key of options.secretKeys ?? []) {
    const leaves = new Set<string>();
    stringLeaves(options.config[key], leaves);
    leaves.forEach((leaf) => scrubber.add(leaf));
  }

  // Set by the wrapped `registerResource` just before it calls `newResource`, in the same tick.
  let request: RegistrationRequest | undefined;

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const parentUrn = request?.getParent() ?? "";
        const secretOutputs = request?.getAdditionalsecretoutputsList() ?? [];
        request = undefined;
        recorded.push({
          type: args.type,
          name: args.name,
          parent: parentUrn === "" || isStackUrn(parentUrn) ? null : nameOfUrn(parentUrn),
          custom: args.custom ?? true,
          inputs: redactSecrets(args.inputs) as Record<string, unknown>,
        });
        const state: Record<string, unknown> = mockState(args, references);
        // The engine marks these outputs secret (a generated password, a Secret's data); the mock must too.
        const generatedValues = args.type.startsWith("random:")
          ? randomState(args.type, args.name, state)
          : {};
        for (const property of secretOutputs) {
          if (state[property] === undefined) {
            continue;
          }
          state[property] = secretEnvelope(state[property]);
          // Only a value the mock generated is distinctive enough to search for in clear text.
          const value = generatedValues[property];
          if (typeof value === "string") {
            scrubber.add(value);
          }
        }
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call(args) {
        return unwrapSecrets(args.inputs) as Record<string, unknown>;
      },
    },
    options.project ?? "flywheel",
    options.stack,
    false,
  );
  // The mock runtime passes neither the parent nor the secret outputs to `newResource`, so the
  // request is noted on its way in. `newResource` runs synchronously inside this call.
  const monitor = (pulumi.runtime as unknown as { getMonitor(): MockMonitorLike }).getMonitor();
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    request = req;
    return registerResource(req, callback);
  };
  pulumi.runtime.setAllConfig(options.config, [...(options.secretKeys ?? [])]);

  let outputs: Record<string, unknown> = {};
  let failure: { error: unknown } | undefined;
  await pulumi.runtime.runInPulumiStack(async () => {
    // A rejection here would also reject promises that the SDK chains on the stack's outputs and
    // never awaits, so Node would end the process on an unhandled rejection. The error is kept
    // and thrown once the runtime is idle.
    try {
      outputs = await program();
    } catch (error) {
      failure = { error };
    }
    return {};
  });
  const resolved = failure === undefined ? ((await resolveOutput(outputs)) as Record<string, unknown>) : {};
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  if (failure !== undefined) {
    throw failure.error;
  }

  const resources = recorded
    .filter((r) => r.type !== "pulumi:pulumi:Stack")
    .map((r) => ({ ...r, inputs: scrubber.scrub(r.inputs, r.name, "") as Record<string, unknown> }));
  return {
    resources,
    outputs: scrubber.scrub(resolved, null, "") as Record<string, unknown>,
    plaintextSecrets: scrubber.found,
  };
}
