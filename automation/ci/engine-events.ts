import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";
import { ChangeCounts, emptyChanges, PolicyViolation } from "./record";
import type { Redactor } from "./redact";

/** Symbols of the diff text, one per step kind, as Pulumi's own preview display uses them. */
const STEP_SYMBOLS: Record<string, string> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  "create-replacement": "++",
  "delete-replaced": "--",
  import: "=",
  refresh: "~",
  read: ">",
};

/** Step kinds counted as each field of {@link ChangeCounts}; a replacement counts once, as an update. */
const COUNTED_AS: Record<string, keyof ChangeCounts> = {
  create: "create",
  import: "create",
  update: "update",
  replace: "update",
  delete: "delete",
  same: "same",
};

/** Reads `path/file.yml:12:` at the start of a line of a policy message, or after a space or parenthesis. */
const FILE_LINE = /(?:^|[\s(])([\w./-]+\.[A-Za-z0-9]+):(\d+):/m;

/** Pulumi's color tags, such as `<{%fg 12%}>` and `<{%reset%}>`, which the engine leaves in raw-color messages. */
const COLOR_TAGS = /<\{%[^%]*%\}>/g;

/** Progress of one operation, reported after each resource finishes. */
export interface Progress {
  done: number;
  total: number;
  urn: string;
  op: string;
}

/**
 * Folds a Pulumi operation's engine events into change counts, policy violations and a diff text.
 * Only step kinds, types, names and changed property names enter the diff, never property values,
 * and policy and diagnostic messages pass through the redactor.
 */
export class EngineEventFold {
  readonly policyViolations: PolicyViolation[] = [];
  /** Error diagnostics the engine reported, redacted. */
  readonly errors: string[] = [];
  readonly #steps = new Map<string, string>();
  readonly #done = new Set<string>();
  readonly #diffLines: string[] = [];
  #summary: OpMap | undefined;
  #cancelled = false;

  constructor(
    private readonly redactor: Redactor,
    private readonly onProgress?: (progress: Progress) => void,
    /** Resources the preview before this operation counted, so progress has a total from the start. */
    private readonly expectedTotal = 0,
  ) {}

  /** Handles one engine event; pass it as the Automation API's `onEvent`. */
  readonly onEvent = (event: EngineEvent): void => {
    if (event.resourcePreEvent) {
      const { op, urn, type, detailedDiff, diffs } = event.resourcePreEvent.metadata;
      if (!this.#steps.has(urn)) {
        this.#steps.set(urn, op);
        if (op !== "same") {
          const changed =
            Object.keys(detailedDiff ?? {}).length > 0 ? Object.keys(detailedDiff ?? {}) : (diffs ?? []);
          const keys = changed.length > 0 ? ` (${changed.join(", ")})` : "";
          this.#diffLines.push(`${STEP_SYMBOLS[op] ?? "?"} ${op} ${type} ${resourceName(urn)}${keys}`);
        }
      }
    } else if (event.resOutputsEvent) {
      const { urn, op } = event.resOutputsEvent.metadata;
      this.#done.add(urn);
      this.onProgress?.({
        done: this.#done.size,
        total: Math.max(this.expectedTotal, this.#steps.size),
        urn,
        op,
      });
    } else if (event.policyEvent) {
      this.policyViolations.push(toViolation(event.policyEvent, this.redactor));
    } else if (event.summaryEvent) {
      this.#summary = event.summaryEvent.resourceChanges;
    } else if (event.diagnosticEvent?.severity === "error") {
      this.errors.push(this.redactor.redact(event.diagnosticEvent.message.replace(COLOR_TAGS, "").trim()));
    } else if (event.cancelEvent) {
      this.#cancelled = true;
    }
  };

  /** Counts from the engine's change summary when it sent one, else from the steps seen. */
  get changes(): ChangeCounts {
    const counts = emptyChanges();
    const source: Record<string, number> = this.#summary ? { ...this.#summary } : this.#countSteps();
    for (const [op, count] of Object.entries(source)) {
      const field = COUNTED_AS[op];
      if (field !== undefined && typeof count === "number") {
        counts[field] += count;
      }
    }
    return counts;
  }

  /** Number of resources the operation touched, the same ones included. */
  get resourceCount(): number {
    return this.#steps.size;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Whether any policy reported a mandatory violation. */
  get mandatoryViolation(): boolean {
    return this.policyViolations.some((violation) => violation.level === "mandatory");
  }

  /** One line per resource step other than `same`, in the order the engine planned them. */
  get diff(): string {
    return this.#diffLines.join("\n");
  }

  #countSteps(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const op of this.#steps.values()) {
      counts[op] = (counts[op] ?? 0) + 1;
    }
    return counts;
  }
}

function resourceName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

function toViolation(event: NonNullable<EngineEvent["policyEvent"]>, redactor: Redactor): PolicyViolation {
  const message = redactor.redact(event.message.replace(COLOR_TAGS, "").trim());
  const violation: PolicyViolation = { policy: event.policyName, level: event.enforcementLevel, message };
  const location = FILE_LINE.exec(message);
  if (location !== null) {
    violation.file = location[1];
    violation.line = Number(location[2]);
  }
  return violation;
}
