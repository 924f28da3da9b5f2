import * as fs from "node:fs";
import { z } from "zod";
import { UsageError } from "./errors";

/** The parts of the GitHub Actions environment the driver reads. */
export interface GithubContext {
  eventName: string;
  eventPath: string;
  /** The event payload, validated for the fields the driver uses. */
  event: GithubEvent;
  ref: string;
  sha: string;
  /** `owner/name` of the repository the workflow runs in. */
  repository: string;
  /** File the job summary is appended to; unset outside Actions. */
  stepSummary?: string;
  /** Token for the PR comment; without one the comment is skipped with a warning. */
  token?: string;
  /** REST API base URL, `https://api.github.com` unless `GITHUB_API_URL` is set. */
  apiUrl: string;
}

const repositorySchema = z.looseObject({ full_name: z.string(), default_branch: z.string().optional() });

const pullRequestSchema = z.looseObject({
  number: z.number(),
  head: z.looseObject({ sha: z.string(), ref: z.string(), repo: repositorySchema.nullable() }),
  base: z.looseObject({ sha: z.string(), ref: z.string(), repo: repositorySchema }),
});

const eventSchema = z.looseObject({
  action: z.string().optional(),
  repository: repositorySchema.optional(),
  pull_request: pullRequestSchema.optional(),
  ref: z.string().optional(),
  before: z.string().optional(),
  after: z.string().optional(),
  deleted: z.boolean().optional(),
  inputs: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** The event payload's fields the driver reads; the rest passes through untouched. */
export type GithubEvent = z.infer<typeof eventSchema>;

/** The event fields each event kind needs, so a payload of the wrong kind fails at the boundary. */
const REQUIRED_FIELDS: Record<string, readonly (keyof GithubEvent)[]> = {
  pull_request: ["action", "pull_request", "repository"],
  push: ["ref", "before", "after", "repository"],
};

/** A full commit SHA-1 as GitHub writes it in payloads: 40 hexadecimal characters. */
const SHA_PATTERN = /^[0-9a-f]{40}$/i;

/** Returns the commit fields an event kind passes to git, by their path in the payload. */
function commitFields(eventName: string, event: GithubEvent): [string, string | undefined][] {
  if (eventName === "pull_request") {
    return [
      ["pull_request.base.sha", event.pull_request?.base.sha],
      ["pull_request.head.sha", event.pull_request?.head.sha],
    ];
  }
  if (eventName === "push") {
    return [
      ["before", event.before],
      ["after", event.after],
    ];
  }
  return [];
}

/** Rejects a commit field that is not a full SHA before it reaches git. */
function checkCommitFields(eventName: string, eventPath: string, event: GithubEvent): void {
  for (const [field, value] of commitFields(eventName, event)) {
    if (value !== undefined && !SHA_PATTERN.test(value)) {
      throw new UsageError(
        `Event file ${eventPath} has an invalid SHA in ${field}: ${JSON.stringify(value)} is not 40 hexadecimal ` +
          "characters; pass the payload GitHub wrote for the run.",
      );
    }
  }
}

function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new UsageError(
      `${name} is not set; run inside GitHub Actions or set it to the value Actions would.`,
    );
  }
  return value;
}

/** Reads and validates the GitHub environment and the event payload it points at. */
export function readGithubContext(env: NodeJS.ProcessEnv): GithubContext {
  const eventName = requireEnv(env, "GITHUB_EVENT_NAME");
  const eventPath = requireEnv(env, "GITHUB_EVENT_PATH");
  let text: string;
  try {
    text = fs.readFileSync(eventPath, "utf8");
  } catch (err) {
    throw new UsageError(`Event file ${eventPath} (GITHUB_EVENT_PATH) could not be read; check the path.`, {
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `Event file ${eventPath} (GITHUB_EVENT_PATH) is not valid JSON: ${(err as Error).message}; ` +
        "pass the payload GitHub wrote for the run.",
      { cause: err },
    );
  }
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `Event file ${eventPath} is not a GitHub ${eventName} payload: ${issue.path.join(".") || "(top level)"} ` +
        `${issue.message}.`,
    );
  }
  const missing = (REQUIRED_FIELDS[eventName] ?? []).filter((field) => parsed.data[field] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `Event file ${eventPath} is not a GitHub ${eventName} payload: it lacks ${missing.join(", ")}; ` +
        "check that GITHUB_EVENT_NAME matches the payload.",
    );
  }
  checkCommitFields(eventName, eventPath, parsed.data);
  return {
    eventName,
    eventPath,
    event: parsed.data,
    ref: env.GITHUB_REF ?? parsed.data.ref ?? "",
    sha: env.GITHUB_SHA ?? parsed.data.after ?? "",
    repository: env.GITHUB_REPOSITORY ?? parsed.data.repository?.full_name ?? "",
    stepSummary: env.GITHUB_STEP_SUMMARY || undefined,
    token: env.GITHUB_TOKEN || undefined,
    apiUrl: env.GITHUB_API_URL || "https://api.github.com",
  };
}
