import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** A push's `before` when the ref did not exist yet (a new branch or tag). */
export const ZERO_SHA = "0000000000000000000000000000000000000000";

/** Room for the names of a very large change set; git's output for 10,000 files is about 0.5 MB. */
const GIT_OUTPUT_LIMIT_BYTES = 256 * 1024 * 1024;

/** Commits to compare, taken from the event. */
export type ChangeRange =
  /** A pull request: files changed on the head branch since it left the base (`base...head`). */
  | { kind: "merge-base"; base: string; head: string }
  /** A push: files that differ between `before` and `after`. */
  | { kind: "commits"; before: string; after: string };

/** The changed files and how they were found. */
export interface ChangedFiles {
  files: string[];
  /** Set when no comparison was possible and every file of the head commit counts as changed. */
  note?: string;
}

async function git(repoDir: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("git", args, { cwd: repoDir, maxBuffer: GIT_OUTPUT_LIMIT_BYTES });
  return stdout;
}

async function requireCommit(repoDir: string, sha: string, role: string): Promise<void> {
  try {
    await git(repoDir, ["cat-file", "-e", `${sha}^{commit}`]);
  } catch (err) {
    throw new Error(
      `Commit ${sha} (the event's ${role}) is not in the checkout at ${repoDir}; ` +
        "check out with full history (actions/checkout with fetch-depth: 0).",
      { cause: err },
    );
  }
}

function splitNul(output: string): string[] {
  return output.split("\0").filter((name) => name.length > 0);
}

/**
 * Lists the repository-relative paths changed in `range`, sorted. A push whose `before` is all
 * zeros has no previous commit to compare with, so every file in `after` counts as changed.
 * Renames list both the old and the new path. Throws when a commit is missing from the checkout.
 */
export async function listChangedFiles(repoDir: string, range: ChangeRange): Promise<ChangedFiles> {
  if (range.kind === "commits" && /^0+$/.test(range.before)) {
    await requireCommit(repoDir, range.after, "after");
    const files = splitNul(await git(repoDir, ["ls-tree", "-r", "-z", "--name-only", range.after]));
    return {
      files: files.sort(),
      note: "The push created the ref, so there is no previous commit to compare with; every file counts as changed.",
    };
  }
  const [from, to, separator] =
    range.kind === "merge-base" ? [range.base, range.head, "..."] : [range.before, range.after, ".."];
  await requireCommit(repoDir, from, range.kind === "merge-base" ? "base SHA" : "before");
  await requireCommit(repoDir, to, range.kind === "merge-base" ? "head SHA" : "after");
  const output = await git(repoDir, [
    "diff",
    "--name-only",
    "-z",
    "--no-renames",
    `${from}${separator}${to}`,
  ]);
  return { files: splitNul(output).sort() };
}
