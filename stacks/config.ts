import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, StackConfig } from "../config/load";

// `isConfigSecret` is exported by the runtime's config module but left out of its type declarations.
const runtimeConfig = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };

/** Reads the running stack's configuration from the Pulumi runtime and parses it. */
export function readStackConfig(stack: string): StackConfig {
  const values = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(values).filter((key) => runtimeConfig.isConfigSecret(key)));
  return loadStackConfig(stack, { values, secretKeys });
}
