/**
 * Plausible values for the properties a real provider computes (ids, digests, generated secrets),
 * so that programs reading them get a string instead of nothing. The values are deterministic in
 * the resource's name, so reruns of a test see the same ones.
 */
import { createHash } from "node:crypto";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** Property bag as the provider SDK hands it over (JSON, with secrets as wrapped objects). */
export type Properties = Record<string, unknown>;

/** Inputs the stand-in fills in during check, as the real provider would, plus the resulting id. */
export interface Naming {
  /** Inputs after defaulting names. */
  inputs: Properties;
  /** The id the object gets when created. */
  id: string;
}

/** Computed outputs of one resource: the keys a diff ignores, because no program sets them. */
export type ComputedOutputs = Properties;

function digest(seed: string, length: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

function secret(value: string): Properties {
  return { [specialSigKey]: specialSecretSig, value };
}

/** A stable positive integer for ids GitHub returns as numbers. */
export function numericId(seed: string): number {
  return parseInt(digest(seed, 7), 16);
}

function asRecord(value: unknown): Properties {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Properties) : {};
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Returns the last segment of a type token: "kubernetes:helm.sh/v3:Release" -> "Release". */
export function typeName(type: string): string {
  return type.split(":").pop() ?? type;
}

/**
 * Defaults the name the real provider would generate and derives the id. Kubernetes objects
 * without `metadata.name` get `<resource name>-<suffix>`, like the kubernetes provider's
 * auto-naming. A name set in an earlier check is kept, so an update never renames the object.
 */
export function nameObject(type: string, resourceName: string, olds: Properties, news: Properties): Naming {
  const inputs: Properties = { ...news };
  const pkg = type.split(":")[0];
  if (pkg === "kubernetes" && type === "kubernetes:helm.sh/v3:Release") {
    const name = asString(news.name) ?? asString(olds.name) ?? `${resourceName}-${digest(resourceName, 8)}`;
    inputs.name = name;
    const namespace = asString(news.namespace) ?? "default";
    return { inputs, id: `${namespace}/${name}` };
  }
  if (pkg === "kubernetes") {
    const metadata = { ...asRecord(news.metadata) };
    const oldName = asString(asRecord(olds.metadata).name);
    metadata.name = asString(metadata.name) ?? oldName ?? `${resourceName}-${digest(resourceName, 8)}`;
    inputs.metadata = metadata;
    const namespace = asString(metadata.namespace);
    return { inputs, id: namespace ? `${namespace}/${metadata.name}` : String(metadata.name) };
  }
  if (type === "github:index/repositoryFile:RepositoryFile") {
    return {
      inputs,
      id: `${asString(news.repository) ?? "repository"}/${asString(news.file) ?? resourceName}`,
    };
  }
  if (type === "github:index/actionsVariable:ActionsVariable") {
    return { inputs, id: `${asString(news.repository) ?? "repository"}:${asString(news.variableName)}` };
  }
  if (type === "github:index/actionsRunnerGroup:ActionsRunnerGroup") {
    return { inputs, id: String(numericId(`${type}/${asString(news.name) ?? resourceName}`)) };
  }
  return { inputs, id: `${resourceName}-${digest(`${type}/${resourceName}`, 8)}` };
}

/** Outputs a real provider adds to the inputs of a resource of this type. */
export function computedOutputs(type: string, id: string, inputs: Properties): ComputedOutputs {
  const seed = `${type}/${id}`;
  switch (type) {
    case "kubernetes:helm.sh/v3:Release":
      return {
        status: {
          name: inputs.name,
          namespace: asString(inputs.namespace) ?? "default",
          chart: inputs.chart,
          version: inputs.version,
          appVersion: inputs.version,
          revision: 1,
          status: "deployed",
        },
      };
    case "github:index/repositoryFile:RepositoryFile":
      return { commitSha: digest(`${seed}/commit`, 40), sha: digest(`${seed}/blob`, 40), ref: "main" };
    case "github:index/actionsRunnerGroup:ActionsRunnerGroup":
      return {
        default: false,
        inherited: false,
        etag: digest(`${seed}/etag`, 16),
        runnersUrl: `https://api.github.com/actions/runner-groups/${id}/runners`,
        selectedRepositoriesUrl: `https://api.github.com/actions/runner-groups/${id}/repositories`,
      };
    case "github:index/actionsVariable:ActionsVariable":
      return { createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" };
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString": {
      const length = typeof inputs.length === "number" ? inputs.length : 16;
      const result = digest(`${seed}/result`, 64).padEnd(length, "0").slice(0, length);
      return type.endsWith("RandomPassword")
        ? { result: secret(result), bcryptHash: secret(`$2a$10$${digest(result, 53)}`) }
        : { result };
    }
    case "random:index/randomId:RandomId": {
      const byteLength = typeof inputs.byteLength === "number" ? inputs.byteLength : 8;
      const bytes = Buffer.from(digest(`${seed}/bytes`, byteLength * 2).padEnd(byteLength * 2, "0"), "hex");
      return {
        hex: bytes.toString("hex"),
        b64Std: bytes.toString("base64"),
        b64Url: bytes.toString("base64url"),
        dec: BigInt(`0x${bytes.toString("hex")}`).toString(),
      };
    }
    case "command:local:Command":
    case "command:remote:Command":
      return { stdout: "", stderr: "" };
    default:
      return {};
  }
}

/** Results of the data-source functions the stacks call; other functions fail by name. */
export function invokeResult(token: string, args: Properties): Properties | undefined {
  switch (token) {
    case "github:index/getRepository:getRepository": {
      const name = asString(args.name) ?? asString(args.fullName)?.split("/").pop() ?? "repository";
      return {
        id: name,
        name,
        fullName: asString(args.fullName) ?? `example/${name}`,
        repoId: numericId(`repository/${name}`),
        nodeId: `R_${digest(name, 12)}`,
        defaultBranch: "main",
        visibility: "private",
        private: true,
      };
    }
    case "github:index/getOrganization:getOrganization":
      return { id: asString(args.name), name: asString(args.name), login: asString(args.name) };
    default:
      return undefined;
  }
}
