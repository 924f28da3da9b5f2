import * as assert from "node:assert/strict";
import * as path from "node:path";

import { renderStackChain, type RenderResult } from "../../automation/render/render";
import { type AnalyzedResource, type Diagnostic, PolicyPackProcess } from "./helpers/analyzer";
import { mutate } from "./helpers/resources";

const PROJECT_DIRECTORY = path.resolve(__dirname, "..", "..");

/**
 * Turns a rendered stack into what the engine would send the analyzer: resources without the
 * program's own components, and each StackReference with the referenced stack's outputs.
 */
function analyzerResources(
  stack: RenderResult,
  outputsByStack: Map<string, Record<string, unknown>>,
): AnalyzedResource[] {
  return stack.resources
    .filter((resource) => !resource.type.startsWith("flywheel:"))
    .map((resource) => {
      if (resource.type !== "pulumi:pulumi:StackReference") {
        return { type: resource.type, name: resource.name, properties: resource.inputs };
      }
      const outputs = outputsByStack.get(String(resource.inputs.name)) ?? {};
      return { type: resource.type, name: resource.name, properties: { ...resource.inputs, outputs } };
    });
}

describe("policy pack: example stacks", function () {
  let pack: PolicyPackProcess | undefined;
  let rendered: RenderResult[] = [];

  before(async function () {
    this.timeout(240_000);
    rendered = await renderStackChain("github-dev", { projectDir: PROJECT_DIRECTORY });
    pack = await PolicyPackProcess.start();
  });

  after(async function () {
    await pack?.stop();
  });

  function running(): PolicyPackProcess {
    if (!pack) {
      throw new Error("The policy pack did not start; see the before hook's error.");
    }
    return pack;
  }

  function stackNamed(name: string): RenderResult {
    const stack = rendered.find((result) => result.stack === name);
    if (!stack) {
      throw new Error(`Rendering github-dev did not produce stack ${name}.`);
    }
    return stack;
  }

  function outputsByStack(): Map<string, Record<string, unknown>> {
    return new Map(rendered.map((result) => [result.stack, result.outputs]));
  }

  async function analyzeEach(resources: readonly AnalyzedResource[]): Promise<Diagnostic[]> {
    const diagnostics: Diagnostic[] = [];
    for (const resource of resources) {
      diagnostics.push(...(await running().analyze(resource)));
    }
    return diagnostics;
  }

  for (const stackName of ["caches-dev", "runners-dev", "github-dev"]) {
    it(`passes every resource of ${stackName}`, async function () {
      const resources = analyzerResources(stackNamed(stackName), outputsByStack());
      const messages = (await analyzeEach(resources)).map((diagnostic) => diagnostic.message);
      assert.deepEqual(messages, []);
    });

    it(`passes the stack policy on ${stackName}`, async function () {
      const resources = analyzerResources(stackNamed(stackName), outputsByStack());
      const messages = (await running().analyzeStack(resources)).map((diagnostic) => diagnostic.message);
      assert.deepEqual(messages, []);
    });
  }

  it("rejects github-dev when its nix lane has no runners", async function () {
    const outputs = outputsByStack();
    const runners = structuredClone(outputs.get("runners-dev") ?? {});
    for (const lane of runners.lanes as { label: string; maxRunners: number }[]) {
      if (lane.label === "tinyland-nix") {
        lane.maxRunners = 0;
      }
    }
    outputs.set("runners-dev", runners);
    const diagnostics = await running().analyzeStack(analyzerResources(stackNamed("github-dev"), outputs));
    const policies = new Set(diagnostics.map((diagnostic) => diagnostic.policyName));
    assert.deepEqual([...policies], ["fleet-label-served"]);
  });

  it("rejects a github-dev workflow moved to ubuntu-latest", async function () {
    const resources = analyzerResources(stackNamed("github-dev"), outputsByStack());
    const workflow = resources.find(
      (resource) => resource.type === "github:index/repositoryFile:RepositoryFile",
    );
    assert.ok(workflow, "github-dev renders no workflow file");
    const hosted = mutate(workflow, (properties) => {
      properties.content = String(properties.content).replace(
        /runs-on: tinyland-[a-z]+/,
        "runs-on: ubuntu-latest",
      );
    });
    const diagnostics = await running().analyze(hosted);
    assert.equal(diagnostics[0]?.policyName, "no-hosted-runner");
  });
});
