import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GuardrailsConfig, ResourceList } from "../../config/runners";
import { PodCleanup } from "./pod-cleanup";
import { maxQuantity } from "../../config/quantity";

/** Inputs of {@link RunnerNamespaceGuardrails}. */
export interface RunnerNamespaceGuardrailsArgs {
  /** Namespace the guardrails apply to. */
  namespace: pulumi.Input<string>;
  /** Switch and values of each guardrail. */
  guardrails: GuardrailsConfig;
  /** Limits of every enabled scale set's runner container. The LimitRange max is raised to fit the largest. */
  scaleSetLimits: readonly ResourceList[];
}

/** Returns `max` raised, per resource, to the largest of `limits`. */
export function fitLimitRangeMax(max: ResourceList, limits: readonly ResourceList[]): ResourceList {
  return limits.reduce(
    (fitted, limit) => ({
      cpu: maxQuantity(fitted.cpu, limit.cpu),
      memory: maxQuantity(fitted.memory, limit.memory),
    }),
    max,
  );
}

/**
 * Guardrails of the runner namespace: a default-deny ingress NetworkPolicy, a ResourceQuota, a
 * LimitRange, optional cluster PriorityClasses and the pod cleanup CronJob, each switchable.
 */
export class RunnerNamespaceGuardrails extends pulumi.ComponentResource {
  /** The default-deny ingress policy, when enabled. */
  readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;
  /** The quota, when enabled. */
  readonly resourceQuota?: k8s.core.v1.ResourceQuota;
  /** The limit range, when enabled. */
  readonly limitRange?: k8s.core.v1.LimitRange;
  /** PriorityClasses, empty unless enabled. They are cluster-scoped, so enable them in one instance per cluster. */
  readonly priorityClasses: k8s.scheduling.v1.PriorityClass[];
  /** The cleanup CronJob and its RBAC, when enabled. */
  readonly cleanup?: PodCleanup;

  constructor(name: string, args: RunnerNamespaceGuardrailsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:guardrails:RunnerNamespaceGuardrails", name, {}, opts);
    const guardrails = args.guardrails;
    const namespace = args.namespace;

    if (guardrails.networkPolicy.enabled) {
      // An empty pod selector with no ingress rules admits no inbound traffic to any pod.
      this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
        `${name}-deny-ingress`,
        {
          metadata: { name: "default-deny-ingress", namespace },
          spec: { podSelector: {}, policyTypes: ["Ingress"] },
        },
        { parent: this },
      );
    }

    const quota = guardrails.resourceQuota;
    if (quota.enabled) {
      this.resourceQuota = new k8s.core.v1.ResourceQuota(
        `${name}-quota`,
        {
          metadata: { name: "runner-quota", namespace },
          spec: {
            hard: { "requests.cpu": quota.cpu, "requests.memory": quota.memory, pods: String(quota.pods) },
          },
        },
        { parent: this },
      );
    }

    const limits = guardrails.limitRange;
    if (limits.enabled) {
      this.limitRange = new k8s.core.v1.LimitRange(
        `${name}-limits`,
        {
          metadata: { name: "runner-limits", namespace },
          spec: {
            limits: [
              {
                type: "Container",
                default: { ...limits.default },
                defaultRequest: { ...limits.defaultRequest },
                max: { ...fitLimitRangeMax(limits.max, args.scaleSetLimits) },
              },
            ],
          },
        },
        { parent: this },
      );
    }

    const classes = guardrails.priorityClasses;
    this.priorityClasses = classes.enabled
      ? Object.entries(classes.classes).map(
          ([className, value]) =>
            new k8s.scheduling.v1.PriorityClass(
              `${name}-priority-${className}`,
              {
                metadata: { name: className },
                value,
                globalDefault: false,
                description: `Scheduling priority ${value} for CI runner pods.`,
              },
              { parent: this },
            ),
        )
      : [];

    if (guardrails.cleanup.enabled) {
      this.cleanup = new PodCleanup(
        `${name}-cleanup`,
        { namespace, cleanup: guardrails.cleanup },
        { parent: this },
      );
    }

    // Plain values only, so that an update can apply the plan its preview saved (see PodCleanup).
    this.registerOutputs({
      namespace,
      priorityClasses: classes.enabled ? Object.keys(classes.classes) : [],
      cleanup: guardrails.cleanup.enabled,
    });
  }
}
