/**
 * Evaluation of GitHub Actions `${{ }}` expressions over every branch they can take.
 *
 * Parsing and evaluation are GitHub's own (`@actions/expressions`). The library does not compute the set
 * of values an expression can produce when some of the context is unknowable before the
 * run (`github.ref`, `needs.*.outputs`, an undeclared `vars.NAME`). This module adds exactly that:
 *
 * - Unknowable context reads return an {@link UnknownValue} that remembers what was read.
 * - {@link BranchEvaluator} subclasses the library's `Evaluator`, which is a visitor over the library's
 *   parsed tree. It overrides only the visits where an unknown value meets a decision: a comparison
 *   (`==`, `<`, ...), a `!`, a truth test inside `&&`/`||`, or a predicate call (`contains`,
 *   `startsWith`, `endsWith`, the predicates of `case`). There it takes a truth value from a
 *   {@link BranchChooser} instead of computing one. Every other node is evaluated by the library itself.
 * - {@link BranchChooser} replays a recorded list of choices and, after each run, flips the last
 *   `false` to `true`, so repeated runs visit every combination of truth values, each exactly once:
 *   an unknowable condition is taken both as true and as false.
 */
import type { data as DataModule, Expr } from "@actions/expressions" with { "resolution-mode": "import" };
import type {
  Binary,
  ContextAccess,
  ExprVisitor,
  FunctionCall,
  Grouping,
  IndexAccess,
  Literal,
  Logical,
  Unary,
} from "@actions/expressions/ast" with { "resolution-mode": "import" };

type ExpressionsModule = typeof import("@actions/expressions", { with: { "resolution-mode": "import" } });
type AstModule = typeof import("@actions/expressions/ast", { with: { "resolution-mode": "import" } });
type ResultModule = typeof import("@actions/expressions/result", { with: { "resolution-mode": "import" } });

/** A value of the expression language (string, number, boolean, null, array or object). */
export type ExpressionData = DataModule.ExpressionData;

/**
 * Every context name GitHub defines. Expressions are parsed with all of them, so a context that a key
 * may not read is reported by name instead of as a syntax error.
 */
export const ALL_CONTEXTS: readonly string[] = [
  "github",
  "env",
  "vars",
  "secrets",
  "steps",
  "job",
  "jobs",
  "runner",
  "matrix",
  "strategy",
  "needs",
  "inputs",
];

/** Functions whose result is a boolean, so an unknown argument makes their result a decision. */
const PREDICATE_FUNCTIONS: ReadonlySet<string> = new Set(["contains", "startswith", "endswith"]);

/**
 * Records and replays truth values for decisions that depend on unknowable context. The runs it drives
 * visit the decision tree depth first: false before true at each decision.
 */
export class BranchChooser {
  private readonly choices: boolean[] = [];
  private position = 0;
  // Decisions of the current run by key, so that one run reads the same unknown value the same way.
  private readonly byKey = new Map<string, boolean>();
  private readonly taken: string[] = [];

  /**
   * Returns the truth value of a decision of the current run. Decisions with the same `key` in one run
   * get the same value; `describe` names the decision for messages.
   */
  choose(key: string, describe: (value: boolean) => string): boolean {
    const earlier = this.byKey.get(key);
    if (earlier !== undefined) {
      return earlier;
    }
    let value = false;
    if (this.position < this.choices.length) {
      value = this.choices[this.position];
    } else {
      this.choices.push(false);
    }
    this.position++;
    this.byKey.set(key, value);
    this.taken.push(describe(value));
    return value;
  }

  /** Describes the decisions taken in the current run. */
  decisions(): string[] {
    return [...this.taken];
  }

  /** Moves to the next unvisited path; returns false when every path has been visited. */
  advance(): boolean {
    this.choices.length = this.position;
    while (this.choices.length > 0 && this.choices[this.choices.length - 1]) {
      this.choices.pop();
    }
    this.position = 0;
    this.byKey.clear();
    this.taken.length = 0;
    if (this.choices.length === 0) {
      return false;
    }
    this.choices[this.choices.length - 1] = true;
    return true;
  }
}

/** A context path read by an expression, e.g. `["inputs", "runner"]`; `*` stands for a star index. */
export type ContextPath = string[];

/** The loaded library plus the classes this module derives from it. */
export interface ExpressionLibrary {
  expressions: ExpressionsModule;
  /** Parses one expression (the text between `${{` and `}}`); throws the library's error on bad syntax. */
  parse(source: string): Expr;
  /** Lists every context path the expression reads, longest literal path first per chain. */
  references(expr: Expr): ContextPath[];
  /** Evaluates the expression on one branch; unknowable decisions are taken from `chooser`. */
  evaluate(expr: Expr, context: DataModule.Dictionary, chooser: BranchChooser): ExpressionData;
  /** Creates a value that stands for something unknowable, described by `reason`. */
  unknown(path: string, reason: (path: string) => string): ExpressionData;
  /** Creates one unknown value that results from `values` (some of them unknown) through `operation`. */
  combineUnknown(values: ExpressionData[], operation: string): ExpressionData;
  /** Returns whether `value` itself is unknown (a known list or object holding unknown parts is not). */
  isUnknown(value: ExpressionData): boolean;
  /** Returns the reasons when `value` is (or contains) an unknown value, else an empty list. */
  unknownReasons(value: ExpressionData): string[];
  /** Creates an object whose listed keys are known and whose other keys read as unknown. */
  openDictionary(
    path: string,
    known: Record<string, ExpressionData>,
    reason: (path: string) => string,
  ): DataModule.Dictionary;
  /** Converts plain JSON-like data (as parsed from YAML) into expression data. */
  fromPlain(value: unknown): ExpressionData;
  /** Converts expression data back into plain data; unknown values become undefined. */
  toPlain(value: ExpressionData): unknown;
}

let loading: Promise<ExpressionLibrary> | undefined;

/** Loads `@actions/expressions` once. It is ESM-only, so it is loaded with a dynamic import. */
export function loadExpressionLibrary(): Promise<ExpressionLibrary> {
  loading ??= buildLibrary();
  return loading;
}

async function buildLibrary(): Promise<ExpressionLibrary> {
  const expressions: ExpressionsModule = await import("@actions/expressions");
  const ast: AstModule = await import("@actions/expressions/ast");
  const result: ResultModule = await import("@actions/expressions/result");
  const { data } = expressions;

  /**
   * An unknowable value. It is an object to the library, so that reading a key of it goes through the
   * library's own index access and yields another unknown value with a longer path.
   */
  class UnknownValue extends data.Dictionary {
    private static combined = 0;

    /** Same for every read of the same context path; unique for a value computed from unknowns. */
    readonly identity: string;

    constructor(
      readonly path: string,
      readonly describe: (path: string) => string,
      readonly extraReasons: readonly string[] = [],
      isComputed = false,
    ) {
      super();
      this.identity = isComputed ? `#${UnknownValue.combined++}` : path.toLowerCase();
    }

    override get(key: string): ExpressionData {
      return new UnknownValue(`${this.path}.${key}`, this.describe, this.extraReasons);
    }

    reasons(): string[] {
      return [this.describe(this.path), ...this.extraReasons];
    }
  }

  /** An object with some known keys, whose other keys read as unknown (e.g. `vars`, `github`). */
  class OpenDictionary extends data.Dictionary {
    constructor(
      readonly path: string,
      readonly describe: (path: string) => string,
    ) {
      super();
    }

    override get(key: string): ExpressionData {
      return super.get(key) ?? new UnknownValue(`${this.path}.${key}`, this.describe);
    }
  }

  /** Joins the reasons of several unknown values into one unknown value that results from them. */
  function combineUnknown(values: ExpressionData[], operation: string): UnknownValue {
    const reasons = values.flatMap((value) => unknownReasons(value));
    const [first, ...rest] = reasons;
    return new UnknownValue(operation, () => first ?? `${operation} of an unknown value`, rest, true);
  }

  function unknownReasons(value: ExpressionData): string[] {
    if (value instanceof UnknownValue) {
      return value.reasons();
    }
    if (value instanceof OpenDictionary) {
      return [];
    }
    if (value instanceof data.Array) {
      return value.values().flatMap((item) => unknownReasons(item));
    }
    if (value instanceof data.Dictionary) {
      return value.values().flatMap((item) => unknownReasons(item));
    }
    return [];
  }

  class BranchEvaluator extends expressions.Evaluator {
    // Each node is evaluated once per run, so a visit override may evaluate the operands, inspect them
    // and then hand the node to the library's own visit, which reads the same results from here.
    private readonly evaluated = new Map<Expr, ExpressionData>();

    constructor(
      expr: Expr,
      context: DataModule.Dictionary,
      private readonly chooser: BranchChooser,
    ) {
      super(expr, context);
    }

    protected override eval(node: Expr): ExpressionData {
      const cached = this.evaluated.get(node);
      if (cached !== undefined) {
        return cached;
      }
      const value = node.accept(this);
      this.evaluated.set(node, value);
      return value;
    }

    override visitContextAccess(node: ContextAccess): ExpressionData {
      return super.visitContextAccess(node) ?? new data.Null();
    }

    override visitIndexAccess(node: IndexAccess): ExpressionData {
      const index = node.index instanceof ast.Star ? undefined : this.eval(node.index);
      if (index instanceof UnknownValue) {
        return combineUnknown([index], "index");
      }
      const target = this.eval(node.expr);
      if (target instanceof UnknownValue) {
        return target.get(index === undefined ? "*" : index.coerceString());
      }
      return super.visitIndexAccess(node);
    }

    /** Decides whether an unknown value is truthy, the same way for every read in this run. */
    private isTruthy(value: UnknownValue): boolean {
      return this.chooser.choose(`truthy ${value.identity}`, (isTrue) =>
        isTrue ? `${value.path} non-empty` : `${value.path} empty`,
      );
    }

    /** Decides a comparison or predicate whose operands include unknown values. */
    private decide(
      operation: string,
      operands: ExpressionData[],
      format: (shown: string[]) => string,
    ): boolean {
      const keys = operands.map((operand) =>
        operand instanceof UnknownValue ? `?${operand.identity}` : keyOf(operand),
      );
      const shown = operands.map((operand) =>
        operand instanceof UnknownValue ? operand.path : showKnown(operand),
      );
      return this.chooser.choose(
        `${operation}(${keys.join(",")})`,
        (isTrue) => `${format(shown)} is ${isTrue}`,
      );
    }

    override visitBinary(node: Binary): ExpressionData {
      const left = this.eval(node.left);
      const right = this.eval(node.right);
      if (left instanceof UnknownValue || right instanceof UnknownValue) {
        const operator = node.operator.lexeme;
        return new data.BooleanData(
          this.decide(operator, [left, right], ([l, r]) => `${l} ${operator} ${r}`),
        );
      }
      return super.visitBinary(node);
    }

    override visitUnary(node: Unary): ExpressionData {
      const operand = this.eval(node.expr);
      if (operand instanceof UnknownValue) {
        return new data.BooleanData(!this.isTruthy(operand));
      }
      return super.visitUnary(node);
    }

    override visitLogical(node: Logical): ExpressionData {
      const isAnd = node.operator.lexeme === "&&";
      let value: ExpressionData = new data.Null();
      for (const arg of node.args) {
        value = this.eval(arg);
        const isTrue = value instanceof UnknownValue ? this.isTruthy(value) : result.truthy(value);
        if (isAnd !== isTrue) {
          break;
        }
      }
      return value;
    }

    override visitFunctionCall(node: FunctionCall): ExpressionData {
      const args = node.args.map((arg) => this.eval(arg));
      const unknownArgs = args.filter((arg) => unknownReasons(arg).length > 0);
      if (unknownArgs.length === 0) {
        return super.visitFunctionCall(node);
      }
      const name = node.functionName.lexeme;
      if (PREDICATE_FUNCTIONS.has(name.toLowerCase())) {
        const isTrue = this.decide(name.toLowerCase(), args, (shown) => `${name}(${shown.join(", ")})`);
        return new data.BooleanData(isTrue);
      }
      if (name.toLowerCase() === "case") {
        // case(pred1, value1, ..., default): an unknown predicate is a decision; values pass through.
        const decided = args.map((arg, i) =>
          i % 2 === 0 && i < args.length - 1 && arg instanceof UnknownValue
            ? new data.BooleanData(this.isTruthy(arg))
            : arg,
        );
        return expressions.wellKnownFunctions.case.call(...decided);
      }
      return combineUnknown(unknownArgs, `${name}()`);
    }
  }

  /** Returns a key that is equal for equal known values, so a repeated decision is recognized. */
  function keyOf(value: ExpressionData): string {
    return JSON.stringify(toPlain(value)) ?? "null";
  }

  /** Formats a known value for messages, quoting strings as an expression does. */
  function showKnown(value: ExpressionData): string {
    const plain = toPlain(value);
    return typeof plain === "string" ? `'${plain}'` : (JSON.stringify(plain) ?? "null");
  }

  /** Collects context paths by walking the parsed tree with the library's visitor interface. */
  class ReferenceCollector implements ExprVisitor<ContextPath | undefined> {
    readonly paths: ContextPath[] = [];

    record(path: ContextPath | undefined): void {
      if (path !== undefined) {
        this.paths.push(path);
      }
    }

    visitLiteral(_node: Literal): undefined {
      return undefined;
    }
    visitUnary(node: Unary): undefined {
      this.record(node.expr.accept(this));
      return undefined;
    }
    visitBinary(node: Binary): undefined {
      this.record(node.left.accept(this));
      this.record(node.right.accept(this));
      return undefined;
    }
    visitLogical(node: Logical): undefined {
      for (const arg of node.args) {
        this.record(arg.accept(this));
      }
      return undefined;
    }
    visitGrouping(node: Grouping): ContextPath | undefined {
      return node.group.accept(this);
    }
    visitContextAccess(node: ContextAccess): ContextPath {
      return [node.name.lexeme.toLowerCase()];
    }
    visitIndexAccess(node: IndexAccess): ContextPath | undefined {
      const target = node.expr.accept(this);
      if (node.index instanceof ast.Star) {
        this.record(target === undefined ? undefined : [...target, "*"]);
        return undefined;
      }
      if (node.index instanceof ast.Literal && target !== undefined) {
        return [...target, node.index.literal.coerceString()];
      }
      this.record(target);
      this.record(node.index.accept(this));
      return undefined;
    }
    visitFunctionCall(node: FunctionCall): undefined {
      for (const arg of node.args) {
        this.record(arg.accept(this));
      }
      return undefined;
    }
  }

  // Unlike the library's JSON reviver, this keeps expression data found inside plain arrays and objects,
  // so unknown values survive being placed in a list or an object.
  function fromPlain(value: unknown): ExpressionData {
    if (
      value instanceof data.Null ||
      value instanceof data.StringData ||
      value instanceof data.NumberData ||
      value instanceof data.BooleanData ||
      value instanceof data.Array ||
      value instanceof data.Dictionary
    ) {
      return value;
    }
    if (value === null || value === undefined) {
      return new data.Null();
    }
    if (typeof value === "string") {
      return new data.StringData(value);
    }
    if (typeof value === "number") {
      return new data.NumberData(value);
    }
    if (typeof value === "boolean") {
      return new data.BooleanData(value);
    }
    if (Array.isArray(value)) {
      return new data.Array(...value.map((item) => fromPlain(item)));
    }
    if (typeof value === "object") {
      return new data.Dictionary(
        ...Object.entries(value as Record<string, unknown>).map(([key, item]) => ({
          key,
          value: fromPlain(item),
        })),
      );
    }
    return new data.StringData(String(value));
  }

  function toPlain(value: ExpressionData): unknown {
    if (value instanceof UnknownValue) {
      return undefined;
    }
    if (value instanceof data.Array) {
      return value.values().map((item) => toPlain(item));
    }
    if (value instanceof data.Dictionary) {
      return Object.fromEntries(value.pairs().map((pair) => [pair.key, toPlain(pair.value)]));
    }
    if (value instanceof data.Null) {
      return null;
    }
    if (value instanceof data.BooleanData) {
      return value.value;
    }
    if (value instanceof data.NumberData) {
      return value.number();
    }
    return value.coerceString();
  }

  return {
    expressions,
    parse(source: string): Expr {
      const lexed = new expressions.Lexer(source).lex();
      const parsed = new expressions.Parser(lexed.tokens, [...ALL_CONTEXTS], []).parse();
      if (parsed === undefined) {
        throw new Error("the expression is empty");
      }
      return parsed;
    },
    references(expr: Expr): ContextPath[] {
      const collector = new ReferenceCollector();
      collector.record(expr.accept(collector));
      return collector.paths;
    },
    evaluate(expr: Expr, context: DataModule.Dictionary, chooser: BranchChooser): ExpressionData {
      return new BranchEvaluator(expr, context, chooser).evaluate();
    },
    unknown(path: string, reason: (path: string) => string): ExpressionData {
      return new UnknownValue(path, reason);
    },
    combineUnknown,
    isUnknown: (value: ExpressionData): boolean => value instanceof UnknownValue,
    unknownReasons,
    openDictionary(path, known, reason): DataModule.Dictionary {
      const dictionary = new OpenDictionary(path, reason);
      for (const [key, value] of Object.entries(known)) {
        dictionary.add(key, value);
      }
      return dictionary;
    },
    fromPlain,
    toPlain,
  };
}
