/**
 * Sandboxes for the end-to-end tests. Each has a real Pulumi CLI on a temporary file backend and a
 * private PULUMI_HOME whose plugin cache contains the stand-in providers and the policy analyzer
 * launcher. It also has a directory that replaces the cluster and the organization, and a git copy
 * of the repository.
 * Nothing here reaches the network: plugin downloads are off and ambient plugins are ignored.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { STANDIN_DIR_ENV, type StoredObject } from "../providers/standin-provider";
import { STANDIN_PACKAGES, sdkVersion } from "../providers/main";

/** Root of the repository under test. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Passphrase of the example stacks' secrets (documented as example-only). */
export const EXAMPLE_PASSPHRASE = "flywheel-dev-example";

const ANALYZER_LAUNCHER = path.join(REPO_ROOT, "scripts", "pulumi-analyzer-policy-nodejs");
const STANDIN_BIN = path.join(REPO_ROOT, "test", "providers", "bin");

// Top-level entries not copied into a sandbox: dependencies are linked, the rest is local state.
const COPY_EXCLUDES = new Set(["node_modules", ".git", ".toolchain", ".pulumi-state", "dist"]);

/** A Pulumi CLI that matches the pinned SDK. */
export interface Toolchain {
  /** Absolute path of the `pulumi` executable. */
  pulumi: string;
  /** The version it reports, without the leading "v". */
  version: string;
}

function cliVersion(pulumi: string): string | undefined {
  try {
    return execFileSync(pulumi, ["version"], { encoding: "utf8", timeout: 30_000 }).trim().replace(/^v/, "");
  } catch {
    return undefined;
  }
}

/** Returns the path of `command` in a PATH directory, if any. */
export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && fs.existsSync(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/**
 * Finds a compatible CLI: the one `npm run toolchain` built in .toolchain/bin, else `pulumi` on
 * PATH. Returns the reason as a string when there is none, so a test can skip with it.
 */
export function findToolchain(): Toolchain | string {
  const pinned = sdkVersion("pulumi");
  const pinnedMinor = pinned.split(".").slice(0, 2).join(".");
  const candidates = [path.join(REPO_ROOT, ".toolchain", "bin", "pulumi"), onPath("pulumi")];
  const rejected: string[] = [];
  for (const candidate of candidates) {
    if (!candidate || !fs.existsSync(candidate)) {
      continue;
    }
    const version = cliVersion(candidate);
    if (version && (version === pinnedMinor || version.startsWith(`${pinnedMinor}.`))) {
      return { pulumi: candidate, version };
    }
    rejected.push(`${candidate} reports "${version ?? "no version"}"`);
  }
  const found = rejected.length > 0 ? ` (${rejected.join("; ")})` : "";
  return `no Pulumi CLI ${pinnedMinor}.x was found${found}; run 'npm run toolchain'`;
}

/** One test's isolated environment. Call {@link Sandbox.dispose} in `after`/`finally`. */
export class Sandbox {
  /** Temporary root holding everything below. */
  readonly root: string;
  /** PULUMI_HOME with the stand-in plugins in its plugin cache. */
  readonly pulumiHome: string;
  /** Directory of the file backend. */
  readonly backendDir: string;
  /** Directory standing in for the cluster and the GitHub organization. */
  readonly standinDir: string;
  /** Git copy of the repository; the program and the policy pack run from here. */
  readonly repo: string;

  private constructor(
    readonly toolchain: Toolchain,
    root: string,
  ) {
    this.root = root;
    this.pulumiHome = path.join(root, "pulumi-home");
    this.backendDir = path.join(root, "backend");
    this.standinDir = path.join(root, "standin");
    this.repo = path.join(root, "repo");
  }

  /** Creates the directories, installs the plugins and copies the repository. */
  static create(toolchain: Toolchain, label: string): Sandbox {
    const sandbox = new Sandbox(toolchain, fs.mkdtempSync(path.join(os.tmpdir(), `flywheel-e2e-${label}-`)));
    fs.mkdirSync(sandbox.backendDir);
    fs.mkdirSync(sandbox.standinDir);
    sandbox.installPlugins();
    sandbox.copyRepository();
    return sandbox;
  }

  /** The file backend's URL. */
  get backendUrl(): string {
    return `file://${this.backendDir}`;
  }

  /** Environment for the CLI, the driver and the Automation API. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] =>
          entry[1] !== undefined && !entry[0].startsWith("PULUMI_") && !entry[0].startsWith("GITHUB_"),
      ),
    );
    return {
      ...inherited,
      PATH: [path.dirname(this.toolchain.pulumi), process.env.PATH ?? ""].join(path.delimiter),
      PULUMI_HOME: this.pulumiHome,
      PULUMI_BACKEND_URL: this.backendUrl,
      PULUMI_CONFIG_PASSPHRASE: EXAMPLE_PASSPHRASE,
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      [STANDIN_DIR_ENV]: this.standinDir,
      ...extra,
    };
  }

  /** Stand-in objects of one package, as `{ file, object }`, sorted by file name. */
  objects(pkg: string): { file: string; object: StoredObject }[] {
    const dir = path.join(this.standinDir, pkg);
    if (!fs.existsSync(dir)) {
      return [];
    }
    return fs
      .readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => {
        const file = path.join(dir, name);
        return { file, object: JSON.parse(fs.readFileSync(file, "utf8")) as StoredObject };
      });
  }

  /** Runs the Pulumi CLI in the sandbox's repository and returns its standard output. */
  pulumi(...args: string[]): string {
    return execFileSync(this.toolchain.pulumi, [...args, "--non-interactive"], {
      cwd: this.repo,
      encoding: "utf8",
      env: this.env(),
      maxBuffer: 64 * 1024 * 1024,
    });
  }

  /** Reads a stack's outputs from the backend's state (secrets stay masked). */
  stackOutputs(stack: string): Record<string, unknown> {
    return JSON.parse(this.pulumi("stack", "output", "--json", "--stack", stack)) as Record<string, unknown>;
  }

  /** URNs of the resources in a stack's state. */
  stackUrns(stack: string): string[] {
    const exported = JSON.parse(this.pulumi("stack", "export", "--stack", stack)) as {
      deployment: { resources?: { urn: string }[] };
    };
    return (exported.deployment.resources ?? []).map((resource) => resource.urn).sort();
  }

  /** Lock files in the file backend; an empty list means that no stack is locked. */
  lockFiles(): string[] {
    const locks = path.join(this.backendDir, ".pulumi", "locks");
    if (!fs.existsSync(locks)) {
      return [];
    }
    return (fs.readdirSync(locks, { recursive: true }) as string[]).filter((name) => name.endsWith(".json"));
  }

  /** Runs git in the sandbox's repository and returns its standard output. */
  git(...args: string[]): string {
    return execFileSync("git", args, { cwd: this.repo, encoding: "utf8", env: gitEnv() });
  }

  /** Removes the sandbox. Plugins started from it have ended once their CLI has. */
  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  private installPlugins(): void {
    const plugins = path.join(this.pulumiHome, "plugins");
    // The plugin cache layout is <kind>-<name>-v<version>/pulumi-<kind>-<name>.
    for (const pkg of STANDIN_PACKAGES) {
      const dir = path.join(plugins, `resource-${pkg}-v${sdkVersion(pkg)}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.symlinkSync(
        path.join(STANDIN_BIN, "pulumi-resource-standin"),
        path.join(dir, `pulumi-resource-${pkg}`),
      );
    }
    const analyzerDir = path.join(plugins, `analyzer-policy-nodejs-v${sdkVersion("pulumi")}`);
    fs.mkdirSync(analyzerDir, { recursive: true });
    fs.symlinkSync(ANALYZER_LAUNCHER, path.join(analyzerDir, "pulumi-analyzer-policy-nodejs"));
  }

  private copyRepository(): void {
    fs.mkdirSync(this.repo);
    for (const entry of fs.readdirSync(REPO_ROOT)) {
      if (!COPY_EXCLUDES.has(entry)) {
        fs.cpSync(path.join(REPO_ROOT, entry), path.join(this.repo, entry), { recursive: true });
      }
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(this.repo, "node_modules"));
    this.git("init", "--quiet", "--initial-branch=main");
    this.git("add", "--all");
    this.git("commit", "--quiet", "--message", "Import the repository under test");
  }
}

function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_AUTHOR_NAME: "flywheel e2e",
    GIT_AUTHOR_EMAIL: "e2e@example.invalid",
    GIT_COMMITTER_NAME: "flywheel e2e",
    GIT_COMMITTER_EMAIL: "e2e@example.invalid",
  };
}

/** Result of a child process run to completion. */
export interface ProcessResult {
  /** Exit status, or null when a signal ended it. */
  code: number | null;
  /** Signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child process started by {@link startProcess}, with its eventual result. */
export interface RunningProcess {
  result: Promise<ProcessResult>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `command` without a shell, collecting its output. */
export function startProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): RunningProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const result = new Promise<ProcessResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    result,
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** Runs `command` to completion. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<ProcessResult> {
  return startProcess(command, args, options).result;
}
