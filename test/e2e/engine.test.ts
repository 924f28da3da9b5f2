/**
 * The pieces under the driver, checked with the real CLI through the Automation API: the analyzer
 * launcher runs a TypeScript policy pack inside the engine's preview, and the stand-in providers
 * store, refresh and update objects.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  LocalWorkspace,
  PulumiCommand,
  type EngineEvent,
  type PolicyEvent,
  type Stack,
} from "@pulumi/pulumi/automation";
import { findToolchain, REPO_ROOT, Sandbox } from "./harness";

const FIXTURE_PACK = path.join(REPO_ROOT, "test", "fixtures", "e2e", "policy-pack");

/** Builds a program with one ConfigMap whose `data.runsOn` comes from `runsOn`. */
function configMapProgram(runsOn: () => string): () => Promise<Record<string, unknown>> {
  return async () => {
    const configMap = new k8s.core.v1.ConfigMap("lanes", {
      metadata: { namespace: "arc-runners" },
      data: { runsOn: runsOn() },
    });
    return {
      name: configMap.metadata.name,
      runsOn: pulumi.output(configMap.data).apply((data) => data?.runsOn),
    };
  };
}

describe("engine with stand-in providers", function () {
  let sandbox: Sandbox;
  let stack: Stack;
  let runsOn = "tinyland-nix";

  before(async function () {
    const toolchain = findToolchain();
    if (typeof toolchain === "string") {
      process.stderr.write(`Skipping the end-to-end tests: ${toolchain}.\n`);
      this.skip();
    }
    sandbox = Sandbox.create(toolchain, "engine");
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(toolchain.pulumi)) });
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "engine-dev", projectName: "flywheel", program: configMapProgram(() => runsOn) },
      { pulumiCommand, workDir: sandbox.repo, envVars: sandbox.env() },
    );
  });

  after(function () {
    sandbox?.dispose();
  });

  it("stand-in stores created object", async function () {
    const result = await stack.up();
    assert.equal(result.summary.result, "succeeded");
    const objects = sandbox.objects("kubernetes");
    assert.equal(objects.length, 1);
    assert.equal(objects[0].object.type, "kubernetes:core/v1:ConfigMap");
    assert.deepEqual(objects[0].object.properties.data, { runsOn: "tinyland-nix" });
    assert.equal(result.outputs.name.value, (objects[0].object.properties.metadata as { name: string }).name);
  });

  it("second update changes nothing", async function () {
    const result = await stack.preview();
    assert.equal(result.changeSummary.same, 2);
    assert.equal(result.changeSummary.update, undefined);
  });

  it("refresh finds an edited object", async function () {
    const [{ file, object }] = sandbox.objects("kubernetes");
    fs.writeFileSync(
      file,
      JSON.stringify({ ...object, properties: { ...object.properties, data: { runsOn: "edited" } } }),
    );
    const result = await stack.refresh();
    assert.equal(result.summary.resourceChanges?.update, 1);
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources: { type: string; outputs?: { data?: unknown } }[] })
      .resources;
    const configMap = resources.find((resource) => resource.type === "kubernetes:core/v1:ConfigMap");
    assert.deepEqual(configMap?.outputs?.data, { runsOn: "edited" });
  });

  it("update restores the edited object", async function () {
    const result = await stack.up();
    assert.equal(result.summary.resourceChanges?.update, 1);
    const [{ object }] = sandbox.objects("kubernetes");
    assert.deepEqual(object.properties.data, { runsOn: "tinyland-nix" });
  });

  it("TypeScript pack blocks a mandatory violation", async function () {
    runsOn = "ubuntu-latest";
    const events: EngineEvent[] = [];
    await assert.rejects(
      stack.preview({ policyPacks: [FIXTURE_PACK], onEvent: (event) => events.push(event) }),
      /preview failed|exit code 1/,
    );
    const policyEvents = events
      .map((event) => event.policyEvent)
      .filter((event): event is PolicyEvent => !!event);
    assert.equal(policyEvents.length, 1);
    assert.equal(policyEvents[0].policyName, "fixture-no-hosted-label");
    assert.equal(policyEvents[0].enforcementLevel, "mandatory");
    assert.match(policyEvents[0].message, /hosted label "ubuntu-latest"/);
  });

  it("type-checked pack blocks the violation", async function () {
    runsOn = "macos-14";
    const workspace = stack.workspace as LocalWorkspace;
    workspace.envVars.FLYWHEEL_POLICY_TYPECHECK = "true";
    const events: EngineEvent[] = [];
    try {
      await assert.rejects(
        stack.preview({ policyPacks: [FIXTURE_PACK], onEvent: (event) => events.push(event) }),
      );
    } finally {
      delete workspace.envVars.FLYWHEEL_POLICY_TYPECHECK;
    }
    const policyEvents = events
      .map((event) => event.policyEvent)
      .filter((event): event is PolicyEvent => !!event);
    assert.equal(policyEvents.length, 1);
    assert.match(policyEvents[0].message, /hosted label "macos-14"/);
  });

  it("TypeScript pack passes a fleet label", async function () {
    runsOn = "tinyland-docker";
    const events: EngineEvent[] = [];
    const result = await stack.preview({
      policyPacks: [FIXTURE_PACK],
      onEvent: (event) => events.push(event),
    });
    assert.equal(result.changeSummary.update, 1);
    assert.equal(events.filter((event) => event.policyEvent).length, 0);
  });
});
