import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "../../automation/render/command";
import { CapturedStream, exampleConfig, makeProject, removeProject, REPO_ROOT } from "./project";

interface CommandRun {
  status: number;
  stdout: string;
  stderr: string;
}

async function render(...argv: string[]): Promise<CommandRun> {
  const stdout = new CapturedStream();
  const stderr = new CapturedStream();
  const status = await run(argv, { stdout, stderr });
  return { status, stdout: stdout.text, stderr: stderr.text };
}

describe("flywheel render", () => {
  describe("usage", () => {
    it("prints help with exit status 0", async () => {
      const result = await render("--help");
      assert.equal(result.status, 0);
      assert.match(result.stdout, /^Usage: flywheel render --stack <name>/);
    });

    it("requires --stack", async () => {
      const result = await render("--format", "json");
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--stack is required/);
    });

    it("rejects an empty --stack", async () => {
      const result = await render("--stack", "");
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--stack is required/);
    });

    it("names an unknown option", async () => {
      const result = await render("--stack", "runners-dev", "--colour");
      assert.equal(result.status, 2);
      assert.match(result.stderr, /'--colour'/);
    });

    it("names an invalid --format", async () => {
      const result = await render("--stack", "runners-dev", "--format", "yaml");
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--format must be one of text, json, not "yaml"/);
    });

    it("rejects a positional argument", async () => {
      const result = await render("runners-dev");
      assert.equal(result.status, 2);
      assert.match(result.stderr, /'runners-dev'/);
    });

    it("rejects --stack without a value", async () => {
      const result = await render("--stack");
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--stack/);
    });

    it("points to --help after a usage error", async () => {
      const result = await render("--bogus");
      assert.match(result.stderr, /Run "flywheel render --help"/);
    });

    it("writes nothing to stdout on a usage error", async () => {
      const result = await render("--bogus");
      assert.equal(result.stdout, "");
    });
  });

  describe("stacks", () => {
    const dirs: string[] = [];
    after(() => dirs.forEach(removeProject));

    it("lists the stacks for an unknown one", async () => {
      const result = await render("--stack", "runners-prod", "--project-dir", REPO_ROOT);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /caches-dev, github-dev, runners-dev/);
    });

    it("names the unknown stack", async () => {
      const result = await render("--stack", "runners-prod", "--project-dir", REPO_ROOT);
      assert.match(result.stderr, /Stack "runners-prod" was not found/);
    });

    it("rejects a stack name with a path", async () => {
      const result = await render("--stack", "../runners-dev", "--project-dir", REPO_ROOT);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /the stack name must contain only letters, digits/);
    });

    it("offers no file for an invalid stack name", async () => {
      const result = await render("--stack", "../runners-dev", "--project-dir", REPO_ROOT);
      assert.doesNotMatch(result.stderr, /create/);
    });

    it("rejects a missing project directory", async () => {
      const result = await render(
        "--stack",
        "runners-dev",
        "--project-dir",
        path.join(REPO_ROOT, "missing-dir"),
      );
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--project-dir .*missing-dir" is not a directory/);
    });

    it("rejects a project directory without stack files", async () => {
      const dir = makeProject({});
      dirs.push(dir);
      const result = await render("--stack", "runners-dev", "--project-dir", dir);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--project-dir .* contains no Pulumi.<stack>.yaml file/);
    });

    it("prints the configuration error with its key", async () => {
      const dir = makeProject({
        "caches-dev": { ...exampleConfig("caches-dev"), "flywheel:environment": "Dev" },
      });
      dirs.push(dir);
      const result = await render("--stack", "caches-dev", "--project-dir", dir);
      assert.equal(result.status, 2);
      assert.match(
        result.stderr,
        /Invalid configuration for stack "caches-dev":\n {2}- flywheel:environment: /,
      );
    });

    it("exits 2 on a rejected lane", async () => {
      const dir = makeProject({
        "caches-dev": exampleConfig("caches-dev"),
        "runners-dev": exampleConfig("runners-dev"),
        "github-dev": { ...exampleConfig("github-dev"), "flywheel:defaultLane": "tinyland-dind" },
      });
      dirs.push(dir);
      const result = await render("--stack", "github-dev", "--project-dir", dir);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /flywheel:defaultLane: /);
    });

    it("prints a reference cycle", async () => {
      const dir = makeProject({
        "runners-dev": { ...exampleConfig("runners-dev"), "flywheel:cachesStack": "runners-dev" },
      });
      dirs.push(dir);
      const result = await render("--stack", "runners-dev", "--project-dir", dir);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /flywheel:cachesStack, which names "runners-dev" itself/);
    });

    it("names a family that does not match the stack", async () => {
      const dir = makeProject({
        "caches-dev": { ...exampleConfig("caches-dev"), "flywheel:family": "runners" },
      });
      dirs.push(dir);
      const result = await render("--stack", "caches-dev", "--project-dir", dir);
      assert.match(result.stderr, /Stack "caches-dev" has flywheel:family runners/);
    });

    it("exits 2 on a stack file that is not YAML", async () => {
      const dir = makeProject({ "caches-dev": exampleConfig("caches-dev") });
      dirs.push(dir);
      fs.appendFileSync(path.join(dir, "Pulumi.caches-dev.yaml"), "  flywheel:bad: [unclosed\n");
      const result = await render("--stack", "caches-dev", "--project-dir", dir);
      assert.equal(result.status, 2);
    });

    it("names the stack file that is not YAML", async () => {
      const dir = makeProject({ "caches-dev": exampleConfig("caches-dev") });
      dirs.push(dir);
      fs.appendFileSync(path.join(dir, "Pulumi.caches-dev.yaml"), "  flywheel:bad: [unclosed\n");
      const result = await render("--stack", "caches-dev", "--project-dir", dir);
      assert.match(result.stderr, /Pulumi\.caches-dev\.yaml is not valid YAML/);
    });
  });

  describe("json", () => {
    let result: CommandRun;
    before(async () => {
      result = await render("--stack", "runners-dev", "--format", "json", "--project-dir", REPO_ROOT);
    });

    it("exits 0", () => {
      assert.equal(result.status, 0, result.stderr);
    });

    it("prints stack, resources and outputs", () => {
      assert.deepEqual(Object.keys(JSON.parse(result.stdout)), ["stack", "resources", "outputs"]);
    });

    it("prints four keys per resource", () => {
      const rendered = JSON.parse(result.stdout) as { resources: Record<string, unknown>[] };
      for (const resource of rendered.resources) {
        assert.deepEqual(Object.keys(resource), ["type", "name", "parent", "inputs"]);
      }
    });

    it("prints null for a top-level parent", () => {
      const rendered = JSON.parse(result.stdout) as { resources: { parent: unknown }[] };
      assert.ok(rendered.resources.some((r) => r.parent === null));
    });

    it("prints the runners outputs", () => {
      const rendered = JSON.parse(result.stdout) as { outputs: Record<string, unknown> };
      assert.deepEqual(rendered.outputs["labels"], ["tinyland-nix", "tinyland-docker"]);
    });

    it("writes nothing to stderr", () => {
      assert.equal(result.stderr, "");
    });
  });

  describe("text", () => {
    let lines: string[];
    let json: { resources: { type: string; name: string; parent: string | null }[]; outputs: object };
    before(async () => {
      const text = await render("--stack", "runners-dev", "--project-dir", REPO_ROOT);
      lines = text.stdout.trimEnd().split("\n");
      json = JSON.parse(
        (await render("--stack", "runners-dev", "--format", "json", "--project-dir", REPO_ROOT)).stdout,
      );
    });

    const indentOf = (line: string | undefined) => (line ?? "").length - (line ?? "").trimStart().length;
    const lineOf = (resource: { type: string; name: string }) =>
      lines.indexOf(lines.find((line) => line.trim() === `${resource.type} ${resource.name}`) ?? "");

    it("prints one line per resource", () => {
      for (const resource of json.resources) {
        assert.ok(lineOf(resource) >= 0, `no line for ${resource.name}`);
      }
    });

    it("indents a child deeper than its parent", () => {
      const child = json.resources.find((r) => r.parent !== null);
      assert.ok(child, "runners-dev has no nested resource");
      const parent = json.resources.find((r) => r.name === child.parent);
      assert.ok(parent, `parent ${child.parent} was not rendered`);
      assert.equal(indentOf(lines[lineOf(child)]), indentOf(lines[lineOf(parent)]) + 2);
    });

    it("prints a child after its parent", () => {
      const child = json.resources.find((r) => r.parent !== null);
      const parent = json.resources.find((r) => r.name === child?.parent);
      assert.ok(child, "runners-dev has no nested resource");
      assert.ok(parent, `parent ${child.parent} was not rendered`);
      assert.ok(lineOf(child) > lineOf(parent));
    });

    it("prints the outputs last", () => {
      const outputs = lines.indexOf("Outputs:");
      assert.equal(lines.length - outputs - 1, Object.keys(json.outputs).length);
    });
  });
});
