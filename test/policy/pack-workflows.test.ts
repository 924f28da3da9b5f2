import * as assert from "node:assert/strict";

import { type Diagnostic, PolicyPackProcess, urnOf } from "./helpers/analyzer";
import {
  lane,
  lineContaining,
  mutate,
  readWorkflow,
  scaleSetRelease,
  runnerFleet,
  stackReference,
  UNKNOWN,
  workflowFile,
} from "./helpers/resources";

function fromPolicy(diagnostics: Diagnostic[], policyName: string): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.policyName === policyName);
}

/** The fleet fixture with its second job moved to a GitHub-hosted runner. */
function hostedWorkflowText(): string {
  return readWorkflow("fleet.yml").replace("runs-on: tinyland-docker", "runs-on: ubuntu-latest");
}

/** Builds a stack whose release serves tinyland-nix and whose runners stack lane serves tinyland-docker. */
function servedStack(dockerLane = lane("tinyland-docker")): ReturnType<typeof workflowFile>[] {
  return [workflowFile(), scaleSetRelease("gh-nix", "tinyland-nix", 5), stackReference([dockerLane])];
}

describe("policy pack: workflow policies", function () {
  let pack: PolicyPackProcess | undefined;

  before(async function () {
    this.timeout(180_000);
    pack = await PolicyPackProcess.start();
  });

  after(async function () {
    await pack?.stop();
  });

  beforeEach(async function () {
    await running().configure({});
  });

  function running(): PolicyPackProcess {
    if (!pack) {
      throw new Error("The policy pack did not start; see the before hook's error.");
    }
    return pack;
  }

  describe("no-hosted-runner", function () {
    it("passes a workflow on fleet labels", async function () {
      assert.deepEqual(await running().analyze(workflowFile()), []);
    });

    it("rejects one job on ubuntu-latest", async function () {
      const found = fromPolicy(
        await running().analyze(workflowFile(hostedWorkflowText())),
        "no-hosted-runner",
      );
      assert.equal(found.length, 1);
    });

    it("locates the job by file and line", async function () {
      const text = hostedWorkflowText();
      const line = lineContaining(text, "runs-on: ubuntu-latest");
      const found = fromPolicy(await running().analyze(workflowFile(text)), "no-hosted-runner");
      assert.match(
        found[0]?.message ?? "",
        new RegExp(`\\n\\.github/workflows/validate\\.yml:${line}: job image: `),
      );
    });

    it("names the hosted label in the reason", async function () {
      const found = fromPolicy(
        await running().analyze(workflowFile(hostedWorkflowText())),
        "no-hosted-runner",
      );
      assert.match(found[0]?.message ?? "", /must run only on fleet runners: .*ubuntu-latest/);
    });

    it("accepts a label listed in the configuration", async function () {
      await running().configure({ "no-hosted-runner": { properties: { labels: ["gpu-large"] } } });
      const text = readWorkflow("fleet.yml").replace("runs-on: tinyland-docker", "runs-on: gpu-large");
      assert.deepEqual(await running().analyze(workflowFile(text)), []);
    });

    it("rejects that label without the configuration", async function () {
      const text = readWorkflow("fleet.yml").replace("runs-on: tinyland-docker", "runs-on: gpu-large");
      assert.equal(fromPolicy(await running().analyze(workflowFile(text)), "no-hosted-runner").length, 1);
    });

    it("replaces the default prefix with a configured one", async function () {
      await running().configure({ "no-hosted-runner": { properties: { labelPrefixes: ["acme-"] } } });
      const found = fromPolicy(await running().analyze(workflowFile()), "no-hosted-runner");
      assert.equal(found.length, 2);
    });

    it("rejects a hosted label in the configuration", async function () {
      await running().configure({ "no-hosted-runner": { properties: { labels: ["ubuntu-gpu"] } } });
      await assert.rejects(
        running().analyze(workflowFile()),
        /labels\.0: "ubuntu-gpu" must not be a fleet label/,
      );
    });

    it("rejects a configuration with no fleet", async function () {
      await running().configure({ "no-hosted-runner": { properties: { labels: [], labelPrefixes: [] } } });
      await assert.rejects(
        running().analyze(workflowFile()),
        /labels and labelPrefixes must not both be empty/,
      );
    });

    it("rejects a file that is not valid YAML", async function () {
      const found = fromPolicy(
        await running().analyze(workflowFile("jobs:\n  build: [unclosed\n")),
        "no-hosted-runner",
      );
      assert.match(
        found[0]?.message ?? "",
        /\.github\/workflows\/validate\.yml(:\d+)?: workflow: must be a valid workflow/,
      );
    });

    it("ignores files outside .github/workflows", async function () {
      const readme = workflowFile(hostedWorkflowText(), "docs/example.yml");
      assert.deepEqual(await running().analyze(readme), []);
    });

    it("reports advisory when configured advisory", async function () {
      await running().configure({ "no-hosted-runner": { enforcementLevel: "advisory" } });
      const found = fromPolicy(
        await running().analyze(workflowFile(hostedWorkflowText())),
        "no-hosted-runner",
      );
      assert.equal(found[0]?.enforcementLevel, "advisory");
    });
  });

  describe("no-hosted-runner at preview", function () {
    beforeEach(async function () {
      await running().configureStack("github-dev", true);
    });

    it("keeps unknown content mandatory", async function () {
      const found = fromPolicy(await running().analyze(workflowFile(UNKNOWN)), "no-hosted-runner");
      assert.deepEqual(
        found.map((diagnostic) => diagnostic.enforcementLevel),
        ["mandatory"],
      );
    });

    it("says unknown content could not be verified", async function () {
      const found = fromPolicy(await running().analyze(workflowFile(UNKNOWN)), "no-hosted-runner");
      assert.match(
        found[0]?.message ?? "",
        /\.github\/workflows\/validate\.yml: workflow: .*could not be verified at preview/,
      );
    });

    it("keeps unknown content advisory when configured advisory", async function () {
      await running().configure({ "no-hosted-runner": { enforcementLevel: "advisory" } });
      const found = fromPolicy(await running().analyze(workflowFile(UNKNOWN)), "no-hosted-runner");
      assert.equal(found[0]?.enforcementLevel, "advisory");
    });

    it("rejects a file path unknown at preview", async function () {
      const unknownPath = mutate(workflowFile(), (properties) => {
        properties.file = UNKNOWN;
      });
      const found = fromPolicy(await running().analyze(unknownPath), "no-hosted-runner");
      assert.equal(found[0]?.enforcementLevel, "mandatory");
    });
  });

  describe("fleet-label-served", function () {
    it("passes labels served by a release and a lane", async function () {
      assert.deepEqual(await running().analyzeStack(servedStack()), []);
    });

    it("rejects a lane with maxRunners 0", async function () {
      const found = fromPolicy(
        await running().analyzeStack(servedStack(lane("tinyland-docker", 0))),
        "fleet-label-served",
      );
      assert.match(found[0]?.message ?? "", /label "tinyland-docker" must be served .* has maxRunners 0/);
    });

    it("rejects a disabled lane", async function () {
      const found = fromPolicy(
        await running().analyzeStack(servedStack(lane("tinyland-docker", 5, false))),
        "fleet-label-served",
      );
      assert.match(found[0]?.message ?? "", /lane of stack runners-dev is disabled/);
    });

    it("rejects a release with maxRunners 0", async function () {
      const stack = [
        workflowFile(),
        scaleSetRelease("gh-nix", "tinyland-nix", 0),
        stackReference([lane("tinyland-docker")]),
      ];
      const found = fromPolicy(await running().analyzeStack(stack), "fleet-label-served");
      assert.match(
        found[0]?.message ?? "",
        /label "tinyland-nix" must be served .*Helm release gh-nix has maxRunners 0/,
      );
    });

    it("accepts lanes recorded by the runner fleet component", async function () {
      const stack = [
        workflowFile(),
        scaleSetRelease("gh-nix", "tinyland-nix", 5),
        runnerFleet([lane("tinyland-docker")]),
      ];
      const found = fromPolicy(await running().analyzeStack(stack), "fleet-label-served");
      assert.equal(found.length, 0);
    });

    it("rejects a runner fleet lane with maxRunners 0", async function () {
      const stack = [
        workflowFile(),
        scaleSetRelease("gh-nix", "tinyland-nix", 5),
        runnerFleet([lane("tinyland-docker", 0)]),
      ];
      const found = fromPolicy(await running().analyzeStack(stack), "fleet-label-served");
      assert.match(
        found[0]?.message ?? "",
        /label "tinyland-docker" must be served .*lane of stack runners-dev/,
      );
    });

    it("rejects a label no scale set serves", async function () {
      const stack = [workflowFile(), scaleSetRelease("gh-nix", "tinyland-nix", 5)];
      const found = fromPolicy(await running().analyzeStack(stack), "fleet-label-served");
      assert.equal(found.length, 1);
    });

    it("locates the unserved label by file and line", async function () {
      const stack = [workflowFile(), scaleSetRelease("gh-nix", "tinyland-nix", 5)];
      const line = lineContaining(readWorkflow("fleet.yml"), "runs-on: tinyland-docker");
      const found = fromPolicy(await running().analyzeStack(stack), "fleet-label-served");
      assert.match(
        found[0]?.message ?? "",
        new RegExp(`\\n\\.github/workflows/validate\\.yml:${line}: job image: `),
      );
    });

    it("attaches the violation to the workflow resource", async function () {
      const stack = [workflowFile(), scaleSetRelease("gh-nix", "tinyland-nix", 5)];
      const expected = urnOf(workflowFile().type, workflowFile().name);
      const found = fromPolicy(await running().analyzeStack(stack), "fleet-label-served");
      assert.equal(found[0]?.urn, expected);
    });

    it("rejects content unknown at preview as mandatory", async function () {
      const stack = [workflowFile(UNKNOWN), ...servedStack().slice(1)];
      const found = fromPolicy(await running().analyzeStack(stack), "fleet-label-served");
      assert.equal(found[0]?.enforcementLevel, "mandatory");
    });

    it("counts a hosted-named scale set without failing", async function () {
      const stack = [...servedStack(), scaleSetRelease("gh-hosted", "ubuntu-latest", 3)];
      assert.deepEqual(await running().analyzeStack(stack), []);
    });

    it("reports nothing when configured disabled", async function () {
      await running().configure({ "fleet-label-served": { enforcementLevel: "disabled" } });
      const stack = [workflowFile(), scaleSetRelease("gh-nix", "tinyland-nix", 5)];
      assert.deepEqual(await running().analyzeStack(stack), []);
    });
  });
});
