/**
 * Canonical JSON: the same text for the same value, whatever the order its object keys were
 * written in (a config read back from a store, a checkpoint header parsed from disk); and the
 * test for a JSON object that every reader of parsed JSON needs.
 *
 * @module
 */

/**
 * JSON with object keys sorted at every level (by code unit, integer-like keys too). Otherwise as `JSON.stringify` writes a value: an
 * object key whose value is `undefined` (or a function) is left out, such an array element is
 * `null`, and a top-level `undefined` is `"null"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(canonicalJson({ b: 1, a: { d: [2], c: 1e-6 } }), '{"a":{"c":0.000001,"d":[2]},"b":1}');
 * assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
 * ```
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) {
    return `[${v.map((x) => written(x) ? canonicalJson(x) : "null").join(",")}]`;
  }
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => written(o[k])).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** Whether JSON writes a value at all (`undefined` and functions it leaves out). */
function written(x: unknown): boolean {
  return x !== undefined && typeof x !== "function";
}

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/**
 * Whether `v` is a JSON object (not null, not an array).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([{}, [], null, "x"].map(isJsonObject), [true, false, false, false]);
 * ```
 */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
