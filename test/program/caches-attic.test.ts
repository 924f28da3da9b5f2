import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { CREATE_CACHE_SCRIPT } from "../../components/caches/cache-bootstrap";
import { JWT_KEY_ENV, renderServerToml, ServerTomlSettings } from "../../components/caches/server-toml";

const SETTINGS: ServerTomlSettings = {
  listenPort: 8080,
  apiEndpoint: "http://attic.nix-cache.svc.cluster.local/",
  databaseUrl:
    "postgres://attic_server:pw123@attic-pg-rw.nix-cache.svc.cluster.local:5432/attic?sslmode=require",
  storageEndpoint: "http://minio.minio-tenant.svc.cluster.local",
  storageRegion: "us-east-1",
  storageBucket: "attic",
  chunking: { narSizeThreshold: 65536, minSize: 16384, avgSize: 65536, maxSize: 262144 },
  compression: { type: "zstd", level: 8 },
  garbageCollection: { interval: "12 hours", defaultRetentionPeriod: "3 months" },
};

/** Lines of the rendered file that are not comments or blank. */
function settingLines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
}

describe("Attic server.toml", () => {
  const lines = () => settingLines(renderServerToml(SETTINGS));

  it("listens on the container port", () => {
    assert.ok(lines().includes('listen = "[::]:8080"'));
  });

  it("announces the API endpoint", () => {
    assert.ok(lines().includes('api-endpoint = "http://attic.nix-cache.svc.cluster.local/"'));
  });

  it("holds the database URL", () => {
    assert.ok(lines().includes(`url = ${JSON.stringify(SETTINGS.databaseUrl)}`));
  });

  it("stores in S3", () => {
    assert.ok(lines().includes('type = "s3"'));
  });

  it("names the bucket", () => {
    assert.ok(lines().includes('bucket = "attic"'));
  });

  it("chunks from 65536 bytes", () => {
    assert.ok(lines().includes("nar-size-threshold = 65536"));
  });

  it("sets the minimum chunk size", () => {
    assert.ok(lines().includes("min-size = 16384"));
  });

  it("sets the average chunk size", () => {
    assert.ok(lines().includes("avg-size = 65536"));
  });

  it("sets the maximum chunk size", () => {
    assert.ok(lines().includes("max-size = 262144"));
  });

  it("compresses with zstd", () => {
    assert.ok(lines().includes('type = "zstd"'));
  });

  it("compresses at level 8", () => {
    assert.ok(lines().includes("level = 8"));
  });

  it("collects every 12 hours", () => {
    assert.ok(lines().includes('interval = "12 hours"'));
  });

  it("retains objects 3 months", () => {
    assert.ok(lines().includes('default-retention-period = "3 months"'));
  });

  it("writes no JWT key", () => {
    assert.ok(!lines().some((line) => line.includes("token-hs256-secret-base64")));
  });

  it("points to the JWT key variable", () => {
    assert.ok(renderServerToml(SETTINGS).includes(JWT_KEY_ENV));
  });

  it("escapes quotes in strings", () => {
    const text = renderServerToml({ ...SETTINGS, storageBucket: 'a"b' });
    assert.ok(settingLines(text).includes('bucket = "a\\"b"'));
  });
});

interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

const TOKEN = "test-token-abc";
const REQUEST_BODY = JSON.stringify({ keypair: "Generate", is_public: true, priority: 41 });

describe("Attic cache bootstrap script", () => {
  let server: http.Server;
  let port = 0;
  let reply: { status: number; body: string } = { status: 200, body: "{}" };
  let requests: RecordedRequest[] = [];
  let workDir = "";

  before(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "attic-bootstrap-"));
    fs.writeFileSync(path.join(workDir, "authorization"), `Authorization: Bearer ${TOKEN}\n`);
    server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        requests.push({
          method: request.method ?? "",
          url: request.url ?? "",
          authorization: request.headers.authorization,
          body,
        });
        response.writeHead(reply.status, { "Content-Type": "application/json" });
        response.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    requests = [];
  });

  function runScript(status: number, body: string): Promise<ScriptRun> {
    reply = { status, body };
    const env = {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      ATTIC_ENDPOINT: `http://127.0.0.1:${port}`,
      CACHE_NAME: "main",
      REQUEST_BODY,
      AUTHORIZATION_FILE: path.join(workDir, "authorization"),
      RESPONSE_FILE: path.join(workDir, "response"),
    };
    return new Promise((resolve) => {
      execFile("sh", ["-c", CREATE_CACHE_SCRIPT], { env }, (error, stdout, stderr) => {
        let code = 0;
        if (error !== null) {
          code = typeof error.code === "number" ? error.code : -1;
        }
        resolve({ code, stdout, stderr });
      });
    });
  }

  it("succeeds when the cache is created", async () => {
    assert.equal((await runScript(200, "{}")).code, 0);
  });

  it("posts to the cache-config path", async () => {
    await runScript(200, "{}");
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.url}`),
      ["POST /_api/v1/cache-config/main"],
    );
  });

  it("sends the token from the header file", async () => {
    await runScript(200, "{}");
    assert.equal(requests[0]?.authorization, `Bearer ${TOKEN}`);
  });

  it("sends the request body", async () => {
    await runScript(200, "{}");
    assert.equal(requests[0]?.body, REQUEST_BODY);
  });

  it("succeeds on 409 Conflict", async () => {
    assert.equal((await runScript(409, '{"code":409}')).code, 0);
  });

  it("reports an existing cache on 409", async () => {
    assert.match((await runScript(409, "{}")).stdout, /already exists/);
  });

  it("succeeds on CacheAlreadyExists", async () => {
    const body = JSON.stringify({
      code: 400,
      error: "CacheAlreadyExists",
      message: "The cache already exists.",
    });
    assert.equal((await runScript(400, body)).code, 0);
  });

  it("fails on another 400", async () => {
    const body = JSON.stringify({ code: 400, error: "RequestError", message: "bad request" });
    assert.equal((await runScript(400, body)).code, 1);
  });

  it("shows the server's error", async () => {
    const body = JSON.stringify({ code: 400, error: "RequestError", message: "bad request" });
    assert.match((await runScript(400, body)).stderr, /RequestError/);
  });

  it("fails on 401", async () => {
    assert.equal((await runScript(401, '{"error":"Unauthorized"}')).code, 1);
  });

  it("keeps the token out of its output", async () => {
    const run = await runScript(403, '{"error":"AccessError"}');
    assert.ok(!`${run.stdout}${run.stderr}`.includes(TOKEN));
  });
});
