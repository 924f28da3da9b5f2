export { Attic, AtticArgs } from "./attic";
export { AtticCacheBootstrap, AtticCacheBootstrapArgs } from "./cache-bootstrap";
export { BazelRemote, BazelRemoteArgs, BAZEL_CACHE_SERVICE } from "./bazel-remote";
export { CacheNamespaces, CacheNamespacesArgs, CacheNamespaceSpec } from "./namespaces";
export { ObjectStore, ObjectStoreArgs } from "./object-store";
export { Postgres, PostgresArgs } from "./postgres";
