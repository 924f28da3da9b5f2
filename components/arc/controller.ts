import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ControllerConfig } from "../../config/runners";

/** Inputs of {@link ArcController}. */
export interface ArcControllerArgs {
  /** Chart, release, namespace and values of the controller, each with a default in the configuration. */
  controller: ControllerConfig;
  /** Name output of the Namespace object, so that the release waits for it. Default `controller.namespace`. */
  namespace?: pulumi.Input<string>;
  /** Name of a `kubernetes.io/dockerconfigjson` Secret in the controller namespace, if any. */
  imagePullSecretName?: string;
}

/**
 * The Actions Runner Controller: one Helm release of `gha-runner-scale-set-controller`. It is a
 * `helm.v3.Release` rather than a `helm.v4.Chart` because a Release is a plain resource whose chart,
 * version and values reach the engine as inputs, so policies and tests can read them. A v4 Chart is
 * rendered by the provider and shows none of that at preview or under mocks.
 */
export class ArcController extends pulumi.ComponentResource {
  /** The Helm release. */
  readonly release: k8s.helm.v3.Release;
  /** Namespace the controller runs in. */
  readonly namespace: string;
  /** Service account the chart creates, which every scale set names in `controllerServiceAccount`. */
  readonly serviceAccountName: string;

  constructor(name: string, args: ArcControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:arc:Controller", name, {}, opts);
    const controller = args.controller;
    this.namespace = controller.namespace;
    // The chart names its service account after the release: `<release>-gha-rs-controller`.
    this.serviceAccountName = `${controller.releaseName}-gha-rs-controller`;

    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: controller.releaseName,
        // Helm resolves OCI charts from a full `oci://` reference, because `repositoryOpts.repo` reads
        // only classic index.yaml repositories.
        chart: `${controller.repository}/${controller.chart}`,
        version: controller.version,
        namespace: args.namespace ?? controller.namespace,
        createNamespace: false,
        timeout: controller.timeoutSeconds,
        values: {
          flags: { updateStrategy: controller.updateStrategy, logLevel: controller.logLevel },
          resources: controller.resources,
          ...(args.imagePullSecretName === undefined
            ? {}
            : { imagePullSecrets: [{ name: args.imagePullSecretName }] }),
        },
      },
      { parent: this },
    );

    // Plain values only: a resource reference has an unknown id at preview and a real one at update,
    // so the engine rejects an update that applies a saved plan ("resource violates plan").
    this.registerOutputs({
      releaseName: controller.releaseName,
      namespace: this.namespace,
      serviceAccountName: this.serviceAccountName,
    });
  }
}
