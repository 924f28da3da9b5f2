import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Requests and limits of a cache pod, as Kubernetes quantities. */
export interface ResourceSettings {
  /** CPU request, such as `250m`. */
  cpuRequest: string;
  /** Memory request, such as `512Mi`. */
  memoryRequest: string;
  /** CPU limit. */
  cpuLimit: string;
  /** Memory limit. */
  memoryLimit: string;
}

/** Access keys of the object store, both Pulumi secrets. */
export interface ObjectStoreCredentials {
  /** S3 access key id. */
  accessKeyId: pulumi.Output<string>;
  /** S3 secret access key. */
  secretAccessKey: pulumi.Output<string>;
}

/** Autoscaling bounds and utilization targets of a HorizontalPodAutoscaler. */
export interface AutoscalingSettings {
  /** Minimum replicas. */
  minReplicas: number;
  /** Maximum replicas. */
  maxReplicas: number;
  /** Average CPU utilization to aim for, in percent of the request. */
  targetCpuUtilization: number;
  /** Average memory utilization to aim for, in percent of the request. */
  targetMemoryUtilization: number;
}

/** Labels shared by every resource of one cache component. */
export function componentLabels(name: string, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "flywheel",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** Pod security context that the Pod Security `restricted` level admits. */
export function restrictedPodSecurityContext(uid: number): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container security context that the Pod Security `restricted` level admits. */
export function restrictedContainerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  };
}

/** Container resources from the configured quantities. */
export function containerResources(
  resources: ResourceSettings,
): k8s.types.input.core.v1.ResourceRequirements {
  return {
    requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest },
    limits: { cpu: resources.cpuLimit, memory: resources.memoryLimit },
  };
}

/** CPU and memory utilization metrics of an autoscaling/v2 HorizontalPodAutoscaler. */
export function utilizationMetrics(
  settings: AutoscalingSettings,
): k8s.types.input.autoscaling.v2.MetricSpec[] {
  return [
    {
      type: "Resource",
      resource: {
        name: "cpu",
        target: { type: "Utilization", averageUtilization: settings.targetCpuUtilization },
      },
    },
    {
      type: "Resource",
      resource: {
        name: "memory",
        target: { type: "Utilization", averageUtilization: settings.targetMemoryUtilization },
      },
    },
  ];
}

/** Returns an environment variable that reads its value from a key of a Secret. */
export function secretEnv(
  name: string,
  secretName: pulumi.Input<string>,
  key: string,
): k8s.types.input.core.v1.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}
