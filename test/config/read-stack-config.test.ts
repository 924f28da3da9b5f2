import * as assert from "node:assert/strict";
import { recordProgram } from "../../automation/render/recorder";
import { readStackFile } from "../../automation/render/stack-file";
import { readStackConfig } from "../../stacks/config";
import { REPO_ROOT } from "../render/project";

/** Runs `readStackConfig` inside the mock runtime and returns its family, or the error message. */
async function familyRead(secretKeys: (keys: string[]) => string[]): Promise<string> {
  const file = readStackFile("runners-dev", REPO_ROOT);
  const result = await recordProgram(
    async () => {
      try {
        return { family: readStackConfig("runners-dev").family };
      } catch (err) {
        return { family: (err as Error).message };
      }
    },
    { stack: "runners-dev", config: file.config, secretKeys: secretKeys(file.secretKeys) },
  );
  return String(result.outputs["family"]);
}

describe("readStackConfig", () => {
  it("parses the runtime's configuration", async () => {
    assert.equal(await familyRead((keys) => keys), "runners");
  });

  it("accepts secret keys in the project:config:key form", async () => {
    const legacy = (keys: string[]) => keys.map((key) => key.replace(":", ":config:"));
    assert.equal(await familyRead(legacy), "runners");
  });

  it("rejects secrets the runtime does not mark secret", async () => {
    assert.match(await familyRead(() => []), /must be set as a secret/);
  });
});
