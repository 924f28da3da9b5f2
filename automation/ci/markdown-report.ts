import type { CiRecord, OperationRecord } from "./record";

/** GitHub rejects a job summary above 1 MiB per step. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;

/** GitHub rejects an issue comment body above 65,536 characters; the margin leaves room for the marker. */
export const COMMENT_LIMIT_CHARS = 65_000;

/** Hidden marker that identifies the driver's sticky comment on a pull request. */
export const COMMENT_MARKER = "<!-- flywheel-ci:sticky-comment -->";

/** Per-operation diff budgets tried in turn, in characters, until the report fits its limit. */
const DIFF_BUDGETS = [Infinity, 20_000, 4_000, 1_000, 0];

const STATUS_ICONS: Record<string, string> = {
  planned: "📝",
  succeeded: "✅",
  failed: "❌",
  blocked: "⛔",
};

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function trimDiff(diff: string, budget: number): string {
  if (diff.length <= budget) {
    return diff;
  }
  if (budget <= 0) {
    return "";
  }
  const kept = diff.slice(0, budget);
  const cut = kept.lastIndexOf("\n");
  const shown = cut > 0 ? kept.slice(0, cut) : kept;
  const hidden = diff.slice(shown.length).split("\n").filter(Boolean).length;
  return `${shown}\n… ${hidden} more lines not shown (size limit)`;
}

function operationDetails(operation: OperationRecord, diffBudget: number): string[] {
  const lines: string[] = [];
  if (operation.error) {
    lines.push(`**${operation.stack}**: ${operation.error}`, "");
  }
  for (const violation of operation.policyViolations) {
    const where = violation.file ? ` (${violation.file}${violation.line ? `:${violation.line}` : ""})` : "";
    lines.push(`- **${violation.policy}** [${violation.level}]${where}: ${escapeCell(violation.message)}`);
  }
  if (operation.policyViolations.length > 0) {
    lines.push("");
  }
  const diff = trimDiff(operation.diff ?? "", diffBudget);
  if (diff.length > 0) {
    lines.push(
      `<details><summary>${operation.stack}: ${operation.op} changes</summary>`,
      "",
      "```diff",
      diff,
      "```",
      "</details>",
      "",
    );
  } else if ((operation.diff ?? "").length > 0) {
    lines.push(
      `_${operation.stack}: the change list was left out to fit the size limit; see the JSON record or the log._`,
      "",
    );
  }
  return lines;
}

function render(record: CiRecord, diffBudget: number, marker?: string): string {
  const lines: string[] = [];
  if (marker) {
    lines.push(marker);
  }
  const mode = record.dryRun ? " (dry run)" : "";
  lines.push(`## flywheel ci: ${record.event} on ${record.ref || "(no ref)"}${mode}`, "");
  for (const notice of record.notices) {
    lines.push(`> ${notice}`, "");
  }
  if (record.operations.length > 0) {
    lines.push(
      "| stack | operation | status | create | update | delete | same | policy | reason |",
      "|---|---|---|---:|---:|---:|---:|---:|---|",
    );
    for (const op of record.operations) {
      let plan = "";
      if (op.appliedPlan !== undefined) {
        plan = op.appliedPlan ? " (reviewed plan)" : " (re-planned)";
      }
      const drift = op.drift ? " (drift)" : "";
      // A planned or blocked operation never ran, so it has no counts to show; zeros would read as "no changes".
      const ran = op.status === "succeeded" || op.status === "failed";
      const count = (value: number) => (ran ? String(value) : "–");
      lines.push(
        `| ${op.stack} | ${op.op}${plan} | ${STATUS_ICONS[op.status] ?? ""} ${op.status}${drift} | ${count(op.changes.create)} | ` +
          `${count(op.changes.update)} | ${count(op.changes.delete)} | ${count(op.changes.same)} | ` +
          `${count(op.policyViolations.length)} | ${escapeCell(op.reason)} |`,
      );
    }
    lines.push("");
  }
  if (record.fork) {
    lines.push(`### Offline check of a fork's pull request`, "");
    lines.push(`Rendered without state or secrets: ${record.fork.rendered.join(", ") || "none"}.`, "");
    for (const file of record.fork.files) {
      lines.push(`- ${file.verdict === "pass" ? "✅" : "❌"} \`${file.file}\`: ${file.verdict}`);
      file.reasons.forEach((reason) => lines.push(`  - ${escapeCell(reason)}`));
    }
    record.fork.errors.forEach((error) => lines.push(`- ❌ ${escapeCell(error)}`));
    lines.push("");
  }
  for (const op of record.operations) {
    lines.push(...operationDetails(op, diffBudget));
  }
  if (record.skipped.length > 0) {
    lines.push("<details><summary>Skipped stacks</summary>", "");
    record.skipped.forEach((skip) => lines.push(`- ${skip.stack}: ${escapeCell(skip.reason)}`));
    lines.push("", "</details>", "");
  }
  if (record.changedFiles.length > 0) {
    lines.push(`${record.changedFiles.length} changed files.`, "");
  }
  return lines.join("\n");
}

/**
 * Renders the record as Markdown no longer than `limit` (measured by `measure`). Diffs are trimmed
 * first, then left out; only then is the end of the text cut, with a note saying so.
 */
export function renderReport(
  record: CiRecord,
  limit: number,
  options: { marker?: string; measure?: (text: string) => number } = {},
): string {
  const measure = options.measure ?? ((text: string) => text.length);
  for (const budget of DIFF_BUDGETS) {
    const text = render(record, budget, options.marker);
    if (measure(text) <= limit) {
      return text;
    }
  }
  const note = "\n\n_The report was cut to fit GitHub's size limit; the JSON record has everything._\n";
  let text = render(record, 0, options.marker);
  let end = Math.min(text.length, limit - note.length);
  while (end > 0 && measure(text.slice(0, end) + note) > limit) {
    end = Math.floor(end * 0.9);
  }
  text = text.slice(0, end);
  return text + note;
}

/** Renders the job summary, bounded to GitHub's 1 MiB counted in UTF-8 bytes. */
export function renderSummary(record: CiRecord): string {
  return renderReport(record, SUMMARY_LIMIT_BYTES, { measure: (text) => Buffer.byteLength(text, "utf8") });
}

/** Renders the sticky PR comment with the marker first, bounded to GitHub's comment size. */
export function renderComment(record: CiRecord): string {
  return renderReport(record, COMMENT_LIMIT_CHARS, { marker: COMMENT_MARKER });
}
