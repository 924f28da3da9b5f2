import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AtticConfig } from "../../config/caches";
import type { Postgres } from "./postgres";
import { JWT_KEY_ENV, renderServerToml } from "./server-toml";
import {
  componentLabels,
  containerResources,
  ObjectStoreCredentials,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  secretEnv,
  utilizationMetrics,
} from "./workload";

/** Name of the Secret that contains Attic's JWT signing key. */
export const JWT_SECRET_NAME = "attic-jwt-signing";
/** Key of the JWT signing key in {@link JWT_SECRET_NAME}. */
export const JWT_SECRET_KEY = "hs256-secret-base64";
/** Name of the Secret that contains `server.toml`. */
export const SERVER_CONFIG_SECRET_NAME = "attic-server-config";
/** Directory the `server.toml` Secret is mounted at in every Attic container. */
export const SERVER_CONFIG_DIR = "/etc/attic";
/** Path of `server.toml` inside the Attic containers. */
export const SERVER_CONFIG_PATH = `${SERVER_CONFIG_DIR}/server.toml`;

const DATABASE_CA_DIR = "/etc/attic-postgres-ca";
const DATABASE_CA_PATH = `${DATABASE_CA_DIR}/ca.crt`;
const SERVICE_NAME = "attic";
const GC_NAME = "attic-gc";
const STORAGE_SECRET_NAME = "attic-s3";
// 64 letters and digits are already valid base64 because 64 is a multiple of 4. Attic decodes them
// to a 48-byte HMAC key, so the key needs no encoding step.
const JWT_KEY_LENGTH = 64;

/** Inputs of {@link Attic}. */
export interface AtticArgs {
  /** Image, scaling, server.toml and Service settings. */
  settings: AtticConfig;
  /** Namespace of Attic, created beforehand with its Pod Security labels. */
  namespace: k8s.core.v1.Namespace;
  /** The database: its connection URL and the Secret with its CA certificate. */
  database: Postgres;
  /** S3 endpoint URL of the object store. */
  storageEndpoint: string;
  /** S3 region name. */
  storageRegion: string;
  /** S3 bucket for NARs and chunks. */
  storageBucket: string;
  /** Keys of the S3 user, Pulumi secrets. */
  storageCredentials: ObjectStoreCredentials;
  /** Resources Attic needs before it starts: the database cluster and the object store. */
  backends?: pulumi.Resource[];
}

/**
 * The Attic Nix binary cache: an API Deployment in monolithic mode behind the Service `attic`
 * (port 80 to the container's 8080 by default), autoscaled and protected by a PodDisruptionBudget,
 * and a single garbage collector Deployment `attic-gc`. Its configuration and keys live only in
 * Secrets: `server.toml` contains the database URL, and the JWT key is generated here.
 */
export class Attic extends pulumi.ComponentResource {
  /** In-cluster URL of the Service, without a trailing slash. */
  public readonly endpoint: string;
  /** The API Deployment; the bootstrap waits for it. */
  public readonly api: k8s.apps.v1.Deployment;

  constructor(name: string, args: AtticArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:caches:Attic", name, {}, opts);
    const settings = args.settings;
    const namespace = args.namespace.metadata.name;
    const namespaceName = settings.namespace;
    const portSuffix = settings.servicePort === 80 ? "" : `:${settings.servicePort}`;
    this.endpoint = `http://${SERVICE_NAME}.${namespaceName}.svc.cluster.local${portSuffix}`;

    const jwtKey = new random.RandomPassword(
      `${name}-jwt-key`,
      { length: JWT_KEY_LENGTH, special: false },
      { parent: this },
    );
    const jwtSecret = new k8s.core.v1.Secret(
      `${name}-jwt-signing`,
      {
        metadata: { name: JWT_SECRET_NAME, namespace, labels: componentLabels("attic", "api") },
        type: "Opaque",
        stringData: { [JWT_SECRET_KEY]: pulumi.secret(jwtKey.result) },
      },
      { parent: this },
    );

    const storageSecret = new k8s.core.v1.Secret(
      `${name}-storage-credentials`,
      {
        metadata: { name: STORAGE_SECRET_NAME, namespace, labels: componentLabels("attic", "api") },
        type: "Opaque",
        stringData: {
          AWS_ACCESS_KEY_ID: pulumi.secret(args.storageCredentials.accessKeyId),
          AWS_SECRET_ACCESS_KEY: pulumi.secret(args.storageCredentials.secretAccessKey),
        },
      },
      { parent: this },
    );

    const serverToml = pulumi.secret(
      args.database.connectionUrl(DATABASE_CA_PATH).apply((databaseUrl) =>
        renderServerToml({
          listenPort: settings.containerPort,
          apiEndpoint: `${this.endpoint}/`,
          databaseUrl,
          storageEndpoint: args.storageEndpoint,
          storageRegion: args.storageRegion,
          storageBucket: args.storageBucket,
          chunking: settings.chunking,
          compression: settings.compression,
          garbageCollection: settings.garbageCollection,
        }),
      ),
    );
    // server.toml contains the database password, so it is a Secret and never a ConfigMap.
    const configSecret = new k8s.core.v1.Secret(
      `${name}-server-config`,
      {
        metadata: { name: SERVER_CONFIG_SECRET_NAME, namespace, labels: componentLabels("attic", "api") },
        type: "Opaque",
        stringData: { "server.toml": serverToml },
      },
      { parent: this },
    );

    const dependsOn = [jwtSecret, storageSecret, configSecret, ...(args.backends ?? [])];
    const apiLabels = componentLabels("attic", "api");
    this.api = new k8s.apps.v1.Deployment(
      `${name}-api`,
      {
        metadata: { name: SERVICE_NAME, namespace, labels: apiLabels },
        spec: {
          // `replicas` is left to the HorizontalPodAutoscaler; setting it here would undo its scaling on every update.
          selector: { matchLabels: apiLabels },
          template: {
            metadata: { labels: apiLabels },
            // NOTE: monolithic mode also runs a collection loop in every API pod, next to attic-gc.
            // `--mode api-server` would avoid that, but then no pod runs the database migrations.
            spec: atticPodSpec(settings, args.database.caSecretName, ["--mode", "monolithic"], {
              containerName: "attic",
              ports: [{ name: "http", containerPort: settings.containerPort }],
              readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 10 },
              livenessProbe: { tcpSocket: { port: "http" }, initialDelaySeconds: 30, periodSeconds: 20 },
            }),
          },
        },
      },
      { parent: this, dependsOn },
    );

    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: SERVICE_NAME, namespace, labels: apiLabels },
        spec: {
          type: settings.serviceType,
          selector: apiLabels,
          ports: [
            { name: "http", port: settings.servicePort, targetPort: settings.containerPort, protocol: "TCP" },
          ],
        },
      },
      { parent: this },
    );

    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-autoscaler`,
      {
        metadata: { name: SERVICE_NAME, namespace, labels: apiLabels },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: SERVICE_NAME },
          minReplicas: settings.minReplicas,
          maxReplicas: settings.maxReplicas,
          metrics: utilizationMetrics(settings),
          behavior: {
            scaleDown: { stabilizationWindowSeconds: settings.scaleDownStabilizationWindowSeconds },
          },
        },
      },
      { parent: this, dependsOn: [this.api] },
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-disruption-budget`,
      {
        metadata: { name: SERVICE_NAME, namespace, labels: apiLabels },
        spec: { minAvailable: settings.pdbMinAvailable, selector: { matchLabels: apiLabels } },
      },
      { parent: this },
    );

    const gcLabels = componentLabels("attic", "garbage-collector");
    new k8s.apps.v1.Deployment(
      `${name}-gc`,
      {
        metadata: { name: GC_NAME, namespace, labels: gcLabels },
        spec: {
          replicas: settings.garbageCollectorReplicas,
          // Two collectors must never run at once, so the old pod stops before the new one starts.
          strategy: { type: "Recreate" },
          selector: { matchLabels: gcLabels },
          template: {
            metadata: { labels: gcLabels },
            spec: atticPodSpec(settings, args.database.caSecretName, ["--mode", "garbage-collector"], {
              containerName: "attic-gc",
            }),
          },
        },
      },
      { parent: this, dependsOn },
    );

    this.registerOutputs({ endpoint: this.endpoint });
  }
}

interface ContainerExtras {
  containerName: string;
  ports?: k8s.types.input.core.v1.ContainerPort[];
  readinessProbe?: k8s.types.input.core.v1.Probe;
  livenessProbe?: k8s.types.input.core.v1.Probe;
}

/** Pod spec shared by the API and the collector: same image, config, keys and security context. */
function atticPodSpec(
  settings: AtticConfig,
  databaseCaSecretName: string,
  modeArgs: string[],
  extras: ContainerExtras,
): k8s.types.input.core.v1.PodSpec {
  return {
    securityContext: restrictedPodSecurityContext(settings.runAsUser),
    automountServiceAccountToken: false,
    containers: [
      {
        name: extras.containerName,
        image: settings.image,
        args: ["-f", SERVER_CONFIG_PATH, ...modeArgs],
        env: [
          secretEnv(JWT_KEY_ENV, JWT_SECRET_NAME, JWT_SECRET_KEY),
          secretEnv("AWS_ACCESS_KEY_ID", STORAGE_SECRET_NAME, "AWS_ACCESS_KEY_ID"),
          secretEnv("AWS_SECRET_ACCESS_KEY", STORAGE_SECRET_NAME, "AWS_SECRET_ACCESS_KEY"),
        ],
        ports: extras.ports,
        readinessProbe: extras.readinessProbe,
        livenessProbe: extras.livenessProbe,
        resources: containerResources(settings.resources),
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [
          { name: "server-config", mountPath: SERVER_CONFIG_DIR, readOnly: true },
          { name: "database-ca", mountPath: DATABASE_CA_DIR, readOnly: true },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
    ],
    volumes: [
      { name: "server-config", secret: { secretName: SERVER_CONFIG_SECRET_NAME } },
      {
        name: "database-ca",
        secret: { secretName: databaseCaSecretName, items: [{ key: "ca.crt", path: "ca.crt" }] },
      },
      { name: "tmp", emptyDir: {} },
    ],
  };
}
