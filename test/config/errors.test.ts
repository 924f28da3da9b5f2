import * as assert from "node:assert/strict";
import { z } from "zod";
import { ConfigError, joinKey, problemsFromZod } from "../../config/errors";

const schema = z.strictObject({
  name: z.string(),
  maxRunners: z.number().int().max(5),
  minRunners: z.number().int().min(0),
  labels: z.array(z.string()).min(1).optional(),
  mode: z.enum(["dind", "kubernetes"]).optional(),
  url: z.url().optional(),
  image: z
    .string()
    .refine((image) => !image.endsWith(":latest"), {
      message: "must be pinned",
      params: { accepted: "runner:2.328.0" },
    })
    .optional(),
});

/** Returns the problems for `input` under the `flywheel:` namespace. */
function problems(input: Record<string, unknown>) {
  const parsed = schema.safeParse(
    { name: "n", maxRunners: 1, minRunners: 0, ...input },
    { reportInput: true },
  );
  assert.ok(!parsed.success, "the schema accepted the input");
  return problemsFromZod("flywheel:", parsed.error);
}

describe("problemsFromZod", () => {
  it("reports a missing key as required", () => {
    assert.deepEqual(problems({ name: undefined }), [
      { key: "flywheel:name", rule: "is required", accepted: undefined },
    ]);
  });

  it("names the expected type", () => {
    assert.equal(problems({ maxRunners: "five" })[0].rule, "must be a number");
  });

  it("states a maximum with its accepted value", () => {
    assert.deepEqual(problems({ maxRunners: 9 }), [
      { key: "flywheel:maxRunners", rule: "must be at most 5", accepted: "5" },
    ]);
  });

  it("states a minimum", () => {
    assert.equal(problems({ minRunners: -1 })[0].rule, "must be at least 0");
  });

  it("counts the items of a too short array", () => {
    assert.equal(problems({ labels: [] })[0].rule, "must have at least 1 item");
  });

  it("lists the allowed values", () => {
    assert.deepEqual(problems({ mode: "docker" }), [
      { key: "flywheel:mode", rule: 'must be one of "dind", "kubernetes"', accepted: '"dind"' },
    ]);
  });

  it("names an invalid format", () => {
    assert.equal(problems({ url: "not a url" })[0].rule, "must be a valid url");
  });

  it("keeps a schema's own message and accepted value", () => {
    assert.deepEqual(problems({ image: "runner:latest" }), [
      { key: "flywheel:image", rule: "must be pinned", accepted: "runner:2.328.0" },
    ]);
  });

  it("reports each unknown key in full", () => {
    assert.deepEqual(problems({ colour: "blue" }), [
      { key: "flywheel:colour", rule: "is not a known key", accepted: "remove it or correct its spelling" },
    ]);
  });

  it("addresses array items by index", () => {
    assert.equal(problems({ labels: ["ok", 7] })[0].key, "flywheel:labels[1]");
  });

  it("reports a missing key without reportInput", () => {
    const parsed = schema.safeParse({ maxRunners: 1, minRunners: 0 });
    assert.ok(!parsed.success);
    assert.equal(problemsFromZod("flywheel:", parsed.error)[0].rule, "is required");
  });
});

describe("joinKey", () => {
  it("joins the first segment to a namespace without a dot", () => {
    assert.equal(joinKey("flywheel:", ["runners", "lanes"]), "flywheel:runners.lanes");
  });

  it("joins segments to a key with dots", () => {
    assert.equal(joinKey("flywheel:runners", ["lanes", "gh-nix"]), "flywheel:runners.lanes.gh-nix");
  });
});

describe("ConfigError", () => {
  const error = new ConfigError("runners-dev", [
    { key: "flywheel:a", rule: "is required" },
    { key: "flywheel:b", rule: "must be at most 5", accepted: "5" },
  ]);

  it("lists a problem without an accepted value", () => {
    assert.match(error.message, /\n {2}- flywheel:a: is required\n/);
  });

  it("lists a problem with its accepted value", () => {
    assert.match(error.message, /\n {2}- flywheel:b: must be at most 5 \(accepted: 5\)$/);
  });

  it("freezes its problems", () => {
    assert.ok(Object.isFrozen(error.problems));
  });

  it("keeps the stack trace in stack", () => {
    assert.match(String(error.stack), /^ConfigError: Invalid configuration/);
  });
});
