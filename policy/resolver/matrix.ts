/**
 * Matrix expansion as GitHub performs it: the product of the vectors, then `exclude`, then `include`.
 */
import type { data as DataModule } from "@actions/expressions" with { "resolution-mode": "import" };
import type { ExpressionData, ExpressionLibrary } from "./expressions";

/**
 * Maximum combinations expanded per matrix. GitHub runs at most 256 jobs per matrix; expanding four
 * times that still lets a product that `exclude` shrinks below the limit be checked exactly.
 */
export const MAX_MATRIX_COMBINATIONS = 1024;

/** One matrix combination as the `matrix` context of its job. */
export type MatrixCombination = DataModule.Dictionary;

/** The combinations of an evaluated `strategy.matrix`, or the problem that stopped the expansion. */
export type MatrixExpansion = { combinations: MatrixCombination[] } | { problem: string };

const INCLUDE = "include";
const EXCLUDE = "exclude";

/**
 * Expands an evaluated `strategy.matrix`. Unknown parts fail closed: an unknown vector is one unknown
 * value, an unknown `include` adds an unknown combination, and an unknown `exclude` removes nothing.
 */
export function expandMatrix(library: ExpressionLibrary, matrix: ExpressionData): MatrixExpansion {
  const { data } = library.expressions;
  if (library.isUnknown(matrix)) {
    return { combinations: [unknownCombination(library, matrix)] };
  }
  if (!(matrix instanceof data.Dictionary)) {
    return { problem: `strategy.matrix evaluates to ${describeKind(matrix)}, not a mapping` };
  }

  const vectors: Array<[string, ExpressionData[]]> = [];
  let include: ExpressionData | undefined;
  let exclude: ExpressionData | undefined;
  for (const { key, value } of matrix.pairs()) {
    const lower = key.toLowerCase();
    if (lower === INCLUDE) {
      include = value;
    } else if (lower === EXCLUDE) {
      exclude = value;
    } else if (value instanceof data.Array) {
      vectors.push([key, value.values()]);
    } else {
      // A vector that is not a list (an unknown value, or a scalar GitHub rejects at run time) is
      // taken as a single value, which keeps any unknown part in the combination.
      vectors.push([key, [value]]);
    }
  }

  let combinations: Array<Map<string, ExpressionData>> = [];
  if (vectors.length > 0) {
    combinations = [new Map()];
    for (const [key, values] of vectors) {
      const next: Array<Map<string, ExpressionData>> = [];
      for (const combination of combinations) {
        for (const value of values) {
          next.push(new Map(combination).set(key, value));
          if (next.length > MAX_MATRIX_COMBINATIONS) {
            return { problem: tooMany() };
          }
        }
      }
      combinations = next;
    }
  }

  for (const entry of entries(library, exclude)) {
    if (entry instanceof data.Dictionary && library.unknownReasons(entry).length === 0) {
      combinations = combinations.filter((combination) => !matchesAll(library, combination, entry));
    }
  }

  // An include entry merges only into the combinations of the product (after exclude), never into a
  // combination an earlier include entry added.
  const originalKeys = new Set(vectors.map(([key]) => key.toLowerCase()));
  const productCombinations = [...combinations];
  for (const entry of entries(library, include)) {
    if (!(entry instanceof data.Dictionary) || library.isUnknown(entry)) {
      combinations.push(new Map([["*", entry]]));
      continue;
    }
    let merged = false;
    if (originalKeys.size > 0) {
      for (const combination of productCombinations) {
        const keepsOriginals = entry
          .pairs()
          .every(
            ({ key, value }) =>
              !originalKeys.has(key.toLowerCase()) || sameValue(library, lookup(combination, key), value),
          );
        if (keepsOriginals) {
          for (const { key, value } of entry.pairs()) {
            setKey(combination, key, value);
          }
          merged = true;
        }
      }
    }
    if (!merged) {
      combinations.push(new Map(entry.pairs().map(({ key, value }) => [key, value])));
    }
    if (combinations.length > MAX_MATRIX_COMBINATIONS) {
      return { problem: tooMany() };
    }
  }

  return {
    combinations: combinations.map((combination) => {
      const unknownEntry = combination.get("*");
      if (unknownEntry !== undefined) {
        return unknownCombination(library, unknownEntry);
      }
      return new data.Dictionary(...[...combination].map(([key, value]) => ({ key, value })));
    }),
  };
}

function tooMany(): string {
  return `strategy.matrix expands to more than ${MAX_MATRIX_COMBINATIONS} combinations, too many to check`;
}

function isKnown(library: ExpressionLibrary, value: ExpressionData): boolean {
  return library.unknownReasons(value).length === 0;
}

/** Creates a combination whose every key reads as unknown, for a matrix or `include` entry known only at run time. */
function unknownCombination(library: ExpressionLibrary, source: ExpressionData): MatrixCombination {
  const reason =
    library.unknownReasons(source)[0] ?? `strategy.matrix contains a value that is not a mapping`;
  return library.unknown("matrix", () => reason) as MatrixCombination;
}

function describeKind(value: ExpressionData): string {
  return `"${value.coerceString()}"`;
}

function entries(library: ExpressionLibrary, list: ExpressionData | undefined): ExpressionData[] {
  const { data } = library.expressions;
  if (list === undefined || list instanceof data.Null) {
    return [];
  }
  if (list instanceof data.Array) {
    return list.values();
  }
  return [list];
}

function lookup(combination: Map<string, ExpressionData>, key: string): ExpressionData | undefined {
  const lower = key.toLowerCase();
  for (const [candidate, value] of combination) {
    if (candidate.toLowerCase() === lower) {
      return value;
    }
  }
  return undefined;
}

function setKey(combination: Map<string, ExpressionData>, key: string, value: ExpressionData): void {
  const lower = key.toLowerCase();
  for (const candidate of combination.keys()) {
    if (candidate.toLowerCase() === lower) {
      combination.set(candidate, value);
      return;
    }
  }
  combination.set(key, value);
}

function matchesAll(
  library: ExpressionLibrary,
  combination: Map<string, ExpressionData>,
  entry: DataModule.Dictionary,
): boolean {
  return entry.pairs().every(({ key, value }) => sameValue(library, lookup(combination, key), value));
}

/**
 * Compares matrix values. Strings compare case-insensitively like the expression language's `==`;
 * arrays and objects compare by content. An unknown value matches nothing.
 */
function sameValue(
  library: ExpressionLibrary,
  left: ExpressionData | undefined,
  right: ExpressionData,
): boolean {
  if (left === undefined || !isKnown(library, left) || !isKnown(library, right)) {
    return false;
  }
  const plainLeft = library.toPlain(left);
  const plainRight = library.toPlain(right);
  if (typeof plainLeft === "string" && typeof plainRight === "string") {
    return plainLeft.toLowerCase() === plainRight.toLowerCase();
  }
  return JSON.stringify(plainLeft) === JSON.stringify(plainRight);
}
