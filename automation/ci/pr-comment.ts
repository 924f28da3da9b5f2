import { COMMENT_MARKER } from "./markdown-report";

/** Pull request of the sticky comment, and the API that reaches it. */
export interface StickyCommentTarget {
  token: string;
  /** REST API base URL, such as `https://api.github.com` or a test server on 127.0.0.1. */
  apiUrl: string;
  /** `owner/name`. */
  repository: string;
  pullNumber: number;
}

/** Comments fetched per page while looking for the marker; the API's maximum. */
const COMMENTS_PER_PAGE = 100;

/**
 * Creates the driver's comment on the pull request, or updates it in place when a comment with
 * the hidden marker exists. Returns whether it created or updated one. Throws on API failures;
 * the caller turns them into a warning.
 */
export async function upsertStickyComment(
  target: StickyCommentTarget,
  body: string,
): Promise<"created" | "updated"> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Octokit } = require("@octokit/rest") as typeof import("@octokit/rest");
  const octokit = new Octokit({ auth: target.token, baseUrl: target.apiUrl, request: { retries: 0 } });
  const [owner, repo] = target.repository.split("/");
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: target.pullNumber,
    per_page: COMMENTS_PER_PAGE,
  });
  const existing = comments.find((comment) => comment.body?.includes(COMMENT_MARKER));
  if (existing !== undefined) {
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    return "updated";
  }
  await octokit.rest.issues.createComment({ owner, repo, issue_number: target.pullNumber, body });
  return "created";
}
