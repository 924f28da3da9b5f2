import type { Family } from "../../config/load";

/** The stack families in data-flow order: caches export endpoints, runners read them, github reads runners. */
export const STACK_FAMILIES: readonly Family[] = ["caches", "runners", "github"];

/**
 * Families each family reads through a StackReference. A stack runs after the stacks of the same
 * environment it depends on, and is affected whenever one of them is.
 */
export type FamilyDependencies = Readonly<Record<Family, readonly Family[]>>;

/** The platform's data flow: caches -> runners -> github. */
export const DEFAULT_DEPENDENCIES: FamilyDependencies = {
  caches: [],
  runners: ["caches"],
  github: ["runners"],
};

/** A stack name split into its family and environment, as in `runners-dev`. */
export interface StackName {
  stack: string;
  family: Family;
  environment: string;
}

/** Builds the stack name `<family>-<environment>`. */
export function stackName(family: Family, environment: string): string {
  return `${family}-${environment}`;
}

/** Splits `runners-dev` into family and environment; returns undefined for a name of no known family. */
export function parseStackName(stack: string): StackName | undefined {
  for (const family of STACK_FAMILIES) {
    const prefix = `${family}-`;
    if (stack.startsWith(prefix) && stack.length > prefix.length) {
      return { stack, family, environment: stack.slice(prefix.length) };
    }
  }
  return undefined;
}

/** Stacks of the same environment that `stack` reads from, directly. */
export function upstreamStacks(stack: string, dependencies: FamilyDependencies): string[] {
  const parsed = parseStackName(stack);
  if (parsed === undefined) {
    return [];
  }
  return dependencies[parsed.family].map((family) => stackName(family, parsed.environment));
}

/** Stacks of the same environment that read from `stack`, directly. */
export function downstreamStacks(stack: string, dependencies: FamilyDependencies): string[] {
  const parsed = parseStackName(stack);
  if (parsed === undefined) {
    return [];
  }
  return STACK_FAMILIES.filter((family) => dependencies[family].includes(parsed.family)).map((family) =>
    stackName(family, parsed.environment),
  );
}

/**
 * Rejects a dependency map with a cycle, because no order could run it. The message names the
 * cycle so the rules file can be fixed.
 */
export function checkAcyclic(dependencies: FamilyDependencies, source: string): void {
  const state = new Map<Family, "visiting" | "done">();
  const visit = (family: Family, trail: Family[]): void => {
    if (state.get(family) === "done") {
      return;
    }
    if (state.get(family) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(family)), family].join(" -> ");
      throw new Error(`${source}: dependsOn has a cycle (${cycle}); remove one of its edges.`);
    }
    state.set(family, "visiting");
    for (const upstream of dependencies[family]) {
      visit(upstream, [...trail, family]);
    }
    state.set(family, "done");
  };
  for (const family of STACK_FAMILIES) {
    visit(family, []);
  }
}

/** Sorts stacks so that each one comes after every stack it depends on; ties keep family order. */
export function sortByDependencies(stacks: readonly string[], dependencies: FamilyDependencies): string[] {
  const selected = new Set(stacks);
  const sorted: string[] = [];
  const placed = new Set<string>();
  const place = (stack: string): void => {
    if (placed.has(stack)) {
      return;
    }
    placed.add(stack);
    for (const upstream of upstreamStacks(stack, dependencies)) {
      if (selected.has(upstream)) {
        place(upstream);
      }
    }
    sorted.push(stack);
  };
  const familyIndex = (stack: string): number =>
    STACK_FAMILIES.indexOf(parseStackName(stack)?.family ?? "github");
  for (const stack of [...stacks].sort((a, b) => familyIndex(a) - familyIndex(b) || a.localeCompare(b))) {
    place(stack);
  }
  return sorted;
}

/** Outcome of one node of a scheduled graph. */
export type NodeOutcome = { kind: "succeeded" } | { kind: "failed" } | { kind: "blocked"; reason: string };

/** Options of {@link runInDependencyOrder}. */
export interface ScheduleOptions {
  /** Maximum number of nodes running at once; at least 1. */
  concurrency: number;
  /** When aborted, nodes not yet started are reported blocked instead of started. */
  signal?: AbortSignal;
}

/**
 * Runs `run` for every node once all of the node's dependencies inside `nodes` have succeeded,
 * with at most `concurrency` running at once. A node whose dependency failed or was blocked is not
 * run and comes back `blocked`, naming that dependency; other nodes go on. `run` resolves true on
 * success and false on failure; a rejection counts as a failure.
 */
export async function runInDependencyOrder(
  nodes: readonly string[],
  dependenciesOf: (node: string) => readonly string[],
  run: (node: string) => Promise<boolean>,
  options: ScheduleOptions,
): Promise<Map<string, NodeOutcome>> {
  const inGraph = new Set(nodes);
  const outcomes = new Map<string, NodeOutcome>();
  const running = new Map<string, Promise<void>>();
  const limit = Math.max(1, options.concurrency);

  const pending = (): string[] => nodes.filter((node) => !outcomes.has(node) && !running.has(node));
  const start = (node: string): void => {
    const task = run(node)
      .catch(() => false)
      .then((ok) => {
        outcomes.set(node, { kind: ok ? "succeeded" : "failed" });
        running.delete(node);
      });
    running.set(node, task);
  };

  for (;;) {
    const settledBefore = outcomes.size + running.size;
    for (const node of pending()) {
      if (options.signal?.aborted) {
        outcomes.set(node, { kind: "blocked", reason: "the run was cancelled before this stack started" });
        continue;
      }
      const deps = dependenciesOf(node).filter((dep) => inGraph.has(dep));
      const unsuccessful = deps.find((dep) => {
        const outcome = outcomes.get(dep);
        return outcome !== undefined && outcome.kind !== "succeeded";
      });
      if (unsuccessful !== undefined) {
        const outcome = outcomes.get(unsuccessful);
        const how = outcome?.kind === "blocked" ? "was blocked" : "failed";
        outcomes.set(node, { kind: "blocked", reason: `${unsuccessful}, which it depends on, ${how}` });
        continue;
      }
      const ready = deps.every((dep) => outcomes.get(dep)?.kind === "succeeded");
      if (ready && running.size < limit) {
        start(node);
      }
    }
    if (running.size === 0) {
      if (pending().length === 0) {
        break;
      }
      if (outcomes.size + running.size === settledBefore) {
        throw new Error(
          `Stacks ${pending().join(", ")} depend on each other in a cycle, so none can run first.`,
        );
      }
      continue;
    }
    await Promise.race(running.values());
  }
  return outcomes;
}
