import { z } from "zod";
import type { FamilyDefinition } from "./load";
import { Secret } from "./secret";

const secret = z.instanceof(Secret).optional();

/** Configuration keys of a `runners-<env>` stack, before defaults are filled in. */
const runnersSchema = z.strictObject({
  /** Stack whose outputs carry the cache endpoints; default `caches-<environment>`. */
  cachesStack: z.string().min(1).optional(),
  /** GitHub App ID the scale sets authenticate with. */
  githubAppId: secret,
  /** Installation ID of the GitHub App in the organization or repository. */
  githubAppInstallationId: secret,
  /** PEM private key of the GitHub App. */
  githubAppPrivateKey: secret,
  /** Token that pulls runner images from ghcr.io; requires `ghcrUsername`. */
  ghcrToken: secret,
  /** Account the `ghcrToken` belongs to. */
  ghcrUsername: z.string().min(1).optional(),
  /** Runner fleet settings. */
  runners: z.record(z.string(), z.unknown()).optional(),
});

/** Parsed configuration of a `runners-<env>` stack. */
export type RunnersConfig = z.infer<typeof runnersSchema>;

/** Configuration keys of the runners family. */
export const runnersFamily: FamilyDefinition<RunnersConfig> = {
  family: "runners",
  schema: runnersSchema,
  secretKeys: ["githubAppId", "githubAppInstallationId", "githubAppPrivateKey", "ghcrToken"],
};
