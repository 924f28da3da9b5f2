import * as fs from "node:fs";
import { z } from "zod";
import type { Family } from "../../config/load";
import { globToRegExp } from "./glob";
import {
  checkAcyclic,
  DEFAULT_DEPENDENCIES,
  downstreamStacks,
  FamilyDependencies,
  parseStackName,
  STACK_FAMILIES,
  stackName,
} from "./stack-graph";

/**
 * Target of a path rule: every stack, none, the stack named by a
 * `Pulumi.<stack>.yaml` file (`stack-file`), or the listed families.
 */
export type RuleTarget = "all" | "none" | "stack-file" | readonly Family[];

/** Maps changed paths matching a glob to the stacks they affect. The first matching rule wins. */
export interface PathRule {
  /** Glob over repository-relative paths with `/` separators, such as `components/arc/**`. */
  match: string;
  affects: RuleTarget;
}

/** The driver's decision settings, from the defaults or a `--rules` file. */
export interface DriverSettings {
  /** Ordered path rules; a changed file matching none affects no stack. */
  rules: readonly PathRule[];
  /** Families whose stacks `up` on a push to the default branch; the others only preview. */
  autoApply: readonly Family[];
  /** Families each family reads from; see {@link FamilyDependencies}. */
  dependsOn: FamilyDependencies;
}

/** Default path rules, matching the repository layout. */
export const DEFAULT_PATH_RULES: readonly PathRule[] = [
  { match: "**/*.md", affects: "none" },
  { match: "docs/**", affects: "none" },
  { match: "policy/**", affects: "all" },
  {
    match: "{index.ts,stacks/index.ts,stacks/config.ts,config/load.ts,config/errors.ts,config/secret.ts}",
    affects: "all",
  },
  { match: "{package.json,package-lock.json,Pulumi.yaml}", affects: "all" },
  { match: "Pulumi.*.yaml", affects: "stack-file" },
  { match: "{stacks,config}/caches.ts", affects: ["caches"] },
  { match: "components/caches/**", affects: ["caches"] },
  { match: "{stacks,config}/runners.ts", affects: ["runners"] },
  { match: "components/{arc,guardrails}/**", affects: ["runners"] },
  { match: "{stacks,config}/github.ts", affects: ["github"] },
  { match: "{components/github,workflows}/**", affects: ["github"] },
  // Program code that no family rule above claims (a shared helper such as config/quantity.ts, or
  // a new component folder) may be used by any stack, so it affects them all.
  { match: "{config,components,stacks}/**", affects: "all" },
];

/** Settings a run gets without a rules file. */
export const DEFAULT_SETTINGS: DriverSettings = {
  rules: DEFAULT_PATH_RULES,
  autoApply: ["runners"],
  dependsOn: DEFAULT_DEPENDENCIES,
};

const familySchema = z.enum(STACK_FAMILIES as [Family, ...Family[]]);

const rulesFileSchema = z.strictObject({
  rules: z
    .array(
      z.strictObject({
        match: z.string().min(1),
        affects: z.union([z.enum(["all", "none", "stack-file"]), z.array(familySchema)]),
      }),
    )
    .optional(),
  replaceDefaultRules: z.boolean().optional(),
  autoApply: z.array(familySchema).optional(),
  dependsOn: z.partialRecord(familySchema, z.array(familySchema)).optional(),
});

/**
 * Reads a rules file (YAML or JSON). Its `rules` come before the default rules, so they override
 * them for the paths they match, unless `replaceDefaultRules: true` drops the defaults. `autoApply`
 * and `dependsOn` replace the defaults when given. Throws an error naming the file, the key and
 * the rule broken.
 */
export function loadRulesFile(file: string): DriverSettings {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`Rules file ${file} could not be read; check the --rules path.`, { cause: err });
  }
  let raw: unknown;
  try {
    // Loaded here because only a run with a rules file needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const YAML = require("yaml") as typeof import("yaml");
    raw = YAML.parse(text);
  } catch (err) {
    throw new Error(`Rules file ${file} is not valid YAML or JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const parsed = rulesFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`,
    );
    throw new Error(
      `Rules file ${file} is invalid: ${problems.join("; ")}. ` +
        `Accepted keys: rules (list of {match, affects}), replaceDefaultRules, autoApply, dependsOn.`,
    );
  }
  const value = parsed.data;
  for (const rule of value.rules ?? []) {
    try {
      globToRegExp(rule.match);
    } catch (err) {
      throw new Error(`Rules file ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  const dependsOn = value.dependsOn
    ? {
        caches: value.dependsOn.caches ?? [],
        runners: value.dependsOn.runners ?? [],
        github: value.dependsOn.github ?? [],
      }
    : DEFAULT_DEPENDENCIES;
  checkAcyclic(dependsOn, `Rules file ${file}`);
  const userRules = value.rules ?? [];
  return {
    rules: value.replaceDefaultRules ? userRules : [...userRules, ...DEFAULT_PATH_RULES],
    autoApply: value.autoApply ?? DEFAULT_SETTINGS.autoApply,
    dependsOn,
  };
}

/** Stacks a change set affects, each with the reasons why, in the order they were found. */
export type AffectedStacks = Map<string, string[]>;

/** The most changed files a reason names before it counts the rest. */
const FILES_NAMED_PER_REASON = 3;

/**
 * Maps changed files to the stacks they affect among `knownStacks`, then adds every stack
 * downstream of an affected one, saying which upstream stack pulled it in.
 */
export function affectedStacks(
  changedFiles: readonly string[],
  knownStacks: readonly string[],
  settings: DriverSettings,
): AffectedStacks {
  const compiled = settings.rules.map((rule) => ({ rule, pattern: globToRegExp(rule.match) }));
  const known = new Set(knownStacks);
  const filesByStack = new Map<string, { direct: string[]; everywhere: string[] }>();
  const note = (stack: string, file: string, everywhere: boolean): void => {
    const entry = filesByStack.get(stack) ?? { direct: [], everywhere: [] };
    (everywhere ? entry.everywhere : entry.direct).push(file);
    filesByStack.set(stack, entry);
  };

  for (const file of changedFiles) {
    const matched = compiled.find(({ pattern }) => pattern.test(file));
    if (matched === undefined || matched.rule.affects === "none") {
      continue;
    }
    const target = matched.rule.affects;
    if (target === "all") {
      knownStacks.forEach((stack) => note(stack, file, true));
    } else if (target === "stack-file") {
      const stack = /^(?:.*\/)?Pulumi\.(.+)\.ya?ml$/.exec(file)?.[1];
      if (stack !== undefined && known.has(stack)) {
        note(stack, file, false);
      }
    } else {
      for (const stack of knownStacks) {
        const family = parseStackName(stack)?.family;
        if (family !== undefined && target.includes(family)) {
          note(stack, file, false);
        }
      }
    }
  }

  const affected: AffectedStacks = new Map();
  for (const stack of knownStacks) {
    const files = filesByStack.get(stack);
    if (files === undefined) {
      continue;
    }
    const reasons: string[] = [];
    if (files.direct.length > 0) {
      reasons.push(`${describeFiles(files.direct)} changed`);
    }
    if (files.everywhere.length > 0) {
      reasons.push(`${describeFiles(files.everywhere)} changed, which every stack uses`);
    }
    affected.set(stack, reasons);
  }
  addDownstream(affected, known, settings.dependsOn);
  return affected;
}

function describeFiles(files: readonly string[]): string {
  const named = files.slice(0, FILES_NAMED_PER_REASON).join(", ");
  const rest = files.length - FILES_NAMED_PER_REASON;
  return rest > 0 ? `${named} and ${rest} more` : named;
}

function addDownstream(
  affected: AffectedStacks,
  known: ReadonlySet<string>,
  dependsOn: FamilyDependencies,
): void {
  const queue = [...affected.keys()];
  while (queue.length > 0) {
    const upstream = queue.shift() as string;
    for (const downstream of downstreamStacks(upstream, dependsOn)) {
      if (!known.has(downstream)) {
        continue;
      }
      const reason = `reads outputs of ${upstream}, which is affected`;
      const reasons = affected.get(downstream);
      if (reasons === undefined) {
        affected.set(downstream, [reason]);
        queue.push(downstream);
      } else if (!reasons.includes(reason)) {
        reasons.push(reason);
      }
    }
  }
}

/** Lists the stacks of every family in each environment. */
export function stacksOfEnvironments(environments: readonly string[]): string[] {
  return environments.flatMap((environment) =>
    STACK_FAMILIES.map((family) => stackName(family, environment)),
  );
}
