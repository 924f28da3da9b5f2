import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ObjectStoreConfig } from "../../config/caches";
import type { Secret } from "../../config/secret";
import type { ObjectStoreCredentials } from "./workload";

/** Inputs of {@link ObjectStore}. */
export interface ObjectStoreArgs {
  /** Store settings: an in-cluster MinIO tenant or an external S3 service. */
  store: ObjectStoreConfig;
  /** Buckets the caches and the database backups use; the MinIO tenant creates them, an external service must have them. */
  buckets: string[];
  /** Keys of the external S3 service; required when `store.type` is `s3`, unused for MinIO. */
  externalCredentials?: { accessKeyId: Secret; secretAccessKey: Secret };
  /** Namespace of the MinIO operator, created beforehand; only for MinIO. */
  operatorNamespace?: k8s.core.v1.Namespace;
  /** Namespace of the MinIO tenant, created beforehand; only for MinIO. */
  tenantNamespace?: k8s.core.v1.Namespace;
}

// The tenant serves the S3 API on port 80 when it runs without TLS.
const MINIO_SERVICE = "minio";
const ROOT_USER_LENGTH = 20;
const ROOT_PASSWORD_LENGTH = 40;

/**
 * The object storage behind bazel-remote, Attic and the database backups. With `type: minio` it
 * installs the MinIO operator and a tenant whose keys are generated here. With `type: s3` it
 * registers nothing and passes the configured endpoint and keys on.
 */
export class ObjectStore extends pulumi.ComponentResource {
  /** S3 endpoint URL that clients inside the cluster use. */
  public readonly endpoint: string;
  /** Region name the clients sign requests for. */
  public readonly region: string;
  /** Bucket Attic stores NARs and chunks in. */
  public readonly atticBucket: string;
  /** Access keys of the caches' S3 user, Pulumi secrets. */
  public readonly credentials: ObjectStoreCredentials;
  /** Resources a client must wait for before it can reach the store; empty for an external service. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:caches:ObjectStore", name, {}, opts);
    const store = args.store;
    this.region = store.region;

    if (store.type === "s3") {
      // The schema rejects an s3 store without endpoint, bucket or keys, so these are defined here.
      if (
        store.endpoint === undefined ||
        store.bucket === undefined ||
        args.externalCredentials === undefined
      ) {
        throw new Error(
          "The s3 object store needs flywheel:caches.objectStore.endpoint, flywheel:caches.objectStore.bucket, flywheel:s3AccessKeyId and flywheel:s3SecretAccessKey.",
        );
      }
      this.endpoint = store.endpoint;
      this.atticBucket = store.bucket;
      this.credentials = {
        accessKeyId: pulumi.secret(args.externalCredentials.accessKeyId.reveal()),
        secretAccessKey: pulumi.secret(args.externalCredentials.secretAccessKey.reveal()),
      };
      this.ready = [];
      this.registerOutputs({ endpoint: this.endpoint, region: this.region });
      return;
    }

    if (args.operatorNamespace === undefined || args.tenantNamespace === undefined) {
      throw new Error(
        "The MinIO object store needs its operator and tenant namespaces; pass both in ObjectStoreArgs.",
      );
    }
    const namespace = store.tenant.namespace;
    this.atticBucket = store.bucket;
    this.endpoint = `http://${MINIO_SERVICE}.${namespace}.svc.cluster.local`;

    const rootUser = new random.RandomPassword(
      `${name}-root-user`,
      { length: ROOT_USER_LENGTH, special: false },
      { parent: this },
    );
    const rootPassword = new random.RandomPassword(
      `${name}-root-password`,
      { length: ROOT_PASSWORD_LENGTH, special: false },
      { parent: this },
    );
    const accessKeyId = new random.RandomPassword(
      `${name}-access-key-id`,
      { length: ROOT_USER_LENGTH, special: false, upper: true, lower: false },
      { parent: this },
    );
    const secretAccessKey = new random.RandomPassword(
      `${name}-secret-access-key`,
      { length: ROOT_PASSWORD_LENGTH, special: false },
      { parent: this },
    );
    this.credentials = { accessKeyId: accessKeyId.result, secretAccessKey: secretAccessKey.result };

    // The tenant reads its root user from `config.env`; the chart would otherwise put it in its values.
    const configSecretName = `${store.tenantName}-env-configuration`;
    const configSecret = new k8s.core.v1.Secret(
      `${name}-root-configuration`,
      {
        metadata: { name: configSecretName, namespace: args.tenantNamespace.metadata.name },
        type: "Opaque",
        stringData: {
          "config.env": pulumi.secret(
            pulumi.interpolate`export MINIO_ROOT_USER="${rootUser.result}"\nexport MINIO_ROOT_PASSWORD="${rootPassword.result}"\n`,
          ),
        },
      },
      { parent: this },
    );
    const userSecretName = `${store.tenantName}-cache-user`;
    const userSecret = new k8s.core.v1.Secret(
      `${name}-cache-user`,
      {
        metadata: { name: userSecretName, namespace: args.tenantNamespace.metadata.name },
        type: "Opaque",
        stringData: {
          CONSOLE_ACCESS_KEY: pulumi.secret(accessKeyId.result),
          CONSOLE_SECRET_KEY: pulumi.secret(secretAccessKey.result),
        },
      },
      { parent: this },
    );

    // helm.v3.Release is a plain resource, so policies and tests can read its chart, version and
    // values. helm.v4.Chart renders its objects inside the provider and shows none of them under mocks.
    const operator = new k8s.helm.v3.Release(
      `${name}-operator`,
      {
        name: "minio-operator",
        chart: store.operator.chart,
        version: store.operator.version,
        repositoryOpts: { repo: store.operator.repository },
        namespace: args.operatorNamespace.metadata.name,
        values: {},
      },
      { parent: this },
    );

    const [repository, tag] = splitImage(store.image);
    const tenant = new k8s.helm.v3.Release(
      `${name}-tenant`,
      {
        name: store.tenantName,
        chart: store.tenant.chart,
        version: store.tenant.version,
        repositoryOpts: { repo: store.tenant.repository },
        namespace: args.tenantNamespace.metadata.name,
        values: {
          tenant: {
            name: store.tenantName,
            image: { repository, tag, pullPolicy: "IfNotPresent" },
            configuration: { name: configSecretName },
            configSecret: { name: configSecretName, existingSecret: true },
            pools: [
              {
                name: "pool-0",
                servers: store.servers,
                volumesPerServer: store.volumesPerServer,
                size: store.volumeSize,
                ...(store.storageClassName === undefined ? {} : { storageClassName: store.storageClassName }),
              },
            ],
            // NOTE: the caches reach MinIO over plain HTTP inside the cluster; TLS needs a CA that
            // bazel-remote, Attic and the database backups all trust, which this program does not provision.
            certificate: { requestAutoCert: false },
            buckets: [...new Set(args.buckets)].map((bucket) => ({ name: bucket })),
            users: [{ name: userSecretName }],
            exposeServices: { minio: false, console: false },
          },
        },
      },
      { parent: this, dependsOn: [operator, configSecret, userSecret] },
    );
    this.ready = [tenant];

    this.registerOutputs({ endpoint: this.endpoint, region: this.region });
  }
}

/** Splits `repository:tag` into its two parts; the schema has already rejected untagged images. */
function splitImage(image: string): [string, string] {
  const colon = image.lastIndexOf(":");
  return [image.slice(0, colon), image.slice(colon + 1)];
}
