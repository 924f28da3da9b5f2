import * as fs from "node:fs";
import * as path from "node:path";
import type { ForkCheckRecord } from "./record";

/** Type token of a file committed to a managed repository. */
const REPOSITORY_FILE_TYPE = "github:index/repositoryFile:RepositoryFile";

/** Default label prefix of the fleet's runner scale sets. */
export const DEFAULT_FLEET_PREFIXES: readonly string[] = ["tinyland-"];

/** A workflow file's verdict, as `flywheel audit --format json` reports it. */
export interface AuditedFile {
  file: string;
  verdict: "pass" | "violation" | "error";
  jobs: Record<string, { verdict: string; line: number; reasons: string[] }>;
  errors: string[];
}

/** The runner fleet an audit checks labels against. */
export interface Fleet {
  labels: string[];
  labelPrefixes: string[];
}

/** The offline tools a fork check uses; loaded lazily so a normal run never pays for them. */
export interface ForkCheckTools {
  renderStack(stack: string): Promise<{
    resources: { type: string; inputs: Record<string, unknown> }[];
    outputs: Record<string, unknown>;
  }>;
  auditWorkflowText(text: string, file: string, fleet: Fleet): Promise<AuditedFile>;
  auditPaths(paths: string[], fleet: Fleet): Promise<{ files: AuditedFile[] }>;
}

/** Loads `flywheel render`'s renderer (reading stack files from `repoRoot`) and the policy's workflow resolver. */
export function loadForkCheckTools(repoRoot: string): ForkCheckTools {
  // `require` because a dynamic `import()` bypasses the CommonJS hook that compiles the sources. The
  // modules are typed loosely here so that this file does not depend on their internals.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const render = require("../render/render") as {
    renderStack(stack: string, options: { projectDir: string }): Promise<unknown>;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const resolver = require("../../policy/resolver") as {
    auditWorkflowText(text: string, file: string, fleet: Fleet): Promise<unknown>;
    auditPaths(paths: string[], fleet: Fleet): Promise<unknown>;
  };
  return {
    renderStack: (stack) =>
      render.renderStack(stack, { projectDir: repoRoot }) as ReturnType<ForkCheckTools["renderStack"]>,
    auditWorkflowText: (text, file, fleet) =>
      resolver.auditWorkflowText(text, file, fleet) as Promise<AuditedFile>,
    auditPaths: (paths, fleet) => resolver.auditPaths(paths, fleet) as Promise<{ files: AuditedFile[] }>,
  };
}

function reasonsOf(result: AuditedFile): string[] {
  const reasons = Object.entries(result.jobs)
    .filter(([, job]) => job.verdict !== "pass")
    .flatMap(([id, job]) => job.reasons.map((reason) => `job ${id} (line ${job.line}): ${reason}`));
  return [...reasons, ...result.errors];
}

function labelsFromOutputs(outputs: Record<string, unknown>): string[] {
  const labels = outputs.labels;
  return Array.isArray(labels) ? labels.filter((label): label is string => typeof label === "string") : [];
}

/**
 * Checks a fork's pull request without state or secrets: renders each stack under mocks, audits
 * every workflow file the github stacks would commit, then audits the checkout's own
 * `.github/workflows`. The fleet is the labels the rendered runners stacks export plus the default
 * label prefix. A stack that fails to render is reported, and the others still run.
 */
export async function checkForkOffline(
  repoRoot: string,
  stacks: readonly string[],
  tools: ForkCheckTools,
): Promise<ForkCheckRecord> {
  const record: ForkCheckRecord = { rendered: [], files: [], errors: [] };
  const rendered: { stack: string; resources: { type: string; inputs: Record<string, unknown> }[] }[] = [];
  const labels = new Set<string>();
  for (const stack of stacks) {
    try {
      const result = await tools.renderStack(stack);
      record.rendered.push(stack);
      rendered.push({ stack, resources: result.resources });
      labelsFromOutputs(result.outputs).forEach((label) => labels.add(label));
    } catch (err) {
      record.errors.push(`Stack ${stack} could not be rendered offline: ${(err as Error).message}`);
    }
  }
  const fleet: Fleet = { labels: [...labels], labelPrefixes: [...DEFAULT_FLEET_PREFIXES] };
  for (const { stack, resources } of rendered) {
    for (const resource of resources) {
      const file = resource.inputs.file;
      const content = resource.inputs.content;
      if (
        resource.type !== REPOSITORY_FILE_TYPE ||
        typeof file !== "string" ||
        !file.startsWith(".github/workflows/")
      ) {
        continue;
      }
      const name = `${stack}:${String(resource.inputs.repository ?? "")}/${file}`;
      if (typeof content !== "string") {
        record.files.push({
          file: name,
          verdict: "error",
          reasons: ["the content is not known offline, so it cannot be checked"],
        });
        continue;
      }
      const result = await tools.auditWorkflowText(content, name, fleet);
      record.files.push({ file: name, verdict: result.verdict, reasons: reasonsOf(result) });
    }
  }
  const ownWorkflows = path.join(repoRoot, ".github", "workflows");
  // auditPaths rejects a folder without workflow files, which for a checkout only means there is
  // nothing of its own to check.
  const hasWorkflows =
    fs.existsSync(ownWorkflows) && fs.readdirSync(ownWorkflows).some((name) => /\.ya?ml$/.test(name));
  if (hasWorkflows) {
    const report = await tools.auditPaths([ownWorkflows], fleet);
    for (const result of report.files) {
      const file = path.relative(repoRoot, path.resolve(repoRoot, result.file)) || result.file;
      record.files.push({ file, verdict: result.verdict, reasons: reasonsOf(result) });
    }
  }
  return record;
}
