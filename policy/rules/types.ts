import type { PlainObject } from "./plain";

/** A resource as the rules see it: its type token, logical name, URN and plain properties. */
export interface ResourceInput {
  /** Type token, e.g. `kubernetes:core/v1:Service`. */
  type: string;
  /** Logical name the program gave the resource. */
  name: string;
  /** URN, used by stack policies to attach a violation to the resource it concerns. */
  urn?: string;
  /** Inputs (resource policies) or outputs (stack policies), copied by `toPlain`. */
  props: PlainObject;
}

/** One violation: a message shaped "<thing> must <requirement>" and, for stack policies, a URN. */
export interface Violation {
  message: string;
  urn?: string;
}

/** Type tokens the rules match on. */
export const RESOURCE_TYPES = {
  repositoryFile: "github:index/repositoryFile:RepositoryFile",
  runnerGroup: "github:index/actionsRunnerGroup:ActionsRunnerGroup",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  stackReference: "pulumi:pulumi:StackReference",
  runnerFleet: "flywheel:github:RunnerFleet",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
} as const;
