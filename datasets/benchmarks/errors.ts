/**
 * Errors of the benchmark ingest: always name the file, the line (or Parquet row) and the field.
 *
 * @module
 */

/** Where in the input a problem is. `line` is 1-based (JSON lines, JSON arrays: the line where the record starts; Parquet: the row number + 1). */
export interface InputLocation {
  file: string;
  line?: number;
  field?: string;
}

/**
 * A bad-input error. `message` reads `file:line: field "f": problem`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new IngestError(
 *   { file: "nq/test.jsonl", line: 3, field: "golden_answers" },
 *   "expected a non-empty list of strings, got []",
 * );
 * assert.equal(e.message, 'nq/test.jsonl:3: field "golden_answers": ' + e.problem);
 * ```
 */
export class IngestError extends Error {
  readonly location: InputLocation;
  readonly problem: string;
  constructor(location: InputLocation, problem: string) {
    const where = location.line === undefined ? location.file : `${location.file}:${location.line}`;
    const field = location.field === undefined ? "" : ` field "${location.field}":`;
    super(`${where}:${field} ${problem}`);
    this.name = "IngestError";
    this.location = location;
    this.problem = problem;
  }
}

/** Short JSON rendering of a bad value for error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing (field missing)";
  let s: string;
  try {
    s = typeof v === "bigint" ? `${v}` : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  const kind = v === null ? "null" : Array.isArray(v) ? "list" : typeof v;
  return `${kind} ${s.length > 80 ? s.slice(0, 77) + "..." : s}`;
}
