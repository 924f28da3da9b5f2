import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";

/** Root of the repository, which contains Pulumi.yaml and the example stack files. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The example stacks committed with the program, in the order data flows between them. */
export const EXAMPLE_STACKS = ["caches-dev", "runners-dev", "github-dev"] as const;

/** Reads the `config` map of an example stack file. */
export function exampleConfig(stack: string): Record<string, unknown> {
  const text = fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8");
  return (YAML.parse(text) as { config: Record<string, unknown> }).config;
}

/**
 * Creates a temporary project directory holding Pulumi.yaml and one `Pulumi.<stack>.yaml` per entry
 * of `stacks`, each written from its `config` map. Returns the directory; remove it with
 * {@link removeProject}.
 */
export function makeProject(stacks: Record<string, Record<string, unknown>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flywheel-render-"));
  fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  for (const [stack, config] of Object.entries(stacks)) {
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), YAML.stringify({ config }));
  }
  return dir;
}

/** Removes a directory made by {@link makeProject}. */
export function removeProject(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A writable that keeps what is written to it, for a command's stdout or stderr. */
export class CapturedStream {
  text = "";

  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
