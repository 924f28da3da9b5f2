import * as pulumi from "@pulumi/pulumi";
import type { Lane } from "../../workflows/fleet";

/** Inputs of {@link RunnerFleet}. */
export interface RunnerFleetArgs {
  /** Name of the runners stack the lanes were read from, such as `runners-dev`. */
  runnersStack: string;
  /** The runners stack's `lanes` output, already validated. */
  lanes: readonly Lane[];
}

/**
 * The runner lanes this stack's workflows were checked against, registered as the component's
 * outputs. CrossGuard stack policies of engine v3.248.0 receive no StackReference resource, so the
 * fleet-label-served policy reads the lanes here instead. The values are plain, known at preview.
 */
export class RunnerFleet extends pulumi.ComponentResource {
  /** Name of the runners stack the lanes come from. */
  readonly runnersStack: string;
  /** Lanes of that stack, enabled or not. */
  readonly lanes: readonly Lane[];

  constructor(name: string, args: RunnerFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:github:RunnerFleet", name, {}, opts);
    this.runnersStack = args.runnersStack;
    this.lanes = args.lanes;
    this.registerOutputs({
      runnersStack: args.runnersStack,
      lanes: args.lanes.map((lane) => ({ ...lane })),
    });
  }
}
