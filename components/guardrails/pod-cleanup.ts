import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CleanupConfig } from "../../config/runners";

/** Inputs of {@link PodCleanup}. */
export interface PodCleanupArgs {
  /** Namespace whose pods are cleaned, and where the CronJob and its RBAC live. */
  namespace: pulumi.Input<string>;
  /** Schedule, image and age thresholds. */
  cleanup: CleanupConfig;
}

/**
 * Shell script the CronJob runs from its ConfigMap, needing `kubectl`, `jq` and `date`. A pod
 * counts as stuck Terminating once its deletion timestamp, which is when its grace period ends, lies
 * more than the threshold in the past. A finished pod's age is taken from its last container's
 * finish time, else from its creation. Each step's output is captured before the next runs, so that
 * a failing `kubectl` or `jq` fails the Job under `set -e` instead of vanishing inside a pipeline.
 */
export const CLEANUP_SCRIPT = `#!/bin/sh
set -eu
now=$(date +%s)
pods=$(kubectl get pods --namespace "$NAMESPACE" --output json)
actions=$(printf '%s' "$pods" |
  jq -r --argjson now "$now" \\
    --argjson terminating "$TERMINATING_SECONDS" \\
    --argjson succeeded "$SUCCEEDED_SECONDS" \\
    --argjson failed "$FAILED_SECONDS" '
    def age(t): $now - (t | fromdateiso8601);
    def finished: ([.status.containerStatuses[]?.state.terminated.finishedAt // empty] | max) // .metadata.creationTimestamp;
    .items[]
    | if .metadata.deletionTimestamp != null then
        (if age(.metadata.deletionTimestamp) > $terminating then "force \\(.metadata.name)" else empty end)
      elif .status.phase == "Succeeded" and age(finished) > $succeeded then "delete \\(.metadata.name)"
      elif .status.phase == "Failed" and age(finished) > $failed then "delete \\(.metadata.name)"
      else empty end')
printf '%s\\n' "$actions" | while read -r action pod; do
  [ -n "$pod" ] || continue
  echo "$action pod $pod"
  if [ "$action" = force ]; then
    kubectl delete pod "$pod" --namespace "$NAMESPACE" --grace-period=0 --force --ignore-not-found
  else
    kubectl delete pod "$pod" --namespace "$NAMESPACE" --ignore-not-found
  fi
done
`;

// A run lists and deletes a few pods, and it must end well before the next five-minute run starts.
const JOB_DEADLINE_SECONDS = 240;
const NOBODY_UID = 65534;

/**
 * A CronJob that deletes runner pods ARC left behind: stuck Terminating, Succeeded or Failed past
 * their thresholds. Its Role grants only `get`, `list` and `delete` on pods in its own namespace.
 */
export class PodCleanup extends pulumi.ComponentResource {
  /** The CronJob. */
  readonly cronJob: k8s.batch.v1.CronJob;
  /** The Role bound to the CronJob's service account. */
  readonly role: k8s.rbac.v1.Role;

  constructor(name: string, args: PodCleanupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:guardrails:PodCleanup", name, {}, opts);
    const cleanup = args.cleanup;
    // Kubernetes objects take the component's name, so two instances in one namespace do not collide.
    const accountName = name;

    const account = new k8s.core.v1.ServiceAccount(
      `${name}-account`,
      { metadata: { name: accountName, namespace: args.namespace } },
      { parent: this },
    );
    this.role = new k8s.rbac.v1.Role(
      `${name}-role`,
      {
        metadata: { name: accountName, namespace: args.namespace },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "delete"] }],
      },
      { parent: this },
    );
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}-binding`,
      {
        metadata: { name: accountName, namespace: args.namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: accountName },
        subjects: [{ kind: "ServiceAccount", name: accountName, namespace: args.namespace }],
      },
      { parent: this },
    );
    const script = new k8s.core.v1.ConfigMap(
      `${name}-script`,
      {
        metadata: { name: `${accountName}-script`, namespace: args.namespace },
        data: { "cleanup.sh": CLEANUP_SCRIPT },
      },
      { parent: this },
    );

    this.cronJob = new k8s.batch.v1.CronJob(
      `${name}-cronjob`,
      {
        metadata: { name: accountName, namespace: args.namespace },
        spec: {
          schedule: cleanup.schedule,
          concurrencyPolicy: "Forbid",
          // The last success shows the job runs; a few failures keep their logs for debugging.
          successfulJobsHistoryLimit: 1,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              backoffLimit: 0,
              activeDeadlineSeconds: JOB_DEADLINE_SECONDS,
              template: {
                spec: {
                  serviceAccountName: accountName,
                  restartPolicy: "Never",
                  // Meets the `restricted` Pod Security level, which the runner namespace warns on.
                  securityContext: {
                    runAsNonRoot: true,
                    runAsUser: NOBODY_UID,
                    runAsGroup: NOBODY_UID,
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  containers: [
                    {
                      name: "cleanup",
                      image: cleanup.image,
                      command: ["/bin/sh", "/scripts/cleanup.sh"],
                      env: [
                        { name: "NAMESPACE", value: args.namespace },
                        { name: "TERMINATING_SECONDS", value: String(cleanup.terminatingSeconds) },
                        { name: "SUCCEEDED_SECONDS", value: String(cleanup.succeededSeconds) },
                        { name: "FAILED_SECONDS", value: String(cleanup.failedSeconds) },
                        // kubectl writes its discovery cache under $HOME.
                        { name: "HOME", value: "/tmp" },
                      ],
                      // An estimate for listing a few hundred pods with kubectl and jq, not a measurement.
                      resources: {
                        requests: { cpu: "50m", memory: "64Mi" },
                        limits: { cpu: "200m", memory: "128Mi" },
                      },
                      securityContext: {
                        allowPrivilegeEscalation: false,
                        readOnlyRootFilesystem: true,
                        capabilities: { drop: ["ALL"] },
                      },
                      volumeMounts: [
                        { name: "script", mountPath: "/scripts", readOnly: true },
                        { name: "tmp", mountPath: "/tmp" },
                      ],
                    },
                  ],
                  volumes: [
                    { name: "script", configMap: { name: script.metadata.name } },
                    { name: "tmp", emptyDir: {} },
                  ],
                },
              },
            },
          },
        },
      },
      { parent: this, dependsOn: [account, binding] },
    );

    // Plain values only: a resource reference has an unknown id at preview and a real one at update,
    // so the engine rejects an update that applies a saved plan ("resource violates plan").
    this.registerOutputs({ namespace: args.namespace, schedule: args.cleanup.schedule });
  }
}
