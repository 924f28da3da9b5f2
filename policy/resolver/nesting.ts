import { Lexer } from "yaml";

/**
 * Maximum nesting depth of collections in a workflow file. Deep workflow keys such as
 * `jobs.<id>.strategy.matrix.include[].<key>` are 6 levels, so 100 is far above real workflows. The
 * `yaml` library (2.9.1) composes documents recursively. In a ts-node script on Node v20.20.2 with
 * the default stack size, it ran out of stack at about 400 levels of flow lists (measured), so 100
 * leaves room for callers with deeper stacks.
 */
export const MAX_NESTING_DEPTH = 100;

/** The first token at which a file nests deeper than {@link MAX_NESTING_DEPTH}. */
export interface NestingProblem {
  /** 1-based line of the token that went past the bound. */
  line: number;
  message: string;
}

/**
 * Checks the nesting depth of a YAML text from its tokens, before any recursive step runs. The `yaml`
 * lexer is iterative, so this scan is safe at any depth. The count is an upper bound: each rise in
 * indentation, each `-` or `?` indicator on a line and each open `[` or `{` counts as one level.
 * Returns undefined when the text stays within the bound.
 */
export function findNestingProblem(text: string): NestingProblem | undefined {
  if (nestingBound(text) <= MAX_NESTING_DEPTH) {
    return undefined;
  }
  const indents: number[] = [];
  let flowDepth = 0;
  let compactDepth = 0;
  let line = 1;
  let atLineStart = true;
  let lineIndent = 0;
  let blockScalarFollows = false;

  for (const token of new Lexer().lex(text)) {
    if (token === "\n" || token === "\r\n") {
      line++;
      atLineStart = true;
      lineIndent = 0;
      compactDepth = 0;
      continue;
    }
    if (/^[ \t]+$/.test(token)) {
      if (atLineStart) {
        lineIndent = token.length;
      }
      continue;
    }
    // Lexer control characters (document start, scalar start and similar) carry no text.
    if ((token.length === 1 && token.charCodeAt(0) < 0x20) || token.startsWith("#")) {
      continue;
    }
    if (atLineStart) {
      atLineStart = false;
      if (blockScalarFollows) {
        // The content of a `|` or `>` scalar is one token, whatever its indentation.
        blockScalarFollows = false;
        line += token.split("\n").length - 1;
        continue;
      }
      if (flowDepth === 0) {
        while (indents.length > 0 && indents[indents.length - 1] > lineIndent) {
          indents.pop();
        }
        if (indents.length === 0 || indents[indents.length - 1] < lineIndent) {
          indents.push(lineIndent);
        }
      }
    }
    if (token.startsWith("|") || token.startsWith(">")) {
      blockScalarFollows = true;
    } else if (token === "[" || token === "{") {
      flowDepth++;
    } else if (token === "]" || token === "}") {
      flowDepth = Math.max(0, flowDepth - 1);
    } else if ((token === "-" || token === "?") && flowDepth === 0) {
      compactDepth++;
    }
    const depth = indents.length + compactDepth + flowDepth;
    if (depth > MAX_NESTING_DEPTH) {
      return {
        line,
        message:
          `the file nests collections more than ${MAX_NESTING_DEPTH} levels deep, ` +
          `which no workflow needs; flatten the nested lists and mappings`,
      };
    }
    // Block and multi-line quoted scalars are single tokens that span lines.
    line += token.split("\n").length - 1;
  }
  return undefined;
}

/**
 * Returns a cheap upper bound of the count {@link findNestingProblem} makes, from characters alone:
 * the widest indentation plus one (indentation levels strictly rise), the most `-` and `?`
 * characters on one line (compact indicators), and every `[` and `{` in the text (flow openings).
 * Typical workflows stay far below the limit, so the lexer pass runs only for texts that may not.
 */
export function nestingBound(text: string): number {
  let maxIndent = 0;
  let maxIndicators = 0;
  let brackets = 0;
  let indent = 0;
  let indicators = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) {
      maxIndent = Math.max(maxIndent, indent);
      maxIndicators = Math.max(maxIndicators, indicators);
      indent = 0;
      indicators = 0;
      atLineStart = true;
      continue;
    }
    if (atLineStart && (code === 32 || code === 9)) {
      indent++;
      continue;
    }
    atLineStart = false;
    if (code === 45 || code === 63) {
      indicators++;
    } else if (code === 91 || code === 123) {
      brackets++;
    }
  }
  maxIndent = Math.max(maxIndent, indent);
  maxIndicators = Math.max(maxIndicators, indicators);
  return maxIndent + 1 + maxIndicators + brackets;
}
