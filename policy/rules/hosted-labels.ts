import { HOSTED_LABEL_FAMILIES } from "../resolver";

/**
 * GitHub's default labels of self-hosted runners. Every registered runner carries them, so a
 * scale set named after one would share its name with runners outside the fleet.
 */
const DEFAULT_RUNNER_LABELS: readonly string[] = [
  "self-hosted",
  "linux",
  "windows",
  "macos",
  "x64",
  "arm",
  "arm64",
];

/**
 * Returns why `label` names a GitHub-hosted runner family (the resolver's list) or one of GitHub's
 * default runner labels, or `undefined` when it names neither. GitHub compares labels
 * case-insensitively, and so does this check.
 */
export function hostedLabelReason(label: string): string | undefined {
  const lower = label.toLowerCase();
  const family = HOSTED_LABEL_FAMILIES.find((prefix) => lower.startsWith(prefix));
  if (family !== undefined) {
    return `${family}* labels select GitHub-hosted runners`;
  }
  if (DEFAULT_RUNNER_LABELS.includes(lower)) {
    return `${lower} is a default label of every self-hosted runner, so it matches runners outside the fleet`;
  }
  return undefined;
}
