/** Finding the workflow files of the paths given to {@link auditPaths} and reading them safely. */
import * as fsSync from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { parseWorkflow, type ParsedWorkflow } from "./workflow";

/** File name endings GitHub reads as workflows. */
const WORKFLOW_EXTENSIONS: readonly string[] = [".yml", ".yaml"];

/**
 * Maximum size of a workflow file, in bytes. Workflows are written by hand and the largest file of
 * the test corpus is under 1 KB, so 1 MiB is far above any real workflow. The bound keeps a large
 * file from being read whole into memory and parsed.
 */
export const MAX_WORKFLOW_FILE_BYTES = 1024 * 1024;

/** Entries whose presence marks a directory as a repository root. */
const REPOSITORY_MARKERS: readonly string[] = [".git", ".github"];

/**
 * Lists the workflow files of each path, in the order given and sorted within a directory. Throws when
 * a path does not exist, when a repository root has no `.github/workflows` directory, or when a
 * directory contains no workflow file.
 */
export async function expandPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (file: string): void => {
    const key = path.resolve(file);
    if (!seen.has(key)) {
      seen.add(key);
      files.push(file);
    }
  };
  for (const given of paths) {
    let stat: fsSync.Stats;
    try {
      stat = await fs.stat(given);
    } catch (error) {
      throw pathError(given, error);
    }
    if (!stat.isDirectory()) {
      // A file that is not a regular file is reported by readWorkflows as a file error.
      add(given);
      continue;
    }
    const dir = await workflowDirectory(given);
    let entries: fsSync.Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw pathError(dir, error);
    }
    const names = entries
      .filter((entry) => WORKFLOW_EXTENSIONS.some((ext) => entry.name.endsWith(ext)))
      .filter(
        (entry) => entry.isFile() || (entry.isSymbolicLink() && isFileTarget(path.join(dir, entry.name))),
      )
      .map((entry) => entry.name)
      .sort();
    if (names.length === 0) {
      throw new Error(
        `no workflow files (*.yml, *.yaml) found in ${dir} (subdirectories are not searched); ` +
          `pass a directory that contains workflow files, or a workflow file itself.`,
      );
    }
    names.forEach((name) => add(path.join(dir, name)));
  }
  return files;
}

/** True when a symbolic link leads to a regular file, which is then audited like a link given by name. */
function isFileTarget(link: string): boolean {
  try {
    return fsSync.statSync(link).isFile();
  } catch {
    return false;
  }
}

/** Returns the error for a path that could not be examined: missing, or not readable. */
function pathError(checkedPath: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new Error(
      `Path "${checkedPath}" does not exist; pass a workflow file, a directory of workflows or a repository root.`,
    );
  }
  if (isPermissionError(error)) {
    return new Error(
      `Path "${checkedPath}" cannot be read: permission denied; check its permissions and those of its parent directories.`,
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new Error(`Path "${checkedPath}" cannot be read: ${detail}.`);
}

function isPermissionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "EACCES" || code === "EPERM";
}

/**
 * Returns the directory whose files are audited for a given directory: its `.github/workflows` when
 * it has one, else the directory itself. Throws for a repository root without `.github/workflows`,
 * because its top-level YAML files (Pulumi stacks, tool settings) are not workflows.
 */
async function workflowDirectory(given: string): Promise<string> {
  const workflowsDir = path.join(given, ".github", "workflows");
  if ((await fs.stat(workflowsDir).catch(() => undefined))?.isDirectory() === true) {
    return workflowsDir;
  }
  for (const marker of REPOSITORY_MARKERS) {
    if ((await fs.lstat(path.join(given, marker)).catch(() => undefined)) !== undefined) {
      throw new Error(
        `${given} is a repository root (it contains ${marker}), but no .github/workflows folder was ` +
          `found in it; pass the directory that contains the workflow files, or a workflow file.`,
      );
    }
  }
  return given;
}

/**
 * Reads and parses the files. Reads are synchronous on purpose: workflows are small, and reading two
 * thousand of them through the promise API cost about five times the CPU time of synchronous reads
 * (measured on 2,000 corpus files), for no useful concurrency.
 *
 * A file that is not a regular file (a device, a FIFO, a socket) or is larger than
 * {@link MAX_WORKFLOW_FILE_BYTES} gets the verdict `error` rather than stopping the command. The other
 * files of the run still get their verdicts, and the JSON report keeps one entry per path.
 */
export function readWorkflows(files: string[]): ParsedWorkflow[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readWorkflowFile(file);
    } catch (error) {
      let detail = error instanceof Error ? error.message : String(error);
      if (isPermissionError(error)) {
        detail = "permission denied; check the file's permissions";
      }
      return {
        file,
        errors: [{ line: 1, message: `the file cannot be read: ${detail}` }],
        events: [],
        dispatchInputs: [],
        callInputs: [],
        jobs: [],
      };
    }
    return parseWorkflow(text, file);
  });
}

/**
 * Reads a regular file of at most {@link MAX_WORKFLOW_FILE_BYTES} as UTF-8. A symbolic link to a
 * regular file is followed. Throws with the reason otherwise.
 */
function readWorkflowFile(file: string): string {
  // Checking before opening keeps devices such as a tape drive from seeing an open at all.
  checkRegularFile(fsSync.statSync(file));
  // O_NONBLOCK keeps the open from waiting for a writer if the path was replaced by a FIFO meanwhile.
  const descriptor = fsSync.openSync(file, fsSync.constants.O_RDONLY | fsSync.constants.O_NONBLOCK);
  try {
    // The file may have changed since the first check, so the open descriptor is checked again.
    checkRegularFile(fsSync.fstatSync(descriptor));
    // Reading one byte past the bound distinguishes a file at the bound from a larger one, including files
    // such as those under /proc whose reported size is 0.
    const buffer = readBuffer();
    let length = 0;
    while (length < buffer.length) {
      const count = fsSync.readSync(descriptor, buffer, length, buffer.length - length, null);
      if (count === 0) {
        break;
      }
      length += count;
    }
    if (length > MAX_WORKFLOW_FILE_BYTES) {
      throw new Error(tooLargeMessage());
    }
    try {
      return UTF8.decode(buffer.subarray(0, length));
    } catch {
      throw new Error("it is not valid UTF-8 text; save it as UTF-8");
    }
  } finally {
    fsSync.closeSync(descriptor);
  }
}

/** A decoder that rejects bytes that are not UTF-8, where `Buffer#toString` would replace them. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

let sharedReadBuffer: Buffer | undefined;

/**
 * Returns the one read buffer all reads share. Reads are synchronous, so no two use it at once, and
 * only the bytes a read returns are decoded. Allocating and zeroing 1 MiB per file cost more than
 * parsing it.
 */
function readBuffer(): Buffer {
  sharedReadBuffer ??= Buffer.allocUnsafe(MAX_WORKFLOW_FILE_BYTES + 1);
  return sharedReadBuffer;
}

function checkRegularFile(stat: fsSync.Stats): void {
  if (!stat.isFile()) {
    throw new Error(
      `it is a ${fileKind(stat)}, not a regular file; pass a workflow file, a directory of workflows ` +
        `or a repository root`,
    );
  }
  if (stat.size > MAX_WORKFLOW_FILE_BYTES) {
    throw new Error(tooLargeMessage());
  }
}

function tooLargeMessage(): string {
  return (
    `it is larger than ${MAX_WORKFLOW_FILE_BYTES} bytes, the maximum size of a workflow file ` +
    `for this check; split the workflow`
  );
}

function fileKind(stat: fsSync.Stats): string {
  if (stat.isCharacterDevice()) {
    return "character device";
  }
  if (stat.isBlockDevice()) {
    return "block device";
  }
  if (stat.isFIFO()) {
    return "FIFO";
  }
  if (stat.isSocket()) {
    return "socket";
  }
  return stat.isDirectory() ? "directory" : "special file";
}
