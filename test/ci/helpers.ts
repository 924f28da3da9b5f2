import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CiOptions, CiResult, runCi } from "../../automation/ci/run-ci";

/** Root of this project. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** Installation root of the stand-in Pulumi CLI (it contains bin/pulumi). */
export const FAKE_PULUMI_ROOT = path.join(PROJECT_ROOT, "test", "fixtures", "fake-pulumi");

const EVENTS_DIR = path.join(PROJECT_ROOT, "test", "fixtures", "events");

/** Files every temporary repository starts with: the project file, stack files, the policy pack. */
export const BASE_FILES: Record<string, string> = {
  "Pulumi.yaml": "name: flywheel\nruntime:\n  name: nodejs\n",
  "Pulumi.caches-dev.yaml": "config:\n  flywheel:family: caches\n",
  "Pulumi.runners-dev.yaml": "config:\n  flywheel:family: runners\n",
  "Pulumi.github-dev.yaml": "config:\n  flywheel:family: github\n",
  "Pulumi.caches-staging.yaml": "config:\n  flywheel:family: caches\n",
  "Pulumi.runners-staging.yaml": "config:\n  flywheel:family: runners\n",
  "Pulumi.github-staging.yaml": "config:\n  flywheel:family: github\n",
  "policy/PulumiPolicy.yaml": "runtime: nodejs\n",
  "README.md": "# test repository\n",
};

/** A git repository in the system's temporary folder; `remove` deletes it. */
export class TempRepo {
  readonly dir: string;

  constructor(files: Record<string, string> = BASE_FILES) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-ci-repo-"));
    this.git("init", "--quiet", "--initial-branch=main");
    this.git("config", "user.email", "ci-test@example.invalid");
    this.git("config", "user.name", "ci test");
    this.git("config", "commit.gpgsign", "false");
    this.commit(files, "Start the repository");
  }

  git(...args: string[]): string {
    return execFileSync("git", args, { cwd: this.dir, encoding: "utf8" }).trim();
  }

  /** Writes the files (a null content deletes the file), commits them and returns the new SHA. */
  commit(files: Record<string, string | null>, message = "Change files"): string {
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(this.dir, name);
      if (content === null) {
        this.git("rm", "--quiet", name);
        continue;
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      this.git("add", name);
    }
    this.git("commit", "--quiet", "--allow-empty", "-m", message);
    return this.head();
  }

  head(): string {
    return this.git("rev-parse", "HEAD");
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The fields of an event payload the tests point at a temporary repository or edit. */
export interface EventPayload {
  action?: string;
  pull_request?: { base: { sha: string }; head: { sha: string; repo: { full_name: string } | null } };
  ref?: string;
  before?: string;
  after?: string;
  deleted?: boolean;
  inputs?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Writes a recorded event payload from test/fixtures/events with its SHAs pointed at a temporary repository. */
export function eventFile(
  fixture: string,
  shas: { base?: string; head?: string },
  dir: string,
  edit: (event: EventPayload) => void = () => undefined,
): string {
  const event = JSON.parse(fs.readFileSync(path.join(EVENTS_DIR, fixture), "utf8")) as EventPayload;
  if (event.pull_request) {
    event.pull_request.base.sha = shas.base ?? event.pull_request.base.sha;
    event.pull_request.head.sha = shas.head ?? event.pull_request.head.sha;
  }
  if (typeof event.before === "string" && !/^0+$/.test(event.before)) {
    event.before = shas.base ?? event.before;
  }
  if (typeof event.after === "string") {
    event.after = shas.head ?? event.after;
  }
  edit(event);
  const file = path.join(dir, `event-${fixture}`);
  fs.writeFileSync(file, JSON.stringify(event));
  return file;
}

/** Builds the GitHub environment of a run of `eventName` with the payload in `eventPath`. */
export function githubEnv(
  eventName: string,
  eventPath: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REF: "refs/heads/main",
    GITHUB_SHA: "2222222222222222222222222222222222222222",
    GITHUB_REPOSITORY: "tinyland-example/flywheel",
    ...extra,
  };
}

/** Runs the driver in this process and keeps its log. */
export async function runDriver(
  options: Partial<CiOptions> & Pick<CiOptions, "repoRoot" | "env">,
): Promise<CiResult & { log: string }> {
  let log = "";
  const result = await runCi({
    dryRun: false,
    environments: ["dev"],
    concurrency: 2,
    lockRetries: 3,
    lockRetryDelayMs: 10,
    write: (text) => {
      log += text;
    },
    ...options,
  });
  return { ...result, log };
}

/** One line of the stand-in CLI's call log. */
export interface FakeCall {
  pid: number;
  time: number;
  args: string[];
  event: "start" | "end" | "signal";
  code?: number;
}

/** State folder and scenario of the stand-in Pulumi CLI. */
export class FakePulumi {
  readonly dir: string;

  constructor(scenario: unknown) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-fake-pulumi-"));
    fs.writeFileSync(path.join(this.dir, "scenario.json"), JSON.stringify(scenario));
  }

  /** Reads every call the CLI received, in order. */
  calls(): FakeCall[] {
    const file = path.join(this.dir, "calls.jsonl");
    if (!fs.existsSync(file)) {
      return [];
    }
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeCall);
  }

  /** Calls whose first argument is `command`, one entry per start. */
  starts(command: string): FakeCall[] {
    return this.calls().filter((call) => call.event === "start" && call.args[0] === command);
  }

  /** Checks whether the fake still has a lock on `stack`. */
  locked(stack: string): boolean {
    return fs.existsSync(path.join(this.dir, "locks", stack));
  }

  /** Makes `stack` exist, as if a previous run had created it. */
  createStack(stack: string): void {
    fs.mkdirSync(path.join(this.dir, "stacks"), { recursive: true });
    fs.writeFileSync(path.join(this.dir, "stacks", stack), "");
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Returns the value of `--stack` in a call's arguments. */
export function stackOf(call: FakeCall): string | undefined {
  const index = call.args.indexOf("--stack");
  return index >= 0 ? call.args[index + 1] : undefined;
}
