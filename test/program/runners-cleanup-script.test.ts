import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CLEANUP_SCRIPT } from "../../components/guardrails/pod-cleanup";

// A stand-in for kubectl: `get` prints the fixture pod list, `delete` appends its arguments to a log.
const FAKE_KUBECTL = `#!/bin/sh
case "$1" in
  get) cat "$FIXTURE" ;;
  delete) echo "$*" >> "$DELETIONS" ;;
  *) echo "unexpected kubectl call: $*" >&2; exit 1 ;;
esac
`;

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** RFC 3339 time `secondsAgo` before now, in the whole-second form the API server writes. */
function ago(secondsAgo: number): string {
  return new Date(Date.now() - secondsAgo * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function finishedPod(name: string, phase: string, finishedSecondsAgo: number): Record<string, unknown> {
  return {
    metadata: { name, creationTimestamp: ago(finishedSecondsAgo + 60) },
    status: {
      phase,
      containerStatuses: [{ state: { terminated: { finishedAt: ago(finishedSecondsAgo) } } }],
    },
  };
}

const PODS = {
  items: [
    { metadata: { name: "stuck-terminating", creationTimestamp: ago(3000), deletionTimestamp: ago(400) } },
    { metadata: { name: "recent-terminating", creationTimestamp: ago(3000), deletionTimestamp: ago(100) } },
    finishedPod("old-succeeded", "Succeeded", 700),
    finishedPod("recent-succeeded", "Succeeded", 100),
    finishedPod("old-failed", "Failed", 2000),
    finishedPod("recent-failed", "Failed", 1000),
    { metadata: { name: "long-running", creationTimestamp: ago(5000) }, status: { phase: "Running" } },
    {
      metadata: { name: "succeeded-without-status", creationTimestamp: ago(900) },
      status: { phase: "Succeeded" },
    },
  ],
};

describe("pod cleanup script", function () {
  let directory: string;
  let deletions: string[] = [];

  before(function () {
    if (!hasCommand("jq")) {
      // NOTE: the script's behaviour is checked only where jq is installed.
      this.skip();
    }
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-cleanup-"));
    const bin = path.join(directory, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "kubectl"), FAKE_KUBECTL, { mode: 0o755 });
    fs.writeFileSync(path.join(directory, "pods.json"), JSON.stringify(PODS));
    fs.writeFileSync(path.join(directory, "cleanup.sh"), CLEANUP_SCRIPT);
    const log = path.join(directory, "deletions.log");
    fs.writeFileSync(log, "");
    execFileSync("sh", [path.join(directory, "cleanup.sh")], {
      env: {
        PATH: `${bin}:${process.env["PATH"] ?? ""}`,
        FIXTURE: path.join(directory, "pods.json"),
        DELETIONS: log,
        NAMESPACE: "arc-runners",
        TERMINATING_SECONDS: "300",
        SUCCEEDED_SECONDS: "600",
        FAILED_SECONDS: "1800",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    deletions = fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
  });

  after(() => {
    if (directory !== undefined) {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  function deletionOf(pod: string): string | undefined {
    return deletions.find((line) => line.split(" ")[2] === pod);
  }

  it("force-deletes a pod Terminating past 300 s", () => {
    assert.match(deletionOf("stuck-terminating") ?? "", /--grace-period=0 --force/);
  });
  it("keeps a pod Terminating for 100 s", () => {
    assert.equal(deletionOf("recent-terminating"), undefined);
  });
  it("deletes a pod Succeeded 700 s ago", () => {
    assert.ok(deletionOf("old-succeeded"));
  });
  it("deletes a Succeeded pod gently", () => {
    assert.equal(deletionOf("old-succeeded")?.includes("--force"), false);
  });
  it("keeps a pod Succeeded 100 s ago", () => {
    assert.equal(deletionOf("recent-succeeded"), undefined);
  });
  it("deletes a pod Failed 2000 s ago", () => {
    assert.ok(deletionOf("old-failed"));
  });
  it("keeps a pod Failed 1000 s ago", () => {
    assert.equal(deletionOf("recent-failed"), undefined);
  });
  it("keeps a running pod", () => {
    assert.equal(deletionOf("long-running"), undefined);
  });
  it("ages a finished pod without statuses from its creation", () => {
    assert.ok(deletionOf("succeeded-without-status"));
  });
  it("deletes only in the runner namespace", () => {
    assert.deepEqual(
      deletions.filter((line) => !line.includes("--namespace arc-runners")),
      [],
    );
  });
  it("deletes exactly four pods", () => {
    assert.equal(deletions.length, 4);
  });
});

describe("pod cleanup script failure", function () {
  it("fails when kubectl fails", function () {
    if (!hasCommand("jq")) {
      this.skip();
    }
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-cleanup-"));
    try {
      const bin = path.join(directory, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, "kubectl"), "#!/bin/sh\necho 'connection refused' >&2\nexit 1\n", {
        mode: 0o755,
      });
      fs.writeFileSync(path.join(directory, "cleanup.sh"), CLEANUP_SCRIPT);
      const run = (): Buffer =>
        execFileSync("sh", [path.join(directory, "cleanup.sh")], {
          env: {
            PATH: `${bin}:${process.env["PATH"] ?? ""}`,
            NAMESPACE: "arc-runners",
            TERMINATING_SECONDS: "300",
            SUCCEEDED_SECONDS: "600",
            FAILED_SECONDS: "1800",
          },
          stdio: ["ignore", "ignore", "ignore"],
        });
      assert.throws(run);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
