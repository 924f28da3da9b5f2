import type { DispatchInput, Workflow } from "../model";
import { nodeProject, PULUMI_VERSION } from "../steps";
import type { FamilyContext } from "./context";

/** Daily drift check, in UTC; off the hour because many scheduled workflows start on it. */
export const DRIFT_SCHEDULE = "23 5 * * *";

// The release archive is fetched by its pinned version rather than through the get.pulumi.com install
// script, so no unpinned script runs on the fleet.
// NOTE: the archive is not checked against a digest, and it is the linux x64 build only.
const INSTALL_PULUMI = `dir="$RUNNER_TEMP/pulumi-cli"
mkdir -p "$dir"
curl --fail --silent --show-error --location --max-time 120 "https://get.pulumi.com/releases/sdk/pulumi-v${PULUMI_VERSION}-linux-x64.tar.gz" | tar -xz -C "$dir"
echo "$dir/pulumi" >> "$GITHUB_PATH"`;

const REQUIRE_BACKEND = `test -n "\${PULUMI_BACKEND_URL:-}" || { echo "::error title=Variable missing::Repository variable PULUMI_BACKEND_URL is not set; set it to the state backend of the stacks."; exit 1; }
test -n "\${PULUMI_CONFIG_PASSPHRASE:-}" || { echo "::error title=Secret missing::Repository secret PULUMI_CONFIG_PASSPHRASE is not set; set it to the stacks' passphrase."; exit 1; }`;

/**
 * Inputs of a manual run, read by the driver from the event payload. The names, the operations and
 * the defaults match what `flywheel ci` accepts for `workflow_dispatch`.
 */
export const DISPATCH_INPUTS: Record<string, DispatchInput> = {
  operation: {
    description: "Pulumi operation to run; up runs only from the default branch.",
    required: true,
    type: "choice",
    options: ["preview", "up", "refresh", "drift"],
    default: "preview",
  },
  stacks: {
    description: 'Stacks to run it on, comma-separated (such as "runners-dev"), or "all".',
    required: true,
    type: "string",
    default: "all",
  },
};

/**
 * Builds the Deploy Runners workflow, which runs the flywheel driver: a preview on pull requests, an
 * update of the stacks allowed to auto-apply on pushes to the default branch, and drift checks on a
 * schedule. Runs are serialized, because a file backend takes the stack lock even for a preview.
 */
export function deployRunnersWorkflow(context: FamilyContext): Workflow {
  const branches = [context.defaultBranch];
  return {
    name: "Deploy Runners",
    on: {
      pull_request: { branches },
      push: { branches },
      schedule: [{ cron: DRIFT_SCHEDULE }],
      workflow_dispatch: { inputs: DISPATCH_INPUTS },
    },
    permissions: { contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs: {
      deploy: {
        name: "deploy runners",
        "runs-on": context.lane,
        "timeout-minutes": 60,
        permissions: { contents: "read", "pull-requests": "write" },
        concurrency: { group: `flywheel-stacks-${context.environment}`, "cancel-in-progress": false },
        env: {
          PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}",
          PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
          GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}",
        },
        steps: [
          // The driver compares against the base commit to find the changed files.
          ...nodeProject(0),
          { name: "Install the Pulumi CLI", run: INSTALL_PULUMI },
          { name: "Require the backend settings", run: REQUIRE_BACKEND },
          { name: "Run the flywheel driver", run: 'npx flywheel ci --json "$RUNNER_TEMP/flywheel-ci.json"' },
        ],
      },
    },
  };
}
