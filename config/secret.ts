import * as util from "node:util";

const REDACTED = "[secret]";

/**
 * A configuration value set with `pulumi config set --secret`. The value is reachable only through
 * `reveal()`. Printing, string conversion and JSON serialization all yield `[secret]`, so a parsed
 * configuration object can be logged or rendered without leaking it. Stacks turn it into a Pulumi
 * secret with `pulumi.secret(value.reveal())` at the point of use.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** Returns the clear value. Call it only to hand the value to `pulumi.secret`. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [util.inspect.custom](): string {
    return REDACTED;
  }
}
