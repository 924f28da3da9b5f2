import type { RunnerGroupConfig } from "../config";
import { getString, UNKNOWN_AT_PREVIEW } from "./plain";
import type { ResourceInput, Violation } from "./types";

/**
 * Reports a runner group that allows public repositories unless its name is listed in
 * `allowPublicRunnerGroups`. Code from forks of a public repository would run on shared
 * runners and could poison the build caches they share.
 */
export function checkRunnerGroupNoPublic(resource: ResourceInput, config: RunnerGroupConfig): Violation[] {
  const name = getString(resource.props, ["name"]) ?? resource.name;
  const allows = resource.props.allowsPublicRepositories;
  const thing = `Runner group ${name === UNKNOWN_AT_PREVIEW ? resource.name : name}`;
  if (allows !== true && allows !== UNKNOWN_AT_PREVIEW) {
    return [];
  }
  if (typeof name === "string" && config.allowPublicRunnerGroups.includes(name)) {
    return [];
  }
  if (allows === UNKNOWN_AT_PREVIEW) {
    return [{ message: `${thing} must set allowsPublicRepositories to a value known at preview` }];
  }
  return [
    {
      message:
        `${thing} must not allow public repositories (allowsPublicRepositories is true); set it to false, ` +
        `or list the group in the pack configuration's allowPublicRunnerGroups`,
    },
  ];
}
