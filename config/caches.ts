import { z } from "zod";
import { parseQuantity } from "./quantity";
import type { FamilyDefinition } from "./load";
import { Secret } from "./secret";

/** Full key of the structured configuration value that contains every cache setting. */
export const CACHES_KEY = "flywheel:caches";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// A Kubernetes resource quantity without a sign or exponent, such as `10Gi`, `500M` or `1.5Ti`.
const QUANTITY = /^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const CPU_QUANTITY = /^\d+(\.\d+)?m?$/;
const IMAGE_DIGEST = /@sha256:[a-f0-9]{64}$/;
// Attic publishes images tagged with the full commit of its repository; a short commit is accepted too.
const COMMIT_TAG = /^[a-f0-9]{7,40}$/;
const REGISTRY_MIRROR = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9._-]+)*$/;
// The duration forms Attic reads through the `humantime` crate, such as `12 hours` or `3 months`.
const HUMANTIME =
  /^(\d+\s*(nsec|ns|usec|us|msec|ms|seconds|second|sec|s|minutes|minute|min|m|hours|hour|hr|h|days|day|d|weeks|week|w|months|month|M|years|year|y)\s*)+$/;
const POSTGRES_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** One field of a CloudNativePG schedule, which the robfig/cron parser reads with seconds first. */
interface CronField {
  name: string;
  min: number;
  max: number;
  /** Names accepted in place of numbers (months, weekdays), mapped to their number. */
  names?: readonly string[];
  /** Offset of the first name's number: months count from 1, weekdays from 0. */
  namesFrom?: number;
}

const CRON_FIELDS: readonly CronField[] = [
  { name: "seconds", min: 0, max: 59 },
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
    namesFrom: 1,
  },
  {
    name: "day of week",
    min: 0,
    max: 6,
    names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    namesFrom: 0,
  },
];

function cronValue(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  return index < 0 ? undefined : index + (field.namesFrom ?? 0);
}

/**
 * Returns why one schedule field is invalid, or undefined. Each comma-separated part is `*`, `?`,
 * a value or a range `a-b`, optionally followed by a step `/n`, with values inside the field's range.
 */
export function cronFieldProblem(text: string, field: CronField): string | undefined {
  for (const part of text.split(",")) {
    const [base, step, extra] = part.split("/");
    if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
      return `has the invalid step in ${JSON.stringify(part)}`;
    }
    if (base === "*" || base === "?") {
      continue;
    }
    const bounds = base.split("-");
    if (bounds.length > 2) {
      return `has the invalid range ${JSON.stringify(base)}`;
    }
    const values = bounds.map((bound) => cronValue(bound, field));
    if (values.some((value) => value === undefined || value < field.min || value > field.max)) {
      return `must hold values from ${field.min} to ${field.max}, not ${JSON.stringify(base)}`;
    }
    if (values.length === 2 && (values[0] as number) > (values[1] as number)) {
      return `has the range ${JSON.stringify(base)}, whose start is after its end`;
    }
  }
  return undefined;
}

// The commit of the Attic repository whose image the default pins.
// NOTE: chosen from the Attic repository's history, not pulled here; check that
// ghcr.io/zhaofengli/attic carries this tag before the first deployment, or set `attic.image`.
const DEFAULT_ATTIC_COMMIT = "07147da79388468ff85c2a650500d11ca0edd12e";

/** Bytes in one GiB: bazel-remote reads `--max_size` in GiB. */
export const GIB = 2 ** 30;

/** Converts a memory or storage quantity such as `50Gi` to bytes. */
export function quantityBytes(quantity: string): number {
  return parseQuantity(quantity);
}

/** A string schema that must match `pattern`; the issue carries the rule and an accepted value. */
function matching(pattern: RegExp, message: string, accepted: string) {
  return z.string().refine((value) => pattern.test(value), { message, params: { accepted } });
}

/** A string schema that must be one of `values`; unlike `z.enum` its issue carries an accepted value. */
function oneOf<const T extends readonly string[]>(values: T, accepted: T[number]) {
  return z
    .string()
    .refine((value) => values.includes(value), {
      message: `must be one of ${values.join(", ")}`,
      params: { accepted },
    })
    .transform((value) => value as T[number]);
}

function dnsLabel(what: string) {
  return matching(
    DNS_LABEL,
    `must be a ${what}: lower-case letters, digits and dashes, at most 63 characters`,
    "nix-cache",
  );
}

const quantity = matching(QUANTITY, "must be a Kubernetes quantity such as 50Gi", "50Gi");

const cpuQuantity = matching(CPU_QUANTITY, "must be a CPU quantity such as 500m or 2", "500m");

const port = z.number().int().min(1).max(65535);

const percent = z.number().int().min(1).max(100);

/** Checks that an image reference carries a version: a tag other than `latest`, or a digest. */
function pinnedImage(accepted: string) {
  return z.string().superRefine((image, ctx) => {
    if (IMAGE_DIGEST.test(image)) {
      return;
    }
    const lastSlash = image.lastIndexOf("/");
    const colon = image.lastIndexOf(":");
    const tag = colon > lastSlash ? image.slice(colon + 1) : "";
    if (tag === "" || tag === "latest") {
      ctx.addIssue({
        code: "custom",
        message: `must be pinned to a version tag or a sha256 digest, not ${tag === "" ? "untagged" : "tagged latest"} (${JSON.stringify(image)})`,
        params: { accepted },
      });
    }
  });
}

interface ResourceDefaults {
  cpuRequest: string;
  memoryRequest: string;
  cpuLimit: string;
  memoryLimit: string;
}

/** Requests and limits of a pod, each field defaulting on its own. */
function resourcesSchema(defaults: ResourceDefaults) {
  return z
    .strictObject({
      /** CPU request of each pod, such as `250m`. */
      cpuRequest: cpuQuantity.default(defaults.cpuRequest),
      /** Memory request of each pod, such as `512Mi`. */
      memoryRequest: quantity.default(defaults.memoryRequest),
      /** CPU limit of each pod. */
      cpuLimit: cpuQuantity.default(defaults.cpuLimit),
      /** Memory limit of each pod. */
      memoryLimit: quantity.default(defaults.memoryLimit),
    })
    .prefault({});
}

/**
 * Service type of a cache. `ClusterIP` keeps the cache inside the cluster. `NodePort` and
 * `LoadBalancer` publish it beyond the cluster, so they must be set explicitly.
 */
const serviceType = oneOf(["ClusterIP", "NodePort", "LoadBalancer"], "ClusterIP");

const podSecurityLevel = oneOf(["privileged", "baseline", "restricted"], "baseline");

const podSecuritySchema = z.strictObject({
  /** Pod Security level the API server enforces in the namespace. */
  enforce: podSecurityLevel.default("baseline"),
  /** Pod Security level the API server warns about. */
  warn: podSecurityLevel.default("restricted"),
  /** Pod Security level the API server records in its audit log. */
  audit: podSecurityLevel.default("restricted"),
});

const helmChartSchema = (chart: string, version: string, repository: string, namespace: string) =>
  z.strictObject({
    /** Chart name in its repository. */
    chart: z.string().min(1).default(chart),
    /** Exact chart version; ranges are not accepted so that every run installs the same chart. */
    version: matching(
      /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/,
      "must be an exact chart version such as 1.2.3",
      version,
    ).default(version),
    /** Helm repository URL. */
    repository: matching(/^(https|oci):\/\/\S+$/, "must be an https:// or oci:// URL", repository).default(
      repository,
    ),
    /** Namespace of the release. */
    namespace: dnsLabel("namespace name").default(namespace),
  });

const bazelRemoteSchema = z.strictObject({
  /** Namespace of the bazel-remote StatefulSet and its Service `bazel-cache`. */
  namespace: dnsLabel("namespace name").default("bazel-cache"),
  /** bazel-remote image, pinned to a version. */
  image: pinnedImage("buchgr/bazel-remote-cache:v2.4.4").default("buchgr/bazel-remote-cache:v2.4.4"),
  /** Registry host (and optional path) that mirrors Docker Hub; prefixed to `image` when set. */
  registryMirror: matching(
    REGISTRY_MIRROR,
    "must be a registry host with an optional port and path, without a scheme",
    "mirror.example.com/dockerhub",
  ).optional(),
  /** gRPC (REAPI) port of the container and the Service. */
  grpcPort: port.default(9092),
  /** HTTP port of the container and the Service (`/status`, `/metrics`). */
  httpPort: port.default(8080),
  /** S3 bucket that backs the disk cache. */
  bucket: z.string().min(3).default("bazel-cache"),
  /** Size of each replica's disk volume. */
  volumeSize: quantity.default("50Gi"),
  /** Storage class of the disk volume; the cluster default when unset. */
  storageClassName: z.string().min(1).optional(),
  /** bazel-remote `--max_size` in GiB; must fit in `volumeSize`. */
  maxSize: z.number().int().min(1).default(40),
  /** Minimum replicas the HorizontalPodAutoscaler keeps. */
  minReplicas: z.number().int().min(1).default(1),
  /** Maximum replicas the HorizontalPodAutoscaler allows. */
  maxReplicas: z.number().int().min(1).default(2),
  /** Average CPU utilization, in percent of the request, that the autoscaler aims for. */
  targetCpuUtilization: percent.default(70),
  /** Average memory utilization, in percent of the request, that the autoscaler aims for. */
  targetMemoryUtilization: percent.default(80),
  /** User id the container runs as. */
  runAsUser: z.number().int().min(1).default(1000),
  /** Pod requests and limits. */
  resources: resourcesSchema({
    cpuRequest: "250m",
    memoryRequest: "512Mi",
    cpuLimit: "2",
    memoryLimit: "4Gi",
  }),
  /** Service type; anything other than ClusterIP publishes the cache outside the cluster. */
  serviceType: serviceType.default("ClusterIP"),
});

const atticCacheSchema = z.strictObject({
  /** Name of the cache the bootstrap creates; runners read it as `ATTIC_CACHE`. */
  name: matching(
    /^[A-Za-z0-9_-]{1,50}$/,
    "must be letters, digits, dashes and underscores, at most 50 characters",
    "main",
  ).default("main"),
  /** Whether anyone may pull from the cache without a token. */
  isPublic: z.boolean().default(true),
  /** Substituter priority Nix gives the cache; lower is tried first (cache.nixos.org is 40). */
  priority: z.number().int().min(0).default(41),
  /** Image with curl that runs the bootstrap request, pinned to a version. */
  bootstrapImage: pinnedImage("curlimages/curl:8.11.1").default("curlimages/curl:8.11.1"),
});

const atticSchema = z.strictObject({
  /** Namespace of Attic and its database. */
  namespace: dnsLabel("namespace name").default("nix-cache"),
  /** Attic server image, pinned by sha256 digest or by a commit tag. */
  image: z
    .string()
    .superRefine((image, ctx) => {
      const lastSlash = image.lastIndexOf("/");
      const colon = image.lastIndexOf(":");
      const tag = colon > lastSlash ? image.slice(colon + 1) : "";
      if (!IMAGE_DIGEST.test(image) && !COMMIT_TAG.test(tag)) {
        ctx.addIssue({
          code: "custom",
          message: `must be pinned by a sha256 digest or a commit tag, not ${JSON.stringify(image)}`,
          params: { accepted: `ghcr.io/zhaofengli/attic:${DEFAULT_ATTIC_COMMIT}` },
        });
      }
    })
    .default(`ghcr.io/zhaofengli/attic:${DEFAULT_ATTIC_COMMIT}`),
  /** Port the Attic container listens on. */
  containerPort: port.default(8080),
  /** Port of the Service `attic`; the exported endpoint uses it. */
  servicePort: port.default(80),
  /** Minimum API replicas the HorizontalPodAutoscaler keeps. */
  minReplicas: z.number().int().min(1).default(2),
  /** Maximum API replicas the HorizontalPodAutoscaler allows. */
  maxReplicas: z.number().int().min(1).default(10),
  /** Average CPU utilization, in percent of the request, that the autoscaler aims for. */
  targetCpuUtilization: percent.default(70),
  /** Average memory utilization, in percent of the request, that the autoscaler aims for. */
  targetMemoryUtilization: percent.default(80),
  /** Seconds the autoscaler waits before removing replicas. */
  scaleDownStabilizationWindowSeconds: z.number().int().min(0).max(3600).default(300),
  /** API pods that a voluntary disruption must leave running. */
  pdbMinAvailable: z.number().int().min(0).default(1),
  /** User and group id the Attic containers run as. */
  runAsUser: z.number().int().min(1).default(1000),
  /** Replicas of the garbage collector Deployment `attic-gc`; more than one would collect twice. */
  garbageCollectorReplicas: z.number().int().min(0).max(1).default(1),
  /** API pod requests and limits. */
  resources: resourcesSchema({
    cpuRequest: "100m",
    memoryRequest: "256Mi",
    cpuLimit: "1",
    memoryLimit: "1Gi",
  }),
  /** NAR chunking thresholds in bytes (`[chunking]` of server.toml). */
  chunking: z
    .strictObject({
      /** NARs at least this large are chunked. */
      narSizeThreshold: z.number().int().min(0).default(65536),
      /** Preferred minimum chunk size. */
      minSize: z.number().int().min(1).default(16384),
      /** Preferred average chunk size. */
      avgSize: z.number().int().min(1).default(65536),
      /** Preferred maximum chunk size. */
      maxSize: z.number().int().min(1).default(262144),
    })
    .prefault({}),
  /** Compression of stored NARs (`[compression]` of server.toml). */
  compression: z
    .strictObject({
      /** Compression algorithm. */
      type: oneOf(["none", "brotli", "zstd", "xz"], "zstd").default("zstd"),
      /** Compression level. */
      level: z.number().int().min(1).max(22).default(8),
    })
    .prefault({}),
  /** Garbage collection (`[garbage-collection]` of server.toml). */
  garbageCollection: z
    .strictObject({
      /** How often the collector runs, as a humantime duration. */
      interval: matching(HUMANTIME, "must be a duration such as 12 hours", "12 hours").default("12 hours"),
      /** How long unaccessed objects are kept, as a humantime duration. */
      defaultRetentionPeriod: matching(HUMANTIME, "must be a duration such as 3 months", "3 months").default(
        "3 months",
      ),
    })
    .prefault({}),
  /** The cache the bootstrap Job creates. */
  cache: atticCacheSchema.prefault({}),
  /** Service type; anything other than ClusterIP publishes the cache outside the cluster. */
  serviceType: serviceType.default("ClusterIP"),
});

const postgresSchema = z.strictObject({
  /** CloudNativePG operator chart. */
  operator: helmChartSchema(
    "cloudnative-pg",
    "0.20.0",
    "https://cloudnative-pg.github.io/charts",
    "cnpg-system",
  ).prefault({}),
  /** Name of the CloudNativePG Cluster. */
  clusterName: dnsLabel("resource name").default("attic-pg"),
  /** PostgreSQL instances: one primary and the rest replicas. */
  instances: z.number().int().min(1).max(9).default(3),
  /** Volume size of each instance. */
  storageSize: quantity.default("10Gi"),
  /** Storage class of the instance volumes; the cluster default when unset. */
  storageClassName: z.string().min(1).optional(),
  /** Database Attic uses. */
  database: matching(POSTGRES_NAME, "must be a lower-case PostgreSQL identifier", "attic").default("attic"),
  /** Role that owns the database; Attic connects as this role. */
  owner: matching(POSTGRES_NAME, "must be a lower-case PostgreSQL identifier", "attic_server").default(
    "attic_server",
  ),
  /** CloudNativePG backup schedule: 6 fields, seconds first. */
  backupSchedule: z
    .string()
    .superRefine((schedule, ctx) => {
      const fields = schedule.trim().split(/\s+/);
      if (fields.length !== 6) {
        ctx.addIssue({
          code: "custom",
          message: `must be a 6-field CloudNativePG schedule (seconds minutes hours day-of-month month day-of-week), not ${fields.length} fields (${JSON.stringify(schedule)})`,
          params: { accepted: "0 0 0 * * *" },
        });
        return;
      }
      for (const [index, text] of fields.entries()) {
        const field = CRON_FIELDS[index];
        const problem = cronFieldProblem(text, field);
        if (problem !== undefined) {
          ctx.addIssue({
            code: "custom",
            message: `field ${index + 1} (${field.name}) ${problem}`,
            params: { accepted: "0 0 0 * * *" },
          });
        }
      }
    })
    .default("0 0 0 * * *"),
  /** Days a base backup and its WAL are kept. */
  backupRetentionDays: z.number().int().min(1).max(3650).default(30),
  /** Bucket that receives base backups and WAL. */
  backupBucket: z.string().min(3).default("pg-backup"),
});

const minioStoreSchema = z.strictObject({
  /** In-cluster MinIO tenant managed by the MinIO operator. */
  type: z.literal("minio"),
  /** MinIO operator chart. */
  operator: helmChartSchema("operator", "6.0.4", "https://operator.min.io", "minio-operator").prefault({}),
  /** MinIO tenant chart. */
  tenant: helmChartSchema("tenant", "6.0.4", "https://operator.min.io", "minio-tenant").prefault({}),
  /** Name of the MinIO tenant. */
  tenantName: dnsLabel("resource name").default("attic-minio"),
  /** MinIO server image, pinned to a release. */
  image: pinnedImage("quay.io/minio/minio:RELEASE.2024-10-02T17-50-41Z").default(
    "quay.io/minio/minio:RELEASE.2024-10-02T17-50-41Z",
  ),
  /** MinIO server pods in the tenant's pool. */
  servers: z.number().int().min(1).default(1),
  /** Volumes per server; erasure coding needs at least 4 volumes in total. */
  volumesPerServer: z.number().int().min(1).default(4),
  /** Size of each volume. */
  volumeSize: quantity.default("10Gi"),
  /** Storage class of the volumes; the cluster default when unset. */
  storageClassName: z.string().min(1).optional(),
  /** Bucket Attic stores NARs and chunks in. */
  bucket: z.string().min(3).default("attic"),
  /** Region name the S3 clients sign requests for. */
  region: z.string().min(1).default("us-east-1"),
});

const s3StoreSchema = z.strictObject({
  /** An S3-compatible service outside the cluster; its keys are the secrets `flywheel:s3AccessKeyId` and `flywheel:s3SecretAccessKey`. */
  type: z.literal("s3"),
  /** S3 endpoint URL, such as `https://s3.eu-central-1.amazonaws.com`. */
  endpoint: z.string().optional(),
  /** Bucket Attic stores NARs and chunks in. */
  bucket: z.string().min(3).optional(),
  /** Region name the S3 clients sign requests for. */
  region: z.string().min(1).default("us-east-1"),
});

const OBJECT_STORE_TYPES = ["minio", "s3"];

// The type is checked first so that its problem carries an accepted value, which the union's own
// "no matching discriminator" issue cannot.
const objectStoreSchema = z.preprocess(
  (value, ctx) => {
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof value === "object" && value !== null && !OBJECT_STORE_TYPES.includes(type as string)) {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message:
          type === undefined
            ? 'is required: "minio" for an in-cluster MinIO tenant or "s3" for an external S3 service'
            : `must be "minio" (an in-cluster MinIO tenant) or "s3" (an external S3 service), not ${JSON.stringify(type)}`,
        params: { accepted: "minio" },
      });
    }
    return value;
  },
  z.discriminatedUnion("type", [minioStoreSchema, s3StoreSchema], {
    error: 'must be an object with type "minio" or "s3"',
  }),
);

const cachesSchema = z.strictObject({
  /** Pod Security Admission labels of every namespace that runs cache pods (bazel-remote, Attic, the MinIO tenant). */
  podSecurity: podSecuritySchema.prefault({}),
  /** Bazel remote cache (bazel-remote). */
  bazelRemote: bazelRemoteSchema.prefault({}),
  /** Nix binary cache (Attic). */
  attic: atticSchema.prefault({}),
  /** Attic's PostgreSQL database on CloudNativePG. */
  postgres: postgresSchema.prefault({}),
  /** Object storage behind both caches and the database backups. */
  objectStore: objectStoreSchema.prefault({ type: "minio" }),
});

const familySchema = z
  .strictObject({
    /** Every cache setting, as one structured value `flywheel:caches`. */
    caches: cachesSchema.prefault({}),
    /** Access key id of the external S3 service; required when `objectStore.type` is `s3`. */
    s3AccessKeyId: z.instanceof(Secret).optional(),
    /** Secret access key of the external S3 service; required when `objectStore.type` is `s3`. */
    s3SecretAccessKey: z.instanceof(Secret).optional(),
  })
  .superRefine((config, ctx) => {
    checkBazelRemote(config.caches.bazelRemote, ctx);
    checkReplicas(config.caches.attic, ["caches", "attic"], ctx);
    checkObjectStore(config, ctx);
  });

function checkReplicas(
  section: { minReplicas: number; maxReplicas: number },
  path: string[],
  ctx: z.RefinementCtx,
): void {
  if (section.minReplicas > section.maxReplicas) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "minReplicas"],
      message: `must not exceed maxReplicas (${section.maxReplicas}), not ${section.minReplicas}`,
      params: { accepted: String(section.maxReplicas) },
    });
  }
}

function checkBazelRemote(bazel: z.output<typeof bazelRemoteSchema>, ctx: z.RefinementCtx): void {
  const path = ["caches", "bazelRemote"];
  checkReplicas(bazel, path, ctx);
  if (bazel.grpcPort === bazel.httpPort) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "httpPort"],
      message: `must differ from grpcPort (${bazel.grpcPort})`,
      params: { accepted: "8080" },
    });
  }
  // The volume size has its own check; an invalid one is reported there, not compared here.
  if (!QUANTITY.test(bazel.volumeSize)) {
    return;
  }
  // bazel-remote evicts only once the cache reaches max_size; a larger value than the volume fills the disk.
  const volumeGib = Math.floor(quantityBytes(bazel.volumeSize) / GIB);
  if (bazel.maxSize > volumeGib) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "maxSize"],
      message: `must not exceed the volume size ${bazel.volumeSize} (${volumeGib} GiB, set by ${CACHES_KEY}.bazelRemote.volumeSize), not ${bazel.maxSize}`,
      params: { accepted: String(Math.max(1, volumeGib)) },
    });
  }
}

function checkObjectStore(config: z.output<typeof familySchema>, ctx: z.RefinementCtx): void {
  const store = config.caches.objectStore;
  const secretKeys = ["s3AccessKeyId", "s3SecretAccessKey"] as const;
  if (store.type === "minio") {
    for (const key of secretKeys) {
      if (config[key] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `is used only when ${CACHES_KEY}.objectStore.type is "s3"; the MinIO tenant generates its own keys`,
          params: { accepted: "remove it, or set objectStore.type to s3" },
        });
      }
    }
    return;
  }
  const storePath = ["caches", "objectStore"];
  if (store.endpoint === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [...storePath, "endpoint"],
      message: 'is required when objectStore.type is "s3"',
      params: { accepted: "https://s3.eu-central-1.amazonaws.com" },
    });
  } else if (/^https?:\/\/[^\s/]*@/.test(store.endpoint)) {
    // The value is not echoed: user information in a URL is a credential.
    ctx.addIssue({
      code: "custom",
      path: [...storePath, "endpoint"],
      message:
        "must not contain credentials (user information before @); set flywheel:s3AccessKeyId and flywheel:s3SecretAccessKey as secrets instead",
      params: { accepted: "https://s3.eu-central-1.amazonaws.com" },
    });
  } else if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(store.endpoint)) {
    ctx.addIssue({
      code: "custom",
      path: [...storePath, "endpoint"],
      message: `must be an http or https URL, not ${JSON.stringify(store.endpoint)}`,
      params: { accepted: "https://s3.eu-central-1.amazonaws.com" },
    });
  }
  if (store.bucket === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [...storePath, "bucket"],
      message: 'is required when objectStore.type is "s3"',
      params: { accepted: "attic" },
    });
  }
  for (const key of secretKeys) {
    if (config[key] === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: 'is required when objectStore.type is "s3"',
        params: { accepted: `pulumi config set --secret flywheel:${key} <value>` },
      });
    }
  }
}

/** Parsed configuration of a caches stack. */
export type CachesConfig = z.output<typeof familySchema>;

/** Settings of the bazel-remote cache. */
export type BazelRemoteConfig = CachesConfig["caches"]["bazelRemote"];
/** Settings of the Attic cache. */
export type AtticConfig = CachesConfig["caches"]["attic"];
/** Settings of the CloudNativePG database. */
export type PostgresConfig = CachesConfig["caches"]["postgres"];
/** Settings of the object store: an in-cluster MinIO tenant or an external S3 service. */
export type ObjectStoreConfig = CachesConfig["caches"]["objectStore"];

/** Configuration keys of the caches family. */
export const cachesFamily: FamilyDefinition<CachesConfig> = {
  family: "caches",
  schema: familySchema,
  secretKeys: ["s3AccessKeyId", "s3SecretAccessKey"],
};
