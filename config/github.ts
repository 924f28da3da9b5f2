import { z } from "zod";
import type { FamilyDefinition } from "./load";

/** Parsed configuration of a `github-<env>` stack. */
const githubSchema = z.strictObject({
  /** Stack whose `lanes` output lists the runner fleet; default `runners-<environment>`. */
  runnersStack: z.string().min(1).optional(),
});

/** Parsed configuration of a `github-<env>` stack. */
export type GithubConfig = z.infer<typeof githubSchema>;

/** Configuration keys of the github family. */
export const githubFamily: FamilyDefinition<GithubConfig> = {
  family: "github",
  schema: githubSchema,
  secretKeys: [],
};
