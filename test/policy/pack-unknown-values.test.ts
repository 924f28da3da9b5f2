import * as assert from "node:assert/strict";
import * as path from "node:path";

import { PolicyPackProcess } from "./helpers/analyzer";
import { UNKNOWN, workflowFile } from "./helpers/resources";

/** A pack whose policy reads `content` directly, the way the policy SDK's examples do. */
const DIRECT_READ_PACK = path.resolve(__dirname, "..", "fixtures", "policy", "direct-read-pack");

describe("policy pack: content unknown at preview", function () {
  let flywheel: PolicyPackProcess | undefined;
  let directRead: PolicyPackProcess | undefined;

  before(async function () {
    this.timeout(240_000);
    flywheel = await PolicyPackProcess.start();
    directRead = await PolicyPackProcess.start(DIRECT_READ_PACK);
  });

  after(async function () {
    await flywheel?.stop();
    await directRead?.stop();
  });

  function started(pack: PolicyPackProcess | undefined): PolicyPackProcess {
    if (!pack) {
      throw new Error("A policy pack did not start; see the before hook's error.");
    }
    return pack;
  }

  it("downgrades a direct read to advisory", async function () {
    const diagnostics = await started(directRead).analyze(workflowFile(UNKNOWN));
    assert.deepEqual(
      diagnostics.map((diagnostic) => diagnostic.enforcementLevel),
      ["advisory"],
    );
  });

  it("names the skipped direct read", async function () {
    const diagnostics = await started(directRead).analyze(workflowFile(UNKNOWN));
    assert.match(diagnostics[0]?.message ?? "", /can't run policy 'content-not-empty' .* during preview/);
  });

  it("keeps no-hosted-runner mandatory", async function () {
    const diagnostics = await started(flywheel).analyze(workflowFile(UNKNOWN));
    assert.deepEqual(
      diagnostics.map((diagnostic) => diagnostic.enforcementLevel),
      ["mandatory"],
    );
  });

  it("reports no preview-skip diagnostic from flywheel", async function () {
    const diagnostics = await started(flywheel).analyze(workflowFile(UNKNOWN));
    const skipped = diagnostics.filter((diagnostic) => /can't run policy/.test(diagnostic.message));
    assert.deepEqual(skipped, []);
  });
});
