import * as fs from "node:fs";
import * as path from "node:path";
import type { PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { EngineEventFold, Progress } from "./engine-events";
import { loadAutomation } from "./pulumi-cli";
import {
  classifyPulumiError,
  OperationCancelledError,
  PolicyViolationError,
  StackLockedError,
  StackOperationError,
} from "./errors";
import type { ChangeCounts, OperationKind, PolicyViolation } from "./record";
import type { Redactor } from "./redact";
import type { WorkflowLog } from "./workflow-log";

/** Pulumi project name every stack belongs to; it matches `name` in Pulumi.yaml. */
export const PROJECT_NAME = "flywheel";

/** Settings and services every stack operation of one run shares. */
export interface StackRunContext {
  /** Checkout root: the workspace's work directory, where `Pulumi.<stack>.yaml` files live. */
  repoRoot: string;
  pulumiCommand: PulumiCommand;
  /** Environment for the CLI: backend URL, passphrase, update-check opt-out. */
  envVars: Record<string, string>;
  /** Folder of the policy pack run on every preview and update. */
  policyPackDir: string;
  /** Folder for update plans saved by previews; removed by the caller. */
  planDir: string;
  /** Whether the backend is a file or object-store backend, whose stale locks `pulumi cancel` deletes. */
  lockFilesInBackend: boolean;
  signal: AbortSignal;
  log: WorkflowLog;
  redactor: Redactor;
  /** Retries after a locked-stack failure before giving up; default 3. */
  lockRetries: number;
  /** Wait before the first retry, doubled for each later one, in milliseconds. */
  lockRetryDelayMs: number;
  /** Receives each resource's progress as it happens, for a live line outside the stack's log group. */
  onProgress?: (progress: Progress) => void;
}

/** Result of one stack operation, before it enters the record. */
export interface StackRunResult {
  status: "succeeded" | "failed";
  /** Whether the operation ran to its end; a drift check that found drift completed but failed. */
  completed: boolean;
  changes: ChangeCounts;
  policyViolations: PolicyViolation[];
  diff: string;
  error?: string;
  errorKind?: string;
  appliedPlan?: boolean;
  drift?: boolean;
}

/** Builds a stack's inline program: the code `index.ts` runs, loaded only when the engine runs it. */
function inlineProgram(stack: string): () => Promise<Record<string, unknown>> {
  return async () => {
    // Loaded here, not at the top, so that deciding and reporting never load the stacks' code.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runStack } = require("../../stacks/index") as typeof import("../../stacks/index");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readStackConfig } = require("../../stacks/config") as typeof import("../../stacks/config");
    return runStack(readStackConfig(stack));
  };
}

async function openStack(context: StackRunContext, stack: string): Promise<Stack> {
  const { LocalWorkspace } = loadAutomation();
  return LocalWorkspace.createOrSelectStack(
    { stackName: stack, projectName: PROJECT_NAME, program: inlineProgram(stack) },
    { workDir: context.repoRoot, pulumiCommand: context.pulumiCommand, envVars: context.envVars },
  );
}

/** Adds every secret configuration value of the stack to the redactor before anything runs. */
async function learnSecrets(stack: Stack, redactor: Redactor): Promise<void> {
  const config = await stack.getAllConfig();
  for (const value of Object.values(config)) {
    if (value.secret) {
      redactor.add(value.value);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Runs `attempt` and retries it while the stack is locked, waiting `lockRetryDelayMs`, then twice
 * that, and so on. The last `StackLockedError` propagates with the lock holders it named.
 */
async function withLockRetries<T>(
  context: StackRunContext,
  stack: string,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      const error = classifyPulumiError(stack, err, context.redactor);
      if (!(error instanceof StackLockedError) || retry >= context.lockRetries || context.signal.aborted) {
        throw error;
      }
      const delay = context.lockRetryDelayMs * 2 ** retry;
      context.log.warning(
        `Stack ${stack} is locked; retry ${retry + 1} of ${context.lockRetries} in ${Math.round(delay / 1000)} s.`,
      );
      await sleep(delay, context.signal);
    }
  }
}

function policyError(stack: string, fold: EngineEventFold): PolicyViolationError {
  const names = [
    ...new Set(fold.policyViolations.filter((v) => v.level === "mandatory").map((v) => v.policy)),
  ];
  return new PolicyViolationError(
    stack,
    `Stack ${stack} violates mandatory ${names.length === 1 ? "policy" : "policies"} ${names.join(", ")}; ` +
      "fix the resources named in the violations, then run again.",
  );
}

/** Preview with the policy pack, failing on a mandatory violation even when the CLI did not. */
async function preview(
  context: StackRunContext,
  stack: Stack,
  fold: EngineEventFold,
  options: { plan?: string; refresh?: boolean },
): Promise<void> {
  try {
    await withLockRetries(context, stack.name, () =>
      stack.preview({
        policyPacks: [context.policyPackDir],
        plan: options.plan,
        refresh: options.refresh,
        onEvent: fold.onEvent,
        signal: context.signal,
      }),
    );
  } catch (err) {
    throw fold.mandatoryViolation ? policyError(stack.name, fold) : err;
  }
  if (fold.mandatoryViolation) {
    throw policyError(stack.name, fold);
  }
}

function progressLogger(context: StackRunContext, stack: string) {
  return (progress: Progress): void => {
    const { done, total, op, urn } = progress;
    context.log.info(
      `${stack}: ${done} of ${total} resources done (${op} ${urn.slice(urn.lastIndexOf("::") + 2)})`,
    );
    context.onProgress?.(progress);
  };
}

/**
 * Runs one operation on one stack and folds its events into a result. Failures come back as a
 * `failed` result with a typed, redacted error; they are not thrown, so one stack's failure never
 * hides another's result. When the run is cancelled mid-operation, the CLI gets SIGINT through
 * the Automation API's abort signal, and a lock left behind in a file backend is removed.
 */
export async function runStackOperation(
  context: StackRunContext,
  stackName: string,
  op: OperationKind,
): Promise<StackRunResult> {
  const log = progressLogger(context, stackName);
  const folds: EngineEventFold[] = [];
  const newFold = (expectedTotal = 0): EngineEventFold => {
    const fold = new EngineEventFold(context.redactor, log, expectedTotal);
    folds.push(fold);
    return fold;
  };
  let stack: Stack | undefined;
  let appliedPlan: boolean | undefined;
  let drift: boolean | undefined;
  try {
    stack = await withLockRetries(context, stackName, () => openStack(context, stackName));
    await learnSecrets(stack, context.redactor);
    const opened = stack;
    if (op === "preview") {
      await preview(context, opened, newFold(), {
        plan: path.join(context.planDir, `${stackName}.plan.json`),
      });
    } else if (op === "drift") {
      const fold = newFold();
      await preview(context, opened, fold, { refresh: true });
      const { create, update, delete: deleted } = fold.changes;
      drift = create + update + deleted > 0;
    } else if (op === "refresh") {
      const fold = newFold();
      await withLockRetries(context, stackName, () =>
        opened.refresh({ onEvent: fold.onEvent, signal: context.signal }),
      );
    } else {
      appliedPlan = await up(context, opened, newFold);
    }
  } catch (err) {
    const error = context.signal.aborted
      ? new OperationCancelledError(stackName, `The ${op} of stack ${stackName} was cancelled by a signal.`, {
          cause: err,
        })
      : classifyPulumiError(stackName, err, context.redactor);
    if (context.signal.aborted && stack !== undefined) {
      await releaseLock(context, stack);
    }
    return failedResult(error, folds, appliedPlan);
  }
  const last = folds[folds.length - 1];
  const result: StackRunResult = {
    status: drift ? "failed" : "succeeded",
    completed: true,
    changes: last.changes,
    policyViolations: folds.flatMap((fold) => fold.policyViolations),
    diff: last.diff,
  };
  if (appliedPlan !== undefined) {
    result.appliedPlan = appliedPlan;
  }
  if (drift !== undefined) {
    result.drift = drift;
  }
  if (drift) {
    const { create, update, delete: deleted } = last.changes;
    result.error = `Drift found on stack ${stackName}: ${create} to create, ${update} to update, ${deleted} to delete.`;
    result.errorKind = "DriftFound";
  }
  return result;
}

/**
 * Previews with a saved plan, then updates with that plan so the update does only what the
 * preview showed. Returns whether the plan was applied: false when the preview saved none.
 */
async function up(
  context: StackRunContext,
  stack: Stack,
  newFold: (total?: number) => EngineEventFold,
): Promise<boolean> {
  const planFile = path.join(context.planDir, `${stack.name}.plan.json`);
  const previewFold = newFold();
  await preview(context, stack, previewFold, { plan: planFile });
  const planSaved = fs.existsSync(planFile);
  if (!planSaved) {
    context.log.warning(
      `The preview of ${stack.name} saved no update plan, so the update re-plans its changes.`,
    );
  }
  const updateFold = newFold(previewFold.resourceCount);
  try {
    const result = await withLockRetries(context, stack.name, () =>
      stack.up({
        policyPacks: [context.policyPackDir],
        plan: planSaved ? planFile : undefined,
        onEvent: updateFold.onEvent,
        signal: context.signal,
      }),
    );
    for (const output of Object.values(result.outputs)) {
      if (output.secret) {
        context.redactor.add(output.value);
      }
    }
  } catch (err) {
    throw updateFold.mandatoryViolation ? policyError(stack.name, updateFold) : err;
  }
  if (updateFold.mandatoryViolation) {
    throw policyError(stack.name, updateFold);
  }
  return planSaved;
}

function failedResult(
  error: StackOperationError,
  folds: EngineEventFold[],
  appliedPlan?: boolean,
): StackRunResult {
  const last = folds[folds.length - 1];
  const engineErrors = folds.flatMap((fold) => fold.errors);
  const detail =
    engineErrors.length > 0 && !error.message.includes(engineErrors[0]) ? ` ${engineErrors[0]}` : "";
  const result: StackRunResult = {
    status: "failed",
    completed: false,
    changes: last?.changes ?? { create: 0, update: 0, delete: 0, same: 0 },
    policyViolations: folds.flatMap((fold) => fold.policyViolations),
    diff: last?.diff ?? "",
    error: error.message + detail,
    errorKind: error.name,
  };
  if (appliedPlan !== undefined) {
    result.appliedPlan = appliedPlan;
  }
  return result;
}

/**
 * After a cancelled operation, removes a lock the interrupted CLI may have left. Only for backends
 * that keep locks as files: there `pulumi cancel` deletes the stack's lock files, while on Pulumi
 * Cloud it would cancel whichever update is running now, possibly someone else's.
 */
async function releaseLock(context: StackRunContext, stack: Stack): Promise<void> {
  if (!context.lockFilesInBackend) {
    return;
  }
  try {
    await stack.cancel();
    context.log.info(`Released the lock on stack ${stack.name} after cancelling.`);
  } catch (err) {
    const detail = classifyPulumiError(stack.name, err, context.redactor).message;
    context.log.warning(
      `Could not release the lock on stack ${stack.name}: ${detail} Clear it with \`pulumi cancel --stack ${stack.name}\`.`,
    );
  }
}
