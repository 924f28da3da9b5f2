import type { CiRecord } from "./record";
import { workflowCommand } from "./workflow-log";

/** GitHub shows at most 10 error and 10 warning annotations per step; more are dropped silently. */
export const ANNOTATIONS_PER_LEVEL = 10;

interface Annotation {
  level: "error" | "warning";
  message: string;
  file?: string;
  line?: number;
}

function collect(record: CiRecord): Annotation[] {
  const annotations: Annotation[] = [];
  for (const op of record.operations) {
    for (const violation of op.policyViolations) {
      annotations.push({
        level: violation.level === "mandatory" ? "error" : "warning",
        message: `${op.stack}: ${violation.policy}: ${violation.message}`,
        file: violation.file,
        line: violation.line,
      });
    }
    if (op.status === "failed" && op.policyViolations.length === 0 && op.error) {
      annotations.push({ level: "error", message: op.error });
    }
  }
  for (const error of record.fork?.errors ?? []) {
    annotations.push({ level: "error", message: error });
  }
  for (const file of record.fork?.files ?? []) {
    if (file.verdict !== "pass") {
      const [line] = file.reasons.map((reason) => /\bline (\d+)/.exec(reason)?.[1]).filter(Boolean);
      for (const reason of file.reasons.length > 0 ? file.reasons : [file.verdict]) {
        annotations.push({
          level: "error",
          message: `${file.file}: ${reason}`,
          file: file.file.includes(":") ? undefined : file.file,
          line: line === undefined ? undefined : Number(line),
        });
      }
    }
  }
  return annotations;
}

/**
 * Workflow-command lines annotating the violating lines, at most {@link ANNOTATIONS_PER_LEVEL}
 * per level, followed by a notice counting the ones left out.
 */
export function renderAnnotations(record: CiRecord): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  const left = { error: 0, warning: 0 };
  const shown = { error: 0, warning: 0 };
  for (const annotation of collect(record)) {
    // Stacks that fail for one shared reason, such as a missing CLI, get one annotation.
    const key = JSON.stringify(annotation);
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    if (shown[annotation.level] >= ANNOTATIONS_PER_LEVEL) {
      left[annotation.level]++;
      continue;
    }
    shown[annotation.level]++;
    lines.push(
      workflowCommand(annotation.level, annotation.message, { file: annotation.file, line: annotation.line }),
    );
  }
  if (left.error + left.warning > 0) {
    lines.push(
      workflowCommand(
        "notice",
        `${left.error} more errors and ${left.warning} more warnings were not annotated ` +
          `(GitHub shows ${ANNOTATIONS_PER_LEVEL} of each per step); the job summary lists them all.`,
      ),
    );
  }
  return lines;
}
