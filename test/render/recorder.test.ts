import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { recordProgram, RecordResult } from "../../automation/render/recorder";

const SECRET_KEY = "flywheel:githubAppPrivateKey";
const SECRET_VALUE = "example-private-key-value";

/** A component with one child, named the way the program's components name theirs. */
class Pair extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:test:Pair", name, {}, opts);
    new k8s.core.v1.ConfigMap(`${name}-settings`, { data: { mode: "plain" } }, { parent: this });
    this.registerOutputs({});
  }
}

function find(result: RecordResult, name: string) {
  const resource = result.resources.find((r) => r.name === name);
  assert.ok(resource, `resource ${name} was not recorded`);
  return resource;
}

function record(
  program: () => Promise<Record<string, unknown>>,
  stackReferences = {},
): Promise<RecordResult> {
  return recordProgram(program, {
    stack: "recorder-test",
    config: { [SECRET_KEY]: SECRET_VALUE, "flywheel:family": "runners" },
    secretKeys: [SECRET_KEY],
    stackReferences,
  });
}

describe("recordProgram", () => {
  it("records the parent of a nested component", async () => {
    const result = await record(async () => {
      const outer = new Pair("outer");
      new Pair("inner", { parent: outer });
      return {};
    });
    assert.equal(find(result, "inner").parent, "outer");
  });

  it("records null as the parent of a top-level resource", async () => {
    const result = await record(async () => {
      new Pair("outer");
      return {};
    });
    assert.equal(find(result, "outer").parent, null);
  });

  it("records a child under its component", async () => {
    const result = await record(async () => {
      new Pair("outer");
      return {};
    });
    assert.equal(find(result, "outer-settings").parent, "outer");
  });

  it("leaves the stack resource out", async () => {
    const result = await record(async () => ({}));
    assert.deepEqual(
      result.resources.filter((r) => r.type === "pulumi:pulumi:Stack"),
      [],
    );
  });

  it("redacts a Kubernetes Secret's stringData", async () => {
    const result = await record(async () => {
      const key = new pulumi.Config("flywheel").requireSecret("githubAppPrivateKey");
      new k8s.core.v1.Secret("credentials", { stringData: { github_app_private_key: key } });
      return {};
    });
    assert.equal(find(result, "credentials").inputs["stringData"], "[secret]");
  });

  it("marks a generated password secret", async () => {
    const result = await record(async () => {
      const password = new random.RandomPassword("password", { length: 24 });
      return { password: password.result };
    });
    assert.equal(result.outputs["password"], "[secret]");
  });

  it("generates a password of the requested length", async () => {
    const result = await record(async () => {
      const password = new random.RandomPassword("password", { length: 24 });
      return { length: pulumi.unsecret(password.result).apply((value) => value.length) };
    });
    assert.equal(result.outputs["length"], 24);
  });

  it("replaces a clear-text configuration secret", async () => {
    const result = await record(async () => {
      new k8s.core.v1.ConfigMap("leaky", { data: { key: `prefix ${SECRET_VALUE}` } });
      return {};
    });
    assert.deepEqual(find(result, "leaky").inputs["data"], { key: "[secret]" });
  });

  it("reports a clear-text configuration secret", async () => {
    const result = await record(async () => {
      new k8s.core.v1.ConfigMap("leaky", { data: { key: SECRET_VALUE } });
      return {};
    });
    assert.deepEqual(result.plaintextSecrets, [{ resource: "leaky", path: "data.key" }]);
  });

  it("reports an unwrapped generated password", async () => {
    const result = await record(async () => {
      const password = new random.RandomPassword("password", { length: 24 });
      new k8s.core.v1.ConfigMap("leaky", { data: { password: pulumi.unsecret(password.result) } });
      return {};
    });
    assert.deepEqual(result.plaintextSecrets, [{ resource: "leaky", path: "data.password" }]);
  });

  it("reports nothing for wrapped secrets", async () => {
    const result = await record(async () => {
      const key = new pulumi.Config("flywheel").requireSecret("githubAppPrivateKey");
      new k8s.core.v1.Secret("credentials", { stringData: { key } });
      new Pair("outer");
      return {};
    });
    assert.deepEqual(result.plaintextSecrets, []);
  });

  it("feeds outputs through a StackReference", async () => {
    const result = await record(
      async () => {
        const caches = new pulumi.StackReference("caches-dev");
        return { endpoint: caches.requireOutput("atticEndpoint") };
      },
      { "caches-dev": { atticEndpoint: "http://attic.nix-cache.svc.cluster.local" } },
    );
    assert.equal(result.outputs["endpoint"], "http://attic.nix-cache.svc.cluster.local");
  });

  it("resolves a fully qualified StackReference name", async () => {
    const result = await record(
      async () => {
        const caches = new pulumi.StackReference("organization/flywheel/caches-dev");
        return { cacheName: caches.requireOutput("atticCacheName") };
      },
      { "caches-dev": { atticCacheName: "main" } },
    );
    assert.equal(result.outputs["cacheName"], "main");
  });

  it("keeps a redacted referenced output secret", async () => {
    let secret = false;
    await record(
      async () => {
        const caches = new pulumi.StackReference("caches-dev");
        secret = await pulumi.isSecret(caches.requireOutput("token"));
        return {};
      },
      { "caches-dev": { token: "[secret]" } },
    );
    assert.equal(secret, true);
  });

  it("drops stack frames while the program runs", async () => {
    const result = await record(async () => ({
      frames: (new Error().stack ?? "").split("\n    at ").length - 1,
    }));
    assert.equal(result.outputs["frames"], 0);
  });

  it("keeps stack frames when asked", async () => {
    const result = await recordProgram(
      async () => ({ frames: (new Error().stack ?? "").split("\n    at ").length - 1 }),
      {
        stack: "recorder-test",
        config: {},
        keepStackTraces: true,
      },
    );
    assert.ok(Number(result.outputs["frames"]) > 0);
  });

  it("restores the stack trace limit", async () => {
    const before = Error.stackTraceLimit;
    await record(async () => ({}));
    assert.equal(Error.stackTraceLimit, before);
  });

  it("rethrows the program's error", async () => {
    await assert.rejects(
      record(async () => {
        new Pair("outer");
        throw new RangeError("lane tinyland-dind is disabled");
      }),
      /lane tinyland-dind is disabled/,
    );
  });

  it("leaves no unhandled rejection after a failure", async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      await record(async () => {
        throw new RangeError("lane tinyland-dind is disabled");
      }).catch(() => undefined);
      // Unhandled rejections are reported after the microtask queue drains.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off("unhandledRejection", listener);
    }
    assert.deepEqual(unhandled, []);
  });

  it("records again after a failure", async () => {
    await record(async () => {
      throw new RangeError("first run fails");
    }).catch(() => undefined);
    const result = await record(async () => {
      new Pair("again");
      return {};
    });
    assert.equal(find(result, "again").parent, null);
  });

  it("rejects a second run while one is active", async () => {
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = record(async () => {
      await blocked;
      return {};
    });
    await assert.rejects(
      record(async () => ({})),
      /already running/,
    );
    release();
    await first;
  });
});
