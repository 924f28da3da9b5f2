import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, StackConfig } from "../config/load";

// `isConfigSecret` is exported by the runtime's config module but left out of its type declarations.
const runtimeConfig = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };

/**
 * Returns true when `key` was set as a secret. `allConfig()` returns keys as `project:key`, while the
 * secret key list may still use the older `project:config:key` form, so both forms are checked.
 */
function isSecretKey(key: string): boolean {
  const colon = key.indexOf(":");
  const legacy = colon > 0 ? `${key.slice(0, colon)}:config:${key.slice(colon + 1)}` : key;
  return runtimeConfig.isConfigSecret(key) || runtimeConfig.isConfigSecret(legacy);
}

/** Reads the running stack's configuration from the Pulumi runtime and parses it. */
export function readStackConfig(stack: string): StackConfig {
  const values = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(values).filter(isSecretKey));
  return loadStackConfig(stack, { values, secretKeys });
}
