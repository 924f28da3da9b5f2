/** A pattern for runner labels that GitHub-hosted runners (or GitHub's defaults) answer to. */
interface HostedLabelPattern {
  pattern: RegExp;
  reason: string;
}

// Matching is case-insensitive because GitHub compares runner labels case-insensitively.
const HOSTED_LABEL_PATTERNS: readonly HostedLabelPattern[] = [
  { pattern: /^ubuntu(-|$)/i, reason: "ubuntu-* labels select GitHub-hosted Linux runners" },
  { pattern: /^windows(-|$)/i, reason: "windows-* labels select GitHub-hosted Windows runners" },
  { pattern: /^macos(-|$)/i, reason: "macos-* labels select GitHub-hosted macOS runners" },
  {
    pattern: /^self-hosted$/i,
    reason:
      "self-hosted is the default label of every registered runner, so it matches runners outside the fleet",
  },
  {
    pattern: /^(linux|x64|arm|arm64)$/i,
    reason:
      "operating system and architecture labels are GitHub's default runner labels and match any runner",
  },
];

/**
 * Returns why `label` names a GitHub-hosted runner or one of GitHub's default runner labels, or
 * `undefined` when it names neither.
 */
export function hostedLabelReason(label: string): string | undefined {
  for (const { pattern, reason } of HOSTED_LABEL_PATTERNS) {
    if (pattern.test(label)) {
      return reason;
    }
  }
  return undefined;
}
