import type { StackConfig } from "../config/load";
import {
  Attic,
  AtticCacheBootstrap,
  BazelRemote,
  CacheNamespaces,
  CacheNamespaceSpec,
  ObjectStore,
  Postgres,
} from "../components/caches";
import type { StackOutputs } from "./index";

/**
 * Registers the build caches (bazel-remote and Attic with its database and object store) and
 * returns their cluster-internal endpoints, which the runners stack reads. No output is secret.
 */
export async function cachesStack(config: Extract<StackConfig, { family: "caches" }>): Promise<StackOutputs> {
  const { caches, s3AccessKeyId, s3SecretAccessKey } = config.caches;
  const { bazelRemote, attic, postgres, objectStore, podSecurity } = caches;

  const namespaceSpecs: CacheNamespaceSpec[] = [
    { name: bazelRemote.namespace, podSecurity },
    { name: attic.namespace, podSecurity },
    { name: postgres.operator.namespace },
  ];
  if (objectStore.type === "minio") {
    namespaceSpecs.push(
      { name: objectStore.operator.namespace },
      { name: objectStore.tenant.namespace, podSecurity },
    );
  }
  const namespaces = new CacheNamespaces("caches", { namespaces: namespaceSpecs });

  const store = new ObjectStore("object-store", {
    store: objectStore,
    buckets: [objectStore.bucket ?? "", postgres.backupBucket, bazelRemote.bucket].filter(
      (bucket) => bucket !== "",
    ),
    externalCredentials:
      s3AccessKeyId !== undefined && s3SecretAccessKey !== undefined
        ? { accessKeyId: s3AccessKeyId, secretAccessKey: s3SecretAccessKey }
        : undefined,
    operatorNamespace:
      objectStore.type === "minio" ? namespaces.get(objectStore.operator.namespace) : undefined,
    tenantNamespace: objectStore.type === "minio" ? namespaces.get(objectStore.tenant.namespace) : undefined,
  });

  const bazel = new BazelRemote("bazel-remote", {
    settings: bazelRemote,
    namespace: namespaces.get(bazelRemote.namespace),
    storageEndpoint: store.endpoint,
    storageRegion: store.region,
    storageCredentials: store.credentials,
    storageReady: store.ready,
  });

  const database = new Postgres("attic-postgres", {
    settings: postgres,
    namespace: namespaces.get(attic.namespace),
    operatorNamespace: namespaces.get(postgres.operator.namespace),
    backupEndpoint: store.endpoint,
    backupCredentials: store.credentials,
    backupStoreReady: store.ready,
  });

  const atticCache = new Attic("attic", {
    settings: attic,
    namespace: namespaces.get(attic.namespace),
    database,
    storageEndpoint: store.endpoint,
    storageRegion: store.region,
    storageBucket: store.atticBucket,
    storageCredentials: store.credentials,
    backends: [database.cluster, ...store.ready],
  });

  const bootstrap = new AtticCacheBootstrap("attic-bootstrap", {
    settings: attic,
    namespace: namespaces.get(attic.namespace),
    atticEndpoint: atticCache.endpoint,
    after: [atticCache.api],
  });

  return {
    bazelCacheEndpoint: bazel.grpcEndpoint,
    bazelCacheHttpEndpoint: bazel.httpEndpoint,
    atticEndpoint: atticCache.endpoint,
    atticCacheName: bootstrap.cacheName,
    namespaces: {
      bazelCache: bazelRemote.namespace,
      attic: attic.namespace,
      postgresOperator: postgres.operator.namespace,
      ...(objectStore.type === "minio"
        ? { objectStoreOperator: objectStore.operator.namespace, objectStore: objectStore.tenant.namespace }
        : {}),
    },
  };
}
