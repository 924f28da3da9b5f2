import type { Workflow } from "../model";
import { checkout, variable, VARIABLE_NAMES } from "../steps";
import type { FamilyContext } from "./context";

/** Name the Attic client stores the server under on the runner. */
const ATTIC_SERVER_ALIAS = "flywheel";

// The nix lane's runners already substitute from Attic through NIX_CONFIG; publishing pushes the
// build result there with the Attic client from nixpkgs.
const PUBLISH_SCRIPT = `test -n "\${ATTIC_TOKEN:-}" || { echo "::error title=Secret missing::Repository secret ATTIC_TOKEN is not set; create an Attic token with push access to $${VARIABLE_NAMES.atticCache} and store it as ATTIC_TOKEN."; exit 1; }
nix run nixpkgs#attic-client -- login ${ATTIC_SERVER_ALIAS} "$${VARIABLE_NAMES.atticServer}" "$ATTIC_TOKEN"
nix run nixpkgs#attic-client -- push "${ATTIC_SERVER_ALIAS}:$${VARIABLE_NAMES.atticCache}" ./result`;

/**
 * Builds the Build and Publish workflow, scoped to the build paths: pull requests build, and pushes
 * to the default branch build and then push the result to the Attic cache.
 */
export function buildAndPublishWorkflow(context: FamilyContext): Workflow {
  const filter = { branches: [context.defaultBranch], paths: [...context.buildPaths] };
  const build = { name: "Build the default package", run: "nix build --print-build-logs .#default" };
  return {
    name: "Build and Publish",
    on: { pull_request: filter, push: filter },
    permissions: { contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs: {
      build: {
        name: "build",
        "runs-on": context.lane,
        "timeout-minutes": 60,
        steps: [checkout(), build],
      },
      publish: {
        name: "publish",
        "runs-on": context.lane,
        needs: ["build"],
        if: `github.event_name == 'push' && github.ref == 'refs/heads/${context.defaultBranch}'`,
        "timeout-minutes": 60,
        env: {
          [VARIABLE_NAMES.atticServer]: variable(VARIABLE_NAMES.atticServer),
          [VARIABLE_NAMES.atticCache]: variable(VARIABLE_NAMES.atticCache),
          ATTIC_TOKEN: "${{ secrets.ATTIC_TOKEN }}",
        },
        steps: [checkout(), build, { name: "Push the result to Attic", run: PUBLISH_SCRIPT }],
      },
    },
  };
}
