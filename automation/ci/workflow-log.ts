import type { Redactor } from "./redact";

/** Properties of an annotation: the file and 1-based line it points at, and an optional title. */
export interface AnnotationProperties {
  file?: string;
  line?: number;
  title?: string;
}

// @actions/core writes workflow commands straight to process.stdout and does not export its
// escaping, so the escaping GitHub documents for command data and properties is repeated here.
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** Formats one workflow command line, such as `::error file=a.yml,line=3::message`. */
export function workflowCommand(
  command: "error" | "warning" | "notice" | "group" | "endgroup",
  message: string,
  properties: AnnotationProperties = {},
): string {
  const pairs = Object.entries(properties)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`);
  const head = pairs.length > 0 ? `::${command} ${pairs.join(",")}::` : `::${command}::`;
  return head + escapeData(message);
}

/**
 * The run's log in GitHub Actions' workflow-command format. Every line passes through the
 * redactor, so a secret value added to it never reaches the output stream.
 */
export class WorkflowLog {
  constructor(
    private readonly redactor: Redactor,
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
  ) {}

  info(message: string): void {
    this.#line(message);
  }

  notice(message: string): void {
    this.#line(workflowCommand("notice", message));
  }

  warning(message: string, properties?: AnnotationProperties): void {
    this.#line(workflowCommand("warning", message, properties));
  }

  error(message: string, properties?: AnnotationProperties): void {
    this.#line(workflowCommand("error", message, properties));
  }

  /** Runs `body` inside a collapsible log group, closing the group even when `body` throws. */
  async group<T>(title: string, body: () => Promise<T>): Promise<T> {
    this.#line(workflowCommand("group", title));
    try {
      return await body();
    } finally {
      this.#line(workflowCommand("endgroup", ""));
    }
  }

  /** Writes text that is already formatted, such as a workflow command or a buffered group, redacted. */
  raw(text: string): void {
    this.write(this.redactor.redact(text));
  }

  #line(text: string): void {
    this.write(this.redactor.redact(text) + "\n");
  }
}
