import * as assert from "node:assert/strict";
import * as path from "node:path";
import { recordProgram, RecordedResource, RecordResult, REDACTED } from "../../automation/render/recorder";
import { readStackFile, StackFileConfig } from "../../automation/render/stack-file";
import { runStack } from "../../stacks";
import { readStackConfig } from "../../stacks/config";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const STACK = "caches-dev";

type Json = Record<string, unknown>;

function renderCaches(file: StackFileConfig): Promise<RecordResult> {
  return recordProgram(() => runStack(readStackConfig(STACK)), { stack: STACK, ...file });
}

/** Returns the committed example stack file with `flywheel:caches` changed by `mutate`. */
function withCaches(mutate: (caches: Json) => void, extra: Record<string, string> = {}): StackFileConfig {
  const file = readStackFile(STACK, REPO_ROOT);
  const caches = JSON.parse(file.config["flywheel:caches"]) as Json;
  mutate(caches);
  return { ...file, config: { ...file.config, "flywheel:caches": JSON.stringify(caches), ...extra } };
}

function section(caches: Json, key: string): Json {
  caches[key] ??= {};
  return caches[key] as Json;
}

function find(result: RecordResult, type: string, name: string): RecordedResource {
  const found = result.resources.find((r) => r.type === type && r.name === name);
  assert.ok(found, `no ${type} named ${name} was registered`);
  return found;
}

function ofType(result: RecordResult, type: string): RecordedResource[] {
  return result.resources.filter((r) => r.type === type);
}

function at(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    current = (current as Record<string | number, unknown> | undefined)?.[key];
  }
  return current;
}

function podSpec(resource: RecordedResource): Json {
  return at(resource.inputs, "spec", "template", "spec") as Json;
}

function container(resource: RecordedResource, index = 0): Json {
  return at(podSpec(resource), "containers", index) as Json;
}

/** Collects every `image` string in a value, including Helm values split into repository and tag. */
function images(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) {
    value.forEach((item) => images(item, into));
  } else if (value !== null && typeof value === "object") {
    const record = value as Json;
    if (typeof record["image"] === "string") {
      into.push(record["image"]);
    }
    if (typeof record["repository"] === "string" && "tag" in record) {
      into.push(`${record["repository"]}:${String(record["tag"] ?? "")}`);
    }
    Object.values(record).forEach((item) => images(item, into));
  }
  return into;
}

const K8S = {
  namespace: "kubernetes:core/v1:Namespace",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  job: "kubernetes:batch/v1:Job",
  release: "kubernetes:helm.sh/v3:Release",
  cluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
  scheduledBackup: "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
  password: "random:index/randomPassword:RandomPassword",
};

describe("caches stack defaults", () => {
  let result: RecordResult;

  before(async () => {
    result = await renderCaches(readStackFile(STACK, REPO_ROOT));
  });

  describe("components", () => {
    const components = [
      ["flywheel:caches:Namespaces", "caches"],
      ["flywheel:caches:ObjectStore", "object-store"],
      ["flywheel:caches:BazelRemote", "bazel-remote"],
      ["flywheel:caches:Postgres", "attic-postgres"],
      ["flywheel:caches:Attic", "attic"],
      ["flywheel:caches:CacheBootstrap", "attic-bootstrap"],
    ];
    for (const [type, name] of components) {
      it(`registers ${type}`, () => {
        assert.equal(find(result, type, name).custom, false);
      });
    }

    it("parents every resource to a component", () => {
      const orphans = result.resources.filter((r) => r.custom && r.parent === null).map((r) => r.name);
      assert.deepEqual(orphans, []);
    });

    it("names children after their parent", () => {
      const misnamed = result.resources
        .filter((r) => r.parent !== null && !r.name.startsWith(`${r.parent}-`))
        .map((r) => r.name);
      assert.deepEqual(misnamed, []);
    });
  });

  describe("outputs", () => {
    it("exports the gRPC bazel endpoint", () => {
      assert.equal(
        result.outputs["bazelCacheEndpoint"],
        "grpc://bazel-cache.bazel-cache.svc.cluster.local:9092",
      );
    });

    it("exports the HTTP bazel endpoint", () => {
      assert.equal(
        result.outputs["bazelCacheHttpEndpoint"],
        "http://bazel-cache.bazel-cache.svc.cluster.local:8080",
      );
    });

    it("exports the Attic endpoint on port 80", () => {
      assert.equal(result.outputs["atticEndpoint"], "http://attic.nix-cache.svc.cluster.local");
    });

    it("exports the cache name", () => {
      assert.equal(result.outputs["atticCacheName"], "main");
    });

    it("exports the bazel cache namespace", () => {
      assert.equal(at(result.outputs, "namespaces", "bazelCache"), "bazel-cache");
    });

    it("exports the Attic namespace", () => {
      assert.equal(at(result.outputs, "namespaces", "attic"), "nix-cache");
    });

    it("exports nothing secret", () => {
      assert.ok(!JSON.stringify(result.outputs).includes(REDACTED));
    });

    it("leaves no secret in clear text", () => {
      assert.deepEqual(result.plaintextSecrets, []);
    });
  });

  describe("namespaces", () => {
    const labels = () =>
      at(find(result, K8S.namespace, "caches-nix-cache").inputs, "metadata", "labels") as Json;

    it("enforces the baseline Pod Security level", () => {
      assert.equal(labels()["pod-security.kubernetes.io/enforce"], "baseline");
    });

    it("warns at the restricted Pod Security level", () => {
      assert.equal(labels()["pod-security.kubernetes.io/warn"], "restricted");
    });

    it("audits at the restricted Pod Security level", () => {
      assert.equal(labels()["pod-security.kubernetes.io/audit"], "restricted");
    });

    it("creates the CloudNativePG operator namespace", () => {
      assert.equal(
        at(find(result, K8S.namespace, "caches-cnpg-system").inputs, "metadata", "name"),
        "cnpg-system",
      );
    });
  });

  describe("bazel-remote", () => {
    const statefulSet = () => find(result, K8S.statefulSet, "bazel-remote-statefulset");
    const service = () => find(result, K8S.service, "bazel-remote-service");
    const hpa = () => find(result, K8S.hpa, "bazel-remote-autoscaler");

    it("runs the pinned image", () => {
      assert.equal(container(statefulSet())["image"], "buchgr/bazel-remote-cache:v2.4.4");
    });

    it("names the Service bazel-cache", () => {
      assert.equal(at(service().inputs, "metadata", "name"), "bazel-cache");
    });

    it("serves gRPC on 9092", () => {
      assert.deepEqual(
        (at(service().inputs, "spec", "ports") as Json[]).map((p) => [p["name"], p["port"]])[0],
        ["grpc", 9092],
      );
    });

    it("serves HTTP on 8080", () => {
      assert.deepEqual(
        (at(service().inputs, "spec", "ports") as Json[]).map((p) => [p["name"], p["port"]])[1],
        ["http", 8080],
      );
    });

    it("passes max_size in GiB", () => {
      assert.ok((container(statefulSet())["args"] as string[]).includes("--max_size=40"));
    });

    it("requests a 50Gi volume", () => {
      assert.equal(
        at(
          statefulSet().inputs,
          "spec",
          "volumeClaimTemplates",
          0,
          "spec",
          "resources",
          "requests",
          "storage",
        ),
        "50Gi",
      );
    });

    it("stores in the bazel-cache bucket", () => {
      assert.ok((container(statefulSet())["args"] as string[]).includes("--s3.bucket=bazel-cache"));
    });

    it("reads the S3 key from a Secret", () => {
      const env = container(statefulSet())["env"] as Json[];
      assert.equal(
        at(
          env.find((e) => e["name"] === "BAZEL_REMOTE_S3_SECRET_ACCESS_KEY"),
          "valueFrom",
          "secretKeyRef",
          "name",
        ),
        "bazel-cache-s3",
      );
    });

    it("leaves replicas to the autoscaler", () => {
      assert.equal(at(statefulSet().inputs, "spec", "replicas"), undefined);
    });

    it("scales from 1 replica", () => {
      assert.equal(at(hpa().inputs, "spec", "minReplicas"), 1);
    });

    it("scales to 2 replicas", () => {
      assert.equal(at(hpa().inputs, "spec", "maxReplicas"), 2);
    });

    it("targets 70 percent CPU", () => {
      assert.equal(at(hpa().inputs, "spec", "metrics", 0, "resource", "target", "averageUtilization"), 70);
    });

    it("targets 80 percent memory", () => {
      assert.equal(at(hpa().inputs, "spec", "metrics", 1, "resource", "target", "averageUtilization"), 80);
    });

    it("scales the StatefulSet", () => {
      assert.equal(at(hpa().inputs, "spec", "scaleTargetRef", "kind"), "StatefulSet");
    });
  });

  describe("Attic", () => {
    const api = () => find(result, K8S.deployment, "attic-api");
    const gc = () => find(result, K8S.deployment, "attic-gc");
    const service = () => find(result, K8S.service, "attic-service");
    const hpa = () => find(result, K8S.hpa, "attic-autoscaler");
    const pdb = () => find(result, K8S.pdb, "attic-disruption-budget");

    it("runs the API in monolithic mode", () => {
      assert.deepEqual((container(api())["args"] as string[]).slice(-2), ["--mode", "monolithic"]);
    });

    it("pins the API image by commit", () => {
      assert.match(String(container(api())["image"]), /^ghcr\.io\/zhaofengli\/attic:[a-f0-9]{40}$/);
    });

    it("listens on container port 8080", () => {
      assert.equal(at(container(api()), "ports", 0, "containerPort"), 8080);
    });

    it("runs as uid 1000", () => {
      assert.equal(at(podSpec(api()), "securityContext", "runAsUser"), 1000);
    });

    it("forbids privilege escalation", () => {
      assert.equal(at(container(api()), "securityContext", "allowPrivilegeEscalation"), false);
    });

    it("reads the JWT key from attic-jwt-signing", () => {
      const env = container(api())["env"] as Json[];
      assert.deepEqual(
        at(
          env.find((e) => e["name"] === "ATTIC_SERVER_TOKEN_HS256_SECRET_BASE64"),
          "valueFrom",
          "secretKeyRef",
        ),
        { name: "attic-jwt-signing", key: "hs256-secret-base64" },
      );
    });

    it("mounts server.toml from a Secret", () => {
      assert.equal(at(podSpec(api()), "volumes", 0, "secret", "secretName"), "attic-server-config");
    });

    it("mounts the database CA", () => {
      const volumes = at(podSpec(api()), "volumes") as Json[];
      assert.equal(
        at(
          volumes.find((v) => v["name"] === "database-ca"),
          "secret",
          "secretName",
        ),
        "attic-pg-ca",
      );
    });

    it("names the Service attic", () => {
      assert.equal(at(service().inputs, "metadata", "name"), "attic");
    });

    it("exposes Service port 80", () => {
      assert.equal(at(service().inputs, "spec", "ports", 0, "port"), 80);
    });

    it("targets container port 8080", () => {
      assert.equal(at(service().inputs, "spec", "ports", 0, "targetPort"), 8080);
    });

    it("scales from 2 replicas", () => {
      assert.equal(at(hpa().inputs, "spec", "minReplicas"), 2);
    });

    it("scales to 10 replicas", () => {
      assert.equal(at(hpa().inputs, "spec", "maxReplicas"), 10);
    });

    it("targets 70 percent CPU", () => {
      assert.equal(at(hpa().inputs, "spec", "metrics", 0, "resource", "target", "averageUtilization"), 70);
    });

    it("targets 80 percent memory", () => {
      assert.equal(at(hpa().inputs, "spec", "metrics", 1, "resource", "target", "averageUtilization"), 80);
    });

    it("waits 300 s before scaling down", () => {
      assert.equal(at(hpa().inputs, "spec", "behavior", "scaleDown", "stabilizationWindowSeconds"), 300);
    });

    it("keeps one API pod through disruptions", () => {
      assert.equal(at(pdb().inputs, "spec", "minAvailable"), 1);
    });

    it("selects the API pods in the budget", () => {
      assert.deepEqual(
        at(pdb().inputs, "spec", "selector", "matchLabels"),
        at(api().inputs, "spec", "selector", "matchLabels"),
      );
    });

    it("names the collector attic-gc", () => {
      assert.equal(at(gc().inputs, "metadata", "name"), "attic-gc");
    });

    it("runs the collector in garbage-collector mode", () => {
      assert.deepEqual((container(gc())["args"] as string[]).slice(-2), ["--mode", "garbage-collector"]);
    });

    it("runs one collector", () => {
      assert.equal(at(gc().inputs, "spec", "replicas"), 1);
    });
  });

  describe("secrets", () => {
    it("generates a 64-character JWT key", () => {
      assert.equal(find(result, K8S.password, "attic-jwt-key").inputs["length"], 64);
    });

    it("keeps the JWT Secret data secret", () => {
      assert.equal(find(result, K8S.secret, "attic-jwt-signing").inputs["stringData"], REDACTED);
    });

    it("names the JWT Secret attic-jwt-signing", () => {
      assert.equal(
        at(find(result, K8S.secret, "attic-jwt-signing").inputs, "metadata", "name"),
        "attic-jwt-signing",
      );
    });

    it("keeps server.toml in secret Secret data", () => {
      assert.equal(find(result, K8S.secret, "attic-server-config").inputs["stringData"], REDACTED);
    });

    it("registers no ConfigMap holding server.toml", () => {
      const holders = ofType(result, K8S.configMap).filter((c) =>
        JSON.stringify(c.inputs).includes("server.toml"),
      );
      assert.deepEqual(holders, []);
    });

    it("registers no ConfigMap with a credential-looking key", () => {
      const suspicious = /(password|secret|token|credential|access.?key|private|\.toml|url)/i;
      const keys = ofType(result, K8S.configMap).flatMap((c) =>
        Object.keys((c.inputs["data"] as Json | undefined) ?? {}).filter((key) => suspicious.test(key)),
      );
      assert.deepEqual(keys, []);
    });

    it("keeps the data of every Secret secret", () => {
      const clear = ofType(result, K8S.secret)
        .filter((secret) => secret.inputs["stringData"] !== REDACTED)
        .map((secret) => secret.name);
      assert.deepEqual(clear, []);
    });
  });

  describe("database", () => {
    const operator = () => find(result, K8S.release, "attic-postgres-operator");
    const cluster = () => find(result, K8S.cluster, "attic-postgres-cluster");
    const backup = () => find(result, K8S.scheduledBackup, "attic-postgres-daily-backup");

    it("installs the cloudnative-pg chart", () => {
      assert.equal(operator().inputs["chart"], "cloudnative-pg");
    });

    it("pins chart version 0.20.0", () => {
      assert.equal(operator().inputs["version"], "0.20.0");
    });

    it("uses the CloudNativePG chart repository", () => {
      assert.equal(
        at(operator().inputs, "repositoryOpts", "repo"),
        "https://cloudnative-pg.github.io/charts",
      );
    });

    it("installs the operator in cnpg-system", () => {
      assert.equal(operator().inputs["namespace"], "cnpg-system");
    });

    it("names the Cluster attic-pg", () => {
      assert.equal(at(cluster().inputs, "metadata", "name"), "attic-pg");
    });

    it("runs 3 instances", () => {
      assert.equal(at(cluster().inputs, "spec", "instances"), 3);
    });

    it("gives each instance 10Gi", () => {
      assert.equal(at(cluster().inputs, "spec", "storage", "size"), "10Gi");
    });

    it("rejects connections without TLS", () => {
      assert.ok(
        (at(cluster().inputs, "spec", "postgresql", "pg_hba") as string[]).includes(
          "hostnossl all all all reject",
        ),
      );
    });

    it("authenticates TLS connections with scram-sha-256", () => {
      assert.ok(
        (at(cluster().inputs, "spec", "postgresql", "pg_hba") as string[]).includes(
          "hostssl all all all scram-sha-256",
        ),
      );
    });

    it("hashes passwords with scram-sha-256", () => {
      assert.equal(
        at(cluster().inputs, "spec", "postgresql", "parameters", "password_encryption"),
        "scram-sha-256",
      );
    });

    it("keeps backups 30 days", () => {
      assert.equal(at(cluster().inputs, "spec", "backup", "retentionPolicy"), "30d");
    });

    it("backs up to the pg-backup bucket", () => {
      assert.match(
        String(at(cluster().inputs, "spec", "backup", "barmanObjectStore", "destinationPath")),
        /^s3:\/\/pg-backup\//,
      );
    });

    it("schedules the backup daily at midnight", () => {
      assert.equal(at(backup().inputs, "spec", "schedule"), "0 0 0 * * *");
    });

    it("writes the schedule with 6 fields", () => {
      assert.equal(String(at(backup().inputs, "spec", "schedule")).split(" ").length, 6);
    });

    it("backs up the attic-pg Cluster", () => {
      assert.equal(at(backup().inputs, "spec", "cluster", "name"), "attic-pg");
    });
  });

  describe("object store", () => {
    const operator = () => find(result, K8S.release, "object-store-operator");
    const tenant = () => find(result, K8S.release, "object-store-tenant");

    it("installs the MinIO operator chart", () => {
      assert.equal(operator().inputs["chart"], "operator");
    });

    it("pins the operator chart to 6.0.4", () => {
      assert.equal(operator().inputs["version"], "6.0.4");
    });

    it("uses the MinIO chart repository", () => {
      assert.equal(at(operator().inputs, "repositoryOpts", "repo"), "https://operator.min.io");
    });

    it("installs the MinIO tenant chart", () => {
      assert.equal(tenant().inputs["chart"], "tenant");
    });

    it("installs the tenant in minio-tenant", () => {
      assert.equal(tenant().inputs["namespace"], "minio-tenant");
    });

    it("pins the tenant chart to 6.0.4", () => {
      assert.equal(tenant().inputs["version"], "6.0.4");
    });

    it("names the tenant attic-minio", () => {
      assert.equal(at(tenant().inputs, "values", "tenant", "name"), "attic-minio");
    });

    it("creates the three buckets", () => {
      assert.deepEqual(
        (at(tenant().inputs, "values", "tenant", "buckets") as Json[]).map((b) => b["name"]),
        ["attic", "pg-backup", "bazel-cache"],
      );
    });

    it("reads the root user from an existing Secret", () => {
      assert.equal(at(tenant().inputs, "values", "tenant", "configSecret", "existingSecret"), true);
    });

    it("keeps no key in the chart values", () => {
      assert.equal(at(tenant().inputs, "values", "tenant", "configSecret", "secretKey"), undefined);
    });
  });

  describe("cache bootstrap", () => {
    const job = () => find(result, K8S.job, "attic-bootstrap-job");
    const env = () =>
      Object.fromEntries((container(job())["env"] as Json[]).map((e) => [e["name"], e["value"]]));
    const request = () => JSON.parse(String(env()["REQUEST_BODY"])) as Json;

    it("creates the cache main", () => {
      assert.equal(env()["CACHE_NAME"], "main");
    });

    it("makes the cache public", () => {
      assert.equal(request()["is_public"], true);
    });

    it("gives the cache priority 41", () => {
      assert.equal(request()["priority"], 41);
    });

    it("lets the server generate the keypair", () => {
      assert.equal(request()["keypair"], "Generate");
    });

    it("calls the in-cluster Attic Service", () => {
      assert.equal(env()["ATTIC_ENDPOINT"], "http://attic.nix-cache.svc.cluster.local");
    });

    it("pins the curl image", () => {
      assert.equal(container(job())["image"], "curlimages/curl:8.11.1");
    });

    it("mints the token from the JWT Secret", () => {
      const init = at(podSpec(job()), "initContainers", 0) as Json;
      assert.deepEqual(at(init, "env", 0, "valueFrom", "secretKeyRef"), {
        name: "attic-jwt-signing",
        key: "hs256-secret-base64",
      });
    });

    it("passes no token literal", () => {
      assert.ok(!/Bearer [A-Za-z0-9._-]{20,}/.test(JSON.stringify(job().inputs)));
    });
  });

  describe("cluster exposure and images", () => {
    it("keeps every Service ClusterIP", () => {
      const types = ofType(result, K8S.service).map((s) => at(s.inputs, "spec", "type"));
      assert.deepEqual([...new Set(types)], ["ClusterIP"]);
    });

    it("tags no image latest", () => {
      const latest = result.resources
        .flatMap((r) => images(r.inputs))
        .filter((image) => /:latest$/.test(image));
      assert.deepEqual(latest, []);
    });

    it("leaves no image untagged", () => {
      const untagged = result.resources
        .flatMap((r) => images(r.inputs))
        .filter((image) => !/@sha256:[a-f0-9]{64}$/.test(image) && !/:[^/:]+$/.test(image));
      assert.deepEqual(untagged, []);
    });

    it("finds the images it checks", () => {
      const count = result.resources.flatMap((r) => images(r.inputs)).length;
      assert.ok(count >= 5, `expected at least 5 images, found ${count}`);
    });
  });
});

describe("caches stack overrides", () => {
  it("publishes Attic through a chosen Service type", async () => {
    const result = await renderCaches(
      withCaches((caches) => (section(caches, "attic")["serviceType"] = "LoadBalancer")),
    );
    assert.equal(at(find(result, K8S.service, "attic-service").inputs, "spec", "type"), "LoadBalancer");
  });

  it("adds a non-default Attic port to the endpoint", async () => {
    const result = await renderCaches(
      withCaches((caches) => (section(caches, "attic")["servicePort"] = 8081)),
    );
    assert.equal(result.outputs["atticEndpoint"], "http://attic.nix-cache.svc.cluster.local:8081");
  });

  it("pulls bazel-remote through a registry mirror", async () => {
    const result = await renderCaches(
      withCaches(
        (caches) => (section(caches, "bazelRemote")["registryMirror"] = "mirror.example.com/dockerhub"),
      ),
    );
    assert.equal(
      container(find(result, K8S.statefulSet, "bazel-remote-statefulset"))["image"],
      "mirror.example.com/dockerhub/buchgr/bazel-remote-cache:v2.4.4",
    );
  });

  it("moves the bazel cache to another namespace", async () => {
    const result = await renderCaches(
      withCaches((caches) => (section(caches, "bazelRemote")["namespace"] = "build-cache")),
    );
    assert.equal(
      result.outputs["bazelCacheEndpoint"],
      "grpc://bazel-cache.build-cache.svc.cluster.local:9092",
    );
  });

  it("creates a shared namespace once", async () => {
    const result = await renderCaches(
      withCaches((caches) => (section(caches, "bazelRemote")["namespace"] = "nix-cache")),
    );
    const names = ofType(result, K8S.namespace).map((n) => at(n.inputs, "metadata", "name"));
    assert.equal(names.filter((name) => name === "nix-cache").length, 1);
  });

  it("labels namespaces with a chosen Pod Security level", async () => {
    const result = await renderCaches(
      withCaches((caches) => (section(caches, "podSecurity")["enforce"] = "restricted")),
    );
    const labels = at(find(result, K8S.namespace, "caches-bazel-cache").inputs, "metadata", "labels") as Json;
    assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
  });

  it("changes the backup retention", async () => {
    const result = await renderCaches(
      withCaches((caches) => (section(caches, "postgres")["backupRetentionDays"] = 7)),
    );
    assert.equal(
      at(find(result, K8S.cluster, "attic-postgres-cluster").inputs, "spec", "backup", "retentionPolicy"),
      "7d",
    );
  });

  describe("with external S3", () => {
    const accessKeyId = "AKIAEXAMPLEFLYWHEEL01";
    const secretAccessKey = "example-secret-access-key-for-tests-only";
    let result: RecordResult;

    before(async () => {
      const file = withCaches(
        (caches) => {
          caches["objectStore"] = {
            type: "s3",
            endpoint: "https://s3.eu-central-1.amazonaws.com",
            bucket: "tinyland-attic",
          };
        },
        { "flywheel:s3AccessKeyId": accessKeyId, "flywheel:s3SecretAccessKey": secretAccessKey },
      );
      result = await renderCaches({
        ...file,
        secretKeys: [...file.secretKeys, "flywheel:s3AccessKeyId", "flywheel:s3SecretAccessKey"],
      });
    });

    it("installs no MinIO chart", () => {
      const charts = ofType(result, K8S.release).map((r) => r.inputs["chart"]);
      assert.deepEqual(charts, ["cloudnative-pg"]);
    });

    it("points bazel-remote at the S3 host", () => {
      const args = container(find(result, K8S.statefulSet, "bazel-remote-statefulset"))["args"] as string[];
      assert.ok(args.includes("--s3.endpoint=s3.eu-central-1.amazonaws.com"));
    });

    it("keeps TLS to the S3 service", () => {
      const args = container(find(result, K8S.statefulSet, "bazel-remote-statefulset"))["args"] as string[];
      assert.ok(!args.includes("--s3.disable_ssl"));
    });

    it("backs up through the S3 endpoint", () => {
      const cluster = find(result, K8S.cluster, "attic-postgres-cluster");
      assert.equal(
        at(cluster.inputs, "spec", "backup", "barmanObjectStore", "endpointURL"),
        "https://s3.eu-central-1.amazonaws.com",
      );
    });

    it("never shows the access key id", () => {
      assert.ok(!JSON.stringify(result.resources).includes(accessKeyId));
    });

    it("never shows the secret access key", () => {
      assert.ok(!JSON.stringify(result.resources).includes(secretAccessKey));
    });

    it("leaves no secret in clear text", () => {
      assert.deepEqual(result.plaintextSecrets, []);
    });
  });
});
