import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartConfig } from "../../config/runners";
import { scaleSetValues, ScaleSetValuesInput } from "./values";

/** Inputs of {@link ScaleSet}. */
export interface ScaleSetArgs {
  /** Helm release name, such as `gh-nix`. */
  releaseName: string;
  /** Namespace of the release and its runner pods. Pass the Namespace's output so the release waits for it. */
  namespace: pulumi.Input<string>;
  /** Coordinates and timeout of the `gha-runner-scale-set` chart. */
  chart: ChartConfig;
  /** Chart values of this scale set. */
  values: ScaleSetValuesInput;
}

/**
 * One ARC runner scale set: a Helm release of `gha-runner-scale-set`, a plain `helm.v3.Release` so
 * that its values stay visible to policies and tests (see {@link ArcController}).
 */
export class ScaleSet extends pulumi.ComponentResource {
  /** The Helm release. */
  readonly release: k8s.helm.v3.Release;
  /** Label jobs name in `runs-on`. */
  readonly label: string;

  constructor(name: string, args: ScaleSetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:arc:ScaleSet", name, {}, opts);
    this.label = args.values.runnerScaleSetName;

    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: args.releaseName,
        // A full `oci://` reference, because Helm's repository lookup does not read OCI registries.
        chart: `${args.chart.repository}/${args.chart.chart}`,
        version: args.chart.version,
        namespace: args.namespace,
        createNamespace: false,
        timeout: args.chart.timeoutSeconds,
        values: scaleSetValues(args.values),
      },
      { parent: this },
    );

    // Plain values only, so that an update can apply the plan its preview saved (see ArcController).
    this.registerOutputs({ releaseName: args.releaseName, label: this.label });
  }
}
