import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PostgresConfig } from "../../config/caches";
import type { ObjectStoreCredentials } from "./workload";

/** Inputs of {@link Postgres}. */
export interface PostgresArgs {
  /** Operator chart, cluster size, storage and backup settings. */
  settings: PostgresConfig;
  /** Namespace of the database cluster, created beforehand. */
  namespace: k8s.core.v1.Namespace;
  /** Namespace of the CloudNativePG operator, created beforehand. */
  operatorNamespace: k8s.core.v1.Namespace;
  /** S3 endpoint URL that receives the backups. */
  backupEndpoint: string;
  /** Keys of the S3 user that writes the backups, Pulumi secrets. */
  backupCredentials: ObjectStoreCredentials;
  /** Resources the backup store needs before it accepts writes. */
  backupStoreReady?: pulumi.Resource[];
}

const POSTGRES_PORT = 5432;
const OWNER_PASSWORD_LENGTH = 32;

/**
 * Attic's PostgreSQL database on CloudNativePG: the operator chart, a Cluster that accepts only TLS
 * connections authenticated with scram-sha-256, and a daily base backup to S3 kept for the
 * configured number of days.
 */
export class Postgres extends pulumi.ComponentResource {
  /** Host name of the read-write Service of the cluster. */
  public readonly host: pulumi.Output<string>;
  /** Secret with the cluster's CA certificate (key `ca.crt`), which CloudNativePG creates. */
  public readonly caSecretName: string;
  readonly #owner: string;
  readonly #database: string;
  readonly #ownerPassword: pulumi.Output<string>;
  /** The CloudNativePG Cluster; clients wait for it. */
  public readonly cluster: k8s.apiextensions.CustomResource;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:caches:Postgres", name, {}, opts);
    const settings = args.settings;
    const namespace = args.namespace.metadata.name;

    // helm.v3.Release is a plain resource, so policies and tests can read its chart, version and
    // values. helm.v4.Chart renders its objects inside the provider and shows none of them under mocks.
    const operator = new k8s.helm.v3.Release(
      `${name}-operator`,
      {
        name: "cnpg",
        chart: settings.operator.chart,
        version: settings.operator.version,
        repositoryOpts: { repo: settings.operator.repository },
        namespace: args.operatorNamespace.metadata.name,
        values: {},
      },
      { parent: this },
    );

    const ownerPassword = new random.RandomPassword(
      `${name}-owner-password`,
      { length: OWNER_PASSWORD_LENGTH, special: false },
      { parent: this },
    );
    const ownerSecretName = `${settings.clusterName}-owner`;
    const ownerSecret = new k8s.core.v1.Secret(
      `${name}-owner`,
      {
        metadata: { name: ownerSecretName, namespace },
        type: "kubernetes.io/basic-auth",
        stringData: { username: settings.owner, password: pulumi.secret(ownerPassword.result) },
      },
      { parent: this },
    );

    const backupSecretName = `${settings.clusterName}-backup-s3`;
    const backupSecret = new k8s.core.v1.Secret(
      `${name}-backup-credentials`,
      {
        metadata: { name: backupSecretName, namespace },
        type: "Opaque",
        stringData: {
          ACCESS_KEY_ID: pulumi.secret(args.backupCredentials.accessKeyId),
          ACCESS_SECRET_KEY: pulumi.secret(args.backupCredentials.secretAccessKey),
        },
      },
      { parent: this },
    );

    this.cluster = new k8s.apiextensions.CustomResource(
      `${name}-cluster`,
      {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: { name: settings.clusterName, namespace },
        spec: {
          instances: settings.instances,
          storage: {
            size: settings.storageSize,
            ...(settings.storageClassName === undefined ? {} : { storageClass: settings.storageClassName }),
          },
          postgresql: {
            parameters: { password_encryption: "scram-sha-256" },
            // CloudNativePG serves TLS with certificates it issues; these rules refuse every
            // connection without TLS and demand scram-sha-256 from the rest.
            pg_hba: ["hostnossl all all all reject", "hostssl all all all scram-sha-256"],
          },
          bootstrap: {
            initdb: { database: settings.database, owner: settings.owner, secret: { name: ownerSecretName } },
          },
          backup: {
            retentionPolicy: `${settings.backupRetentionDays}d`,
            barmanObjectStore: {
              destinationPath: `s3://${settings.backupBucket}/${settings.clusterName}`,
              endpointURL: args.backupEndpoint,
              s3Credentials: {
                accessKeyId: { name: backupSecretName, key: "ACCESS_KEY_ID" },
                secretAccessKey: { name: backupSecretName, key: "ACCESS_SECRET_KEY" },
              },
              wal: { compression: "gzip" },
              data: { compression: "gzip" },
            },
          },
        },
      },
      { parent: this, dependsOn: [operator, ownerSecret, backupSecret, ...(args.backupStoreReady ?? [])] },
    );

    new k8s.apiextensions.CustomResource(
      `${name}-daily-backup`,
      {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "ScheduledBackup",
        metadata: { name: `${settings.clusterName}-daily`, namespace },
        spec: {
          // CloudNativePG schedules have six fields, the first being seconds.
          schedule: settings.backupSchedule,
          backupOwnerReference: "self",
          method: "barmanObjectStore",
          cluster: { name: settings.clusterName },
        },
      },
      { parent: this, dependsOn: [this.cluster] },
    );

    this.host = pulumi.interpolate`${settings.clusterName}-rw.${namespace}.svc.cluster.local`;
    this.caSecretName = `${settings.clusterName}-ca`;
    this.#owner = settings.owner;
    this.#database = settings.database;
    this.#ownerPassword = ownerPassword.result;

    this.registerOutputs({ host: this.host, cluster: settings.clusterName });
  }

  /**
   * Returns the owner's connection URL, a Pulumi secret. It demands TLS and checks the server
   * certificate against the CA at `rootCertPath`, where the client mounts {@link caSecretName}.
   */
  connectionUrl(rootCertPath: string): pulumi.Output<string> {
    // verify-ca rather than verify-full: the names CloudNativePG writes into the server
    // certificate are not checked here against the `.svc.cluster.local` host name.
    return pulumi.secret(
      pulumi.interpolate`postgres://${this.#owner}:${this.#ownerPassword}@${this.host}:${POSTGRES_PORT}/${this.#database}?sslmode=verify-ca&sslrootcert=${rootCertPath}`,
    );
  }
}
