/**
 * Runs a stack's program under Pulumi's mock runtime and records every registration. Used by
 * `flywheel render` and by the program's tests, so that both see exactly what the engine would.
 */
import * as pulumi from "@pulumi/pulumi";

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
  /** Resolved inputs. Secret values are replaced by `[secret]` unless the recorder keeps them. */
  inputs: Record<string, unknown>;
}

/** Result of one recorded program run. */
export interface RecordResult {
  resources: RecordedResource[];
  /** Resolved stack outputs, secrets shown as `[secret]`. */
  outputs: Record<string, unknown>;
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
  /** Outputs of other stacks, by the stack name a StackReference asks for. */
  stackReferences?: Record<string, Record<string, unknown>>;
}

/** The string printed in place of every secret value. */
export const REDACTED = "[secret]";

// The SDK's wire marker for a secret value (`specialSigKey` / `specialSecretSig` in runtime/rpc).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
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

/** Builds the state a mocked provider returns for a new resource: its inputs, plus what the engine fills in. */
function mockState(args: pulumi.runtime.MockResourceArgs, references: Record<string, Record<string, unknown>>) {
  const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
  if (args.type === "pulumi:pulumi:StackReference") {
    const referenced = String(inputs["name"] ?? args.name);
    const outputs = references[referenced] ?? references[referenced.split("/").pop() ?? referenced];
    if (outputs === undefined) {
      throw new Error(
        `StackReference "${referenced}" has no outputs to render from; render that stack first or pass its outputs.`,
      );
    }
    return { name: referenced, outputs, secretOutputNames: [] };
  }
  if (args.type.startsWith("kubernetes:")) {
    // The Kubernetes provider fills in metadata.name from the logical name when it is not given.
    const metadata = (inputs["metadata"] as Record<string, unknown> | undefined) ?? {};
    return { ...inputs, metadata: { ...metadata, name: metadata["name"] ?? args.name } };
  }
  if (args.type === "random:index/randomPassword:RandomPassword" || args.type === "random:index/randomString:RandomString") {
    const length = Number(inputs["length"] ?? 16);
    return { ...inputs, result: "r".repeat(length) };
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

/**
 * Runs `program` under mocks with the given configuration and returns every registration and the
 * resolved outputs. The mock runtime is process-global: calls must not overlap.
 */
export async function recordProgram(
  program: () => Promise<Record<string, unknown>>,
  options: RecordOptions,
): Promise<RecordResult> {
  const references = options.stackReferences ?? {};
  const parents = new Map<string, string | null>();
  const recorded: RecordedResource[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorded.push({
          type: args.type,
          name: args.name,
          parent: null,
          custom: args.custom ?? true,
          inputs: redactSecrets(args.inputs) as Record<string, unknown>,
        });
        return { id: args.custom === false ? undefined : `${args.name}-id`, state: mockState(args, references) };
      },
      call(args) {
        return unwrapSecrets(args.inputs) as Record<string, unknown>;
      },
    },
    options.project ?? "flywheel",
    options.stack,
    false,
  );
  pulumi.runtime.setAllConfig(options.config, [...(options.secretKeys ?? [])]);

  let outputs: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    // The mock monitor does not pass parents to `newResource`, so a stack transformation notes them.
    pulumi.runtime.registerStackTransformation((args) => {
      const parent = args.opts.parent as unknown as { __name?: string; constructor?: { name?: string } } | undefined;
      const parentName =
        parent === undefined || pulumi.runtime.getStackResource() === (parent as unknown) ? null : (parent.__name ?? null);
      parents.set(`${args.type}::${args.name}`, parentName);
      return undefined;
    });
    outputs = await program();
    return {};
  });
  const resolved = (await resolveOutput(outputs)) as Record<string, unknown>;
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

  const resources = recorded
    .filter((r) => r.type !== "pulumi:pulumi:Stack")
    .map((r) => ({ ...r, parent: parents.get(`${r.type}::${r.name}`) ?? null }));
  return { resources, outputs: resolved };
}
