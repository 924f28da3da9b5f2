import { UnknownValueError } from "@pulumi/policy";

/**
 * Marker for a value the engine could not know yet: an output of a resource that a preview has
 * not created. The rules treat it as unverifiable and fail closed where the value matters.
 */
export const UNKNOWN_AT_PREVIEW: unique symbol = Symbol("unknown at preview");

/** A resource property copied out of the policy SDK's proxy: JSON data plus the unknown marker. */
export type Plain = null | boolean | number | string | typeof UNKNOWN_AT_PREVIEW | Plain[] | PlainObject;

/** A plain JSON object whose values may be unknown at preview. */
export interface PlainObject {
  [key: string]: Plain;
}

/**
 * Copies resource properties out of the `@pulumi/policy` proxy into plain data, turning each
 * unknown value into {@link UNKNOWN_AT_PREVIEW}.
 *
 * The proxy throws `UnknownValueError` when a policy reads a value unknown at preview. If that
 * error escapes a validation, the policy server catches it and reports an advisory diagnostic in
 * place of the policy's own level, so a mandatory policy would let the preview pass. Catching the
 * error here, property by property, keeps it away from the server: the rules then report unknowns
 * themselves through `reportViolation`, which keeps the configured level (mandatory by default).
 */
export function toPlain(value: unknown): Plain {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === "boolean" || typeof value === "number" || typeof value === "string") {
    return value;
  }
  if (Array.isArray(value)) {
    const items: Plain[] = [];
    for (let index = 0; index < value.length; index++) {
      items.push(readProperty(value, index));
    }
    return items;
  }
  if (typeof value === "object") {
    const copy: PlainObject = {};
    for (const key of Object.keys(value)) {
      copy[key] = readProperty(value as Record<string, unknown>, key);
    }
    return copy;
  }
  return null;
}

function readProperty(source: Record<string | number, unknown> | unknown[], key: string | number): Plain {
  let field: unknown;
  try {
    field = (source as Record<string | number, unknown>)[key];
  } catch (error) {
    if (error instanceof UnknownValueError) {
      return UNKNOWN_AT_PREVIEW;
    }
    throw error;
  }
  return toPlain(field);
}

/** Returns true when `value` is a plain JSON object (not an array, not unknown). */
export function isPlainObject(value: Plain | undefined): value is PlainObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads a nested property along `path`, or `undefined` when a step is missing or not an object. */
export function getPath(value: Plain | undefined, path: readonly string[]): Plain | undefined {
  let current: Plain | undefined = value;
  for (const key of path) {
    if (current === UNKNOWN_AT_PREVIEW) {
      return UNKNOWN_AT_PREVIEW;
    }
    if (!isPlainObject(current)) {
      return undefined;
    }
    current = current[key];
  }
  return current;
}

/** Returns the string at `path`, the unknown marker, or `undefined` for anything else. */
export function getString(
  value: Plain | undefined,
  path: readonly string[],
): string | typeof UNKNOWN_AT_PREVIEW | undefined {
  const found = getPath(value, path);
  if (typeof found === "string" || found === UNKNOWN_AT_PREVIEW) {
    return found;
  }
  return undefined;
}
