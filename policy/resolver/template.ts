/**
 * Workflow values that may contain `${{ }}` expressions, compiled once and evaluated per branch.
 */
import type { Expr } from "@actions/expressions" with { "resolution-mode": "import" };
import type { BranchChooser, ContextPath, ExpressionData, ExpressionLibrary } from "./expressions";
import type { data as DataModule } from "@actions/expressions" with { "resolution-mode": "import" };

/** A piece of a string value: literal text or one expression. */
type TemplatePart = { text: string } | { expr: Expr; source: string };

/** A workflow value with its expressions parsed. */
export type CompiledValue =
  | { kind: "literal"; value: unknown }
  | { kind: "template"; parts: TemplatePart[]; whole: boolean }
  | { kind: "array"; items: CompiledValue[] }
  | { kind: "object"; entries: Array<[string, CompiledValue]> };

/** A value GitHub would reject before the run: an unclosed `${{`, bad syntax or a context not allowed there. */
export class TemplateError extends Error {}

const OPEN = "${{";
const CLOSE = "}}";

/**
 * Splits a string into literal text and expressions. The library parses only the text between the
 * delimiters, so finding the delimiters is done here: the closing `}}` is the first one outside a
 * single-quoted string literal (a quote inside a literal is doubled, which toggles twice).
 */
function splitTemplate(text: string): Array<{ text: string } | { source: string }> {
  const parts: Array<{ text: string } | { source: string }> = [];
  let position = 0;
  while (position < text.length) {
    const start = text.indexOf(OPEN, position);
    if (start < 0) {
      parts.push({ text: text.slice(position) });
      break;
    }
    if (start > position) {
      parts.push({ text: text.slice(position, start) });
    }
    let end = -1;
    let inString = false;
    for (let i = start + OPEN.length; i < text.length; i++) {
      if (text[i] === "'") {
        inString = !inString;
      } else if (!inString && text.startsWith(CLOSE, i)) {
        end = i;
        break;
      }
    }
    if (end < 0) {
      throw new TemplateError(
        `"${OPEN}" at character ${start + 1} of "${text}" is never closed with "${CLOSE}"`,
      );
    }
    parts.push({ source: text.slice(start + OPEN.length, end) });
    position = end + CLOSE.length;
  }
  return parts;
}

/**
 * Compiles a plain value parsed from YAML. `where` names the key for messages (e.g. `runs-on`), and
 * `allowedContexts` lists the contexts GitHub lets that key read.
 */
export function compileValue(
  library: ExpressionLibrary,
  value: unknown,
  where: string,
  allowedContexts: readonly string[],
): CompiledValue {
  if (typeof value === "string") {
    if (!value.includes(OPEN)) {
      return { kind: "literal", value };
    }
    const pieces = splitTemplate(value);
    const parts: TemplatePart[] = pieces.map((piece) => {
      if ("text" in piece) {
        return piece;
      }
      return { expr: parseChecked(library, piece.source, where, allowedContexts), source: piece.source };
    });
    const expressionCount = parts.filter((part) => "expr" in part).length;
    const onlyBlankText = parts.every((part) => "expr" in part || part.text.trim() === "");
    return { kind: "template", parts, whole: expressionCount === 1 && onlyBlankText };
  }
  if (Array.isArray(value)) {
    return {
      kind: "array",
      items: value.map((item, i) => compileValue(library, item, `${where}[${i}]`, allowedContexts)),
    };
  }
  if (value !== null && typeof value === "object") {
    return {
      kind: "object",
      entries: Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        compileValue(library, item, `${where}.${key}`, allowedContexts),
      ]),
    };
  }
  return { kind: "literal", value };
}

function parseChecked(
  library: ExpressionLibrary,
  source: string,
  where: string,
  allowedContexts: readonly string[],
): Expr {
  let expr: Expr;
  try {
    expr = library.parse(source);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TemplateError(`${where} contains an invalid expression "\${{${source}}}": ${detail}`);
  }
  for (const path of library.references(expr)) {
    if (!allowedContexts.includes(path[0])) {
      throw new TemplateError(
        `${where} reads "${path.join(".")}", but GitHub allows only the contexts ` +
          `${allowedContexts.join(", ")} there; move the value into a variable (vars) or an input`,
      );
    }
  }
  return expr;
}

/** Returns the plain value of a compiled value that contains no expression. */
export function literalValue(compiled: CompiledValue): unknown {
  switch (compiled.kind) {
    case "literal":
      return compiled.value;
    case "template":
      throw new Error("literalValue needs a value without expressions; check hasExpressions first");
    case "array":
      return compiled.items.map(literalValue);
    case "object":
      return Object.fromEntries(compiled.entries.map(([key, item]) => [key, literalValue(item)]));
  }
}

/** Lists every context path the compiled value reads. */
export function compiledReferences(library: ExpressionLibrary, compiled: CompiledValue): ContextPath[] {
  switch (compiled.kind) {
    case "literal":
      return [];
    case "template":
      return compiled.parts.flatMap((part) => ("expr" in part ? library.references(part.expr) : []));
    case "array":
      return compiled.items.flatMap((item) => compiledReferences(library, item));
    case "object":
      return compiled.entries.flatMap(([, item]) => compiledReferences(library, item));
  }
}

/** Returns whether the compiled value contains any expression. */
export function hasExpressions(compiled: CompiledValue): boolean {
  switch (compiled.kind) {
    case "literal":
      return false;
    case "template":
      return true;
    case "array":
      return compiled.items.some(hasExpressions);
    case "object":
      return compiled.entries.some(([, item]) => hasExpressions(item));
  }
}

/**
 * Evaluates the compiled value on one branch. A string made of one expression keeps the expression's
 * type, as in GitHub, so an array from `fromJSON` stays an array. Text around expressions makes a string.
 * Throws the library's evaluation error (e.g. `fromJSON` of invalid JSON).
 */
export function evaluateValue(
  library: ExpressionLibrary,
  compiled: CompiledValue,
  context: DataModule.Dictionary,
  chooser: BranchChooser,
): ExpressionData {
  switch (compiled.kind) {
    case "literal":
      return library.fromPlain(compiled.value);
    case "template": {
      if (compiled.whole) {
        const part = compiled.parts.find((candidate) => "expr" in candidate) as { expr: Expr };
        return library.evaluate(part.expr, context, chooser);
      }
      const values = compiled.parts.map((part) =>
        "expr" in part ? library.evaluate(part.expr, context, chooser) : library.fromPlain(part.text),
      );
      if (values.some((value) => library.unknownReasons(value).length > 0)) {
        return library.combineUnknown(values, "text");
      }
      return library.fromPlain(values.map((value) => value.coerceString()).join(""));
    }
    case "array":
      return library.fromPlain(compiled.items.map((item) => evaluateValue(library, item, context, chooser)));
    case "object":
      return library.fromPlain(
        Object.fromEntries(
          compiled.entries.map(([key, item]) => [key, evaluateValue(library, item, context, chooser)]),
        ),
      );
  }
}
