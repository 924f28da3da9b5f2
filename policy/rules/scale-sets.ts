import { getPath, getString, isPlainObject, type Plain, UNKNOWN_AT_PREVIEW } from "./plain";
import { hostedLabelReason } from "./hosted-labels";
import { RESOURCE_TYPES, type ResourceInput, type Violation } from "./types";

/** Name of the ARC chart that installs one runner scale set. */
export const SCALE_SET_CHART = "gha-runner-scale-set";

/** A runner scale set that can serve jobs, from this stack or from the runners stack's lanes. */
export interface ScaleSet {
  /** Runner label the scale set serves (its `runnerScaleSetName`). */
  label: string | typeof UNKNOWN_AT_PREVIEW;
  /** Maximum runners; `undefined` means the chart default, which sets no limit. */
  maxRunners: number | typeof UNKNOWN_AT_PREVIEW | undefined;
  /** Whether the lane is switched on; always true for a Helm release in this stack. */
  enabled: boolean;
  /** Origin of the scale set, for messages: `Helm release gh-nix` or `lane of stack runners-dev`. */
  source: string;
}

/**
 * Returns true when a resource is a Helm release of the scale-set chart. The chart may be given
 * by name or as an OCI reference ending in the chart name.
 */
export function isScaleSetRelease(resource: ResourceInput): boolean {
  if (resource.type !== RESOURCE_TYPES.helmRelease) {
    return false;
  }
  const chart = resource.props.chart;
  if (typeof chart !== "string") {
    return false;
  }
  const lastSegment = chart.slice(chart.lastIndexOf("/") + 1);
  return lastSegment === SCALE_SET_CHART;
}

/**
 * Reads the scale set a `gha-runner-scale-set` release installs. The chart names the scale set
 * after the release when `runnerScaleSetName` is not set.
 */
export function scaleSetFromRelease(resource: ResourceInput): ScaleSet {
  const values = resource.props.values;
  const label =
    getString(values, ["runnerScaleSetName"]) ?? getString(resource.props, ["name"]) ?? resource.name;
  const maxRunners = getPath(values, ["maxRunners"]);
  return {
    label,
    maxRunners: toRunnerCount(maxRunners),
    enabled: true,
    source: `Helm release ${resource.name}`,
  };
}

/**
 * Reads the lanes a runners stack exports (`outputs.lanes` of a StackReference), each
 * `{ label, maxRunners, enabled, ... }`.
 */
export function scaleSetsFromStackReference(resource: ResourceInput): ScaleSet[] {
  const stackName = typeof resource.props.name === "string" ? resource.props.name : resource.name;
  return scaleSetsFromLanes(getPath(resource.props, ["outputs", "lanes"]), stackName);
}

/**
 * Reads the lanes a github stack records in its `flywheel:github:RunnerFleet` component
 * (`lanes` and `runnersStack` outputs). Engine v3.248.0 passes no StackReference to stack
 * policies, so this record is where the runners stack's lanes reach them.
 */
export function scaleSetsFromRunnerFleet(resource: ResourceInput): ScaleSet[] {
  const stackName =
    typeof resource.props.runnersStack === "string" ? resource.props.runnersStack : resource.name;
  return scaleSetsFromLanes(getPath(resource.props, ["lanes"]), stackName);
}

function scaleSetsFromLanes(lanes: Plain | undefined, stackName: string): ScaleSet[] {
  if (!Array.isArray(lanes)) {
    return [];
  }
  const scaleSets: ScaleSet[] = [];
  for (const lane of lanes) {
    if (!isPlainObject(lane)) {
      continue;
    }
    const label = lane.label;
    if (typeof label !== "string" && label !== UNKNOWN_AT_PREVIEW) {
      continue;
    }
    scaleSets.push({
      label,
      maxRunners: toRunnerCount(lane.maxRunners),
      enabled: lane.enabled !== false,
      source: `lane of stack ${stackName}`,
    });
  }
  return scaleSets;
}

function toRunnerCount(value: Plain | undefined): number | typeof UNKNOWN_AT_PREVIEW | undefined {
  if (typeof value === "number" || value === UNKNOWN_AT_PREVIEW) {
    return value;
  }
  if (typeof value === "string" && /^\d+$/.test(value)) {
    return Number(value);
  }
  return undefined;
}

/** Reports a scale-set release whose scale set name is a GitHub-hosted or default runner label. */
export function checkScaleSetName(resource: ResourceInput): Violation[] {
  if (!isScaleSetRelease(resource)) {
    return [];
  }
  const { label } = scaleSetFromRelease(resource);
  if (label === UNKNOWN_AT_PREVIEW) {
    return [
      {
        message: `Helm release ${resource.name} must set values.runnerScaleSetName to a name known at preview`,
      },
    ];
  }
  const reason = hostedLabelReason(label);
  if (!reason) {
    return [];
  }
  return [
    {
      message:
        `Helm release ${resource.name} runnerScaleSetName "${label}" must not look like a GitHub-hosted ` +
        `runner label, because ${reason}; name the scale set with the fleet prefix instead`,
    },
  ];
}
