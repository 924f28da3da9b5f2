import * as assert from "node:assert/strict";
import * as util from "node:util";
import { Secret } from "../../config/secret";

const VALUE = "ghp_example-token-value";

describe("Secret", () => {
  it("reveals the value it wraps", () => {
    assert.equal(new Secret(VALUE).reveal(), VALUE);
  });

  it("prints as [secret] through String()", () => {
    assert.equal(String(new Secret(VALUE)), "[secret]");
  });

  it("prints as [secret] in a template literal", () => {
    assert.equal(`${new Secret(VALUE)}`, "[secret]");
  });

  it("prints as [secret] through string concatenation", () => {
    assert.equal("token: " + new Secret(VALUE), "token: [secret]");
  });

  it("serializes as [secret] through JSON.stringify", () => {
    assert.equal(JSON.stringify({ token: new Secret(VALUE) }), '{"token":"[secret]"}');
  });

  it("prints as [secret] through util.inspect", () => {
    assert.equal(util.inspect(new Secret(VALUE)), "[secret]");
  });

  it("hides the value inside an inspected object", () => {
    const text = util.inspect({ nested: { token: new Secret(VALUE) } }, { depth: 10 });
    assert.ok(!text.includes(VALUE), text);
  });

  it("hides the value from inspect without custom inspection", () => {
    const text = util.inspect(new Secret(VALUE), { customInspect: false, showHidden: true, depth: 10 });
    assert.ok(!text.includes(VALUE), text);
  });

  it("hides the value from util.format", () => {
    const text = util.format(
      "%s %o %O %j",
      new Secret(VALUE),
      new Secret(VALUE),
      new Secret(VALUE),
      new Secret(VALUE),
    );
    assert.ok(!text.includes(VALUE), text);
  });

  it("has no enumerable property holding the value", () => {
    assert.deepEqual(Object.keys(new Secret(VALUE)), []);
  });
});
