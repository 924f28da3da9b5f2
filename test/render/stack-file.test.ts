import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { placeholderSecret, readStackFile } from "../../automation/render/stack-file";
import { makeProject, removeProject } from "./project";

describe("readStackFile", () => {
  let dir: string;
  before(() => {
    dir = makeProject({
      "runners-dev": {
        "flywheel:family": "runners",
        "flywheel:githubAppPrivateKey": { secure: "v1:abc" },
        "flywheel:runners": {
          githubConfigUrl: "https://github.com/tinyland-example",
          lanes: { "gh-nix": { maxRunners: 3 } },
        },
        "flywheel:extraGithubApps": { other: { appId: { secure: "v1:def" } } },
        environment: "dev",
      },
    });
    fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), "config:\n  flywheel:family: [runners\n");
    fs.writeFileSync(path.join(dir, "Pulumi.list.yaml"), "config:\n  - flywheel:family\n");
  });
  after(() => removeProject(dir));

  it("replaces an encrypted value by its placeholder", () => {
    const file = readStackFile("runners-dev", dir);
    assert.equal(
      file.config["flywheel:githubAppPrivateKey"],
      placeholderSecret("flywheel:githubAppPrivateKey"),
    );
  });

  it("lists an encrypted key as secret", () => {
    assert.ok(readStackFile("runners-dev", dir).secretKeys.includes("flywheel:githubAppPrivateKey"));
  });

  it("lists a structured secret value", () => {
    assert.ok(readStackFile("runners-dev", dir).secretKeys.includes("flywheel:extraGithubApps"));
  });

  it("names the path of an encrypted leaf", () => {
    const value = JSON.parse(readStackFile("runners-dev", dir).config["flywheel:extraGithubApps"]);
    assert.equal(value.other.appId, placeholderSecret("flywheel:extraGithubApps.other.appId"));
  });

  it("encodes a structured value as JSON", () => {
    const value = JSON.parse(readStackFile("runners-dev", dir).config["flywheel:runners"]);
    assert.equal(value.lanes["gh-nix"].maxRunners, 3);
  });

  it("leaves a plain structured value out of the secrets", () => {
    assert.ok(!readStackFile("runners-dev", dir).secretKeys.includes("flywheel:runners"));
  });

  it("puts a key without a namespace in the project's", () => {
    assert.equal(readStackFile("runners-dev", dir).config["flywheel:environment"], "dev");
  });

  it("names the file that is not valid YAML", () => {
    assert.throws(() => readStackFile("broken", dir), /Pulumi\.broken\.yaml is not valid YAML/);
  });

  it("rejects a config section that is not a mapping", () => {
    assert.throws(() => readStackFile("list", dir), /must hold a "config:" mapping/);
  });

  it("names a missing file", () => {
    assert.throws(() => readStackFile("absent", dir), /Pulumi\.absent\.yaml could not be read/);
  });
});
