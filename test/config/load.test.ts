import * as assert from "node:assert/strict";
import * as util from "node:util";
import { ConfigError } from "../../config/errors";
import { deepFreeze, loadStackConfig, RawConfig, StackConfig } from "../../config/load";
import { Secret } from "../../config/secret";
import { readStackFile } from "../../automation/render/stack-file";
import { REPO_ROOT } from "../render/project";

/** Raw configuration of an example stack, as the Pulumi runtime would pass it, with `changes` applied. */
function raw(
  stack: string,
  changes: Record<string, string | undefined> = {},
  plainKeys: string[] = [],
): RawConfig {
  const file = readStackFile(stack, REPO_ROOT);
  const values: Record<string, string> = { ...file.config };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) {
      delete values[key];
    } else {
      values[key] = value;
    }
  }
  return { values, secretKeys: new Set(file.secretKeys.filter((key) => !plainKeys.includes(key))) };
}

/** Runs the loader and returns the ConfigError it throws; fails the test when it throws none. */
function rejection(stack: string, config: RawConfig): ConfigError {
  try {
    loadStackConfig(stack, config);
  } catch (err) {
    if (err instanceof ConfigError) {
      return err;
    }
    throw err;
  }
  assert.fail(`loadStackConfig accepted the configuration of ${stack}`);
}

function keysOf(error: ConfigError): string[] {
  return error.problems.map((p) => p.key);
}

/** Collects every object and array reachable from `value`, Secrets excluded. */
function objectsIn(value: unknown, into: object[] = []): object[] {
  if (value !== null && typeof value === "object" && !(value instanceof Secret)) {
    into.push(value);
    Object.values(value).forEach((child) => objectsIn(child, into));
  }
  return into;
}

function secretsIn(value: unknown, into: Secret[] = []): Secret[] {
  if (value instanceof Secret) {
    into.push(value);
  } else if (value !== null && typeof value === "object") {
    Object.values(value).forEach((child) => secretsIn(child, into));
  }
  return into;
}

const PRIVATE_KEY = "flywheel:githubAppPrivateKey";

describe("loadStackConfig", () => {
  describe("family", () => {
    it("requires flywheel:family", () => {
      const error = rejection("runners-dev", raw("runners-dev", { "flywheel:family": undefined }));
      assert.deepEqual(error.problems[0], {
        key: "flywheel:family",
        rule: "is required",
        accepted: "pulumi config set flywheel:family runners",
      });
    });

    it("rejects an unknown family by name", () => {
      const error = rejection("runners-dev", raw("runners-dev", { "flywheel:family": "runner" }));
      assert.match(
        error.message,
        /flywheel:family: must be one of "caches", "runners", "github", not "runner"/,
      );
    });

    it("reports the environment together with the family", () => {
      const error = rejection(
        "runners-dev",
        raw("runners-dev", { "flywheel:family": undefined, "flywheel:environment": "Dev" }),
      );
      assert.deepEqual(keysOf(error), ["flywheel:family", "flywheel:environment"]);
    });

    for (const stack of ["caches-dev", "runners-dev", "github-dev"]) {
      it(`accepts the ${stack} example`, () => {
        assert.equal(loadStackConfig(stack, raw(stack)).stack, stack);
      });
    }

    it("names the family of the result", () => {
      assert.equal(loadStackConfig("caches-dev", raw("caches-dev")).family, "caches");
    });
  });

  describe("environment", () => {
    it("defaults to the stack name's suffix", () => {
      assert.equal(loadStackConfig("caches-dev", raw("caches-dev")).environment, "dev");
    });

    it("takes flywheel:environment over the suffix", () => {
      const config = loadStackConfig("caches-dev", raw("caches-dev", { "flywheel:environment": "staging" }));
      assert.equal(config.environment, "staging");
    });

    it("rejects upper-case letters", () => {
      const error = rejection("caches-dev", raw("caches-dev", { "flywheel:environment": "Staging" }));
      assert.deepEqual(keysOf(error), ["flywheel:environment"]);
    });

    it("rejects a leading digit", () => {
      const error = rejection("caches-dev", raw("caches-dev", { "flywheel:environment": "1dev" }));
      assert.deepEqual(keysOf(error), ["flywheel:environment"]);
    });

    it("rejects more than 31 characters", () => {
      const error = rejection(
        "caches-dev",
        raw("caches-dev", { "flywheel:environment": `e${"x".repeat(31)}` }),
      );
      assert.deepEqual(keysOf(error), ["flywheel:environment"]);
    });

    it("rejects an invalid stack suffix", () => {
      const error = rejection("caches-Dev", raw("caches-dev"));
      assert.match(
        error.message,
        /flywheel:environment: is not set, and the stack name's suffix "Dev" is not a valid environment/,
      );
    });
  });

  describe("secrets", () => {
    it("rejects a secret key set in plain text", () => {
      const error = rejection("runners-dev", raw("runners-dev", {}, [PRIVATE_KEY]));
      assert.deepEqual(error.problems, [
        {
          key: PRIVATE_KEY,
          rule: "must be set as a secret so that it is encrypted in the stack configuration",
          accepted: `pulumi config set --secret ${PRIVATE_KEY} <value>`,
        },
      ]);
    });

    it("keeps a plain-text secret out of the message", () => {
      const error = rejection(
        "runners-dev",
        raw("runners-dev", { [PRIVATE_KEY]: "plain-private-key-text" }, [PRIVATE_KEY]),
      );
      assert.ok(!error.message.includes("plain-private-key-text"));
    });

    it("wraps each secret key as a Secret", () => {
      const config = loadStackConfig("runners-dev", raw("runners-dev"));
      const revealed = secretsIn(config).map((s) => s.reveal());
      assert.ok(revealed.includes(`placeholder-for-${PRIVATE_KEY}`), revealed.join(", "));
    });

    it("keeps a numeric secret's text", () => {
      const config = loadStackConfig(
        "runners-dev",
        raw("runners-dev", { "flywheel:githubAppId": "0012345" }),
      );
      const revealed = secretsIn(config).map((s) => s.reveal());
      assert.ok(revealed.includes("0012345"), revealed.join(", "));
    });

    it("serializes no secret value", () => {
      const config = loadStackConfig("runners-dev", raw("runners-dev"));
      assert.ok(!JSON.stringify(config).includes("placeholder-for-"));
    });

    it("inspects no secret value", () => {
      const config = loadStackConfig("runners-dev", raw("runners-dev"));
      assert.ok(!util.inspect(config, { depth: null }).includes("placeholder-for-"));
    });
  });

  describe("problems", () => {
    it("reports every problem together", () => {
      const error = rejection(
        "runners-dev",
        raw("runners-dev", { "flywheel:environment": "Dev", "flywheel:colour": "blue" }, [PRIVATE_KEY]),
      );
      assert.deepEqual(keysOf(error).sort(), ["flywheel:colour", "flywheel:environment", PRIVATE_KEY].sort());
    });

    it("lists one problem per line", () => {
      const error = rejection(
        "runners-dev",
        raw("runners-dev", { "flywheel:environment": "Dev", "flywheel:colour": "blue" }),
      );
      assert.equal(error.message.split("\n").length, 1 + error.problems.length);
    });

    it("names an unknown key in full", () => {
      const error = rejection("caches-dev", raw("caches-dev", { "flywheel:cachez": "{}" }));
      assert.deepEqual(error.problems, [
        { key: "flywheel:cachez", rule: "is not a known key", accepted: "remove it or correct its spelling" },
      ]);
    });

    it("ignores keys of other namespaces", () => {
      const config = loadStackConfig("caches-dev", raw("caches-dev", { "kubernetes:context": "kind-dev" }));
      assert.equal(config.family, "caches");
    });

    it("names the stack in the message", () => {
      const error = rejection("caches-dev", raw("caches-dev", { "flywheel:cachez": "{}" }));
      assert.match(error.message, /^Invalid configuration for stack "caches-dev":/);
    });

    it("keeps the stack name on the error", () => {
      const error = rejection("caches-dev", raw("caches-dev", { "flywheel:cachez": "{}" }));
      assert.equal(error.stackName, "caches-dev");
    });

    it("never prints undefined", () => {
      const error = rejection(
        "runners-dev",
        raw("runners-dev", { "flywheel:githubAppId": undefined, "flywheel:family": "runners" }),
      );
      assert.ok(!error.message.includes("undefined"), error.message);
    });
  });

  describe("deepFreeze", () => {
    it("freezes the children of a frozen object", () => {
      const child = { value: 1 };
      deepFreeze(Object.freeze({ child }));
      assert.ok(Object.isFrozen(child));
    });

    it("handles a cycle", () => {
      const node: Record<string, unknown> = {};
      node["self"] = node;
      assert.ok(Object.isFrozen(deepFreeze(node)));
    });
  });

  describe("freezing", () => {
    let config: StackConfig;
    before(() => {
      config = loadStackConfig("runners-dev", raw("runners-dev"));
    });

    it("freezes every object of the result", () => {
      const objects = objectsIn(config);
      assert.deepEqual(
        objects.filter((o) => !Object.isFrozen(o)),
        [],
      );
    });

    it("reaches nested objects when freezing", () => {
      assert.ok(objectsIn(config).length > 3);
    });

    it("rejects an assignment to a nested value", () => {
      const runners = (config as Extract<StackConfig, { family: "runners" }>).runners as unknown as Record<
        string,
        unknown
      >;
      assert.throws(() => {
        runners["changed"] = true;
      }, TypeError);
    });
  });
});
