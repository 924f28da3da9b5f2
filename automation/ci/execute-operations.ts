import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Decision } from "./decide";
import { ToolchainError } from "./errors";
import type { DriverSettings } from "./path-rules";
import { findPulumiCommand } from "./pulumi-cli";
import { OperationRecord, plannedRecord } from "./record";
import type { Redactor } from "./redact";
import type { CiOptions } from "./run-ci";
import { runInDependencyOrder, upstreamStacks } from "./stack-graph";
import { runStackOperation, StackRunContext } from "./stack-runner";
import { WorkflowLog } from "./workflow-log";

/** Minimum time between two live progress lines of one stack, so a large stack does not flood the log. */
const PROGRESS_INTERVAL_MS = 10_000;

/** Builds the Pulumi CLI's environment: the backend, the passphrase, and no update check. */
function pulumiEnvironment(
  repoRoot: string,
  env: NodeJS.ProcessEnv,
): { envVars: Record<string, string>; fileBackend: boolean } {
  let backend = env.PULUMI_BACKEND_URL;
  if (!backend) {
    const stateDir = path.join(repoRoot, ".pulumi-state");
    fs.mkdirSync(stateDir, { recursive: true });
    backend = `file://${stateDir}`;
  }
  const envVars: Record<string, string> = { PULUMI_BACKEND_URL: backend, PULUMI_SKIP_UPDATE_CHECK: "true" };
  for (const name of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN"]) {
    const value = env[name];
    if (value !== undefined) {
      envVars[name] = value;
    }
  }
  // Pulumi Cloud keeps locks server-side; every other backend (file, s3, gs, azblob) keeps lock files.
  const fileBackend = !/^https?:\/\//.test(backend);
  return { envVars, fileBackend };
}

/**
 * Runs the decided operations through the Pulumi CLI in dependency order, up to
 * `options.concurrency` at once, and returns one record per operation in decision order. Each
 * stack's log lines are written as one group when it finishes.
 */
export async function executeOperations(
  options: CiOptions,
  decision: Decision,
  settings: DriverSettings,
  log: WorkflowLog,
  redactor: Redactor,
  signal: AbortSignal,
): Promise<OperationRecord[]> {
  const records = new Map(
    decision.operations.map((operation) => [operation.stack, plannedRecord(operation)]),
  );
  const fail = (message: string, kind: string): OperationRecord[] => {
    for (const record of records.values()) {
      Object.assign(record, { status: "failed", error: message, errorKind: kind });
    }
    log.info(`Failed before any stack ran: ${message}`);
    return [...records.values()];
  };
  const policyPackDir = path.join(options.repoRoot, "policy");
  if (!fs.existsSync(path.join(policyPackDir, "PulumiPolicy.yaml"))) {
    return fail(
      `Policy pack ${policyPackDir} has no PulumiPolicy.yaml; every preview and update runs it, so restore the pack.`,
      "PolicyPackMissing",
    );
  }
  let pulumiCommand;
  try {
    pulumiCommand = await findPulumiCommand(options.repoRoot, options.env);
  } catch (err) {
    return fail((err as Error).message, err instanceof ToolchainError ? err.name : "ToolchainError");
  }
  const { envVars, fileBackend } = pulumiEnvironment(options.repoRoot, options.env);
  const planDir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-plans-"));
  try {
    const outcomes = await runInDependencyOrder(
      decision.operations.map((operation) => operation.stack),
      (stack) => upstreamStacks(stack, settings.dependsOn),
      async (stack) => {
        const record = records.get(stack) as OperationRecord;
        // Stacks that run side by side would interleave their lines, so each stack's lines are
        // kept and written as one group when the stack finishes.
        // A live progress line, at most one per PROGRESS_INTERVAL_MS, shows that a long update still runs.
        const lines: string[] = [];
        let lastProgressAt = 0;
        const stackLog = new WorkflowLog(redactor, (text) => lines.push(text));
        const context: StackRunContext = {
          repoRoot: options.repoRoot,
          pulumiCommand,
          envVars,
          policyPackDir,
          planDir,
          lockFilesInBackend: fileBackend,
          signal,
          log: stackLog,
          redactor,
          lockRetries: options.lockRetries,
          lockRetryDelayMs: options.lockRetryDelayMs,
          onProgress: ({ done, total }) => {
            const now = Date.now();
            if (now - lastProgressAt >= PROGRESS_INTERVAL_MS) {
              lastProgressAt = now;
              log.info(`${stack}: ${done} of ${total} resources done.`);
            }
          },
        };
        log.info(`Started ${record.op} of ${stack}.`);
        record.startedAt = new Date().toISOString();
        const { completed, ...result } = await runStackOperation(context, stack, record.op);
        record.endedAt = new Date().toISOString();
        Object.assign(record, result);
        await log.group(`${record.op} ${stack}: ${record.status}`, async () => {
          lines.forEach((line) => log.raw(line));
          const { create, update, delete: deleted, same } = record.changes;
          log.info(`${create} to create, ${update} to update, ${deleted} to delete, ${same} unchanged.`);
          if (record.error) {
            // A plain line: the annotations written after the run already carry the error.
            log.info(`Failed: ${record.error}`);
          }
        });
        return completed;
      },
      { concurrency: options.concurrency, signal },
    );
    for (const [stack, outcome] of outcomes) {
      if (outcome.kind === "blocked") {
        Object.assign(records.get(stack) as OperationRecord, {
          status: "blocked",
          error: `Not run: ${outcome.reason}.`,
        });
      }
    }
  } finally {
    fs.rmSync(planDir, { recursive: true, force: true });
  }
  return decision.operations.map((operation) => records.get(operation.stack) as OperationRecord);
}
