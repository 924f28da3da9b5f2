import type { ChangeRange } from "./changed-files";
import { UsageError } from "./errors";
import type { GithubContext } from "./github-context";
import { affectedStacks, DriverSettings } from "./path-rules";
import type { OperationKind, SkippedStack } from "./record";
import { parseStackName, sortByDependencies } from "./stack-graph";

/** Pull request actions that get a preview; other actions (closed, labeled, ...) do nothing. */
export const PREVIEWED_PR_ACTIONS: readonly string[] = [
  "opened",
  "synchronize",
  "reopened",
  "ready_for_review",
];

/** Operations `workflow_dispatch` accepts in its `operation` input. */
export const DISPATCH_OPERATIONS: readonly OperationKind[] = ["preview", "up", "refresh", "drift"];

/** Inputs `workflow_dispatch` accepts. Any other key is a mistake, such as `stack` for `stacks`. */
export const DISPATCH_INPUTS: readonly string[] = ["operation", "stacks"];

/** One operation the driver decided to run. */
export interface PlannedOperation {
  stack: string;
  op: OperationKind;
  reason: string;
}

/** Operations, skipped stacks and notices for one event. */
export interface Decision {
  /** Operations in dependency order. */
  operations: PlannedOperation[];
  skipped: SkippedStack[];
  notices: string[];
  /**
   * Set for a pull request from a fork: these stacks are rendered and audited offline, without
   * state or secrets, instead of previewed.
   */
  fork?: { headRepository: string; stacks: string[] };
}

function isForkPullRequest(context: GithubContext): { fork: boolean; headRepository: string } {
  const pr = context.event.pull_request;
  const head = pr?.head.repo?.full_name ?? "(deleted fork)";
  return { fork: head !== pr?.base.repo.full_name, headRepository: head };
}

/**
 * Returns the commits whose difference decides the affected stacks, or undefined when the event does not
 * depend on changed files (schedule, dispatch, ignored actions and refs).
 */
export function changeRangeFor(context: GithubContext): ChangeRange | undefined {
  const { event, eventName } = context;
  if (
    eventName === "pull_request" &&
    PREVIEWED_PR_ACTIONS.includes(event.action ?? "") &&
    event.pull_request
  ) {
    return { kind: "merge-base", base: event.pull_request.base.sha, head: event.pull_request.head.sha };
  }
  if (eventName === "push" && pushTargetsDefaultBranch(context) && !event.deleted) {
    return { kind: "commits", before: event.before as string, after: event.after as string };
  }
  return undefined;
}

function pushTargetsDefaultBranch(context: GithubContext): boolean {
  const defaultBranch = context.event.repository?.default_branch;
  if (defaultBranch === undefined) {
    throw new UsageError(
      `Event file ${context.eventPath} lacks repository.default_branch, so the driver cannot tell whether the ` +
        "push is to the default branch; pass the payload GitHub wrote for the run.",
    );
  }
  return context.event.ref === `refs/heads/${defaultBranch}`;
}

/**
 * Decides the operations for an event. `stacks` are the stacks that exist in the checkout for the
 * selected environments; `changedFiles` are the files of {@link changeRangeFor}'s range.
 */
export function decide(
  context: GithubContext,
  changedFiles: readonly string[],
  stacks: readonly string[],
  settings: DriverSettings,
): Decision {
  switch (context.eventName) {
    case "pull_request":
      return decidePullRequest(context, changedFiles, stacks, settings);
    case "push":
      return decidePush(context, changedFiles, stacks, settings);
    case "schedule":
      return inOrder(
        stacks.map((stack) => ({ stack, op: "drift", reason: "scheduled drift check of every stack" })),
        [],
        [],
        settings,
      );
    case "workflow_dispatch":
      return decideDispatch(context, stacks, settings);
    default:
      return nothing(stacks, `Event ${context.eventName} is not one the driver handles: nothing to do.`);
  }
}

function nothing(stacks: readonly string[], notice: string): Decision {
  return { operations: [], skipped: stacks.map((stack) => ({ stack, reason: notice })), notices: [notice] };
}

function inOrder(
  operations: PlannedOperation[],
  skipped: SkippedStack[],
  notices: string[],
  settings: DriverSettings,
): Decision {
  const byStack = new Map(operations.map((operation) => [operation.stack, operation]));
  const order = sortByDependencies([...byStack.keys()], settings.dependsOn);
  return { operations: order.map((stack) => byStack.get(stack) as PlannedOperation), skipped, notices };
}

function unaffected(stacks: readonly string[], affected: ReadonlyMap<string, string[]>): SkippedStack[] {
  return stacks
    .filter((stack) => !affected.has(stack))
    .map((stack) => ({ stack, reason: "no changed file affects it" }));
}

function decidePullRequest(
  context: GithubContext,
  changedFiles: readonly string[],
  stacks: readonly string[],
  settings: DriverSettings,
): Decision {
  const action = context.event.action ?? "";
  if (!PREVIEWED_PR_ACTIONS.includes(action)) {
    return nothing(stacks, `Pull request action "${action}" needs no preview: nothing to do.`);
  }
  const affected = affectedStacks(changedFiles, stacks, settings);
  const { fork, headRepository } = isForkPullRequest(context);
  if (fork) {
    const reason =
      `pull request from fork ${headRepository}: no state or secrets are used; ` +
      "rendered offline and checked for hosted runners instead";
    const forkStacks = sortByDependencies([...affected.keys()], settings.dependsOn);
    return {
      operations: [],
      skipped: [
        ...forkStacks.map((stack) => ({
          stack,
          reason: `${reason} (${(affected.get(stack) ?? []).join("; ")})`,
        })),
        ...unaffected(stacks, affected),
      ],
      notices: [
        `Pull request from fork ${headRepository}: previews are replaced by an offline render and audit.`,
      ],
      fork: { headRepository, stacks: forkStacks },
    };
  }
  const operations = [...affected].map(([stack, reasons]) => ({
    stack,
    op: "preview" as const,
    reason: reasons.join("; "),
  }));
  return inOrder(operations, unaffected(stacks, affected), [], settings);
}

function decidePush(
  context: GithubContext,
  changedFiles: readonly string[],
  stacks: readonly string[],
  settings: DriverSettings,
): Decision {
  const ref = context.event.ref ?? "";
  if (ref.startsWith("refs/tags/")) {
    return nothing(stacks, `Push of tag ${ref.slice("refs/tags/".length)}: tags deploy nothing.`);
  }
  if (!pushTargetsDefaultBranch(context)) {
    const branch = context.event.repository?.default_branch;
    return nothing(stacks, `Push to ${ref}, not the default branch ${branch}: nothing to do.`);
  }
  if (context.event.deleted) {
    return nothing(stacks, `Push deleted ${ref}: nothing to do.`);
  }
  const affected = affectedStacks(changedFiles, stacks, settings);
  const operations = [...affected].map(([stack, reasons]) => {
    const family = parseStackName(stack)?.family;
    const autoApply = family !== undefined && settings.autoApply.includes(family);
    const op: OperationKind = autoApply ? "up" : "preview";
    const how = autoApply ? "auto-applied on the default branch" : "not auto-applied, so previewed only";
    return { stack, op, reason: `${reasons.join("; ")} (${how})` };
  });
  return inOrder(operations, unaffected(stacks, affected), [], settings);
}

/**
 * Rejects a dispatched update from a ref other than the default branch, because an update must
 * apply reviewed code. A rejection fails the job (exit 2) instead of skipping with a notice, so the
 * person who started the run learns at once that nothing was applied.
 */
function requireDefaultBranch(context: GithubContext): void {
  const defaultBranch = context.event.repository?.default_branch;
  if (defaultBranch === undefined) {
    throw new UsageError(
      `Event file ${context.eventPath} lacks repository.default_branch, so the driver cannot tell whether ` +
        "the dispatched update runs on the default branch; pass the payload GitHub wrote for the run.",
    );
  }
  if (context.ref !== `refs/heads/${defaultBranch}`) {
    throw new UsageError(
      `workflow_dispatch operation up runs only on the default branch refs/heads/${defaultBranch}, ` +
        `but the run is on ${context.ref || "no ref"}; start it from ${defaultBranch}, or choose preview, refresh or drift.`,
    );
  }
}

function decideDispatch(
  context: GithubContext,
  stacks: readonly string[],
  settings: DriverSettings,
): Decision {
  const inputs = context.event.inputs ?? {};
  const unknownKeys = Object.keys(inputs).filter((key) => !DISPATCH_INPUTS.includes(key));
  if (unknownKeys.length > 0) {
    throw new UsageError(
      `workflow_dispatch has unknown input ${unknownKeys.map((key) => JSON.stringify(key)).join(", ")}; ` +
        `the accepted inputs are ${DISPATCH_INPUTS.join(" and ")}.`,
    );
  }
  const operation = String(inputs.operation ?? "preview").trim();
  if (!DISPATCH_OPERATIONS.includes(operation as OperationKind)) {
    throw new UsageError(
      `workflow_dispatch input operation is "${operation}"; it must be one of ${DISPATCH_OPERATIONS.join(", ")}.`,
    );
  }
  if (operation === "up") {
    requireDefaultBranch(context);
  }
  const requested = String(inputs.stacks ?? "all").trim();
  const names =
    requested === "" || requested === "all" ? [...stacks] : requested.split(/[\s,]+/).filter(Boolean);
  const unknown = names.filter((name) => !stacks.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `workflow_dispatch input stacks names unknown stack ${unknown.join(", ")}; ` +
        `use "all" or names from: ${stacks.join(", ")}.`,
    );
  }
  const reason = `requested by workflow_dispatch (operation ${operation}, stacks ${requested || "all"})`;
  const operations = names.map((stack) => ({ stack, op: operation as OperationKind, reason }));
  const skipped = stacks
    .filter((stack) => !names.includes(stack))
    .map((stack) => ({ stack, reason: "not named in the workflow_dispatch input stacks" }));
  return inOrder(operations, skipped, [], settings);
}
