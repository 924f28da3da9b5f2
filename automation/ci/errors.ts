import type { Redactor } from "./redact";

/** Bad usage or unreadable input; the command exits with status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Failure of a Pulumi operation on one stack. Subclasses name the cause, so callers never match message text. */
export class StackOperationError extends Error {
  override name = "StackOperationError";
  constructor(
    /** Stack the operation ran on. */
    readonly stackName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Another update holds the stack's lock. */
export class StackLockedError extends StackOperationError {
  override name = "StackLockedError";
  /** Lock holders as the backend lists them (`<lock URL>: created by <user>@<host> (pid <n>) at <time>`). */
  holders: string[] = [];
}

/** The stack does not exist in the backend. */
export class StackNotFoundError extends StackOperationError {
  override name = "StackNotFoundError";
}

/** The policy pack reported a mandatory violation. */
export class PolicyViolationError extends StackOperationError {
  override name = "PolicyViolationError";
}

/** The update would have done something the saved plan did not contain. */
export class PlanMismatchError extends StackOperationError {
  override name = "PlanMismatchError";
}

/** The stack's secrets could not be decrypted, usually a missing or wrong passphrase. */
export class SecretsProviderError extends StackOperationError {
  override name = "SecretsProviderError";
}

/** The operation was cancelled by a signal. */
export class OperationCancelledError extends StackOperationError {
  override name = "OperationCancelledError";
}

/** The Pulumi CLI is missing, too old, or failed to start. */
export class ToolchainError extends Error {
  override name = "ToolchainError";
}

type StackErrorClass = new (
  stack: string,
  message: string,
  options?: { cause?: unknown },
) => StackOperationError;

/**
 * Ordered patterns over the CLI's stderr; the first match decides the error's type. Lock conflicts
 * come first because a locked stack can also print generic failure lines.
 */
const STDERR_PATTERNS: readonly { pattern: RegExp; type: StackErrorClass; remedy: string }[] = [
  {
    pattern: /the stack is currently locked by|\[409\] Conflict: Another update is currently in progress/,
    type: StackLockedError,
    remedy:
      "wait for the other update to finish; if no update is running, clear the lock with " +
      "`pulumi cancel --stack <stack>` or delete the lock file listed above from the file backend",
  },
  {
    pattern: /no stack named .* found/,
    type: StackNotFoundError,
    remedy: "create it with `pulumi stack init <stack>` or check PULUMI_BACKEND_URL",
  },
  {
    pattern: /mandatory policy violation|policy violations? (?:were )?found|policy violation/i,
    type: PolicyViolationError,
    remedy: "fix the resources the policy names, then run again",
  },
  {
    pattern: /resource violates plan|violates plan|plan (?:is )?(?:out of date|mismatch)/i,
    type: PlanMismatchError,
    remedy: "the code or the stack changed after the preview; run the preview again",
  },
  {
    pattern: /passphrase|decrypt(?:ing|ion)? (?:secret|failed)|secrets manager/i,
    type: SecretsProviderError,
    remedy: "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's passphrase",
  },
  {
    pattern: /update canceled|update cancelled|interrupt|signal: terminated|context canceled/i,
    type: OperationCancelledError,
    remedy: "run the operation again",
  },
];

/** Maximum length of the CLI output kept in an error, so the error stays readable in a log line. */
const MAX_ERROR_TEXT = 2000;

/** Picks the `error:` lines of the CLI's stderr, or its last lines when there are none. */
function errorLines(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((line) => line.trim());
  const errors = lines.filter((line) => /^error:/i.test(line));
  const chosen = errors.length > 0 ? errors : lines.filter((line) => line.length > 0).slice(-5);
  return chosen.join(" ").slice(0, MAX_ERROR_TEXT);
}

function lockHolders(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => / created by .*\(pid \d+\)/.test(line));
}

/** Extracts the text of an Automation API failure, which `CommandError` keeps in `commandResult`. */
function commandOutput(err: unknown): string {
  const result = (err as { commandResult?: { stderr?: string; stdout?: string } } | null)?.commandResult;
  if (result !== undefined) {
    return [result.stderr ?? "", result.stdout ?? ""].join("\n");
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Classifies a failure of a Pulumi operation into a typed error with a message that names what
 * failed, on which stack, and what to do. Automation API failures arrive as `CommandError` (code
 * -2 when the CLI exits non-zero), so the type is read from the CLI's stderr.
 */
export function classifyPulumiError(stack: string, err: unknown, redactor: Redactor): StackOperationError {
  if (err instanceof StackOperationError) {
    return err;
  }
  const output = redactor.redact(commandOutput(err));
  const matched = STDERR_PATTERNS.find(({ pattern }) => pattern.test(output));
  const detail = errorLines(output) || "the Pulumi CLI failed without output";
  if (matched === undefined) {
    return new StackOperationError(stack, `Pulumi failed on stack ${stack}: ${detail}`, { cause: err });
  }
  const remedy = matched.remedy.replace("<stack>", stack);
  if (matched.type === StackLockedError) {
    const holders = lockHolders(output);
    const held = holders.length > 0 ? ` Held by: ${holders.join("; ")}.` : "";
    const error = new StackLockedError(
      stack,
      `Stack ${stack} is locked by another update.${held} To fix: ${remedy}.`,
      {
        cause: err,
      },
    );
    error.holders = holders;
    return error;
  }
  return new matched.type(stack, `Pulumi failed on stack ${stack}: ${detail} To fix: ${remedy}.`, {
    cause: err,
  });
}
