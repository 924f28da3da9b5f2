/** Replacement text of every redacted value, the same marker the configuration's `Secret` prints. */
export const REDACTED = "[secret]";

/**
 * Values shorter than this are not redacted: replacing every "1" or "on" in a log would destroy
 * it while hiding nothing. Pulumi refuses no short secret, so such a value could still be printed.
 */
const MIN_REDACTED_LENGTH = 4;

/**
 * Replaces known secret values in text. Every value of a stack's secret configuration, secret
 * stack outputs and the driver's tokens are added before anything is printed, so the log,
 * job summary, PR comment, annotations and JSON record only ever see the redacted text.
 */
export class Redactor {
  readonly #values = new Set<string>();
  #pattern: RegExp | undefined;

  /** Adds a secret value and, for structured values, each string inside it. */
  add(value: unknown): void {
    if (typeof value === "string") {
      this.#addString(value);
      try {
        this.add(JSON.parse(value));
      } catch {
        // A plain string, not JSON: nothing nested to add.
      }
    } else if (Array.isArray(value)) {
      value.forEach((item) => this.add(item));
    } else if (value !== null && typeof value === "object") {
      Object.values(value).forEach((item) => this.add(item));
    } else if (typeof value === "number" || typeof value === "boolean") {
      this.#addString(String(value));
    }
  }

  #addString(value: string): void {
    for (const form of [value, JSON.stringify(value).slice(1, -1)]) {
      if (form.length >= MIN_REDACTED_LENGTH && !this.#values.has(form)) {
        this.#values.add(form);
        this.#pattern = undefined;
      }
    }
  }

  /** Returns `text` with every known secret value replaced by `[secret]`. */
  redact(text: string): string {
    if (this.#values.size === 0) {
      return text;
    }
    if (this.#pattern === undefined) {
      // Sorted by decreasing length, so a secret that contains another is replaced whole.
      const sorted = [...this.#values].sort((a, b) => b.length - a.length);
      this.#pattern = new RegExp(
        sorted.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"),
        "g",
      );
    }
    return text.replace(this.#pattern, REDACTED);
  }
}
