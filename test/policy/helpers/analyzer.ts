import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";

import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/** Repository root, three levels above this file's folder. */
const REPOSITORY_ROOT = path.resolve(__dirname, "..", "..", "..");

/** The pack directory the engine would start the policy runner in. */
export const PACK_DIRECTORY = path.join(REPOSITORY_ROOT, "policy");

/** The runner the Node.js analyzer plugin starts: it loads the pack with ts-node and type checking. */
const RUN_POLICY_PACK = path.join(
  REPOSITORY_ROOT,
  "node_modules",
  "@pulumi",
  "pulumi",
  "cmd",
  "run-policy-pack",
);

/**
 * Time to wait for the pack to print its port. The runner type-checks the whole pack with ts-node
 * before it starts, which takes several seconds on a loaded two-core machine.
 */
const STARTUP_TIMEOUT_MS = 120_000;

/** Time to wait for the child to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * Placeholder engine address for the runner's first argument. The runner drops that argument
 * (`@pulumi/pulumi` 3.248.0 `cmd/run-policy-pack` shifts it off argv) and the runtime dials an
 * engine only through `PULUMI_NODEJS_ENGINE`, which the child does not get, so nothing listens
 * here and nothing connects.
 */
const UNUSED_ENGINE_ADDRESS = "127.0.0.1:0";

/** Enforcement levels as the pack configuration names them. */
export type EnforcementLevel = "advisory" | "mandatory" | "disabled" | "remediate";

/** A diagnostic of an `Analyze` or `AnalyzeStack` response, in plain form. */
export interface Diagnostic {
  policyName: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  urn: string;
}

/** A resource to analyze: type token, name and properties as plain JSON (unknowns as sentinels). */
export interface AnalyzedResource {
  type: string;
  name: string;
  properties: Record<string, unknown>;
}

/** Configuration of one policy: its enforcement level and its properties. */
export interface PolicySettings {
  enforcementLevel?: EnforcementLevel;
  properties?: Record<string, unknown>;
}

const LEVEL_NAMES: Record<number, EnforcementLevel> = {
  [analyzerPb.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerPb.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerPb.EnforcementLevel.DISABLED]: "disabled",
  [analyzerPb.EnforcementLevel.REMEDIATE]: "remediate",
};

const LEVEL_VALUES: Record<EnforcementLevel, analyzerPb.EnforcementLevel> = {
  advisory: analyzerPb.EnforcementLevel.ADVISORY,
  mandatory: analyzerPb.EnforcementLevel.MANDATORY,
  disabled: analyzerPb.EnforcementLevel.DISABLED,
  remediate: analyzerPb.EnforcementLevel.REMEDIATE,
};

/** URN the engine would give a resource of `type` named `name` in a test stack. */
export function urnOf(type: string, name: string): string {
  return `urn:pulumi:policy-test::flywheel::${type}::${name}`;
}

/** A running policy pack and an analyzer client connected to it. */
export class PolicyPackProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: analyzerGrpc.AnalyzerClient,
    private readonly stderr: () => string,
  ) {}

  /**
   * Starts a pack (by default `policy/`) the way the engine does (`node run-policy-pack <engine> .` in the pack
   * directory), waits for the port it prints and connects on 127.0.0.1.
   */
  static async start(packDirectory: string = PACK_DIRECTORY): Promise<PolicyPackProcess> {
    const env = { ...process.env };
    delete env.PULUMI_NODEJS_ENGINE;
    delete env.TS_NODE_TRANSPILE_ONLY;
    const child = spawn(process.execPath, [RUN_POLICY_PACK, UNUSED_ENGINE_ADDRESS, "."], {
      cwd: packDirectory,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      const port = await readPort(child, () => stderr);
      const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      return new PolicyPackProcess(child, client, () => stderr);
    } catch (error) {
      await stopChild(child);
      throw error;
    }
  }

  /** Closes the client and stops the pack process; safe to call twice. */
  async stop(): Promise<void> {
    this.client.close();
    await stopChild(this.child);
  }

  /** Output the pack wrote to stderr so far, for failure messages. */
  get errorOutput(): string {
    return this.stderr();
  }

  /** Calls `GetAnalyzerInfo`. */
  getAnalyzerInfo(): Promise<analyzerPb.AnalyzerInfo> {
    return new Promise((resolve, reject) => {
      this.client.getAnalyzerInfo(new Empty(), (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /** Calls `Configure` with the given settings per policy, replacing any earlier configuration. */
  configure(settings: Record<string, PolicySettings>): Promise<void> {
    const request = new analyzerPb.ConfigureAnalyzerRequest();
    const map = request.getPolicyconfigMap();
    for (const [policyName, { enforcementLevel, properties }] of Object.entries(settings)) {
      const config = new analyzerPb.PolicyConfig();
      config.setEnforcementlevel(LEVEL_VALUES[enforcementLevel ?? "mandatory"]);
      config.setProperties(Struct.fromJavaScript((properties ?? {}) as never));
      map.set(policyName, config);
    }
    return new Promise((resolve, reject) => {
      this.client.configure(request, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Calls `ConfigureStack` with a stack name and dry-run flag, as the engine does before analysis. */
  configureStack(stack: string, dryRun: boolean): Promise<void> {
    const request = new analyzerPb.AnalyzerStackConfigureRequest();
    request.setStack(stack);
    request.setProject("flywheel");
    request.setDryRun(dryRun);
    return new Promise((resolve, reject) => {
      this.client.configureStack(request, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Calls `Analyze` for one resource's inputs and returns the diagnostics. */
  analyze(resource: AnalyzedResource): Promise<Diagnostic[]> {
    const request = new analyzerPb.AnalyzeRequest();
    request.setType(resource.type);
    request.setName(resource.name);
    request.setUrn(urnOf(resource.type, resource.name));
    request.setProperties(Struct.fromJavaScript(resource.properties as never));
    request.setOptions(new analyzerPb.AnalyzerResourceOptions());
    return new Promise((resolve, reject) => {
      this.client.analyze(request, (error, response) =>
        error ? reject(error) : resolve(toDiagnostics(response)),
      );
    });
  }

  /** Calls `AnalyzeStack` for a whole stack's resources and returns the diagnostics. */
  analyzeStack(resources: readonly AnalyzedResource[]): Promise<Diagnostic[]> {
    const request = new analyzerPb.AnalyzeStackRequest();
    request.setResourcesList(
      resources.map((resource) => {
        const item = new analyzerPb.AnalyzerResource();
        item.setType(resource.type);
        item.setName(resource.name);
        item.setUrn(urnOf(resource.type, resource.name));
        item.setProperties(Struct.fromJavaScript(resource.properties as never));
        item.setOptions(new analyzerPb.AnalyzerResourceOptions());
        return item;
      }),
    );
    return new Promise((resolve, reject) => {
      this.client.analyzeStack(request, (error, response) =>
        error ? reject(error) : resolve(toDiagnostics(response)),
      );
    });
  }
}

function toDiagnostics(response: analyzerPb.AnalyzeResponse): Diagnostic[] {
  return response.getDiagnosticsList().map((diagnostic) => ({
    policyName: diagnostic.getPolicyname(),
    message: diagnostic.getMessage(),
    enforcementLevel: LEVEL_NAMES[diagnostic.getEnforcementlevel()],
    urn: diagnostic.getUrn(),
  }));
}

/** Resolves with the port the pack prints as its first line of stdout. */
function readPort(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      reject(
        new Error(`Policy pack did not print its port within ${STARTUP_TIMEOUT_MS} ms; stderr:\n${stderr()}`),
      );
    }, STARTUP_TIMEOUT_MS);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^(\d+)\s*$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(
        new Error(`Policy pack exited with status ${code} before printing its port; stderr:\n${stderr()}`),
      );
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
