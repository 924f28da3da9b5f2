/**
 * Reading a workflow's YAML into values, with the lines of the keys the resolver reports on.
 *
 * Two readers do this. The `yaml` library's document API reports every problem with a position,
 * which the resolver needs for files GitHub rejects, but building the document costs about nine
 * times what js-yaml takes for the values alone (measured on the 2,000 benchmark files). Most files
 * are plain block YAML without anchors or merge keys, so js-yaml reads them first, and its parse
 * events give the key lines. A file that js-yaml may read differently from the document API is
 * declined and goes to the document API. A test compares the two readers on the corpus, on
 * mutated corpus files and on generated token sequences.
 */
import { FAILSAFE_SCHEMA, load, Type, type State } from "js-yaml";
import { isAlias, isMap, isScalar, LineCounter, parseDocument, visit } from "yaml";
import type { Document, Node as YamlNode, Pair, YAMLError, YAMLMap } from "yaml";

/**
 * Maximum alias expansions per file. The `yaml` library's default is also 100; it is set here so that a
 * file of nested aliases (a "billion laughs" file) is rejected quickly instead of expanding.
 */
const MAX_ALIAS_COUNT = 100;

/** A problem that makes GitHub reject the file, at a 1-based line. */
export interface WorkflowError {
  line: number;
  message: string;
}

/** Lookups of the 1-based lines of the keys the resolver reports on. */
export interface KeyLines {
  /** Line of a top-level key. */
  root(key: string): number | undefined;
  /** Line of a job's id under `jobs`. */
  job(id: string): number | undefined;
  /** Line of a key of a job's mapping, such as `runs-on`. */
  jobKey(id: string, key: string): number | undefined;
}

/** A file's values with the lines of its keys. */
export interface LoadedWorkflow {
  root: unknown;
  lines: KeyLines;
}

/** Reads a file's values and key lines, or the problems that make GitHub reject it. */
export function loadWorkflow(text: string): LoadedWorkflow | { errors: WorkflowError[] } {
  return loadQuickly(text) ?? loadDocument(text);
}

/**
 * The scalar types of the `yaml` library's default (YAML 1.2 core) schema, with its patterns and
 * conversions, so that a plain scalar gets the same value from either reader. js-yaml's own core
 * schema differs in details, such as reading `0b101` as a number.
 */
const CORE_SCALARS = [
  new Type("tag:yaml.org,2002:null", {
    kind: "scalar",
    resolve: (data: unknown) => typeof data === "string" && /^(?:~|[Nn]ull|NULL)?$/.test(data),
    construct: () => null,
  }),
  new Type("tag:yaml.org,2002:bool", {
    kind: "scalar",
    resolve: (data: unknown) => typeof data === "string" && /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(data),
    construct: (data: string) => data[0] === "t" || data[0] === "T",
  }),
  new Type("tag:yaml.org,2002:int", {
    kind: "scalar",
    resolve: (data: unknown) =>
      typeof data === "string" && /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/.test(data),
    construct: (data: string) =>
      data.startsWith("0o")
        ? parseInt(data.substring(2), 8)
        : data.startsWith("0x")
          ? parseInt(data.substring(2), 16)
          : parseInt(data, 10),
  }),
  new Type("tag:yaml.org,2002:float", {
    kind: "scalar",
    resolve: (data: unknown) =>
      typeof data === "string" &&
      /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/.test(
        data,
      ),
    construct: (data: string) =>
      data.slice(-3).toLowerCase() === "nan"
        ? Number.NaN
        : data.endsWith("inf") || data.endsWith("Inf") || data.endsWith("INF")
          ? data[0] === "-"
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY
          : parseFloat(data),
  }),
];

const SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: CORE_SCALARS });

/**
 * The parts of js-yaml 4's loader state that its parse events carry beyond the published type:
 * the nesting depth of the node (1 for the document's root) and the node's anchor.
 */
interface LoaderState extends State {
  depth: number;
  anchor: string | null;
}

/** Thrown from the event listener to stop reading a file this reader declines. */
class Declined extends Error {}

/**
 * Returns the offset of the `:` of a key when it is the first character after `position`, past
 * spaces and tabs, else -1.
 */
function colonAfter(input: string, position: number): number {
  let at = position;
  while (input.charCodeAt(at) === 0x20 || input.charCodeAt(at) === 0x09) {
    at++;
  }
  return input.charCodeAt(at) === 0x3a ? at : -1;
}

/** True when the last character before `position`, past white space, is the `:` before a value. */
function precededByColon(input: string, position: number): boolean {
  let at = position - 1;
  while (at >= 0 && /[ \t\r\n]/.test(input[at])) {
    at--;
  }
  return input.charCodeAt(at) === 0x3a;
}

/**
 * Forms of YAML that go to the document API whatever js-yaml makes of them, matched on the whole
 * text after a byte order mark at its start. Some change values or lines in ways the parse events cannot follow. For the others, js-yaml
 * reads on where the document API reports a problem or reads another value (comparing the readers
 * on generated text found each of them). Forms that can be distinguished only at a node are checked by
 * `nodeProblem` instead, so that the same characters inside a `run:` script do not count.
 */
const DECLINED_FORMS: readonly RegExp[] = [
  // Directives such as `%YAML 1.1`, which change the schema.
  /^%/m,
  // Explicit keys (`? key`): no `:` follows such a key on its line, so the listener misses it.
  /(?:^|[{[,])[ \t]*\?(?:[ \t]|\r?$)/m,
  // A document marker with something after it on its line (`--- key: value`).
  /^\ufeff?(?:---|\.\.\.)(?![ \t]*\r?\n|[ \t]*\r?$(?![\s\S])|[ \t]+#)/m,
  // An empty sequence item (a `-` with nothing after it on its line): the yaml library rejects one
  // that is more indented than the next item. And a sequence inside a sequence item on the same
  // line (`- - a`), where js-yaml misplaces an empty item.
  /^[ ]*-[ \t]*(?:#[^\n]*)?\r?$/m,
  /^[ \t]*-[ \t]+-(?:[ \t]|\r?$)/m,
  // A byte order mark after the start, a carriage return that ends no line, and the line and
  // paragraph separators and NEL, which the two readers treat differently.
  /\ufeff|\r(?!\n)|[\u0085\u2028\u2029]/,
  // An escape above U+FFFF (`\U0010FFFF`), which js-yaml reads even past U+10FFFF.
  /\\U/,
];

/**
 * Returns whether a key or a `-` with nothing after it is followed by a comment line and then by a
 * plain value on a more indented line. The `yaml` library (2.9.1) rejects or reads some of these
 * differently ("Implicit keys need to be on a single line"), depending on the comment's text and
 * column, and js-yaml reads them all. A key, an item or a quoted or flow value on that line is fine.
 */
function hasCommentBeforeValue(text: string): boolean {
  let awaitingValue = false;
  let commentSeen = false;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) {
      end = text.length;
    }
    const line = text.slice(start, end).replace(/\r$/, "");
    start = end + 1;
    // Only spaces and tabs are white space in YAML; trim() would also remove a no-break space.
    const trimmed = line.replace(/^[ \t]+|[ \t]+$/g, "");
    if (trimmed === "") {
      continue;
    }
    if (trimmed.startsWith("#")) {
      commentSeen = true;
      continue;
    }
    if (awaitingValue && commentSeen && /^[ \t]/.test(line) && isPlainValueLine(trimmed)) {
      return true;
    }
    awaitingValue = /(?::|^-|\s-)[ \t]*(?:#.*)?$/.test(line);
    commentSeen = false;
  }
  return false;
}

/**
 * True when a trimmed line reads as the start of a plain scalar, not a key, an item or another node.
 * `-`, `?` and `:` are indicators only before a space or a tab (YAML's white space, which excludes
 * the no-break space that `\s` matches).
 */
function isPlainValueLine(trimmed: string): boolean {
  return !/^(?:[-?:](?:[ \t]|$)|[[{"'|>&!*]|[^#]*?:(?:[ \t]|$))/.test(trimmed);
}

/** A block scalar's content as [start, end) offsets into the text, and the indentation of its text. */
type BlockScalarRange = [start: number, end: number, indent: number];

/**
 * Returns whether a line of `body` starts with a tab after its spaces, other than a line of text in
 * a block scalar whose spaces reach the scalar's indentation. Offsets are into the whole text, which
 * is `offset` characters longer than `body`. The document API rejects a tab in indentation, where
 * js-yaml reads on, and the two disagree on lines of only white space at a block scalar's end.
 */
function hasTabIndentation(body: string, blockScalars: BlockScalarRange[], offset: number): boolean {
  for (const match of body.matchAll(/^( *)\t[^\n]*/gm)) {
    const at = (match.index ?? 0) + offset;
    const spaces = match[1].length;
    const isText = match[0].trim() !== "";
    const inScalar = blockScalars.some(
      ([start, end, indent]) => start !== -1 && at > start && at < end && spaces >= indent,
    );
    if (!(inScalar && isText)) {
      return true;
    }
  }
  return false;
}

/** Returns the offset of the first token at or after `position`, past white space and comments. */
function tokenStart(input: string, position: number): number {
  let at = position;
  for (;;) {
    const code = input.charCodeAt(at);
    if (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) {
      at++;
    } else if (code === 0x23 && (at === position || /\s/.test(input[at - 1]))) {
      const lineEnd = input.indexOf("\n", at);
      if (lineEnd === -1) {
        return input.length;
      }
      at = lineEnd;
    } else {
      return at;
    }
  }
}

/**
 * Returns why a node that js-yaml just read must go to the document API, or undefined. `start` is
 * where the node's first token is and `end` where js-yaml stopped reading it. A node that turns out
 * empty may point at the next node's token, which only makes this check stricter.
 */
function nodeProblem(input: string, start: number, end: number): string | undefined {
  const first = input[start];
  if (first === "!" || first === "&") {
    // A tag or an anchor. js-yaml binds an anchor written before a block scalar on a later line
    // to an empty mapping, and explicit tags resolve differently in each reader.
    return "a tag or an anchor";
  }
  if ((first === '"' || first === "'" || first === "[" || first === "{") && input[end] === "#") {
    return "a comment right after a quote or a bracket";
  }
  if ((first === "[" || first === "{") && /[[{,]#|\n[ \t]*#/.test(input.slice(start, end))) {
    return "a comment right after a bracket or a comma, or on a line of its own";
  }
  if (first === '"' && /\\\r?\n[ \t]*\r?\n/.test(input.slice(start, end))) {
    return "an escaped line break followed by an empty line";
  }
  if (first === "@" || first === "`" || first === "%") {
    return "a plain value starting with a reserved character";
  }
  if (first === "|" || first === ">") {
    const lineEnd = input.indexOf("\n", start);
    const header = /^[|>]\S*/.exec(input.slice(start, lineEnd === -1 ? undefined : lineEnd))?.[0] ?? "";
    if (/[0-9]/.test(header)) {
      return "a block scalar with an indentation indicator";
    }
    if (header.includes("+")) {
      // The readers differ on keep chomping at the end of a file whose last line contains only spaces.
      return "a block scalar that keeps its final line breaks";
    }
    // Leading lines of only spaces, longer than the indentation of the first line with text.
    const leading = /^[^\n]*\n((?:[ ]*\r?\n)*)([ ]*)/.exec(input.slice(start, end));
    if (leading !== null) {
      const longestBlank = Math.max(
        0,
        ...leading[1].split("\n").map((line) => line.replace("\r", "").length),
      );
      if (longestBlank > leading[2].length) {
        return "a block scalar with more indented empty lines before its text";
      }
    }
  }
  return undefined;
}

/**
 * Depths in js-yaml's parse events of the keys whose lines are recorded: the document's root node
 * is at depth 1, so its keys are at 2, job ids under `jobs` at 3 and the keys of a job at 4.
 */
const ROOT_KEY_DEPTH = 2;
const JOB_ID_DEPTH = 3;
const JOB_KEY_DEPTH = 4;

/**
 * Maximum length of an implicit key that the `yaml` library accepts, from the key's start to its
 * `:` (the YAML 1.2 specification limits implicit keys to 1024 characters). js-yaml has no limit.
 */
const MAX_IMPLICIT_KEY_LENGTH = 1024;

/**
 * Reads a workflow with js-yaml, or returns undefined when the file must go through the document
 * API. That is when js-yaml reports a problem, because the document API then gives its position and
 * wording. It is also when the file has a form of DECLINED_FORMS or one that `nodeProblem` finds, a
 * merge key, a key that is not a string or a tab in indentation. And it is when the parse events
 * did not show a key line the resolver needs.
 *
 * NOTE: that this reader agrees with the document API rests on comparing the two on generated and
 * mutated texts, not on a proof. Each round of targeted fuzzing so far found new forms where they
 * differed, now declined; a form not yet found may still differ.
 */
export function loadQuickly(text: string): LoadedWorkflow | undefined {
  // Both readers skip a byte order mark at the start, but js-yaml also skips the indentation of an
  // indented first line after it, where the document API reads that line as indented.
  const body = text.startsWith("\ufeff") ? text.slice(1) : text;
  if (
    /^\ufeff[ \t]/.test(text) ||
    DECLINED_FORMS.some((pattern) => pattern.test(body)) ||
    hasCommentBeforeValue(body)
  ) {
    return undefined;
  }
  const rootKeys = new Map<string, number>();
  const jobLines = new Map<string, number>();
  const jobKeyLines = new Map<string, Map<string, number>>();
  // By depth: the line and offset where each open node started, the last key read, and whether the
  // node contains an entry that is not a string in the position of a flow mapping's key.
  const openedOn: number[] = [];
  const openedAt: number[] = [];
  const keyAt: unknown[] = [];
  const hasNonStringEntry: boolean[] = [];
  // Where block scalars are, as [start, end) offsets: a tab there is text, not indentation.
  const blockScalars: BlockScalarRange[] = [];

  const listener = (event: string, state: State): void => {
    const loader = state as LoaderState;
    const depth = loader.depth;

    if (event === "open") {
      openedOn[depth] = loader.line + 1;
      openedAt[depth] = loader.position;
      hasNonStringEntry[depth] = false;
      return;
    }
    if (loader.anchor !== null || (loader.kind === "mapping" && hasNonStringEntry[depth])) {
      throw new Declined();
    }

    const key = loader.result;
    const start = tokenStart(loader.input, openedAt[depth]);
    // A merge key, quoted or not, which the document API reports as an error.
    if (key === "<<" || nodeProblem(loader.input, start, loader.position) !== undefined) {
      throw new Declined();
    }
    if (typeof key === "string" && (loader.input[start] === "|" || loader.input[start] === ">")) {
      const contentStart = loader.input.indexOf("\n", start);
      // The indentation of the first line whose text starts after spaces alone. Without such a
      // line, no tab line counts as the scalar's text.
      const content = loader.input.slice(contentStart + 1, loader.position);
      const firstText = /^(?:[ \t]*\r?\n)*([ ]*)(?=[^ \t\r\n])/.exec(content);
      blockScalars.push([contentStart, loader.position, firstText?.[1].length ?? Number.POSITIVE_INFINITY]);
    }

    const colon = colonAfter(loader.input, loader.position);
    if (colon === -1) {
      // A key of a flow mapping may have no value (`{ a, b }`), and then no ":" precedes or follows
      // it. js-yaml turns such a key into a string its own way (null becomes "null", a collection
      // "[object Object]"), while the document API writes it as YAML. Whether the entry is a key is
      // known only when its parent closes, because in a sequence it is an ordinary item.
      // A node that starts where its parent starts is the parent's own content, not an entry of
      // it: js-yaml reads a flow collection at the start of a line first as a possible block
      // mapping key, one level deeper. Near the top that would shift the depths of the keys whose
      // lines are recorded below, so such a file is declined.
      const parentStart = depth > 1 ? tokenStart(loader.input, openedAt[depth - 1]) : -1;
      if (start === parentStart && key !== null && typeof key === "object" && depth <= JOB_KEY_DEPTH) {
        throw new Declined();
      }
      if (
        typeof key !== "string" &&
        start !== parentStart &&
        !precededByColon(loader.input, openedAt[depth])
      ) {
        hasNonStringEntry[depth - 1] = true;
      }
      return;
    }
    if (typeof key !== "string" || colon - openedAt[depth] > MAX_IMPLICIT_KEY_LENGTH) {
      throw new Declined();
    }

    keyAt[depth] = key;
    const line = openedOn[depth];
    if (depth === ROOT_KEY_DEPTH) {
      rootKeys.set(key, line);
    } else if (depth === JOB_ID_DEPTH && keyAt[ROOT_KEY_DEPTH] === "jobs") {
      jobLines.set(key, line);
    } else if (
      depth === JOB_KEY_DEPTH &&
      keyAt[ROOT_KEY_DEPTH] === "jobs" &&
      (key === "runs-on" || key === "uses")
    ) {
      const id = keyAt[JOB_ID_DEPTH] as string;
      let keys = jobKeyLines.get(id);
      if (keys === undefined) {
        keys = new Map();
        jobKeyLines.set(id, keys);
      }
      keys.set(key, line);
    }
  };

  let root: unknown;
  try {
    root = load(text, {
      schema: SCHEMA,
      listener,
      onWarning: () => {
        throw new Declined();
      },
    });
  } catch {
    return undefined;
  }
  if (hasTabIndentation(body, blockScalars, text.length - body.length)) {
    return undefined;
  }
  // A file that is not a mapping is an error whichever reader reads it. At the top level, js-yaml
  // reads some scalars differently from the document API, so such files go there.
  if (!isPlainObject(root)) {
    return undefined;
  }
  const lines: KeyLines = {
    root: (key) => rootKeys.get(key),
    job: (id) => jobLines.get(id),
    jobKey: (id, key) => jobKeyLines.get(id)?.get(key),
  };
  return hasEveryLine(root, lines) ? { root, lines } : undefined;
}

/** True for a mapping's value: an object that is not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** True when the events gave a line for every key the resolver may report on. */
function hasEveryLine(root: Record<string, unknown>, lines: KeyLines): boolean {
  if (
    ("on" in root && lines.root("on") === undefined) ||
    ("jobs" in root && lines.root("jobs") === undefined)
  ) {
    return false;
  }
  if (!isPlainObject(root.jobs)) {
    return true;
  }
  for (const [id, job] of Object.entries(root.jobs)) {
    if (lines.job(id) === undefined) {
      return false;
    }
    if (isPlainObject(job)) {
      for (const key of ["runs-on", "uses"]) {
        if (key in job && lines.jobKey(id, key) === undefined) {
          return false;
        }
      }
    }
  }
  return true;
}

/**
 * Reads a file through the `yaml` library's document API, which reports every problem GitHub would
 * reject with its position. Returns the problems, or the values with the lines of their keys.
 */
export function loadDocument(text: string): LoadedWorkflow | { errors: WorkflowError[] } {
  const errors: WorkflowError[] = [];
  const lineCounter = new LineCounter();
  // logLevel "error", because the library's warnings (a collection used as a key, say) would
  // otherwise go to the process's warning output. What matters here is reported through `errors`.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, logLevel: "error" });
  const lineAt = (offset: number | undefined): number =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line;

  for (const error of doc.errors) {
    errors.push({ line: lineAt(error.pos[0]), message: describeYamlError(error, text) });
  }
  if (errors.length > 0) {
    return { errors };
  }
  // Walking every node costs about a fifth of a parse, so it runs only when a merge key can be present.
  if (text.includes("<<")) {
    visit(doc, {
      Pair(_, pair) {
        if (isScalar(pair.key) && pair.key.value === "<<") {
          errors.push({
            line: lineAt(pair.key.range?.[0]),
            message: `the merge key "<<" is not supported by GitHub workflows; repeat the keys or use an alias of the whole value`,
          });
        }
      },
    });
  }
  if (errors.length > 0) {
    return { errors };
  }

  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { errors: [{ line: 1, message: `the file's aliases cannot be expanded: ${detail}` }] };
  }

  const pairOf = (map: YAMLMap | undefined, key: string): Pair | undefined =>
    map?.items.find((item: Pair) => isScalar(item.key) && String(item.key.value) === key);
  const keyLine = (pair: Pair | undefined): number | undefined =>
    pair !== undefined && isScalar(pair.key) ? lineAt(pair.key.range?.[0]) : undefined;
  const valueMap = (pair: Pair | undefined): YAMLMap | undefined =>
    asMap(resolveNode(doc, pair?.value as YamlNode | undefined));

  const rootMap = asMap(resolveNode(doc, doc.contents));
  const jobsMap = valueMap(pairOf(rootMap, "jobs"));
  const lines: KeyLines = {
    root: (key) => keyLine(pairOf(rootMap, key)),
    job: (id) => keyLine(pairOf(jobsMap, id)),
    jobKey: (id, key) => keyLine(pairOf(valueMap(pairOf(jobsMap, id)), key)),
  };
  return { root, lines };
}

/**
 * Returns the sentence for a problem the `yaml` library reports. Its messages are kept, without the
 * position it appends, except where they name a library call or leave out the key.
 */
function describeYamlError(error: YAMLError, text: string): string {
  if (error.code === "MULTIPLE_DOCS") {
    return (
      `the file is not valid YAML: it contains more than one document; a workflow file is a ` +
      `single document, so remove the "---" line and what follows it or move that to its own file`
    );
  }
  if (error.code === "DUPLICATE_KEY") {
    // The error points at the start of the repeated key; the key runs to its ":" on that line.
    const lineEnd = text.indexOf("\n", error.pos[0]);
    const rest = text.slice(error.pos[0], lineEnd === -1 ? undefined : lineEnd);
    const written = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:]*?)\s*:/.exec(rest)?.[1] ?? rest.trim();
    const key = written.replace(/^(["'])(.*)\1$/, "$2");
    return `the file is not valid YAML: the key ${JSON.stringify(key)} appears twice in one mapping; keep one`;
  }
  const message = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  return `the file is not valid YAML: ${message}`;
}

function resolveNode(doc: Document, node: YamlNode | null | undefined): YamlNode | undefined {
  let current: YamlNode | null | undefined = node;
  for (let depth = 0; depth < MAX_ALIAS_COUNT && isAlias(current); depth++) {
    current = current.resolve(doc);
  }
  return current ?? undefined;
}

function asMap(node: unknown): YAMLMap | undefined {
  return isMap(node) ? node : undefined;
}
