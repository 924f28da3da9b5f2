import type { Workflow } from "../model";
import { checkout } from "../steps";
import type { FamilyContext } from "./context";

/** gitleaks release the scan downloads. */
export const GITLEAKS_VERSION = "8.21.2";

// The gitleaks action needs a paid license key for organization repositories, so the job downloads
// the released binary and verifies it against the release's checksum file before running it. That
// check catches a corrupted download, but not a release whose files were replaced together.
// NOTE: the download is for linux x64 runners; an arm64 lane needs the linux_arm64 archive.
const INSTALL_GITLEAKS = `set -euo pipefail
version=${GITLEAKS_VERSION}
base="https://github.com/gitleaks/gitleaks/releases/download/v\${version}"
archive="gitleaks_\${version}_linux_x64.tar.gz"
dir="$RUNNER_TEMP/gitleaks"
mkdir -p "$dir"
curl --fail --silent --show-error --location --max-time 120 -o "$dir/$archive" "$base/$archive"
curl --fail --silent --show-error --location --max-time 60 -o "$dir/checksums.txt" "$base/gitleaks_\${version}_checksums.txt"
(cd "$dir" && grep " \${archive}\\$" checksums.txt | sha256sum --check --strict)
tar -xzf "$dir/$archive" -C "$dir" gitleaks
echo "$dir" >> "$GITHUB_PATH"`;

/** Builds the Secret Detection workflow: gitleaks over the full git history, failing on any finding. */
export function secretDetectionWorkflow(context: FamilyContext): Workflow {
  const branches = [context.defaultBranch];
  return {
    name: "Secret Detection",
    on: { pull_request: { branches }, push: { branches } },
    permissions: { contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs: {
      gitleaks: {
        name: "gitleaks",
        "runs-on": context.lane,
        "timeout-minutes": 15,
        steps: [
          checkout(0),
          { name: "Install gitleaks", run: INSTALL_GITLEAKS },
          // --redact keeps any secret found out of the job log.
          { name: "Scan the history", run: "gitleaks git --redact --verbose --exit-code 1 ." },
        ],
      },
    },
  };
}
