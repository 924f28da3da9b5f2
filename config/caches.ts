import { z } from "zod";
import type { FamilyDefinition } from "./load";

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const cachesSchema = z.strictObject({
  /** Namespace of the Bazel remote cache. */
  bazelCacheNamespace: z.string().regex(NAMESPACE_NAME).default("bazel-cache"),
  /** Namespace of the Attic Nix binary cache. */
  atticNamespace: z.string().regex(NAMESPACE_NAME).default("nix-cache"),
});

const familySchema = z.strictObject({
  caches: cachesSchema.prefault({}),
});

/** Parsed configuration of a caches stack. */
export type CachesConfig = z.output<typeof familySchema>;

/** Configuration keys of the caches family. */
export const cachesFamily: FamilyDefinition<CachesConfig> = {
  family: "caches",
  schema: familySchema,
  secretKeys: [],
};
