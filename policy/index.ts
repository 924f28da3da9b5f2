/**
 * The flywheel CrossGuard policy pack. Constructing `PolicyPack` starts the analyzer's gRPC server
 * at once and prints its port, so this module is loaded only by the policy runner
 * (`@pulumi/pulumi/cmd/run-policy-pack <engine address> <pack dir>`, started in this directory).
 * The rules live in `rules/` and `policies.ts`, which tests may import.
 *
 * `package.json` next to this file exists because `PolicyPack` reads the pack version from the
 * `package.json` of the working directory. It declares no dependencies: the pack resolves
 * `@pulumi/policy` and the rest from the repository's `node_modules`.
 */
import { PolicyPack } from "@pulumi/policy";

import { DEFAULT_ENFORCEMENT_LEVEL, policies } from "./policies";

new PolicyPack("flywheel", {
  description:
    "Keeps every CI job on the organization's own runner fleet and the platform around it locked down.",
  enforcementLevel: DEFAULT_ENFORCEMENT_LEVEL,
  policies,
});
