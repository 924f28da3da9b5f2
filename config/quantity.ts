/**
 * Kubernetes resource quantities (`500m`, `1Gi`, `2`), parsed so that requests, limits and quotas can
 * be compared before anything reaches a cluster. No installed package parses them: the Kubernetes
 * SDK passes quantities through as strings, so the grammar is implemented here.
 */

// Suffixes from the Kubernetes quantity grammar: binary (Ki..Ei) and decimal (n..E) multipliers.
const MULTIPLIERS: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY_PATTERN = /^([+]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Returns whether `text` is a valid, non-negative Kubernetes quantity. */
export function isQuantity(text: string): boolean {
  return QUANTITY_PATTERN.test(text);
}

/**
 * Parses a Kubernetes quantity into its value in base units (cores for CPU, bytes for memory).
 * Throws when `text` is not a quantity, so callers validate with {@link isQuantity} first.
 */
export function parseQuantity(text: string): number {
  const match = QUANTITY_PATTERN.exec(text);
  if (match === null) {
    throw new Error(
      `"${text}" is not a Kubernetes quantity; use a number with an optional suffix such as 500m or 1Gi.`,
    );
  }
  const [, number, suffix = ""] = match;
  if (/^[eE]/.test(suffix)) {
    return Number(number) * 10 ** Number(suffix.slice(1));
  }
  return Number(number) * MULTIPLIERS[suffix];
}

/** Returns the larger of two quantities, keeping the text of the one that wins. */
export function maxQuantity(a: string, b: string): string {
  return parseQuantity(b) > parseQuantity(a) ? b : a;
}
