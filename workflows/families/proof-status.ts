import type { Workflow } from "../model";
import type { FamilyContext } from "./context";

/** Daily status report, in UTC, after the drift check. */
export const STATUS_SCHEDULE = "41 6 * * *";

/** Number of recent Platform Proof runs the report lists. */
export const REPORTED_RUNS = 10;

/**
 * Builds the Proof Status workflow: on a schedule, it lists the recent Platform Proof runs on the
 * default branch in the job summary and fails when the latest completed one did not succeed.
 */
export function proofStatusWorkflow(context: FamilyContext, proofFile: string): Workflow {
  const query = `branch=${encodeURIComponent(context.defaultBranch)}&per_page=${REPORTED_RUNS}`;
  const script = `set -euo pipefail
runs="$(curl --fail --silent --show-error --max-time 30 -H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/actions/workflows/${proofFile}/runs?${query}")"
{
  echo "## Platform Proof on ${context.defaultBranch}"
  echo
  echo "| run | conclusion | started |"
  echo "| --- | --- | --- |"
  jq -r '.workflow_runs[] | "| [#\\(.run_number)](\\(.html_url)) | \\(.conclusion // .status) | \\(.run_started_at) |"' <<<"$runs"
} >> "$GITHUB_STEP_SUMMARY"
latest="$(jq -r '[.workflow_runs[] | select(.status == "completed")][0].conclusion // "none"' <<<"$runs")"
if [ "$latest" != "success" ]; then
  echo "::error title=Platform proof failing::The latest completed Platform Proof run on ${context.defaultBranch} ended with '$latest'."
  exit 1
fi`;
  return {
    name: "Proof Status",
    on: { schedule: [{ cron: STATUS_SCHEDULE }], workflow_dispatch: {} },
    permissions: { actions: "read", contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs: {
      report: {
        name: "proof status",
        "runs-on": context.lane,
        "timeout-minutes": 5,
        env: { GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}" },
        steps: [{ name: "Report the recent proofs", run: script }],
      },
    },
  };
}
