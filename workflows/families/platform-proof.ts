import type { Workflow } from "../model";
import { variable, VARIABLE_NAMES } from "../steps";
import type { FamilyContext } from "./context";

/** Seconds each endpoint check may take before the proof fails. */
export const PROBE_TIMEOUT_SECONDS = 10;

/** The variables the proof requires, in the order it checks them. */
export const PROOF_VARIABLES = [
  VARIABLE_NAMES.bazelRemoteCache,
  VARIABLE_NAMES.bazelRemoteStatusUrl,
  VARIABLE_NAMES.atticServer,
  VARIABLE_NAMES.atticCache,
] as const;

/** Builds one `test -n` line per variable, so that every missing one is reported before the step fails. */
function requireVariablesScript(): string {
  const lines = ["status=0"];
  for (const name of PROOF_VARIABLES) {
    lines.push(
      `test -n "\${${name}:-}" || { echo "::error title=Cache variable missing::Repository variable ${name} is empty or missing; run pulumi up on the github stack to set it."; status=1; }`,
    );
  }
  lines.push('exit "$status"');
  return lines.join("\n");
}

// bazel-remote returns its cache state for `GET /status` on its HTTP port.
const BAZEL_HTTP_SCRIPT = `curl --fail --silent --show-error --max-time ${PROBE_TIMEOUT_SECONDS} "$${VARIABLE_NAMES.bazelRemoteStatusUrl}"`;

// The gRPC endpoint speaks HTTP/2 only, so a TCP connect through bash's /dev/tcp proves it accepts connections.
const BAZEL_GRPC_SCRIPT = `address="\${${VARIABLE_NAMES.bazelRemoteCache}#*://}"
address="\${address%%/*}"
host="\${address%:*}"
port="\${address##*:}"
test "$host" != "$port" || { echo "::error title=Cache endpoint invalid::${VARIABLE_NAMES.bazelRemoteCache} must be scheme://host:port, not $${VARIABLE_NAMES.bazelRemoteCache}."; exit 1; }
timeout ${PROBE_TIMEOUT_SECONDS} bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" || { echo "::error title=Cache unreachable::connection to bazel-remote at $host:$port failed or timed out."; exit 1; }`;

// A public Attic cache serves the Nix binary cache protocol, whose `nix-cache-info` proves the cache exists.
const ATTIC_SCRIPT = `curl --fail --silent --show-error --max-time ${PROBE_TIMEOUT_SECONDS} "\${${VARIABLE_NAMES.atticServer}%/}/$${VARIABLE_NAMES.atticCache}/nix-cache-info"`;

/**
 * Builds the Platform Proof workflow. It runs on the fleet for pull requests and pushes to the
 * default branch, and fails when a cache variable is missing or a cache endpoint is unreachable.
 */
export function platformProofWorkflow(context: FamilyContext): Workflow {
  const branches = [context.defaultBranch];
  const env = Object.fromEntries(PROOF_VARIABLES.map((name) => [name, variable(name)]));
  return {
    name: "Platform Proof",
    on: { pull_request: { branches }, push: { branches }, workflow_dispatch: {} },
    permissions: { contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs: {
      proof: {
        name: "platform proof",
        "runs-on": context.lane,
        "timeout-minutes": 10,
        env,
        steps: [
          { name: "Require the cache variables", run: requireVariablesScript() },
          { name: "Reach bazel-remote over HTTP", run: BAZEL_HTTP_SCRIPT },
          { name: "Reach bazel-remote over gRPC", run: BAZEL_GRPC_SCRIPT },
          { name: "Reach the Attic cache", run: ATTIC_SCRIPT },
          {
            name: "Record the runner",
            run: `echo "Platform proof passed on runner $RUNNER_NAME (lane ${context.lane})." >> "$GITHUB_STEP_SUMMARY"`,
          },
        ],
      },
    },
  };
}
