import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { ANNOTATIONS_PER_LEVEL, renderAnnotations } from "../../automation/ci/annotations";
import {
  COMMENT_LIMIT_CHARS,
  COMMENT_MARKER,
  renderComment,
  renderSummary,
  SUMMARY_LIMIT_BYTES,
} from "../../automation/ci/markdown-report";
import { upsertStickyComment } from "../../automation/ci/pr-comment";
import type { CiRecord, OperationRecord, PolicyViolation } from "../../automation/ci/record";
import { eventFile, FAKE_PULUMI_ROOT, FakePulumi, githubEnv, runDriver, TempRepo } from "./helpers";

function operationRecord(overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    stack: "runners-dev",
    op: "preview",
    reason: "config/runners.ts changed",
    status: "succeeded",
    changes: { create: 1, update: 2, delete: 0, same: 3 },
    policyViolations: [],
    diff: "+ create kubernetes:helm.sh/v3:Release gh-nix",
    ...overrides,
  };
}

function ciRecord(operations: OperationRecord[] = [operationRecord()]): CiRecord {
  return {
    event: "pull_request",
    ref: "refs/pull/42/merge",
    dryRun: false,
    changedFiles: ["config/runners.ts"],
    operations,
    skipped: [{ stack: "caches-dev", reason: "no changed file affects it" }],
    notices: [],
  };
}

function violation(level: string, line: number): PolicyViolation {
  return {
    policy: "no-hosted-fallback",
    level,
    message: `job ${line} runs on ubuntu-latest`,
    file: ".github/workflows/ci.yml",
    line,
  };
}

/** A stand-in for the GitHub REST API's issue comment endpoints, listening on 127.0.0.1. */
class CommentServer {
  readonly requests: { method: string; url: string; body: string; authorization?: string }[] = [];
  readonly comments: { id: number; body: string }[] = [];
  status = 200;
  #server = http.createServer((request, response) => this.#handle(request, response));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const url = request.url ?? "";
      this.requests.push({
        method: request.method ?? "",
        url,
        body,
        authorization: request.headers.authorization,
      });
      const reply = (status: number, payload: unknown): void => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(payload));
      };
      if (this.status !== 200) {
        reply(this.status, { message: "Resource not accessible by integration" });
      } else if (
        request.method === "GET" &&
        /^\/repos\/tinyland-example\/flywheel\/issues\/42\/comments/.test(url)
      ) {
        reply(200, this.comments);
      } else if (request.method === "POST" && url === "/repos/tinyland-example/flywheel/issues/42/comments") {
        const comment = {
          id: 1000 + this.comments.length,
          body: (JSON.parse(body) as { body: string }).body,
        };
        this.comments.push(comment);
        reply(201, comment);
      } else if (
        request.method === "PATCH" &&
        /^\/repos\/tinyland-example\/flywheel\/issues\/comments\/\d+$/.test(url)
      ) {
        const id = Number(url.slice(url.lastIndexOf("/") + 1));
        const comment = this.comments.find((c) => c.id === id);
        if (comment) {
          comment.body = (JSON.parse(body) as { body: string }).body;
        }
        reply(comment ? 200 : 404, comment ?? { message: "Not Found" });
      } else {
        reply(404, { message: "Not Found" });
      }
    });
  }
}

describe("flywheel ci reporting", () => {
  describe("job summary", () => {
    it("shows one table row per operation", () => {
      const text = renderSummary(ciRecord());
      assert.match(
        text,
        /\| runners-dev \| preview \| ✅ succeeded \| 1 \| 2 \| 0 \| 3 \| 0 \| config\/runners\.ts changed \|/,
      );
    });

    it("shows no counts for a planned operation", () => {
      const text = renderSummary(ciRecord([operationRecord({ status: "planned" })]));
      assert.match(text, /planned \| – \| – \| – \| – \| – \|/);
    });

    it("lists skipped stacks", () => {
      assert.match(renderSummary(ciRecord()), /- caches-dev: no changed file affects it/);
    });

    it("says when the reviewed plan was applied", () => {
      const text = renderSummary(ciRecord([operationRecord({ op: "up", appliedPlan: true })]));
      assert.match(text, /\| up \(reviewed plan\) \|/);
    });

    it("stays within 1 MiB for a huge diff", () => {
      const diff = Array.from(
        { length: 60_000 },
        (_, i) => `~ update kubernetes:core/v1:ConfigMap cm-${i} (data)`,
      ).join("\n");
      const text = renderSummary(ciRecord([operationRecord({ diff })]));
      assert.ok(Buffer.byteLength(text) <= SUMMARY_LIMIT_BYTES, `${Buffer.byteLength(text)} bytes`);
      assert.match(text, /more lines not shown \(size limit\)/);
    });

    it("keeps the table when the diff is trimmed", () => {
      const diff = "~ update x\n".repeat(200_000);
      const text = renderSummary(ciRecord([operationRecord({ diff })]));
      assert.match(text, /\| runners-dev \| preview \|/);
    });
  });

  describe("comment", () => {
    it("starts with the hidden marker", () => {
      assert.ok(renderComment(ciRecord()).startsWith(COMMENT_MARKER));
    });

    it("stays within the comment limit", () => {
      const diff = "~ update kubernetes:apps/v1:Deployment attic (spec)\n".repeat(10_000);
      const text = renderComment(
        ciRecord([operationRecord({ diff }), operationRecord({ stack: "github-dev", diff })]),
      );
      assert.ok(text.length <= COMMENT_LIMIT_CHARS, `${text.length} characters`);
    });

    it("cuts the text when even without diffs it is too long", () => {
      const operations = Array.from({ length: 400 }, (_, i) =>
        operationRecord({ stack: `runners-e${i}`, reason: "r".repeat(300), diff: "" }),
      );
      const text = renderComment(ciRecord(operations));
      assert.ok(text.length <= COMMENT_LIMIT_CHARS, `${text.length} characters`);
      assert.match(text, /The report was cut to fit GitHub's size limit/);
    });
  });

  describe("annotations", () => {
    const many = ciRecord([
      operationRecord({
        status: "failed",
        policyViolations: [
          ...Array.from({ length: 13 }, (_, i) => violation("mandatory", i + 1)),
          ...Array.from({ length: 12 }, (_, i) => violation("warning", i + 100)),
        ],
      }),
    ]);

    it("points at the violating line", () => {
      const [first] = renderAnnotations(
        ciRecord([operationRecord({ policyViolations: [violation("mandatory", 7)] })]),
      );
      assert.equal(
        first,
        "::error file=.github/workflows/ci.yml,line=7::runners-dev: no-hosted-fallback: job 7 runs on ubuntu-latest",
      );
    });

    it("caps error annotations", () => {
      const errors = renderAnnotations(many).filter((line) => line.startsWith("::error"));
      assert.equal(errors.length, ANNOTATIONS_PER_LEVEL);
    });

    it("caps warning annotations", () => {
      const warnings = renderAnnotations(many).filter((line) => line.startsWith("::warning"));
      assert.equal(warnings.length, ANNOTATIONS_PER_LEVEL);
    });

    it("counts the ones left out", () => {
      const notice = renderAnnotations(many).find((line) => line.startsWith("::notice"));
      assert.match(notice ?? "", /3 more errors and 2 more warnings were not annotated/);
    });

    it("annotates a shared failure once", () => {
      const error = "No usable Pulumi CLI was found";
      const failed = (stack: string) => operationRecord({ stack, status: "failed", error });
      const lines = renderAnnotations(ciRecord([failed("caches-dev"), failed("runners-dev")]));
      assert.deepEqual(lines, [`::error::${error}`]);
    });

    it("escapes newlines and percent signs", () => {
      const message = "50% of jobs\nrun on ubuntu-latest";
      const [line] = renderAnnotations(
        ciRecord([operationRecord({ policyViolations: [{ policy: "p", level: "mandatory", message }] })]),
      );
      assert.equal(line, "::error::runners-dev: p: 50%25 of jobs%0Arun on ubuntu-latest");
    });
  });

  describe("sticky comment", () => {
    let server: CommentServer;
    let apiUrl: string;

    beforeEach(async () => {
      server = new CommentServer();
      apiUrl = await server.start();
    });

    afterEach(async () => {
      await server.stop();
    });

    const target = (url: string) => ({
      token: "test-token-value",
      apiUrl: url,
      repository: "tinyland-example/flywheel",
      pullNumber: 42,
    });

    it("creates the comment the first time", async () => {
      const how = await upsertStickyComment(target(apiUrl), `${COMMENT_MARKER}\nfirst`);
      assert.equal(how, "created");
      assert.equal(server.comments.length, 1);
    });

    it("updates the comment in place", async () => {
      server.comments.push(
        { id: 7, body: "someone else's comment" },
        { id: 8, body: `${COMMENT_MARKER}\nold` },
      );
      const how = await upsertStickyComment(target(apiUrl), `${COMMENT_MARKER}\nnew`);
      assert.equal(how, "updated");
      assert.equal(server.comments.find((c) => c.id === 8)?.body, `${COMMENT_MARKER}\nnew`);
      assert.equal(server.comments.length, 2);
    });

    it("authenticates with the token", async () => {
      await upsertStickyComment(target(apiUrl), `${COMMENT_MARKER}\nx`);
      assert.equal(server.requests[0].authorization, "token test-token-value");
    });
  });

  describe("a run's outputs", function () {
    this.timeout(120_000);
    const secret = "hunter2-flywheel-private-key-material";
    let repo: TempRepo;
    let fake: FakePulumi;
    let server: CommentServer;
    let outputDir: string;
    let log: string;
    let exitCode: number;
    const savedFakeDir = process.env.FAKE_PULUMI_DIR;

    before(async () => {
      repo = new TempRepo();
      const base = repo.head();
      const head = repo.commit({ "config/runners.ts": "secret" });
      outputDir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-ci-outputs-"));
      fake = new FakePulumi({
        config: {
          "runners-dev": {
            "flywheel:githubAppPrivateKey": { value: secret, secret: true },
            "flywheel:family": { value: "runners", secret: false },
          },
        },
        stacks: {
          "runners-dev": {
            preview: {
              events: [
                {
                  policyEvent: {
                    message: `.github/workflows/ci.yml:3: label derived from ${secret}`,
                    color: "never",
                    policyName: "no-hosted-fallback",
                    policyPackName: "flywheel",
                    policyPackVersion: "0.1.0",
                    policyPackVersionTag: "0.1.0",
                    enforcementLevel: "mandatory",
                  },
                },
                {
                  diagnosticEvent: {
                    message: `secret material ${secret} rejected`,
                    color: "never",
                    severity: "error",
                  },
                },
              ],
              exitCode: 255,
              stderr: `error: preview failed: value ${secret} is invalid\n`,
            },
          },
        },
      });
      process.env.FAKE_PULUMI_DIR = fake.dir;
      server = new CommentServer();
      const apiUrl = await server.start();
      const event = eventFile("pull_request.opened.json", { base, head }, repo.dir);
      const result = await runDriver({
        repoRoot: repo.dir,
        jsonFile: path.join(outputDir, "record.json"),
        env: {
          ...githubEnv("pull_request", event),
          FLYWHEEL_PULUMI_ROOT: FAKE_PULUMI_ROOT,
          PULUMI_BACKEND_URL: "file:///tmp/flywheel-unused-backend",
          GITHUB_STEP_SUMMARY: path.join(outputDir, "summary.md"),
          GITHUB_TOKEN: "test-token-value",
          GITHUB_API_URL: apiUrl,
        },
      });
      log = result.log;
      exitCode = result.exitCode;
    });

    after(async () => {
      await server.stop();
      repo.remove();
      fake.remove();
      fs.rmSync(outputDir, { recursive: true, force: true });
      if (savedFakeDir === undefined) {
        delete process.env.FAKE_PULUMI_DIR;
      } else {
        process.env.FAKE_PULUMI_DIR = savedFakeDir;
      }
    });

    it("fails the run", () => {
      assert.equal(exitCode, 1);
    });

    it("keeps the secret out of the log", () => {
      assert.ok(log.includes("label derived from [secret]"), log);
      assert.ok(!log.includes(secret));
    });

    it("keeps the secret out of the summary", () => {
      const summary = fs.readFileSync(path.join(outputDir, "summary.md"), "utf8");
      assert.ok(summary.includes("no-hosted-fallback"));
      assert.ok(!summary.includes(secret));
    });

    it("keeps the secret out of the record", () => {
      const text = fs.readFileSync(path.join(outputDir, "record.json"), "utf8");
      assert.ok(text.includes("[secret]"));
      assert.ok(!text.includes(secret));
    });

    it("keeps the secret out of the comment", () => {
      assert.equal(server.comments.length, 1);
      assert.ok(!server.comments[0].body.includes(secret));
    });

    it("keeps the token out of every output", () => {
      const outputs = [
        log,
        fs.readFileSync(path.join(outputDir, "summary.md"), "utf8"),
        server.comments[0].body,
      ];
      assert.ok(outputs.every((text) => !text.includes("test-token-value")));
    });
  });

  describe("without a token", () => {
    it("warns and still succeeds", async () => {
      const repo = new TempRepo();
      try {
        const base = repo.head();
        const head = repo.commit({ "config/runners.ts": "no token" });
        const event = eventFile("pull_request.opened.json", { base, head }, repo.dir);
        const { log, exitCode } = await runDriver({
          repoRoot: repo.dir,
          dryRun: true,
          env: githubEnv("pull_request", event),
        });
        assert.equal(exitCode, 0);
        assert.match(log, /::warning::GITHUB_TOKEN is not set, so the pull request comment was skipped/);
      } finally {
        repo.remove();
      }
    });

    it("warns when the API refuses the comment", async () => {
      const repo = new TempRepo();
      const server = new CommentServer();
      server.status = 403;
      const apiUrl = await server.start();
      try {
        const base = repo.head();
        const head = repo.commit({ "config/runners.ts": "forbidden" });
        const event = eventFile("pull_request.opened.json", { base, head }, repo.dir);
        const { log, exitCode } = await runDriver({
          repoRoot: repo.dir,
          dryRun: true,
          env: githubEnv("pull_request", event, { GITHUB_TOKEN: "read-only-token", GITHUB_API_URL: apiUrl }),
        });
        assert.equal(exitCode, 0);
        assert.match(log, /::warning::The pull request comment could not be written/);
      } finally {
        await server.stop();
        repo.remove();
      }
    });
  });
});
