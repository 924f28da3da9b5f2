import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { recordProgram } from "../../automation/render/recorder";
import { readStackFile } from "../../automation/render/stack-file";
import { ConfigError } from "../../config/errors";
import { loadStackConfig, StackConfig } from "../../config/load";
import { quantityBytes } from "../../config/caches";
import { runStack } from "../../stacks";
import { readStackConfig } from "../../stacks/config";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const STACK = "caches-dev";

type Json = Record<string, unknown>;

interface RawStack {
  values: Record<string, string>;
  secretKeys: Set<string>;
}

/** Reads the committed example stack in the form the loader receives it. */
function cleanStack(): RawStack {
  const file = readStackFile(STACK, REPO_ROOT);
  return { values: { ...file.config }, secretKeys: new Set(file.secretKeys) };
}

function load(raw: RawStack): StackConfig {
  return loadStackConfig(STACK, raw);
}

/** Parses the `flywheel:caches` value, lets `mutate` change it and writes it back. */
function mutateCaches(raw: RawStack, mutate: (caches: Json) => void): RawStack {
  const caches = JSON.parse(raw.values["flywheel:caches"]) as Json;
  mutate(caches);
  raw.values["flywheel:caches"] = JSON.stringify(caches);
  return raw;
}

function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    current = (current as Json | undefined)?.[key];
  }
  return current;
}

function section(caches: Json, ...keys: string[]): Json {
  let current = caches;
  for (const key of keys) {
    current[key] ??= {};
    current = current[key] as Json;
  }
  return current;
}

function externalS3(caches: Json): void {
  caches["objectStore"] = {
    type: "s3",
    endpoint: "https://s3.eu-central-1.amazonaws.com",
    bucket: "tinyland-attic",
  };
}

const ACCESS_KEY_ID = "AKIAEXAMPLEFLYWHEEL02";
const SECRET_ACCESS_KEY = "example-secret-access-key-never-printed";

function withSecret(raw: RawStack, key: string, value: string): RawStack {
  raw.values[key] = value;
  raw.secretKeys.add(key);
  return raw;
}

function withS3Keys(raw: RawStack): RawStack {
  return withSecret(
    withSecret(raw, "flywheel:s3AccessKeyId", ACCESS_KEY_ID),
    "flywheel:s3SecretAccessKey",
    SECRET_ACCESS_KEY,
  );
}

/** Runs the loader and returns the ConfigError it must throw. */
function rejection(raw: RawStack): ConfigError {
  try {
    load(raw);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  assert.fail("the configuration was accepted");
}

interface InvalidCase {
  name: string;
  build: () => RawStack;
  key: string;
  rule: RegExp;
}

const INVALID: InvalidCase[] = [
  {
    name: "max_size above the volume",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "bazelRemote")["maxSize"] = 60)),
    key: "flywheel:caches.bazelRemote.maxSize",
    rule: /must not exceed the volume size 50Gi/,
  },
  {
    name: "volume shrunk below max_size",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "bazelRemote")["volumeSize"] = "20Gi")),
    key: "flywheel:caches.bazelRemote.maxSize",
    rule: /must not exceed the volume size 20Gi/,
  },
  {
    name: "5-field backup schedule",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "postgres")["backupSchedule"] = "0 0 * * *")),
    key: "flywheel:caches.postgres.backupSchedule",
    rule: /must be a 6-field CloudNativePG schedule .* not 5 fields/,
  },
  {
    name: "backup schedule with a bad field",
    build: () =>
      mutateCaches(cleanStack(), (c) => (section(c, "postgres")["backupSchedule"] = "0 0 0 * * mon;")),
    key: "flywheel:caches.postgres.backupSchedule",
    rule: /field 6 \(day of week\) must hold values from 0 to 6, not "mon;"/,
  },
  {
    name: "backup schedule with letters for fields",
    build: () =>
      mutateCaches(cleanStack(), (c) => (section(c, "postgres")["backupSchedule"] = "x y z a b c")),
    key: "flywheel:caches.postgres.backupSchedule",
    rule: /field 1 \(seconds\) must hold values from 0 to 59, not "x"/,
  },
  {
    name: "backup schedule hour out of range",
    build: () =>
      mutateCaches(cleanStack(), (c) => (section(c, "postgres")["backupSchedule"] = "0 0 99 * * *")),
    key: "flywheel:caches.postgres.backupSchedule",
    rule: /field 3 \(hours\) must hold values from 0 to 23, not "99"/,
  },
  {
    name: "backup schedule with a zero step",
    build: () =>
      mutateCaches(cleanStack(), (c) => (section(c, "postgres")["backupSchedule"] = "0 */0 0 * * *")),
    key: "flywheel:caches.postgres.backupSchedule",
    rule: /field 2 \(minutes\) has the invalid step in "\*\/0"/,
  },
  {
    name: "bazel-remote image tagged latest",
    build: () =>
      mutateCaches(
        cleanStack(),
        (c) => (section(c, "bazelRemote")["image"] = "buchgr/bazel-remote-cache:latest"),
      ),
    key: "flywheel:caches.bazelRemote.image",
    rule: /must be pinned .* not tagged latest/,
  },
  {
    name: "bazel-remote image untagged",
    build: () =>
      mutateCaches(cleanStack(), (c) => (section(c, "bazelRemote")["image"] = "registry:5000/bazel-remote")),
    key: "flywheel:caches.bazelRemote.image",
    rule: /must be pinned .* not untagged/,
  },
  {
    name: "Attic image on a release tag",
    build: () =>
      mutateCaches(cleanStack(), (c) => (section(c, "attic")["image"] = "ghcr.io/zhaofengli/attic:main")),
    key: "flywheel:caches.attic.image",
    rule: /must be pinned by a sha256 digest or a commit tag/,
  },
  {
    name: "bootstrap image tagged latest",
    build: () =>
      mutateCaches(
        cleanStack(),
        (c) => (section(c, "attic", "cache")["bootstrapImage"] = "curlimages/curl:latest"),
      ),
    key: "flywheel:caches.attic.cache.bootstrapImage",
    rule: /must be pinned/,
  },
  {
    name: "Attic minReplicas above maxReplicas",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "attic")["minReplicas"] = 11)),
    key: "flywheel:caches.attic.minReplicas",
    rule: /must not exceed maxReplicas \(10\)/,
  },
  {
    name: "bazel-remote ports equal",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "bazelRemote")["httpPort"] = 9092)),
    key: "flywheel:caches.bazelRemote.httpPort",
    rule: /must differ from grpcPort/,
  },
  {
    name: "unknown Service type",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "attic")["serviceType"] = "External")),
    key: "flywheel:caches.attic.serviceType",
    rule: /ClusterIP/,
  },
  {
    name: "unknown Pod Security level",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "podSecurity")["enforce"] = "strict")),
    key: "flywheel:caches.podSecurity.enforce",
    rule: /must be one of privileged, baseline, restricted/,
  },
  {
    name: "unknown compression",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "attic", "compression")["type"] = "lz4")),
    key: "flywheel:caches.attic.compression.type",
    rule: /must be one of none, brotli, zstd, xz/,
  },
  {
    name: "misspelled key",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "bazelRemote")["maxsize"] = 10)),
    key: "flywheel:caches.bazelRemote.maxsize",
    rule: /is not a known key/,
  },
  {
    name: "volume size without a unit form",
    build: () => mutateCaches(cleanStack(), (c) => (section(c, "bazelRemote")["volumeSize"] = "50 GB")),
    key: "flywheel:caches.bazelRemote.volumeSize",
    rule: /must be a Kubernetes quantity/,
  },
  {
    name: "CPU limit in words",
    build: () =>
      mutateCaches(cleanStack(), (c) => (section(c, "bazelRemote", "resources")["cpuLimit"] = "2 cores")),
    key: "flywheel:caches.bazelRemote.resources.cpuLimit",
    rule: /must be a CPU quantity/,
  },
  {
    name: "collector interval not a duration",
    build: () =>
      mutateCaches(cleanStack(), (c) => (section(c, "attic", "garbageCollection")["interval"] = "soon")),
    key: "flywheel:caches.attic.garbageCollection.interval",
    rule: /must be a duration/,
  },
  {
    name: "unknown object store type",
    build: () => mutateCaches(cleanStack(), (c) => (c["objectStore"] = { type: "gcs" })),
    key: "flywheel:caches.objectStore.type",
    rule: /must be "minio" .* or "s3" .*, not "gcs"/,
  },
  {
    name: "object store without type",
    build: () => mutateCaches(cleanStack(), (c) => (c["objectStore"] = { bucket: "attic" })),
    key: "flywheel:caches.objectStore.type",
    rule: /is required/,
  },
  {
    name: "s3 store without endpoint",
    build: () =>
      withS3Keys(
        mutateCaches(cleanStack(), (c) => {
          externalS3(c);
          delete section(c, "objectStore")["endpoint"];
        }),
      ),
    key: "flywheel:caches.objectStore.endpoint",
    rule: /is required when objectStore.type is "s3"/,
  },
  {
    name: "s3 store with an endpoint without scheme",
    build: () =>
      withS3Keys(
        mutateCaches(cleanStack(), (c) => {
          externalS3(c);
          section(c, "objectStore")["endpoint"] = "s3.example.com";
        }),
      ),
    key: "flywheel:caches.objectStore.endpoint",
    rule: /must be an http or https URL/,
  },
  {
    name: "s3 endpoint with credentials",
    build: () =>
      withS3Keys(
        mutateCaches(cleanStack(), (c) => {
          externalS3(c);
          section(c, "objectStore")["endpoint"] = "https://AKIA:hunter2secret@s3.example.com";
        }),
      ),
    key: "flywheel:caches.objectStore.endpoint",
    rule: /must not contain credentials/,
  },
  {
    name: "s3 store without bucket",
    build: () =>
      withS3Keys(
        mutateCaches(cleanStack(), (c) => {
          externalS3(c);
          delete section(c, "objectStore")["bucket"];
        }),
      ),
    key: "flywheel:caches.objectStore.bucket",
    rule: /is required when objectStore.type is "s3"/,
  },
  {
    name: "s3 store without access key id",
    build: () =>
      withSecret(mutateCaches(cleanStack(), externalS3), "flywheel:s3SecretAccessKey", SECRET_ACCESS_KEY),
    key: "flywheel:s3AccessKeyId",
    rule: /is required when objectStore.type is "s3"/,
  },
  {
    name: "s3 store without secret access key",
    build: () => withSecret(mutateCaches(cleanStack(), externalS3), "flywheel:s3AccessKeyId", ACCESS_KEY_ID),
    key: "flywheel:s3SecretAccessKey",
    rule: /is required when objectStore.type is "s3"/,
  },
  {
    name: "s3 key set in clear text",
    build: () => {
      const raw = withSecret(
        mutateCaches(cleanStack(), externalS3),
        "flywheel:s3SecretAccessKey",
        SECRET_ACCESS_KEY,
      );
      raw.values["flywheel:s3AccessKeyId"] = ACCESS_KEY_ID;
      return raw;
    },
    key: "flywheel:s3AccessKeyId",
    rule: /must be set as a secret/,
  },
  {
    name: "s3 key with the MinIO store",
    build: () => withSecret(cleanStack(), "flywheel:s3AccessKeyId", ACCESS_KEY_ID),
    key: "flywheel:s3AccessKeyId",
    rule: /is used only when flywheel:caches.objectStore.type is "s3"/,
  },
];

describe("caches configuration", () => {
  it("accepts the example stack", () => {
    assert.equal(load(cleanStack()).family, "caches");
  });

  describe("example stack file", () => {
    const document = () =>
      YAML.parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${STACK}.yaml`), "utf8")) as Json;

    it("carries the passphrase salt", () => {
      assert.match(String(document()["encryptionsalt"]), /^v1:/);
    });

    it("needs no secret", () => {
      assert.deepEqual(readStackFile(STACK, REPO_ROOT).secretKeys, []);
    });

    it("picks the MinIO store", () => {
      assert.equal(at(document(), "config", "flywheel:caches", "objectStore", "type"), "minio");
    });
  });

  describe("defaults", () => {
    const caches = () => {
      const config = load({ values: { "flywheel:family": "caches" }, secretKeys: new Set() });
      assert.ok(config.family === "caches");
      return config.caches.caches;
    };

    it("pins bazel-remote v2.4.4", () => {
      assert.equal(caches().bazelRemote.image, "buchgr/bazel-remote-cache:v2.4.4");
    });

    it("keeps max_size within the volume", () => {
      assert.ok(caches().bazelRemote.maxSize * 2 ** 30 <= quantityBytes(caches().bazelRemote.volumeSize));
    });

    it("places Attic in nix-cache", () => {
      assert.equal(caches().attic.namespace, "nix-cache");
    });

    it("chunks NARs from 65536 bytes", () => {
      assert.equal(caches().attic.chunking.narSizeThreshold, 65536);
    });

    it("uses a 16384-byte minimum chunk", () => {
      assert.equal(caches().attic.chunking.minSize, 16384);
    });

    it("uses a 65536-byte average chunk", () => {
      assert.equal(caches().attic.chunking.avgSize, 65536);
    });

    it("uses a 262144-byte maximum chunk", () => {
      assert.equal(caches().attic.chunking.maxSize, 262144);
    });

    it("compresses with zstd", () => {
      assert.equal(caches().attic.compression.type, "zstd");
    });

    it("compresses at level 8", () => {
      assert.equal(caches().attic.compression.level, 8);
    });

    it("collects every 12 hours", () => {
      assert.equal(caches().attic.garbageCollection.interval, "12 hours");
    });

    it("retains objects 3 months", () => {
      assert.equal(caches().attic.garbageCollection.defaultRetentionPeriod, "3 months");
    });

    it("picks the MinIO store", () => {
      assert.equal(caches().objectStore.type, "minio");
    });

    it("keeps resource defaults beside an override", () => {
      const config = load(
        mutateCaches(cleanStack(), (c) => (section(c, "attic", "resources")["cpuLimit"] = "2")),
      );
      assert.ok(config.family === "caches");
      assert.equal(config.caches.caches.attic.resources.memoryLimit, "1Gi");
    });

    it("keeps a default when a sibling is overridden", () => {
      const config = load(mutateCaches(cleanStack(), (c) => (section(c, "attic")["maxReplicas"] = 4)));
      assert.ok(config.family === "caches");
      assert.equal(config.caches.caches.attic.minReplicas, 2);
    });
  });

  describe("rejects", () => {
    for (const testCase of INVALID) {
      describe(testCase.name, () => {
        it("names the full key", () => {
          const error = rejection(testCase.build());
          assert.ok(
            error.problems.some((problem) => problem.key === testCase.key),
            `no problem names ${testCase.key}: ${error.message}`,
          );
        });

        it("states the rule", () => {
          const error = rejection(testCase.build());
          const problem = error.problems.find((p) => p.key === testCase.key);
          assert.match(problem?.rule ?? "", testCase.rule);
        });

        it("puts the key in the message", () => {
          assert.ok(rejection(testCase.build()).message.includes(testCase.key));
        });

        it("gives an accepted value", () => {
          const problem = rejection(testCase.build()).problems.find((p) => p.key === testCase.key);
          assert.ok((problem?.accepted ?? "").length > 0);
        });

        it("keeps the secret access key out of the message", () => {
          assert.ok(!rejection(testCase.build()).message.includes(SECRET_ACCESS_KEY));
        });
      });
    }
  });

  it("keeps endpoint credentials out of the message", () => {
    const stack = withS3Keys(
      mutateCaches(cleanStack(), (c) => {
        externalS3(c);
        section(c, "objectStore")["endpoint"] = "https://AKIA:hunter2secret@s3.example.com";
      }),
    );
    assert.ok(!rejection(stack).message.includes("hunter2secret"));
  });

  it("fails before registering any resource", async () => {
    const file = readStackFile(STACK, REPO_ROOT);
    const caches = JSON.parse(file.config["flywheel:caches"]) as Json;
    section(caches, "bazelRemote")["maxSize"] = 60;
    let registered = -1;
    await assert.rejects(
      recordProgram(
        async () => {
          const outputs = await runStack(readStackConfig(STACK));
          registered = Object.keys(outputs).length;
          return outputs;
        },
        { stack: STACK, ...file, config: { ...file.config, "flywheel:caches": JSON.stringify(caches) } },
      ),
      ConfigError,
    );
    assert.equal(registered, -1);
  });
});
