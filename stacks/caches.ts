import type { StackConfig } from "../config/load";
import type { StackOutputs } from "./index";

/** Registers the build caches and returns their cluster-internal endpoints. */
export async function cachesStack(config: Extract<StackConfig, { family: "caches" }>): Promise<StackOutputs> {
  const { bazelCacheNamespace, atticNamespace } = config.caches.caches;
  return {
    bazelCacheEndpoint: `grpc://bazel-cache.${bazelCacheNamespace}.svc.cluster.local:9092`,
    bazelCacheHttpEndpoint: `http://bazel-cache.${bazelCacheNamespace}.svc.cluster.local:8080`,
    atticEndpoint: `http://attic.${atticNamespace}.svc.cluster.local`,
    atticCacheName: "main",
    namespaces: { bazelCache: bazelCacheNamespace, attic: atticNamespace },
  };
}
