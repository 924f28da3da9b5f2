import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { nameObject } from "./computed-outputs";
import { changedKeys, parseUrn, StandInProvider } from "./standin-provider";

const CONFIG_MAP_URN =
  "urn:pulumi:runners-dev::flywheel::flywheel:arc:Controller$kubernetes:core/v1:ConfigMap::lanes";

describe("parseUrn", function () {
  it("takes the last type of a parent chain", function () {
    const { type, name } = parseUrn(CONFIG_MAP_URN);
    assert.equal(type, "kubernetes:core/v1:ConfigMap");
    assert.equal(name, "lanes");
  });

  it("rejects a string without four parts", function () {
    assert.throws(() => parseUrn("urn:pulumi:stack::project"), /Invalid URN "urn:pulumi:stack::project"/);
  });
});

describe("changedKeys", function () {
  const cases: {
    name: string;
    olds: Record<string, unknown>;
    news: Record<string, unknown>;
    expected: string[];
  }[] = [
    {
      name: "no key for equal objects",
      olds: { data: { a: "1" } },
      news: { data: { a: "1" } },
      expected: [],
    },
    {
      name: "key of a changed nested value",
      olds: { data: { a: "1" } },
      news: { data: { a: "2" } },
      expected: ["data"],
    },
    {
      name: "key of a removed input",
      olds: { data: {}, kind: "ConfigMap" },
      news: { kind: "ConfigMap" },
      expected: ["data"],
    },
    {
      name: "key of a value unknown at preview",
      olds: { data: "x" },
      news: { data: unknownValue },
      expected: ["data"],
    },
    { name: "no key for a computed output", olds: { status: { revision: 1 } }, news: {}, expected: [] },
  ];
  for (const { name, olds, news, expected } of cases) {
    it(`lists ${name}`, function () {
      assert.deepEqual(changedKeys(olds, news, new Set(["status"])), expected);
    });
  }
});

describe("nameObject", function () {
  it("keeps an earlier generated name", function () {
    const first = nameObject(
      "kubernetes:core/v1:ConfigMap",
      "lanes",
      {},
      { metadata: { namespace: "arc-runners" } },
    );
    const again = nameObject("kubernetes:core/v1:ConfigMap", "other", first.inputs, { metadata: {} });
    assert.deepEqual(again.inputs.metadata, { name: (first.inputs.metadata as { name: string }).name });
  });

  it("names a namespaced object's id", function () {
    const { id } = nameObject(
      "kubernetes:core/v1:ConfigMap",
      "lanes",
      {},
      { metadata: { name: "a", namespace: "b" } },
    );
    assert.equal(id, "b/a");
  });
});

describe("StandInProvider", function () {
  let directory: string;
  let provider: StandInProvider;

  beforeEach(function () {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-standin-"));
    provider = new StandInProvider("kubernetes", "4.34.2", directory);
  });

  afterEach(function () {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it("reads back an edited object", async function () {
    const { id } = await provider.create(CONFIG_MAP_URN, { metadata: { name: "lanes" }, data: { a: "1" } });
    const file = provider.fileOf("kubernetes:core/v1:ConfigMap", id);
    const stored = JSON.parse(fs.readFileSync(file, "utf8")) as { properties: Record<string, unknown> };
    fs.writeFileSync(
      file,
      JSON.stringify({ ...stored, properties: { ...stored.properties, data: { a: "2" } } }),
    );
    const read = await provider.read(id, CONFIG_MAP_URN);
    assert.deepEqual((read.props as { data: unknown }).data, { a: "2" });
  });

  it("reads a deleted object as gone", async function () {
    const { id } = await provider.create(CONFIG_MAP_URN, { metadata: { name: "lanes" } });
    await provider.delete(id, CONFIG_MAP_URN);
    const read = await provider.read(id, CONFIG_MAP_URN);
    assert.equal(read.id, "");
  });

  it("rejects creating an existing object", async function () {
    await provider.create(CONFIG_MAP_URN, { metadata: { name: "lanes" } });
    await assert.rejects(
      provider.create(CONFIG_MAP_URN, { metadata: { name: "lanes" } }),
      /ConfigMap "lanes" already exists/,
    );
  });

  it("rejects a type of another package", async function () {
    const urn = "urn:pulumi:github-dev::flywheel::github:index/repositoryFile:RepositoryFile::ci";
    await assert.rejects(provider.check(urn, {}, {}), /received github:index\/repositoryFile:RepositoryFile/);
  });

  it("reports a Helm release status", async function () {
    const urn = "urn:pulumi:runners-dev::flywheel::kubernetes:helm.sh/v3:Release::gh-nix";
    const { outs } = await provider.create(urn, {
      name: "gh-nix",
      namespace: "arc-runners",
      chart: "c",
      version: "1",
    });
    assert.equal((outs as { status: { status: string } }).status.status, "deployed");
  });
});
