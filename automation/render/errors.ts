/** The stack and key whose reference led to a stack. */
export interface StackReferrer {
  /** Stack whose configuration names the missing stack. */
  stack: string;
  /** Full configuration key that names it, such as `flywheel:cachesStack`. */
  key: string;
}

/** A stack to render has no `Pulumi.<stack>.yaml` in the project directory. */
export class StackNotFoundError extends Error {
  /** Name of the stack that was not found. */
  readonly stackName: string;
  /** Stacks that do have a configuration file in the project directory, sorted. */
  readonly available: readonly string[];

  /**
   * @param invalidName  Set when the name itself is invalid: the rule it breaks, in place of "does not exist".
   */
  constructor(
    stack: string,
    file: string,
    available: readonly string[],
    referrer?: StackReferrer,
    invalidName?: string,
  ) {
    const known = available.length > 0 ? available.join(", ") : "none";
    const problem = invalidName ?? `${file} does not exist`;
    const reason = referrer
      ? `Stack "${referrer.stack}" references stack "${stack}" through ${referrer.key}, but ${problem}.`
      : invalidName !== undefined
        ? `Stack name "${stack}" is invalid: ${problem}.`
        : `Stack "${stack}" was not found: ${problem}.`;
    // A file cannot be created for an invalid name, so only the existing stacks are offered then.
    const create = invalidName === undefined ? ` or create ${file}` : "";
    const remedy = referrer
      ? `Set ${referrer.key} to one of the stacks in the project (${known})${create}.`
      : `Pick one of the stacks in the project (${known})${create}.`;
    super(`${reason} ${remedy}`);
    this.name = "StackNotFoundError";
    this.stackName = stack;
    this.available = Object.freeze([...available]);
  }
}

/** Stack references that cannot be followed: a cycle, or a reference to a stack of the wrong family. */
export class StackReferenceError extends Error {
  /** Stacks along the reference path, starting with the one asked for. */
  readonly path: readonly string[];

  constructor(message: string, path: readonly string[]) {
    super(message);
    this.name = "StackReferenceError";
    this.path = Object.freeze([...path]);
  }
}

/** No `Pulumi.yaml` was found at or above the working directory. */
export class ProjectNotFoundError extends Error {
  constructor(start: string) {
    super(
      `No Pulumi.yaml was found in ${start} or any directory above it; run from the project or pass --project-dir.`,
    );
    this.name = "ProjectNotFoundError";
  }
}

/** A stack's `Pulumi.<stack>.yaml` exists but cannot be read or parsed. */
export class StackFileError extends Error {
  /** Path of the stack configuration file. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StackFileError";
    this.file = file;
  }
}
