/**
 * A third-party action pinned to a full commit SHA. A tag can be moved to other code after review
 * and a commit cannot, so the SHA is what a job runs. The release tag is emitted beside it as a YAML
 * comment, so that readers and update tools can see which release the SHA is. Each pair was checked
 * against public workflows that pin the same release.
 */
export interface PinnedAction {
  /** `owner/repo`. */
  repository: string;
  /** Full 40-character commit SHA of the release. */
  sha: string;
  /** Release tag the SHA belongs to. */
  tag: string;
}

/** The pinned actions by role. */
export const PINNED_ACTIONS = {
  checkout: {
    repository: "actions/checkout",
    sha: "11bd71901bbe5b1630ceea73d27597364c9af683",
    tag: "v4.2.2",
  },
  setupNode: {
    repository: "actions/setup-node",
    sha: "49933ea5288caeca8642d1e84afbd3f7d6820020",
    tag: "v4.4.0",
  },
} as const satisfies Record<string, PinnedAction>;

const FULL_SHA = /^[0-9a-f]{40}$/;

/** Returns the `uses:` reference of a pinned action, `owner/repo@<sha>`. */
export function usesOf(action: PinnedAction): string {
  if (!FULL_SHA.test(action.sha)) {
    throw new Error(
      `Action ${action.repository} must be pinned to a full 40-character commit SHA, not "${action.sha}".`,
    );
  }
  return `${action.repository}@${action.sha}`;
}

/** Returns the release tag of a `uses:` reference built by {@link usesOf}, or undefined for any other. */
export function tagOfUses(uses: string): string | undefined {
  return Object.values(PINNED_ACTIONS).find((action) => uses === `${action.repository}@${action.sha}`)?.tag;
}
