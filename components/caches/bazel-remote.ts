import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BazelRemoteConfig } from "../../config/caches";
import {
  componentLabels,
  containerResources,
  ObjectStoreCredentials,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  secretEnv,
  utilizationMetrics,
} from "./workload";

/** Name of the Service and the StatefulSet; the exported endpoints use it. */
export const BAZEL_CACHE_SERVICE = "bazel-cache";

const STORAGE_SECRET_NAME = "bazel-cache-s3";
const DATA_DIR = "/data";

/** Inputs of {@link BazelRemote}. */
export interface BazelRemoteArgs {
  /** Image, ports, disk, scaling and Service settings. */
  settings: BazelRemoteConfig;
  /** Namespace of the cache, created beforehand. */
  namespace: k8s.core.v1.Namespace;
  /** S3 endpoint URL of the object store. */
  storageEndpoint: string;
  /** S3 region name. */
  storageRegion: string;
  /** Keys of the S3 user, Pulumi secrets. */
  storageCredentials: ObjectStoreCredentials;
  /** Resources the object store needs before the cache can write to it. */
  storageReady?: pulumi.Resource[];
}

/** Returns the image to pull: the configured image, behind the registry mirror when one is set. */
export function mirroredImage(image: string, registryMirror: string | undefined): string {
  return registryMirror === undefined ? image : `${registryMirror}/${image}`;
}

/**
 * The bazel-remote cache: a StatefulSet whose replicas each keep a local disk cache of `maxSize`
 * GiB in front of the shared S3 bucket. The Service `bazel-cache` serves it on gRPC and HTTP, and
 * a HorizontalPodAutoscaler scales it on CPU and memory.
 */
export class BazelRemote extends pulumi.ComponentResource {
  /** REAPI endpoint, such as `grpc://bazel-cache.bazel-cache.svc.cluster.local:9092`. */
  public readonly grpcEndpoint: string;
  /** HTTP endpoint, such as `http://bazel-cache.bazel-cache.svc.cluster.local:8080`. */
  public readonly httpEndpoint: string;

  constructor(name: string, args: BazelRemoteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:caches:BazelRemote", name, {}, opts);
    const settings = args.settings;
    const namespace = args.namespace.metadata.name;
    const host = `${BAZEL_CACHE_SERVICE}.${settings.namespace}.svc.cluster.local`;
    this.grpcEndpoint = `grpc://${host}:${settings.grpcPort}`;
    this.httpEndpoint = `http://${host}:${settings.httpPort}`;
    const labels = componentLabels("bazel-remote", "cache");

    const storageSecret = new k8s.core.v1.Secret(
      `${name}-storage-credentials`,
      {
        metadata: { name: STORAGE_SECRET_NAME, namespace, labels },
        type: "Opaque",
        stringData: {
          "access-key-id": pulumi.secret(args.storageCredentials.accessKeyId),
          "secret-access-key": pulumi.secret(args.storageCredentials.secretAccessKey),
        },
      },
      { parent: this },
    );

    const endpoint = new URL(args.storageEndpoint);
    const cacheArgs = [
      `--dir=${DATA_DIR}`,
      `--max_size=${settings.maxSize}`,
      `--grpc_port=${settings.grpcPort}`,
      `--port=${settings.httpPort}`,
      `--s3.endpoint=${endpoint.host}`,
      `--s3.bucket=${settings.bucket}`,
      `--s3.region=${args.storageRegion}`,
      "--s3.auth_method=access_key",
      ...(endpoint.protocol === "http:" ? ["--s3.disable_ssl"] : []),
    ];

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: BAZEL_CACHE_SERVICE, namespace, labels },
        spec: {
          type: settings.serviceType,
          selector: labels,
          ports: [
            { name: "grpc", port: settings.grpcPort, targetPort: "grpc", protocol: "TCP" },
            { name: "http", port: settings.httpPort, targetPort: "http", protocol: "TCP" },
          ],
        },
      },
      { parent: this },
    );

    const statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: { name: BAZEL_CACHE_SERVICE, namespace, labels },
        spec: {
          // `replicas` is left to the HorizontalPodAutoscaler; setting it here would undo its scaling on every update.
          serviceName: BAZEL_CACHE_SERVICE,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              securityContext: restrictedPodSecurityContext(settings.runAsUser),
              automountServiceAccountToken: false,
              containers: [
                {
                  name: "bazel-remote",
                  image: mirroredImage(settings.image, settings.registryMirror),
                  args: cacheArgs,
                  env: [
                    secretEnv("BAZEL_REMOTE_S3_ACCESS_KEY_ID", STORAGE_SECRET_NAME, "access-key-id"),
                    secretEnv("BAZEL_REMOTE_S3_SECRET_ACCESS_KEY", STORAGE_SECRET_NAME, "secret-access-key"),
                  ],
                  ports: [
                    { name: "grpc", containerPort: settings.grpcPort },
                    { name: "http", containerPort: settings.httpPort },
                  ],
                  readinessProbe: { httpGet: { path: "/status", port: "http" }, periodSeconds: 10 },
                  livenessProbe: {
                    httpGet: { path: "/status", port: "http" },
                    initialDelaySeconds: 15,
                    periodSeconds: 20,
                  },
                  resources: containerResources(settings.resources),
                  securityContext: restrictedContainerSecurityContext(),
                  volumeMounts: [{ name: "data", mountPath: DATA_DIR }],
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data", labels },
              spec: {
                accessModes: ["ReadWriteOnce"],
                ...(settings.storageClassName === undefined
                  ? {}
                  : { storageClassName: settings.storageClassName }),
                resources: { requests: { storage: settings.volumeSize } },
              },
            },
          ],
        },
      },
      { parent: this, dependsOn: [storageSecret, service, ...(args.storageReady ?? [])] },
    );

    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-autoscaler`,
      {
        metadata: { name: BAZEL_CACHE_SERVICE, namespace, labels },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "StatefulSet", name: BAZEL_CACHE_SERVICE },
          minReplicas: settings.minReplicas,
          maxReplicas: settings.maxReplicas,
          metrics: utilizationMetrics(settings),
        },
      },
      { parent: this, dependsOn: [statefulSet] },
    );

    this.registerOutputs({ grpcEndpoint: this.grpcEndpoint, httpEndpoint: this.httpEndpoint });
  }
}
