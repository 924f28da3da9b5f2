import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import type { CacheKind, RunnersConfig, ScaleSetConfig } from "../config/runners";
import { ArcController } from "../components/arc/controller";
import { GithubAppSecret } from "../components/arc/github-app-secret";
import { RegistryPullSecret } from "../components/arc/registry-pull-secret";
import { ScaleSet } from "../components/arc/scale-set";
import { RunnerNamespaceGuardrails } from "../components/guardrails/runner-namespace-guardrails";
import type { StackOutputs } from "./index";

/** Nix setting of lanes wired to Attic, turning on flakes and the `nix` command, which Nix leaves off by default. */
export const NIX_CONFIG = "experimental-features = nix-command flakes";

/** Cache endpoints read from the caches stack. */
export interface CacheEndpoints {
  /** Bazel remote cache, `grpc://...:9092`. */
  bazel: pulumi.Output<string>;
  /** Bazel remote cache's HTTP endpoint (`/status`, `/metrics`), `http://...:8080`. */
  bazelHttp: pulumi.Output<string>;
  /** Attic server, `http://attic.<namespace>.svc.cluster.local`. */
  atticServer: pulumi.Output<string>;
  /** Attic cache name, `main`. */
  atticCache: pulumi.Output<string>;
}

/** One entry of the `lanes` stack output, which the github stack reads. */
export interface LaneOutput {
  /** Label jobs name in `runs-on`. */
  label: string;
  /** ARC's `runnerScaleSetName`, equal to `label`. */
  scaleSetName: string;
  /** Helm release name, such as `gh-nix`. */
  releaseName: string;
  /** GitHub runner group of the scale set. */
  runnerGroup: string;
  /** Number of idle runners kept ready. */
  minRunners: number;
  /** Maximum number of concurrent runners. A lane with 0 runs no job. */
  maxRunners: number;
  /** Organization or repository URL the scale set registers with. */
  githubConfigUrl: string;
  /** Scope of `githubConfigUrl`. */
  scope: "organization" | "repository";
  /** Namespace of the runner pods. */
  namespace: string;
  /** Container mode of the runners. */
  containerMode: ScaleSetConfig["containerMode"];
  /** Whether a release is installed. A disabled lane runs no job. */
  enabled: boolean;
}

/** Reads the cache endpoints from the caches stack's outputs, never from literals. */
function readCacheEndpoints(stackName: string): CacheEndpoints {
  const caches = new pulumi.StackReference("caches", { name: stackName });
  return {
    bazel: caches.requireOutput("bazelCacheEndpoint") as pulumi.Output<string>,
    bazelHttp: caches.requireOutput("bazelCacheHttpEndpoint") as pulumi.Output<string>,
    atticServer: caches.requireOutput("atticEndpoint") as pulumi.Output<string>,
    atticCache: caches.requireOutput("atticCacheName") as pulumi.Output<string>,
  };
}

/** Returns a scale set's runner environment: its own variables, then those of its caches. */
export function runnerEnv(
  scaleSet: ScaleSetConfig,
  endpoints: CacheEndpoints,
): Array<{ name: string; value: pulumi.Input<string> }> {
  const byCache: Record<CacheKind, Array<{ name: string; value: pulumi.Input<string> }>> = {
    attic: [
      { name: "NIX_CONFIG", value: NIX_CONFIG },
      { name: "ATTIC_SERVER", value: endpoints.atticServer },
      { name: "ATTIC_CACHE", value: endpoints.atticCache },
    ],
    bazel: [{ name: "BAZEL_REMOTE_CACHE", value: endpoints.bazel }],
  };
  return [
    ...Object.entries(scaleSet.env).map(([name, value]) => ({ name, value })),
    ...scaleSet.caches.flatMap((cache) => byCache[cache]),
  ];
}

function laneOutput(scaleSet: ScaleSetConfig, namespace: string): LaneOutput {
  return {
    label: scaleSet.label,
    scaleSetName: scaleSet.label,
    releaseName: scaleSet.releaseName,
    runnerGroup: scaleSet.runnerGroup,
    minRunners: scaleSet.minRunners,
    maxRunners: scaleSet.maxRunners,
    githubConfigUrl: scaleSet.githubConfigUrl,
    scope: scaleSet.scope,
    namespace,
    containerMode: scaleSet.containerMode,
    enabled: scaleSet.enabled,
  };
}

/** Creates one credentials Secret per distinct `githubConfigSecret` among enabled scale sets. */
function createCredentials(
  runners: RunnersConfig,
  namespace: k8s.core.v1.Namespace,
): Map<string, GithubAppSecret> {
  const secrets = new Map<string, GithubAppSecret>();
  for (const scaleSet of runners.scaleSets) {
    if (!scaleSet.enabled || secrets.has(scaleSet.githubConfigSecret)) {
      continue;
    }
    const credentials = scaleSet.credentials;
    secrets.set(
      scaleSet.githubConfigSecret,
      new GithubAppSecret(scaleSet.githubConfigSecret, {
        secretName: scaleSet.githubConfigSecret,
        namespace: namespace.metadata.name,
        appId: pulumi.secret(credentials.appId.reveal()),
        installationId: pulumi.secret(credentials.installationId.reveal()),
        privateKey: pulumi.secret(credentials.privateKey.reveal()),
      }),
    );
  }
  return secrets;
}

/**
 * Registers the runner fleet: the ARC controller, the runner namespace with its guardrails, the
 * GitHub App credentials and one scale set per enabled lane, and returns the fleet's labels,
 * capacity and cache endpoints for the github stack.
 */
export async function runnersStack(
  config: Extract<StackConfig, { family: "runners" }>,
): Promise<StackOutputs> {
  const runners = config.runners;
  const endpoints = readCacheEndpoints(runners.cachesStack ?? `caches-${config.environment}`);
  const enabled = runners.scaleSets.filter((scaleSet) => scaleSet.enabled);

  const controllerNamespace = new k8s.core.v1.Namespace("controller-namespace", {
    metadata: { name: runners.controller.namespace },
  });
  // The dind sidecar runs privileged, which the `baseline` Pod Security level rejects.
  const needsPrivileged = enabled.some((scaleSet) => scaleSet.containerMode === "dind");
  const runnerNamespace = new k8s.core.v1.Namespace("runner-namespace", {
    metadata: {
      name: runners.runnerNamespace,
      labels: {
        "pod-security.kubernetes.io/enforce": needsPrivileged ? "privileged" : "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    },
  });

  const guardrails = new RunnerNamespaceGuardrails(
    "runner-guardrails",
    {
      namespace: runnerNamespace.metadata.name,
      guardrails: runners.guardrails,
      scaleSetLimits: enabled.map((scaleSet) => scaleSet.resources.limits),
    },
    { dependsOn: [runnerNamespace] },
  );

  const registryPull = runners.registryPull;
  const pullSecret =
    registryPull === undefined
      ? undefined
      : new RegistryPullSecret(
          registryPull.secretName,
          {
            secretName: registryPull.secretName,
            namespaces: [runners.controller.namespace, runners.runnerNamespace],
            server: registryPull.server,
            username: registryPull.username,
            token: pulumi.secret(registryPull.token.reveal()),
          },
          { dependsOn: [controllerNamespace, runnerNamespace] },
        );

  const controller = new ArcController(
    runners.controller.releaseName,
    {
      controller: runners.controller,
      namespace: controllerNamespace.metadata.name,
      imagePullSecretName: pullSecret?.secretName,
    },
    { dependsOn: pullSecret === undefined ? [controllerNamespace] : [controllerNamespace, pullSecret] },
  );

  const credentials = createCredentials(runners, runnerNamespace);
  for (const scaleSet of enabled) {
    const dependencies: pulumi.Resource[] = [runnerNamespace, guardrails, controller];
    dependencies.push(credentials.get(scaleSet.githubConfigSecret)!);
    if (pullSecret !== undefined) {
      dependencies.push(pullSecret);
    }
    new ScaleSet(
      scaleSet.releaseName,
      {
        releaseName: scaleSet.releaseName,
        namespace: runnerNamespace.metadata.name,
        chart: runners.scaleSetChart,
        values: {
          githubConfigUrl: scaleSet.githubConfigUrl,
          githubConfigSecret: scaleSet.githubConfigSecret,
          runnerScaleSetName: scaleSet.label,
          minRunners: scaleSet.minRunners,
          maxRunners: scaleSet.maxRunners,
          runnerGroup: scaleSet.runnerGroup,
          controllerServiceAccount: { name: controller.serviceAccountName, namespace: controller.namespace },
          containerMode: scaleSet.containerMode,
          workVolumeClaim: scaleSet.workVolumeClaim,
          image: scaleSet.image,
          resources: scaleSet.resources,
          env: runnerEnv(scaleSet, endpoints),
          priorityClassName: scaleSet.priorityClassName,
          imagePullSecretName: pullSecret?.secretName,
        },
      },
      { dependsOn: dependencies },
    );
  }

  return {
    lanes: runners.scaleSets.map((scaleSet) => laneOutput(scaleSet, runners.runnerNamespace)),
    labels: [...new Set(enabled.map((scaleSet) => scaleSet.label))],
    controllerNamespace: runners.controller.namespace,
    runnerNamespace: runners.runnerNamespace,
    cacheEndpoints: {
      bazel: endpoints.bazel,
      bazelHttp: endpoints.bazelHttp,
      atticServer: endpoints.atticServer,
      atticCache: endpoints.atticCache,
    },
  };
}
