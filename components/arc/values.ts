import * as pulumi from "@pulumi/pulumi";
import type { ContainerMode, Resources, WorkVolumeClaim } from "../../config/runners";

/** Command of the runner container in every scale set: the runner's own entry script. */
export const RUNNER_COMMAND = "/home/runner/run.sh";

/** Name the scale-set chart expects for the runner container. */
export const RUNNER_CONTAINER_NAME = "runner";

/**
 * Docker endpoint of ARC's dind sidecar. The chart shares `/var/run` between the sidecar and the
 * runner, so the daemon is reached on a unix socket and never on `tcp://localhost:2375`.
 */
export const DIND_DOCKER_HOST = "unix:///var/run/docker.sock";

/** Settings of one scale set, which {@link scaleSetValues} renders into `gha-runner-scale-set` values. */
export interface ScaleSetValuesInput {
  /** `https://github.com/ORG` or `https://github.com/OWNER/REPO`. */
  githubConfigUrl: string;
  /** Name of the Secret with the GitHub App credentials, in the scale set's namespace. */
  githubConfigSecret: string;
  /** Label jobs name in `runs-on`. */
  runnerScaleSetName: string;
  /** Idle runners kept ready. */
  minRunners: number;
  /** Ceiling of concurrent runners. */
  maxRunners: number;
  /** GitHub runner group. */
  runnerGroup: string;
  /** Service account and namespace of the ARC controller. */
  controllerServiceAccount: { name: string; namespace: string };
  /** Container mode of the runners. */
  containerMode: ContainerMode;
  /** Work volume claim of `kubernetes` mode. */
  workVolumeClaim?: WorkVolumeClaim;
  /** Pinned runner image. */
  image: string;
  /** Requests and limits of the runner container. */
  resources: Resources;
  /** Environment of the runner container, in order. Values may be outputs of other stacks. */
  env: ReadonlyArray<{ name: string; value: pulumi.Input<string> }>;
  /** PriorityClass of runner pods. */
  priorityClassName?: string;
  /** Pull secret of the runner image, when one is configured. */
  imagePullSecretName?: string;
}

function containerModeValues(input: ScaleSetValuesInput): Record<string, unknown> {
  if (input.containerMode === "dind") {
    return { type: "dind" };
  }
  const claim = input.workVolumeClaim;
  if (input.containerMode === "kubernetes" && claim !== undefined) {
    return {
      type: "kubernetes",
      kubernetesModeWorkVolumeClaim: {
        accessModes: claim.accessModes,
        storageClassName: claim.storageClassName,
        resources: { requests: { storage: claim.size } },
      },
    };
  }
  return {};
}

/** Renders the `gha-runner-scale-set` chart values of one scale set, with the chart's own keys. */
export function scaleSetValues(input: ScaleSetValuesInput): Record<string, unknown> {
  const env = [...input.env];
  if (input.containerMode === "dind" && !env.some((variable) => variable.name === "DOCKER_HOST")) {
    env.push({ name: "DOCKER_HOST", value: DIND_DOCKER_HOST });
  }
  const containerMode = containerModeValues(input);
  const podSpec: Record<string, unknown> = {
    containers: [
      {
        name: RUNNER_CONTAINER_NAME,
        image: input.image,
        command: [RUNNER_COMMAND],
        resources: input.resources,
        env,
      },
    ],
  };
  if (input.priorityClassName !== undefined) {
    podSpec["priorityClassName"] = input.priorityClassName;
  }
  if (input.imagePullSecretName !== undefined) {
    podSpec["imagePullSecrets"] = [{ name: input.imagePullSecretName }];
  }
  return {
    githubConfigUrl: input.githubConfigUrl,
    githubConfigSecret: input.githubConfigSecret,
    runnerScaleSetName: input.runnerScaleSetName,
    minRunners: input.minRunners,
    maxRunners: input.maxRunners,
    runnerGroup: input.runnerGroup,
    controllerServiceAccount: input.controllerServiceAccount,
    ...(Object.keys(containerMode).length === 0 ? {} : { containerMode }),
    template: { spec: podSpec },
  };
}
