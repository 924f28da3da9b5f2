/**
 * The contexts a job's expressions can see: one "world" per trigger and per combination of input
 * values. Only the contexts an expression reads are enumerated, so a job that reads no input costs one
 * world.
 */
import type { data as DataModule } from "@actions/expressions" with { "resolution-mode": "import" };
import type { ContextPath, ExpressionData, ExpressionLibrary } from "./expressions";
import type { Fleet } from "./labels";
import type { ParsedWorkflow, WorkflowInput } from "./workflow";

/** One possible value of an input, with where it comes from (for messages). */
export interface InputValue {
  value: ExpressionData;
  /** e.g. `default`, `option`, `passed by ci.yml:12`. */
  source: string;
}

/** Possible values per input name (lowercased). */
export type InputDomains = Map<string, InputValue[]>;

/** The values of `github`, `inputs`, `vars`, `needs` and `strategy` on one path, and how to name it. */
export interface World {
  contexts: Record<string, ExpressionData>;
  /** e.g. `on schedule, inputs.runner empty`; empty when nothing was enumerated. */
  description: string;
}

/** Events that fill the `inputs` context. Every other event leaves `inputs` empty. */
const DISPATCH = "workflow_dispatch";
const CALL = "workflow_call";

/** The event of a world for a file that declares no trigger. */
const NO_TRIGGER = "an unknown event";

/** Describes a context path known only at run time, for the reason of a violation. */
export function describeRuntimePath(path: string): string {
  const root = path.split(".")[0];
  switch (root) {
    case "vars":
      return `${path} is not a known variable (pass it with --var ${path.slice("vars.".length)}=VALUE or declare it in the program)`;
    case "needs":
      return `${path} is a job result known only at run time`;
    default:
      return `${path} is known only at run time`;
  }
}

/** The contexts that do not depend on the event, and a world for expressions that read no event data. */
interface BaseContexts {
  vars: ExpressionData;
  needs: ExpressionData;
  strategy: ExpressionData;
  withoutEvent: Record<string, ExpressionData>;
}

// Evaluation never changes a context, so one set per fleet serves every job of an audit.
const baseContextsByFleet = new WeakMap<Fleet, BaseContexts>();

function baseContexts(library: ExpressionLibrary, fleet: Fleet): BaseContexts {
  let base = baseContextsByFleet.get(fleet);
  if (base === undefined) {
    const shared = {
      vars: varsContext(library, fleet),
      needs: library.unknown("needs", describeRuntimePath),
      strategy: library.unknown("strategy", describeRuntimePath),
    };
    base = {
      ...shared,
      withoutEvent: {
        ...shared,
        github: library.openDictionary("github", {}, describeRuntimePath),
        inputs: new library.expressions.data.Dictionary(),
      },
    };
    baseContextsByFleet.set(fleet, base);
  }
  return base;
}

/** Builds the `vars` context: fleet variables are known, every other name is unknown. */
export function varsContext(library: ExpressionLibrary, fleet: Fleet): DataModule.Dictionary {
  const known: Record<string, ExpressionData> = {};
  for (const [name, value] of fleet.variables) {
    known[name] = library.fromPlain(value);
  }
  return library.openDictionary("vars", known, describeRuntimePath);
}

/** The source of the values of `workflow_call` inputs. */
export type CallInputSource =
  /** Resolving the called workflow for one caller: only its values (or defaults) apply. */
  | { kind: "caller"; domains: InputDomains }
  /** Resolving the file on its own: defaults plus what every audited caller passes (computed on first use). */
  | { kind: "callers"; sites: () => InputDomains[] };

/**
 * Lists the worlds for the context paths an expression reads, including those its matrix reads. Returns
 * a problem instead when there would be more than `maxWorlds`.
 */
export function buildWorlds(
  library: ExpressionLibrary,
  workflow: ParsedWorkflow,
  references: ContextPath[],
  callSource: CallInputSource,
  fleet: Fleet,
  maxWorlds: number,
): World[] | { problem: string } {
  const base = baseContexts(library, fleet);
  const readsGithub = references.some((path) => path[0] === "github");
  // github.event.inputs.NAME is the same dispatch input as inputs.NAME, as a string.
  const inputPaths = references.flatMap((path) => {
    if (path[0] === "inputs") {
      return [path];
    }
    const isEventInputs = path[0] === "github" && path[1]?.toLowerCase() === "event";
    if (isEventInputs && (path.length < 3 || path[2] === "*" || path[2].toLowerCase() === "inputs")) {
      return [["inputs", ...path.slice(3)]];
    }
    return [];
  });
  const readsAllInputs = inputPaths.some((path) => path.length < 2 || path[1] === "*");
  const inputNames = new Set(
    inputPaths.filter((path) => path.length >= 2).map((path) => path[1].toLowerCase()),
  );

  if (!readsGithub && inputPaths.length === 0) {
    return [{ contexts: base.withoutEvent, description: "" }];
  }

  const events =
    callSource.kind === "caller" ? [CALL] : unique(workflow.events.map((event) => event.toLowerCase()));
  // Events that give no inputs behave the same unless the expression reads `github`, so they share a world.
  const groups: string[][] = [];
  const plainEvents = events.filter((event) => event !== DISPATCH && event !== CALL);
  if (readsGithub) {
    groups.push(...plainEvents.map((event) => [event]));
  } else if (plainEvents.length > 0) {
    groups.push(plainEvents);
  }
  if (events.includes(DISPATCH)) {
    groups.push([DISPATCH]);
  }
  if (events.includes(CALL)) {
    groups.push([CALL]);
  }
  if (groups.length === 0) {
    // A file without triggers is reported as an error, but its jobs still get a verdict, so they are
    // judged as if an event without inputs had started them.
    groups.push([NO_TRIGGER]);
  }

  const worlds: World[] = [];
  for (const group of groups) {
    const event = group[0];
    const declared =
      event === DISPATCH
        ? workflow.dispatchInputs
        : event === CALL
          ? workflow.callInputs
          : ([] as WorkflowInput[]);
    const names = readsAllInputs ? declared.map((input) => input.name.toLowerCase()) : [...inputNames];
    const domains: Array<[string, InputValue[]]> = names.map((name) => {
      const input = declared.find((candidate) => candidate.name.toLowerCase() === name);
      return [name, inputDomain(library, event, input, name, callSource)];
    });
    for (const assignment of product(domains, maxWorlds)) {
      if (assignment === undefined) {
        return {
          problem: `the inputs runs-on reads have more than ${maxWorlds} combinations of values, too many to check`,
        };
      }
      worlds.push(makeWorld(library, base, group, declared, assignment));
      if (worlds.length > maxWorlds) {
        return {
          problem: `runs-on depends on more than ${maxWorlds} combinations of events and inputs, too many to check`,
        };
      }
    }
  }
  return worlds;
}

function makeWorld(
  library: ExpressionLibrary,
  base: BaseContexts,
  group: string[],
  declared: WorkflowInput[],
  assignment: Array<[string, InputValue]>,
): World {
  const { data } = library.expressions;
  const event = group[0];
  const inputs = new data.Dictionary();
  const eventInputs: Record<string, ExpressionData> = {};
  const described: string[] = [];
  for (const [name, choice] of assignment) {
    const declaredName = declared.find((input) => input.name.toLowerCase() === name)?.name ?? name;
    inputs.add(declaredName, choice.value);
    // github.event.inputs contains every dispatch input as a string, booleans included.
    eventInputs[declaredName] = library.isUnknown(choice.value)
      ? choice.value
      : library.fromPlain(choice.value instanceof data.Null ? "" : choice.value.coerceString());
    described.push(describeInput(library, declaredName, choice));
  }
  const eventContext = library.openDictionary(
    "github.event",
    { inputs: event === DISPATCH ? library.fromPlain(eventInputs) : new data.Null() },
    describeRuntimePath,
  );
  const githubKnown: Record<string, ExpressionData> = { event: eventContext };
  if (event !== CALL && event !== NO_TRIGGER) {
    // A called workflow receives its caller's event, which is not known here.
    githubKnown.event_name = library.fromPlain(event);
  }
  return {
    contexts: {
      vars: base.vars,
      needs: base.needs,
      strategy: base.strategy,
      github: library.openDictionary("github", githubKnown, describeRuntimePath),
      inputs,
    },
    description: [`on ${group.join(", ")}`, ...described].join(", "),
  };
}

function describeInput(library: ExpressionLibrary, name: string, choice: InputValue): string {
  if (library.isUnknown(choice.value)) {
    return `inputs.${name} unknown`;
  }
  const text = choice.value.coerceString();
  const shown = text === "" ? "empty" : `=${text}`;
  return `inputs.${name}${text === "" ? " " : ""}${shown} (${choice.source})`;
}

function inputDomain(
  library: ExpressionLibrary,
  event: string,
  input: WorkflowInput | undefined,
  name: string,
  callSource: CallInputSource,
): InputValue[] {
  const { data } = library.expressions;
  if (event !== DISPATCH && event !== CALL) {
    return [{ value: new data.Null(), source: `${event} gives no inputs` }];
  }
  if (input === undefined) {
    return [{ value: new data.Null(), source: "not declared" }];
  }
  if (event === DISPATCH) {
    return dispatchDomain(library, input);
  }
  return callDomain(library, input, callSource);
}

function dispatchDomain(library: ExpressionLibrary, input: WorkflowInput): InputValue[] {
  const { data } = library.expressions;
  switch (input.type) {
    case "choice": {
      const values: InputValue[] = (input.options ?? []).map((option) => ({
        value: library.fromPlain(String(option)),
        source: "option",
      }));
      // NOTE: the empty value assumes that a dispatch through the REST API may omit an optional choice
      // input without a default. The web form always sends one of the options.
      if (!input.required && !input.hasDefault) {
        values.push({ value: new data.StringData(""), source: "not given" });
      }
      return values.length > 0 ? values : [{ value: new data.StringData(""), source: "no options" }];
    }
    case "boolean":
      return [
        { value: new data.BooleanData(true), source: "boolean" },
        { value: new data.BooleanData(false), source: "boolean" },
      ];
    default:
      return [
        {
          value: library.unknown(`inputs.${input.name}`, () => {
            return `inputs.${input.name} is a free-text ${input.type} input of workflow_dispatch, so any label can be typed; make it a choice of fleet labels`;
          }),
          source: "free text",
        },
      ];
  }
}

function callDomain(
  library: ExpressionLibrary,
  input: WorkflowInput,
  callSource: CallInputSource,
): InputValue[] {
  const { data } = library.expressions;
  const name = input.name.toLowerCase();
  const fallback: InputValue | undefined = input.hasDefault
    ? { value: library.fromPlain(input.default), source: "default" }
    : undefined;
  if (callSource.kind === "caller") {
    const passed = callSource.domains.get(name);
    if (passed !== undefined && passed.length > 0) {
      return passed;
    }
    return [fallback ?? { value: new data.Null(), source: "not passed" }];
  }
  const values: InputValue[] = fallback === undefined ? [] : [fallback];
  if (callSource.kind === "callers") {
    for (const site of callSource.sites()) {
      const passed = site.get(name);
      if (passed !== undefined && passed.length > 0) {
        values.push(...passed);
      } else if (fallback === undefined) {
        values.push({ value: new data.Null(), source: "not passed by a caller" });
      }
    }
  }
  if (values.length > 0) {
    return values;
  }
  if (input.type === "boolean") {
    return [
      { value: new data.BooleanData(true), source: "boolean" },
      { value: new data.BooleanData(false), source: "boolean" },
    ];
  }
  if (!input.required) {
    return [{ value: new data.Null(), source: "not given" }];
  }
  return [
    {
      value: library.unknown(`inputs.${input.name}`, () => {
        return `inputs.${input.name} is a required workflow_call input with no default, and no audited caller passes it`;
      }),
      source: "unknown",
    },
  ];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * Yields every assignment of one value per name; yields undefined once and stops when the number of
 * assignments would pass `max`.
 */
function* product(
  domains: Array<[string, InputValue[]]>,
  max: number,
): Generator<Array<[string, InputValue]> | undefined> {
  const total = domains.reduce((count, [, values]) => count * Math.max(values.length, 1), 1);
  if (total > max) {
    yield undefined;
    return;
  }
  const indexes = domains.map(() => 0);
  for (let n = 0; n < total; n++) {
    yield domains.map(([name, values], i) => [name, values[indexes[i]]] as [string, InputValue]);
    for (let i = domains.length - 1; i >= 0; i--) {
      indexes[i]++;
      if (indexes[i] < domains[i][1].length) {
        break;
      }
      indexes[i] = 0;
    }
  }
}
