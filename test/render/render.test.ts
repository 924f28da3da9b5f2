import * as assert from "node:assert/strict";
import { ConfigError } from "../../config/errors";
import { StackNotFoundError, StackReferenceError } from "../../automation/render/errors";
import { renderStack, renderStackChain, RenderResult } from "../../automation/render/render";
import { readStackFile } from "../../automation/render/stack-file";
import { EXAMPLE_STACKS, exampleConfig, makeProject, removeProject, REPO_ROOT } from "./project";

/** Outputs each family exports; other stacks and the CI driver read them by these names. */
const EXPECTED_OUTPUTS: Record<(typeof EXAMPLE_STACKS)[number], string[]> = {
  "caches-dev": [
    "bazelCacheEndpoint",
    "bazelCacheHttpEndpoint",
    "atticEndpoint",
    "atticCacheName",
    "namespaces",
  ],
  "runners-dev": ["lanes", "labels", "controllerNamespace", "runnerNamespace", "cacheEndpoints"],
  "github-dev": ["workflows", "runnerGroups", "variables"],
};

/** The values a render must never show: what the stack files hold encrypted, as render reads them. */
function secretValues(stack: string): string[] {
  const file = readStackFile(stack, REPO_ROOT);
  return file.secretKeys.map((key) => file.config[key]);
}

describe("renderStack", () => {
  const rendered = new Map<string, RenderResult>();
  const warnings: string[] = [];

  before(async () => {
    // One chain renders all three example stacks, referenced stacks first.
    const chain = await renderStackChain("github-dev", {
      projectDir: REPO_ROOT,
      onWarning: (message) => warnings.push(message),
    });
    for (const result of chain) {
      rendered.set(result.stack, result);
    }
  });

  it("renders a chain in reference order", () => {
    assert.deepEqual([...rendered.keys()], ["caches-dev", "runners-dev", "github-dev"]);
  });

  it("keeps example secrets wrapped", () => {
    assert.deepEqual(warnings, []);
  });

  for (const stack of EXAMPLE_STACKS) {
    describe(stack, () => {
      const result = () => {
        const value = rendered.get(stack);
        assert.ok(value, `${stack} was not rendered`);
        return value;
      };

      it("has exactly three keys", () => {
        assert.deepEqual(Object.keys(result()).sort(), ["outputs", "resources", "stack"]);
      });

      it("names the stack", () => {
        assert.equal(result().stack, stack);
      });

      it("registers resources", () => {
        assert.ok(result().resources.length > 0);
      });

      it("gives resources exactly four keys", () => {
        for (const resource of result().resources) {
          assert.deepEqual(Object.keys(resource).sort(), ["inputs", "name", "parent", "type"], resource.name);
        }
      });

      it("gives each resource a type token", () => {
        for (const resource of result().resources) {
          assert.match(resource.type, /^[a-z0-9-]+:[A-Za-z0-9./-]*:[A-Za-z0-9]+$/, resource.name);
        }
      });

      it("gives each resource a name", () => {
        for (const resource of result().resources) {
          assert.ok(resource.name.length > 0, resource.type);
        }
      });

      it("gives each resource an inputs object", () => {
        for (const resource of result().resources) {
          assert.equal(typeof resource.inputs, "object", resource.name);
        }
      });

      it("names no resource twice within a type", () => {
        const keys = result().resources.map((r) => `${r.type}::${r.name}`);
        assert.deepEqual(
          keys.filter((key, index) => keys.indexOf(key) !== index),
          [],
        );
      });

      it("parents resources to rendered components", () => {
        const components = new Set(
          result()
            .resources.filter((r) => r.type.startsWith("flywheel:"))
            .map((r) => r.name),
        );
        for (const resource of result().resources) {
          if (resource.parent !== null) {
            assert.ok(components.has(resource.parent), `${resource.name} has parent ${resource.parent}`);
          }
        }
      });

      it("exports the family's outputs", () => {
        for (const name of EXPECTED_OUTPUTS[stack]) {
          assert.ok(name in result().outputs, `output ${name} is missing`);
        }
      });

      // Only a stack whose file contains encrypted values has something to leak.
      if (secretValues(stack).length > 0) {
        it("shows no secret value in the JSON", () => {
          const json = JSON.stringify(result());
          for (const value of secretValues(stack)) {
            assert.ok(!json.includes(value), "a secret configuration value appears in the render");
          }
        });
      }

      it("shows no placeholder in the JSON", () => {
        assert.ok(!JSON.stringify(result()).includes("placeholder-for-"));
      });
    });
  }

  const kubernetesSecrets = () =>
    [...rendered.values()].flatMap((r) => r.resources).filter((r) => r.type === "kubernetes:core/v1:Secret");

  it("renders Kubernetes Secrets", () => {
    assert.ok(kubernetesSecrets().length > 0);
  });

  it("shows every Kubernetes Secret's data as [secret]", () => {
    for (const secret of kubernetesSecrets()) {
      for (const field of ["data", "stringData"]) {
        if (field in secret.inputs) {
          assert.equal(secret.inputs[field], "[secret]", `${secret.name} ${field}`);
        }
      }
    }
  });

  it("gives every Kubernetes Secret data or stringData", () => {
    for (const secret of kubernetesSecrets()) {
      assert.ok("data" in secret.inputs || "stringData" in secret.inputs, secret.name);
    }
  });

  it("has Kubernetes Secrets in the runners stack", () => {
    const secrets = rendered
      .get("runners-dev")
      ?.resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
    assert.ok((secrets ?? []).length > 0);
  });

  it("passes cache endpoints from caches to runners", () => {
    const caches = rendered.get("caches-dev")?.outputs ?? {};
    const endpoints = (rendered.get("runners-dev")?.outputs["cacheEndpoints"] ?? {}) as Record<
      string,
      unknown
    >;
    // The runners stack's `cacheEndpoints` field, and the caches output it passes through.
    const passedThrough: Record<string, string> = {
      bazel: "bazelCacheEndpoint",
      atticServer: "atticEndpoint",
      atticCache: "atticCacheName",
    };
    for (const [field, output] of Object.entries(passedThrough)) {
      assert.equal(typeof caches[output], "string", `caches output ${output}`);
      assert.equal(endpoints[field], caches[output], `cacheEndpoints.${field}`);
    }
  });

  it("references the caches stack by name", () => {
    const reference = rendered
      .get("runners-dev")
      ?.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
    assert.equal(reference?.inputs["name"], "caches-dev");
  });

  it("renders the same stack as its chain's last link", async () => {
    const single = await renderStack("runners-dev", { projectDir: REPO_ROOT });
    assert.deepEqual(single, rendered.get("runners-dev"));
  });
});

describe("renderStackChain errors", () => {
  const dirs: string[] = [];
  const project = (stacks: Record<string, Record<string, unknown>>) => {
    const dir = makeProject(stacks);
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach(removeProject));

  it("rejects a stack that references itself", async () => {
    const dir = project({
      "runners-dev": { ...exampleConfig("runners-dev"), "flywheel:cachesStack": "runners-dev" },
    });
    await assert.rejects(renderStackChain("runners-dev", { projectDir: dir }), (err: unknown) => {
      assert.ok(err instanceof StackReferenceError);
      assert.deepEqual(err.path, ["runners-dev", "runners-dev"]);
      return true;
    });
  });

  it("rejects a cycle through two stacks", async () => {
    const dir = project({
      "github-dev": { ...exampleConfig("github-dev"), "flywheel:runnersStack": "runners-dev" },
      "runners-dev": { ...exampleConfig("runners-dev"), "flywheel:cachesStack": "github-dev" },
    });
    await assert.rejects(renderStackChain("github-dev", { projectDir: dir }), (err: unknown) => {
      assert.ok(err instanceof StackReferenceError);
      assert.match(err.message, /cycle: github-dev -> runners-dev -> github-dev/);
      return true;
    });
  });

  it("rejects a reference to a stack of the wrong family", async () => {
    const dir = project({
      "runners-dev": { ...exampleConfig("runners-dev"), "flywheel:cachesStack": "other-dev" },
      "other-dev": exampleConfig("github-dev"),
      "runners-other": exampleConfig("runners-dev"),
    });
    await assert.rejects(renderStackChain("runners-dev", { projectDir: dir }), (err: unknown) => {
      assert.ok(err instanceof StackReferenceError);
      assert.match(err.message, /must name a caches stack/);
      return true;
    });
  });

  it("names the key of a missing referenced stack", async () => {
    const dir = project({
      "runners-dev": { ...exampleConfig("runners-dev"), "flywheel:cachesStack": "caches-qa" },
    });
    await assert.rejects(renderStackChain("runners-dev", { projectDir: dir }), (err: unknown) => {
      assert.ok(err instanceof StackNotFoundError);
      assert.match(err.message, /references stack "caches-qa" through flywheel:cachesStack/);
      return true;
    });
  });

  it("lists the available stacks for a missing one", async () => {
    const dir = project({ "runners-dev": exampleConfig("runners-dev") });
    await assert.rejects(renderStackChain("runners-dev", { projectDir: dir }), (err: unknown) => {
      assert.ok(err instanceof StackNotFoundError);
      assert.deepEqual(err.available, ["runners-dev"]);
      return true;
    });
  });

  it("follows the default reference of the environment", async () => {
    const dir = project({
      "caches-qa": exampleConfig("caches-dev"),
      "runners-qa": exampleConfig("runners-dev"),
    });
    const chain = await renderStackChain("runners-qa", { projectDir: dir });
    assert.deepEqual(
      chain.map((r) => r.stack),
      ["caches-qa", "runners-qa"],
    );
  });

  it("follows a fully qualified reference", async () => {
    const dir = project({
      "caches-dev": exampleConfig("caches-dev"),
      "runners-dev": {
        ...exampleConfig("runners-dev"),
        "flywheel:cachesStack": "tinyland-example/flywheel/caches-dev",
      },
    });
    const chain = await renderStackChain("runners-dev", { projectDir: dir });
    assert.deepEqual(
      chain.map((r) => r.stack),
      ["caches-dev", "runners-dev"],
    );
  });

  it("rejects a reference that is not a stack name", async () => {
    const dir = project({
      "runners-dev": { ...exampleConfig("runners-dev"), "flywheel:cachesStack": "caches dev" },
    });
    await assert.rejects(renderStackChain("runners-dev", { projectDir: dir }), (err: unknown) => {
      assert.ok(err instanceof StackNotFoundError);
      assert.match(err.message, /flywheel:cachesStack of stack "runners-dev" must contain only letters/);
      return true;
    });
  });

  it("rejects invalid configuration of a referenced stack", async () => {
    const dir = project({
      "caches-dev": { ...exampleConfig("caches-dev"), "flywheel:unknownKey": "x" },
      "runners-dev": exampleConfig("runners-dev"),
    });
    await assert.rejects(renderStackChain("runners-dev", { projectDir: dir }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.stackName, "caches-dev");
      return true;
    });
  });
});
