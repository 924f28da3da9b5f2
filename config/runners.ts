/**
 * Configuration of a `runners-<env>` stack. Keys, under the `flywheel:` namespace:
 *
 * - `githubAppId`, `githubAppInstallationId`, `githubAppPrivateKey` (secrets, required): the GitHub
 *   App the default lanes register with.
 * - `ghcrToken` (secret) and `ghcrUsername`, both or neither: a `ghcr-auth` pull secret.
 * - `cachesStack`: stack whose outputs carry the cache endpoints, default `caches-<environment>`.
 * - `runners` (structured): `githubConfigUrl` (required), `namespace`, `githubConfigSecret`,
 *   `controller`, `scaleSetChart`, `lanes`, `extraScaleSets`, `guardrails`, `registry`.
 *   `lanes` is keyed by Helm release name. An entry for `gh-nix`, `gh-docker` or `gh-dind` changes
 *   only the fields it sets, and any other key adds a lane that needs at least a `label`.
 * - `extraGithubApps` (structured secret): App credentials for scale sets of other organizations
 *   or repositories, keyed by a name that `runners.extraScaleSets.<release>.githubApp` refers to,
 *   each `{ appId, installationId, privateKey }`. Set each leaf with
 *   `pulumi config set --secret --path flywheel:extraGithubApps.<name>.privateKey <PEM>`.
 */
import { z } from "zod";
import type { FamilyDefinition } from "./load";
import { Secret } from "./secret";
import { isQuantity, parseQuantity } from "./quantity";

/** Container mode of a scale set: plain runner, ARC's Docker sidecar, or a pod per job container. */
export type ContainerMode = "none" | "dind" | "kubernetes";

/** A build cache a lane is wired to: `attic` (Nix binary cache) or `bazel` (Bazel remote cache). */
export type CacheKind = "attic" | "bazel";

/** Whether a GitHub config URL names an organization or a single repository. */
export type GithubScope = "organization" | "repository";

/** CPU and memory of one container, as Kubernetes quantities. */
export interface ResourceList {
  /** CPU quantity, such as `500m` or `4`. */
  cpu: string;
  /** Memory quantity, such as `1Gi`. */
  memory: string;
}

/** Requests and limits of the runner container. */
export interface Resources {
  /** Guaranteed share the scheduler reserves. */
  requests: ResourceList;
  /** Ceiling the kubelet enforces. */
  limits: ResourceList;
}

/** Work volume that `kubernetes` container mode mounts for job containers. */
export interface WorkVolumeClaim {
  /** Storage class of the claim, such as `standard`. */
  storageClassName: string;
  /** Requested size, such as `10Gi`. */
  size: string;
  /** Access modes of the claim, default `["ReadWriteOnce"]`. */
  accessModes: string[];
}

/** GitHub App credentials one scale set registers with. Every value is a secret. */
export interface GithubAppCredentials {
  /** Numeric ID of the GitHub App. */
  appId: Secret;
  /** ID of the App's installation in the organization or repository. */
  installationId: Secret;
  /** PEM private key of the App. */
  privateKey: Secret;
}

/** One ARC runner scale set, with every default filled in. */
export interface ScaleSetConfig {
  /** Helm release name and map key, such as `gh-nix`. */
  releaseName: string;
  /** Configuration key the scale set came from, for messages: `runners.lanes.gh-nix`. */
  configKey: string;
  /** Label jobs name in `runs-on`, which is ARC's `runnerScaleSetName`. */
  label: string;
  /** Whether a Helm release is installed for this scale set. */
  enabled: boolean;
  /** Number of idle runners ARC keeps ready (`minRunners`). */
  minRunners: number;
  /** Maximum number of concurrent runners (`maxRunners`). */
  maxRunners: number;
  /** GitHub runner group the scale set registers in, default `default`. */
  runnerGroup: string;
  /** Requests and limits of the runner container. */
  resources: Resources;
  /** Container mode of the runners. */
  containerMode: ContainerMode;
  /** Work volume claim, present exactly when `containerMode` is `kubernetes`. */
  workVolumeClaim?: WorkVolumeClaim;
  /** Runner image, pinned by tag or digest. */
  image: string;
  /** Extra plain environment variables of the runner container. */
  env: Readonly<Record<string, string>>;
  /** Caches whose endpoints the runner container receives. */
  caches: readonly CacheKind[];
  /** PriorityClass of runner pods, when set. */
  priorityClassName?: string;
  /** `https://github.com/ORG` or `https://github.com/OWNER/REPO`. */
  githubConfigUrl: string;
  /** Scope named by `githubConfigUrl`. */
  scope: GithubScope;
  /** Name of the Kubernetes Secret holding this scale set's GitHub App credentials. */
  githubConfigSecret: string;
  /** Credentials written to `githubConfigSecret`. */
  credentials: GithubAppCredentials;
}

/** Helm chart coordinates. */
export interface ChartConfig {
  /** Chart name, such as `gha-runner-scale-set`. */
  chart: string;
  /** Exact chart version. */
  version: string;
  /** OCI repository the chart is pulled from. */
  repository: string;
  /** Helm install and upgrade timeout, in seconds. */
  timeoutSeconds: number;
}

/** The ARC controller release. */
export interface ControllerConfig extends ChartConfig {
  /** Helm release name. The chart names the controller's service account `<releaseName>-gha-rs-controller`. */
  releaseName: string;
  /** Namespace of the controller. */
  namespace: string;
  /** ARC's `flags.updateStrategy`: `eventual` waits for running jobs before applying scale set changes. */
  updateStrategy: "eventual" | "immediate";
  /** ARC's `flags.logLevel`. */
  logLevel: "debug" | "info" | "warn" | "error";
  /** Requests and limits of the controller container. */
  resources: Resources;
}

/** The pod cleanup CronJob of the runner namespace. */
export interface CleanupConfig {
  /** Whether the CronJob and its RBAC are created. */
  enabled: boolean;
  /** Cron schedule, five fields. */
  schedule: string;
  /** Image with a shell, `kubectl` and `jq`, pinned by tag or digest. */
  image: string;
  /** Age in seconds after which a pod stuck Terminating is force-deleted. */
  terminatingSeconds: number;
  /** Age in seconds after which a Succeeded pod is deleted. */
  succeededSeconds: number;
  /** Age in seconds after which a Failed pod is deleted. */
  failedSeconds: number;
}

/** Namespace guardrails applied to the runner namespace. */
export interface GuardrailsConfig {
  /** Whether the default-deny ingress NetworkPolicy is created. */
  networkPolicy: { enabled: boolean };
  /** ResourceQuota of the namespace: `cpu` and `memory` cap the sum of requests, `pods` the pod count. */
  resourceQuota: { enabled: boolean; cpu: string; memory: string; pods: number };
  /** LimitRange of the namespace. Its `max` is raised to fit the largest scale set's limits. */
  limitRange: { enabled: boolean; default: ResourceList; defaultRequest: ResourceList; max: ResourceList };
  /** Cluster-wide PriorityClasses, by name, with their values. */
  priorityClasses: { enabled: boolean; classes: Readonly<Record<string, number>> };
  /** Cleanup CronJob. */
  cleanup: CleanupConfig;
}

/** Registry pull secret for runner images on ghcr.io. */
export interface RegistryPullConfig {
  /** Name of the `kubernetes.io/dockerconfigjson` Secret in both ARC namespaces. */
  secretName: string;
  /** Registry host the credentials are for. */
  server: string;
  /** Account the token belongs to. */
  username: string;
  /** Token with `read:packages`. */
  token: Secret;
}

/** Parsed configuration of a `runners-<env>` stack, every default applied. */
export interface RunnersConfig {
  /** Stack whose outputs carry the cache endpoints, or undefined for `caches-<environment>`. */
  cachesStack?: string;
  /** Organization or repository URL of the default lanes. */
  githubConfigUrl: string;
  /** Namespace of the scale sets and their runners. */
  runnerNamespace: string;
  /** The ARC controller release. */
  controller: ControllerConfig;
  /** The scale-set chart used for every scale set. */
  scaleSetChart: ChartConfig;
  /** Default lanes and extra scale sets, enabled or not, lanes first. */
  scaleSets: readonly ScaleSetConfig[];
  /** Guardrails of the runner namespace. */
  guardrails: GuardrailsConfig;
  /** Registry pull secret, present only when `ghcrToken` is configured. */
  registryPull?: RegistryPullConfig;
}

/** Runner image of every scale set unless a lane sets its own. */
export const DEFAULT_RUNNER_IMAGE = "ghcr.io/actions/actions-runner:2.328.0";

/**
 * Image of the cleanup CronJob: Alpine with kubectl and jq.
 * NOTE: this tag was chosen from the image's published version scheme and not pulled from here.
 */
export const DEFAULT_CLEANUP_IMAGE = "docker.io/alpine/k8s:1.31.4";

/** Repository both ARC charts are published to. */
export const ARC_CHART_REPOSITORY = "oci://ghcr.io/actions/actions-runner-controller-charts";

/** ARC chart version this program was written against. */
export const ARC_CHART_VERSION = "0.13.1";

const HEAVY_RESOURCES: Resources = {
  requests: { cpu: "500m", memory: "1Gi" },
  limits: { cpu: "4", memory: "8Gi" },
};

const LIGHT_RESOURCES: Resources = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "2", memory: "4Gi" },
};

// Values every scale set starts from. A lane or extra scale set overrides any of them.
const SCALE_SET_DEFAULTS = {
  enabled: true,
  minRunners: 0,
  maxRunners: 5,
  runnerGroup: "default",
  resources: HEAVY_RESOURCES,
  containerMode: "none",
  image: DEFAULT_RUNNER_IMAGE,
  env: {},
  caches: [],
};

/** The default lanes, keyed by Helm release name. */
export const DEFAULT_LANES: Readonly<Record<string, Record<string, unknown>>> = {
  "gh-nix": { ...SCALE_SET_DEFAULTS, label: "tinyland-nix", caches: ["attic", "bazel"] },
  "gh-docker": {
    ...SCALE_SET_DEFAULTS,
    label: "tinyland-docker",
    resources: LIGHT_RESOURCES,
    caches: ["bazel"],
  },
  "gh-dind": { ...SCALE_SET_DEFAULTS, label: "tinyland-dind", enabled: false, containerMode: "dind" },
};

// Helm rejects release names longer than 53 characters, and they must also be DNS-1123 labels.
const RELEASE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,51}[a-z0-9])?$/;
const KUBERNETES_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LABEL_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
// GitHub-hosted runner labels (ubuntu-24.04, windows-latest, macos-14-large) and the generic labels
// of classic self-hosted runners, which ARC scale sets do not carry.
const HOSTED_LABEL_PATTERN = /^(ubuntu|windows|macos)(-|$)|^(self-hosted|linux|x64|arm64)$/i;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
// GitHub account names are letters, digits and dashes, at most 39 characters, not starting with a dash.
const GITHUB_URL_PATTERN =
  /^https:\/\/github\.com\/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))(?:\/([A-Za-z0-9._-]+))?$/;
// Environment names that suggest a credential: such values belong in a Secret, never in Helm values.
const CREDENTIAL_NAME_PATTERN = /(TOKEN|PASSWORD|PASSWD|SECRET|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL)/i;
const CRON_FIELD_PATTERN = /^[0-9*/,-]+$/;

/** Environment variable names the program sets from the caches stack, by cache. */
export const CACHE_ENV_NAMES: Readonly<Record<CacheKind, readonly string[]>> = {
  attic: ["NIX_CONFIG", "ATTIC_SERVER", "ATTIC_CACHE"],
  bazel: ["BAZEL_REMOTE_CACHE"],
};

/** Returns why `image` is not pinned, or undefined when it carries a version tag or a digest. */
export function imagePinProblem(image: string): string | undefined {
  if (/\s/.test(image) || image.length === 0) {
    return "must be an image reference without spaces";
  }
  const [name, digest] = image.split("@", 2);
  if (digest !== undefined) {
    return /^sha256:[a-f0-9]{64}$/.test(digest)
      ? undefined
      : "must end in a sha256 digest of 64 hex digits after @";
  }
  const lastSlash = name.lastIndexOf("/");
  const colon = name.indexOf(":", lastSlash + 1);
  if (colon < 0) {
    return "must be pinned to a version tag or digest, not left untagged";
  }
  const tag = name.slice(colon + 1);
  if (tag === "latest") {
    return "must be pinned to a version tag or digest, not `latest`";
  }
  return tag.length === 0 ? "must not end in an empty tag" : undefined;
}

/** Returns the scope a valid GitHub config URL names. */
export function githubScope(url: string): GithubScope {
  const match = GITHUB_URL_PATTERN.exec(url);
  return match?.[2] === undefined ? "organization" : "repository";
}

// ---------------------------------------------------------------------------------------------
// Field schemas. zod's built-in messages read "Invalid input: ...", so every check carries a rule
// phrase here, and `withAcceptedValues` below attaches an accepted value to each problem.

const text = z.string().min(1, "must not be empty");
const count = z.number().int("must be a whole number").min(0, "must be at least 0");
const seconds = z.number().int("must be a whole number of seconds").min(1, "must be at least 1 second");
const cpu = z
  .string()
  .refine((v) => isQuantity(v) && parseQuantity(v) > 0, "must be a positive CPU quantity");
const memory = z
  .string()
  .refine((v) => isQuantity(v) && parseQuantity(v) > 0, "must be a positive memory quantity");
const kubernetesName = z
  .string()
  .regex(KUBERNETES_NAME_PATTERN, "must be a DNS-1123 label (lower-case letters, digits, dashes)");
/** Builds a schema for an image pinned by tag or digest, whose problems suggest `example`. */
function pinnedImage(example: string) {
  return z.string().superRefine((image, ctx) => {
    const problem = imagePinProblem(image);
    if (problem !== undefined) {
      ctx.addIssue({ code: "custom", message: problem, params: { accepted: example } });
    }
  });
}
// Helm installs whatever matches a range such as `^0.13`, so chart versions must be exact.
const chartVersion = z
  .string()
  .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, "must be an exact chart version, not a range");
const githubUrl = z
  .string()
  .regex(
    GITHUB_URL_PATTERN,
    "must be https://github.com/ORG or https://github.com/OWNER/REPO, without a trailing slash",
  )
  // ARC also reads https://github.com/enterprises/NAME as enterprise scope, which this program does not
  // manage, so the URL would otherwise pass as a repository named NAME.
  .refine(
    (url) => !url.toLowerCase().startsWith("https://github.com/enterprises/"),
    "must name an organization or repository, because enterprise scope is not supported",
  );

const resourceListSchema = z.strictObject({ cpu, memory });
const resourcesSchema = z.strictObject({ requests: resourceListSchema, limits: resourceListSchema });

const workVolumeClaimSchema = z.strictObject({
  storageClassName: kubernetesName,
  size: memory,
  accessModes: z
    .array(z.enum(["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"]))
    .min(1)
    .default(["ReadWriteOnce"]),
});

const scaleSetFields = {
  label: z
    .string()
    .regex(LABEL_PATTERN, "must be letters, digits, dots, dashes and underscores")
    .refine(
      (label) => !HOSTED_LABEL_PATTERN.test(label),
      "must not look like a GitHub-hosted or generic self-hosted label, because jobs would reach it by accident",
    ),
  enabled: z.boolean(),
  minRunners: count,
  maxRunners: count,
  runnerGroup: text,
  resources: resourcesSchema,
  containerMode: z.enum(["none", "dind", "kubernetes"]),
  workVolumeClaim: workVolumeClaimSchema.optional(),
  image: pinnedImage(DEFAULT_RUNNER_IMAGE),
  env: z.record(z.string().regex(ENV_NAME_PATTERN, "must be a valid environment variable name"), z.string()),
  caches: z.array(z.enum(["attic", "bazel"])),
  priorityClassName: kubernetesName.optional(),
};

const laneSchema = z.strictObject(scaleSetFields);

const extraScaleSetSchema = z.strictObject({
  ...scaleSetFields,
  githubConfigUrl: githubUrl,
  /** Key in `flywheel:extraGithubApps` holding this scale set's App credentials. */
  githubApp: text,
  /** Name of its credentials Secret, default `<release name>-github-app`. */
  githubConfigSecret: kubernetesName.optional(),
});

/** Deep-merges plain objects. Arrays and scalars in `override` replace those in `base`. */
function mergeDefaults(base: unknown, override: unknown): unknown {
  const isPlain = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isPlain(base) || !isPlain(override)) {
    return override === undefined ? base : override;
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    merged[key] = mergeDefaults(base[key], value);
  }
  return merged;
}

/** Fills each entry of a keyed map with the defaults of its key, or with `fallback` for a new key. */
function withEntryDefaults(defaults: Readonly<Record<string, unknown>>, fallback: unknown) {
  return (value: unknown): unknown => {
    if (value === undefined) {
      return { ...defaults };
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return value;
    }
    const entries = value as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...defaults };
    for (const [key, entry] of Object.entries(entries)) {
      merged[key] = mergeDefaults(defaults[key] ?? fallback, entry);
    }
    return merged;
  };
}

/** Builds a CPU and memory schema whose two values can be overridden one at a time. */
function resourceListWithDefaults(defaults: ResourceList) {
  return z.preprocess((value) => mergeDefaults(defaults, value), resourceListSchema);
}

const controllerSchema = z.strictObject({
  chart: text.default("gha-runner-scale-set-controller"),
  version: chartVersion.default(ARC_CHART_VERSION),
  repository: text.default(ARC_CHART_REPOSITORY),
  timeoutSeconds: seconds.default(600),
  releaseName: z
    .string()
    .regex(RELEASE_NAME_PATTERN, "must be a Helm release name")
    .default("arc-controller"),
  namespace: kubernetesName.default("arc-systems"),
  updateStrategy: z.enum(["eventual", "immediate"]).default("eventual"),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  resources: z.preprocess(
    (v) =>
      mergeDefaults(
        { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
        v,
      ),
    resourcesSchema,
  ),
});

const scaleSetChartSchema = z.strictObject({
  chart: text.default("gha-runner-scale-set"),
  version: chartVersion.default(ARC_CHART_VERSION),
  repository: text.default(ARC_CHART_REPOSITORY),
  timeoutSeconds: seconds.default(600),
});

/** Returns whether `schedule` has the five fields a Kubernetes CronJob takes, each of digits, stars, slashes, commas and dashes. */
function isFiveFieldCron(schedule: string): boolean {
  const fields = schedule.trim().split(/\s+/);
  return fields.length === 5 && fields.every((field) => CRON_FIELD_PATTERN.test(field));
}

const limitRangeSchema = z.strictObject({
  enabled: z.boolean().default(true),
  default: resourceListWithDefaults({ cpu: "1", memory: "1Gi" }),
  defaultRequest: resourceListWithDefaults({ cpu: "100m", memory: "128Mi" }),
  max: resourceListWithDefaults({ cpu: "4", memory: "8Gi" }),
});

const guardrailsSchema = z.strictObject({
  networkPolicy: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  resourceQuota: z
    .strictObject({
      enabled: z.boolean().default(true),
      cpu: cpu.default("16"),
      memory: memory.default("32Gi"),
      pods: count.default(50),
    })
    .prefault({}),
  limitRange: limitRangeSchema.prefault({} as z.input<typeof limitRangeSchema>),
  priorityClasses: z
    .strictObject({
      enabled: z.boolean().default(false),
      classes: z
        .record(
          kubernetesName,
          z.number().int("must be a whole number").max(1_000_000_000, "must be at most 1000000000"),
        )
        // Far below the system classes (2000000000 and above), so runners never preempt cluster
        // components, and above the default of 0, so they outrank pods without a class.
        .default({ "arc-runner-high": 1000, "arc-runner-low": 100 }),
    })
    .prefault({}),
  cleanup: z
    .strictObject({
      enabled: z.boolean().default(true),
      schedule: z
        .string()
        .refine(isFiveFieldCron, "must be a five-field cron schedule")
        .default("*/5 * * * *"),
      image: pinnedImage(DEFAULT_CLEANUP_IMAGE).default(DEFAULT_CLEANUP_IMAGE),
      terminatingSeconds: seconds.default(300),
      succeededSeconds: seconds.default(600),
      failedSeconds: seconds.default(1800),
    })
    .prefault({}),
});

const runnersSectionSchema = z.strictObject({
  githubConfigUrl: githubUrl,
  namespace: kubernetesName.default("arc-runners"),
  githubConfigSecret: kubernetesName.default("github-app-secret"),
  controller: controllerSchema.prefault({} as z.input<typeof controllerSchema>),
  scaleSetChart: scaleSetChartSchema.prefault({}),
  lanes: z.preprocess(withEntryDefaults(DEFAULT_LANES, SCALE_SET_DEFAULTS), z.record(z.string(), laneSchema)),
  extraScaleSets: z.preprocess(
    withEntryDefaults({}, SCALE_SET_DEFAULTS),
    z.record(z.string(), extraScaleSetSchema),
  ),
  guardrails: guardrailsSchema.prefault({}),
  registry: z
    .strictObject({
      server: text.default("ghcr.io"),
      pullSecretName: kubernetesName.default("ghcr-auth"),
    })
    .prefault({}),
});

// Pulumi hands a secret like `123456` to the program as JSON, so it can arrive as a number that the
// loader did not wrap. It is wrapped here so that it never prints.
const secretValue = z.preprocess(
  (v) => (typeof v === "number" ? new Secret(String(v)) : v),
  z.instanceof(Secret, {
    error: (issue) =>
      issue.input === undefined ? "is required" : "must be a string set with pulumi config set --secret",
  }),
);

const githubAppSchema = z.strictObject({
  appId: secretValue,
  installationId: secretValue,
  privateKey: secretValue,
});

const inputSchema = z.strictObject({
  cachesStack: text.optional(),
  githubAppId: secretValue.optional(),
  githubAppInstallationId: secretValue.optional(),
  githubAppPrivateKey: secretValue.optional(),
  ghcrToken: secretValue.optional(),
  ghcrUsername: text.optional(),
  extraGithubApps: z.record(z.string(), githubAppSchema).optional(),
  runners: runnersSectionSchema.optional(),
});

type RunnersInput = z.output<typeof inputSchema>;
type Issue = { path: PropertyKey[]; message: string; accepted: string };

/** Secret keys every runners stack must set. */
const REQUIRED_SECRETS = ["githubAppId", "githubAppInstallationId", "githubAppPrivateKey"] as const;

/**
 * Returns whether quantity `a` exceeds `b`. Invalid quantities compare as not exceeding, because
 * zod runs these cross-field checks even after a field's own format check failed, and that failure
 * is already reported.
 */
function exceeds(a: string, b: string): boolean {
  return isQuantity(a) && isQuantity(b) && parseQuantity(a) > parseQuantity(b);
}

function checkCredentials(input: RunnersInput, report: (issue: Issue) => void): void {
  for (const key of REQUIRED_SECRETS) {
    if (input[key] === undefined) {
      report({
        path: [key],
        message: "is required",
        accepted: `pulumi config set --secret flywheel:${key} <value>`,
      });
    }
  }
  if (input.ghcrToken !== undefined && input.ghcrUsername === undefined) {
    report({
      path: ["ghcrUsername"],
      message: "is required when flywheel:ghcrToken is set",
      accepted: "pulumi config set flywheel:ghcrUsername <account that owns the token>",
    });
  }
  if (input.ghcrUsername !== undefined && input.ghcrToken === undefined) {
    report({
      path: ["ghcrToken"],
      message: "is required when flywheel:ghcrUsername is set",
      accepted: "pulumi config set --secret flywheel:ghcrToken <token with read:packages>",
    });
  }
  if (input.runners === undefined) {
    report({
      path: ["runners", "githubConfigUrl"],
      message: "is required",
      accepted: "pulumi config set --path flywheel:runners.githubConfigUrl https://github.com/ORG",
    });
  }
}

type ScaleSetInput = z.output<typeof laneSchema> & {
  githubConfigUrl?: string;
  githubApp?: string;
  githubConfigSecret?: string;
};

function checkScaleSet(
  path: PropertyKey[],
  scaleSet: ScaleSetInput,
  input: RunnersInput,
  report: (issue: Issue) => void,
): void {
  if (!RELEASE_NAME_PATTERN.test(String(path[path.length - 1]))) {
    report({
      path,
      message:
        "must be keyed by a Helm release name: lower-case letters, digits and dashes, at most 53 characters",
      accepted: "gh-nix",
    });
  }
  // A negative maxRunners has its own problem from the schema; comparing against it would only
  // suggest an invalid value.
  if (scaleSet.maxRunners >= 0 && scaleSet.minRunners > scaleSet.maxRunners) {
    report({
      path: [...path, "minRunners"],
      message: `must not exceed maxRunners (${scaleSet.maxRunners})`,
      accepted: String(scaleSet.maxRunners),
    });
  }
  for (const kind of ["cpu", "memory"] as const) {
    const request = scaleSet.resources.requests[kind];
    const limit = scaleSet.resources.limits[kind];
    if (exceeds(request, limit)) {
      report({
        path: [...path, "resources", "requests", kind],
        message: `must not exceed the limit (${limit})`,
        accepted: limit,
      });
    }
  }
  if (scaleSet.containerMode === "kubernetes" && scaleSet.workVolumeClaim === undefined) {
    report({
      path: [...path, "workVolumeClaim"],
      message: "is required when containerMode is kubernetes",
      accepted: '{"storageClassName": "standard", "size": "10Gi"}',
    });
  }
  if (scaleSet.containerMode !== "kubernetes" && scaleSet.workVolumeClaim !== undefined) {
    report({
      path: [...path, "workVolumeClaim"],
      message: "applies only when containerMode is kubernetes",
      accepted: "remove it or set containerMode to kubernetes",
    });
  }
  const managed = scaleSet.caches.flatMap((cache) => CACHE_ENV_NAMES[cache]);
  for (const [name, value] of Object.entries(scaleSet.env)) {
    if (managed.includes(name)) {
      report({
        path: [...path, "env", name],
        message: "is set from the caches stack outputs and must not be overridden",
        accepted: "remove it, or drop the cache from caches",
      });
    }
    if (CREDENTIAL_NAME_PATTERN.test(name)) {
      report({
        path: [...path, "env", name],
        message: "looks like a credential, and Helm values are stored in plain text",
        accepted: "remove it and mount the value from a Kubernetes Secret",
      });
    }
    if (name === "DOCKER_HOST" && /^tcp:/i.test(value)) {
      report({
        path: [...path, "env", name],
        message: "must not point at a TCP Docker daemon, because ARC's dind sidecar listens on a unix socket",
        accepted: "remove it and set containerMode to dind",
      });
    }
  }
  if (scaleSet.githubApp !== undefined && input.extraGithubApps?.[scaleSet.githubApp] === undefined) {
    report({
      path: [...path, "githubApp"],
      message: `names flywheel:extraGithubApps.${scaleSet.githubApp}, which is not set`,
      accepted: `pulumi config set --secret --path flywheel:extraGithubApps.${scaleSet.githubApp}.privateKey <PEM> (and appId, installationId)`,
    });
  }
}

function checkRunners(input: RunnersInput, report: (issue: Issue) => void): void {
  const runners = input.runners;
  if (runners === undefined) {
    return;
  }
  const entries: Array<{ path: PropertyKey[]; scaleSet: ScaleSetInput; url: string }> = [
    ...Object.entries(runners.lanes).map(([key, lane]) => ({
      path: ["runners", "lanes", key],
      scaleSet: lane as ScaleSetInput,
      url: runners.githubConfigUrl,
    })),
    ...Object.entries(runners.extraScaleSets).map(([key, extra]) => ({
      path: ["runners", "extraScaleSets", key],
      scaleSet: extra as ScaleSetInput,
      url: extra.githubConfigUrl,
    })),
  ];

  const releases = new Map<string, string>();
  // Only enabled scale sets can collide at run time, so a disabled lane may keep a label that
  // another lane took over.
  const labels = new Map<string, string>();
  for (const { path, scaleSet, url } of entries) {
    checkScaleSet(path, scaleSet, input, report);
    const release = String(path[path.length - 1]);
    const key = path.join(".");
    const sameRelease = releases.get(release);
    if (sameRelease !== undefined) {
      report({
        path,
        message: `uses the Helm release name of flywheel:${sameRelease} in the same namespace`,
        accepted: "rename one of the two keys",
      });
    }
    releases.set(release, key);
    if (!scaleSet.enabled) {
      continue;
    }
    // GitHub compares runner labels and group names without regard to case.
    const labelKey = [url, scaleSet.runnerGroup, scaleSet.label].join(" ").toLowerCase();
    const sameLabel = labels.get(labelKey);
    if (sameLabel !== undefined) {
      report({
        path: [...path, "label"],
        message: `duplicates the label of flywheel:${sameLabel} in ${url}, runner group ${scaleSet.runnerGroup}`,
        accepted: `${scaleSet.label}-2, or another runnerGroup`,
      });
    }
    labels.set(labelKey, key);
  }

  const classes = runners.guardrails.priorityClasses;
  for (const { path, scaleSet } of entries) {
    const name = scaleSet.priorityClassName;
    if (name !== undefined && classes.enabled && classes.classes[name] === undefined) {
      report({
        path: [...path, "priorityClassName"],
        message: "must name one of guardrails.priorityClasses.classes",
        accepted: Object.keys(classes.classes).join(" or "),
      });
    }
  }
  if (runners.namespace === runners.controller.namespace) {
    // The stack creates both namespaces, and the guardrails' quota and default-deny policy would
    // also bind the controller.
    report({
      path: ["runners", "namespace"],
      message: `must differ from the controller namespace (${runners.controller.namespace})`,
      accepted: "arc-runners",
    });
  }
  checkCredentialSecrets(input, report);
  checkQuota(entries, input, report);
  checkGuardrails(input, report);
}

/** Rejects two Secrets of one name in the runner namespace: credentials of different Apps, or the pull secret. */
function checkCredentialSecrets(input: RunnersInput, report: (issue: Issue) => void): void {
  const runners = input.runners!;
  // The default lanes use the top-level App, which an empty name stands for. The registry pull
  // secret contains no App, so its marker cannot equal a key of flywheel:extraGithubApps.
  const pullSecret = { app: "(registry pull secret)", key: "runners.registry.pullSecretName" };
  const owners = new Map<string, { app: string; key: string }>([
    [runners.registry.pullSecretName, pullSecret],
  ]);
  if (runners.githubConfigSecret === runners.registry.pullSecretName) {
    report({
      path: ["runners", "githubConfigSecret"],
      message: `names the Secret ${runners.githubConfigSecret} of flywheel:${pullSecret.key}`,
      accepted: "github-app-secret",
    });
  }
  owners.set(runners.githubConfigSecret, { app: "", key: "runners.githubConfigSecret" });
  for (const [release, extra] of Object.entries(runners.extraScaleSets)) {
    const secretName = extra.githubConfigSecret ?? `${release}-github-app`;
    const owner = owners.get(secretName);
    if (owner !== undefined && owner.app !== extra.githubApp) {
      report({
        path: ["runners", "extraScaleSets", release, "githubConfigSecret"],
        message: `names the Secret ${secretName} of flywheel:${owner.key}, which contains the credentials of another GitHub App`,
        accepted: `${release}-github-app`,
      });
      continue;
    }
    owners.set(secretName, { app: extra.githubApp, key: `runners.extraScaleSets.${release}` });
  }
}

/** Rejects an enabled scale set whose one runner already requests more than the namespace quota. */
function checkQuota(
  entries: ReadonlyArray<{ path: PropertyKey[]; scaleSet: ScaleSetInput }>,
  input: RunnersInput,
  report: (issue: Issue) => void,
): void {
  const quota = input.runners!.guardrails.resourceQuota;
  if (!quota.enabled) {
    return;
  }
  for (const { path, scaleSet } of entries) {
    for (const kind of ["cpu", "memory"] as const) {
      const request = scaleSet.resources.requests[kind];
      if (scaleSet.enabled && exceeds(request, quota[kind])) {
        report({
          path: [...path, "resources", "requests", kind],
          message: `must fit the runner namespace quota (${quota[kind]}), or its runners never schedule`,
          accepted: quota[kind],
        });
      }
    }
  }
}

function checkGuardrails(input: RunnersInput, report: (issue: Issue) => void): void {
  const guardrails = input.runners?.guardrails;
  if (guardrails === undefined) {
    return;
  }
  const limits = guardrails.limitRange;
  for (const kind of ["cpu", "memory"] as const) {
    if (exceeds(limits.defaultRequest[kind], limits.default[kind])) {
      report({
        path: ["runners", "guardrails", "limitRange", "defaultRequest", kind],
        message: `must not exceed limitRange.default.${kind} (${limits.default[kind]})`,
        accepted: limits.default[kind],
      });
    }
    if (exceeds(limits.default[kind], limits.max[kind])) {
      report({
        path: ["runners", "guardrails", "limitRange", "default", kind],
        message: `must not exceed limitRange.max.${kind} (${limits.max[kind]})`,
        accepted: limits.max[kind],
      });
    }
  }
  const cleanup = guardrails.cleanup;
  if (cleanup.enabled && cleanup.terminatingSeconds > cleanup.succeededSeconds) {
    report({
      path: ["runners", "guardrails", "cleanup", "terminatingSeconds"],
      message: `must not exceed succeededSeconds (${cleanup.succeededSeconds})`,
      accepted: "300",
    });
  }
}

function toScaleSet(
  configKey: string,
  releaseName: string,
  scaleSet: ScaleSetInput,
  githubConfigUrl: string,
  githubConfigSecret: string,
  credentials: GithubAppCredentials,
): ScaleSetConfig {
  return {
    releaseName,
    configKey,
    label: scaleSet.label,
    enabled: scaleSet.enabled,
    minRunners: scaleSet.minRunners,
    maxRunners: scaleSet.maxRunners,
    runnerGroup: scaleSet.runnerGroup,
    resources: scaleSet.resources,
    containerMode: scaleSet.containerMode,
    workVolumeClaim: scaleSet.workVolumeClaim,
    image: scaleSet.image,
    env: scaleSet.env,
    caches: [...new Set(scaleSet.caches)],
    priorityClassName: scaleSet.priorityClassName,
    githubConfigUrl,
    scope: githubScope(githubConfigUrl),
    githubConfigSecret,
    credentials,
  };
}

/** Builds the parsed configuration. zod runs it only after every check passed. */
function toRunnersConfig(input: RunnersInput): RunnersConfig {
  const runners = input.runners!;
  const primary: GithubAppCredentials = {
    appId: input.githubAppId!,
    installationId: input.githubAppInstallationId!,
    privateKey: input.githubAppPrivateKey!,
  };
  const lanes = Object.entries(runners.lanes).map(([key, lane]) =>
    toScaleSet(
      `runners.lanes.${key}`,
      key,
      lane,
      runners.githubConfigUrl,
      runners.githubConfigSecret,
      primary,
    ),
  );
  const extras = Object.entries(runners.extraScaleSets).map(([key, extra]) =>
    toScaleSet(
      `runners.extraScaleSets.${key}`,
      key,
      extra,
      extra.githubConfigUrl,
      extra.githubConfigSecret ?? `${key}-github-app`,
      input.extraGithubApps![extra.githubApp],
    ),
  );
  return {
    cachesStack: input.cachesStack,
    githubConfigUrl: runners.githubConfigUrl,
    runnerNamespace: runners.namespace,
    controller: runners.controller,
    scaleSetChart: runners.scaleSetChart,
    scaleSets: [...lanes, ...extras],
    guardrails: runners.guardrails,
    registryPull:
      input.ghcrToken === undefined
        ? undefined
        : {
            secretName: runners.registry.pullSecretName,
            server: runners.registry.server,
            username: input.ghcrUsername!,
            token: input.ghcrToken,
          },
  };
}

// Accepted values for problems that zod's built-in checks raise, by the last key of the path.
const ACCEPTED_BY_FIELD: Readonly<Record<string, string>> = {
  githubConfigUrl: "https://github.com/tinyland-example",
  label: "tinyland-nix",
  enabled: "true",
  minRunners: "0",
  maxRunners: "5",
  runnerGroup: "default",
  containerMode: "none, dind or kubernetes",
  image: DEFAULT_RUNNER_IMAGE,
  cpu: "500m",
  memory: "1Gi",
  size: "10Gi",
  storageClassName: "standard",
  caches: '["attic", "bazel"]',
  namespace: "arc-runners",
  timeoutSeconds: "600",
  updateStrategy: "eventual",
  logLevel: "info",
  pods: "50",
  schedule: "*/5 * * * *",
  appId: "pulumi config set --secret --path flywheel:extraGithubApps.<name>.appId <App ID>",
  installationId: "pulumi config set --secret --path flywheel:extraGithubApps.<name>.installationId <ID>",
  privateKey: "pulumi config set --secret --path flywheel:extraGithubApps.<name>.privateKey <PEM>",
  githubApp: "a key of flywheel:extraGithubApps",
  githubConfigSecret: "github-app-secret",
  accessModes: '["ReadWriteOnce"]',
  env: '{"NAME": "value"}',
  runners: '{"githubConfigUrl": "https://github.com/ORG"}',
  lanes: '{"gh-arm": {"label": "tinyland-arm"}}',
  extraScaleSets:
    '{"other-nix": {"label": "other-nix", "githubConfigUrl": "https://github.com/ORG", "githubApp": "other"}}',
  extraGithubApps: '{"other": {"appId": "...", "installationId": "...", "privateKey": "..."}}',
  resources: '{"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}',
  requests: '{"cpu": "500m", "memory": "1Gi"}',
  limits: '{"cpu": "4", "memory": "8Gi"}',
  default: '{"cpu": "1", "memory": "1Gi"}',
  defaultRequest: '{"cpu": "100m", "memory": "128Mi"}',
  max: '{"cpu": "4", "memory": "8Gi"}',
  workVolumeClaim: '{"storageClassName": "standard", "size": "10Gi"}',
  classes: '{"arc-runner-high": 1000}',
  priorityClassName: "arc-runner-high",
  guardrails: '{"cleanup": {"enabled": true}}',
  controller: '{"logLevel": "info"}',
  scaleSetChart: '{"version": "0.13.1"}',
  registry: '{"server": "ghcr.io", "pullSecretName": "ghcr-auth"}',
  cachesStack: "caches-dev",
  ghcrUsername: "tinyland-bot",
  server: "ghcr.io",
  pullSecretName: "ghcr-auth",
  chart: "gha-runner-scale-set",
  version: ARC_CHART_VERSION,
  repository: ARC_CHART_REPOSITORY,
  releaseName: "arc-controller",
  terminatingSeconds: "300",
  succeededSeconds: "600",
  failedSeconds: "1800",
};

// Accepted values for one entry of a keyed map, by the map's key.
const ACCEPTED_BY_MAP: Readonly<Record<string, string>> = {
  lanes: '{"label": "tinyland-arm"}',
  extraScaleSets: '{"label": "other-nix", "githubConfigUrl": "https://github.com/ORG", "githubApp": "other"}',
  extraGithubApps: '{"appId": "...", "installationId": "...", "privateKey": "..."}',
  env: '"value"',
  classes: "1000",
};

/** Returns an accepted value for a problem at `path`: an entry of its map, else its nearest known key. */
function acceptedFor(path: readonly PropertyKey[]): string | undefined {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (
    typeof last === "string" &&
    !(last in ACCEPTED_BY_FIELD) &&
    typeof parent === "string" &&
    parent in ACCEPTED_BY_MAP
  ) {
    return ACCEPTED_BY_MAP[parent];
  }
  const field = [...path].reverse().find((part) => typeof part === "string" && part in ACCEPTED_BY_FIELD);
  return field === undefined ? undefined : ACCEPTED_BY_FIELD[field as string];
}

// zod's own messages start with "Invalid", "Too small" or "Too big", and messages written here do not.
const BUILT_IN_MESSAGE = /^(Invalid|Too small|Too big)/;

/** Rewrites one of zod's built-in messages as a rule phrase and keeps a message written here. */
function rulePhrase(issue: z.core.$ZodIssue): string {
  if (!BUILT_IN_MESSAGE.test(issue.message)) {
    return issue.message;
  }
  if (issue.code === "invalid_type") {
    if (issue.message.endsWith("received undefined")) {
      return "is required";
    }
    return /^[aeiou]/.test(issue.expected) ? `must be an ${issue.expected}` : `must be a ${issue.expected}`;
  }
  if (issue.code === "invalid_value") {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  return issue.message;
}

/**
 * Wraps the schema so that every problem carries an accepted value (zod's built-in checks have no
 * place for one), and unknown keys keep the form the loader reports.
 */
function withAcceptedValues(schema: z.ZodType<RunnersConfig, unknown>): z.ZodType<RunnersConfig, unknown> {
  return z.unknown().transform((value, ctx) => {
    const result = schema.safeParse(value);
    if (result.success) {
      return result.data;
    }
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        ctx.addIssue(issue as z.core.$ZodRawIssue);
        continue;
      }
      const own = (issue as { params?: { accepted?: string } }).params?.accepted;
      ctx.addIssue({
        code: "custom",
        path: [...issue.path],
        message: rulePhrase(issue),
        params: { accepted: own ?? acceptedFor(issue.path) },
      });
    }
    return z.NEVER;
  }) as unknown as z.ZodType<RunnersConfig, unknown>;
}

const runnersSchema = withAcceptedValues(
  inputSchema
    .superRefine((input, ctx) => {
      const report = (issue: Issue): void =>
        ctx.addIssue({
          code: "custom",
          path: issue.path,
          message: issue.message,
          params: { accepted: issue.accepted },
        });
      checkCredentials(input, report);
      checkRunners(input, report);
    })
    .transform(toRunnersConfig),
);

/** Configuration keys of the runners family. */
export const runnersFamily: FamilyDefinition<RunnersConfig> = {
  family: "runners",
  schema: runnersSchema,
  secretKeys: [
    "githubAppId",
    "githubAppInstallationId",
    "githubAppPrivateKey",
    "ghcrToken",
    "extraGithubApps",
  ],
};
