/**
 * The error every check of the interchange format throws: it names the source (a file path or
 * "request body"), the place in it (line, row or record index), the field and what was expected,
 * so that a user can fix the producer, not guess.
 *
 * @module
 */

/** Where a record came from: its source and the place in that source. */
export interface Where {
  /** A file path, or "request body". */
  source: string;
  /** "line 3" (JSONL), "row 2" (Parquet), "records[4]" (JSON body). */
  at: string;
}

/** Options of {@link InterchangeError}. */
export interface InterchangeErrorInfo {
  /** The field, as a path: `response_mask[7]`, `turns[2].role`. Empty for the whole record. */
  field: string;
  /** What was expected there. */
  expected: string;
  /** What was found (a short rendering), when it helps. */
  got?: string | undefined;
}

/**
 * A record (or a batch of them) that breaks the format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new InterchangeError({ source: "a.jsonl", at: "line 3" }, {
 *   field: "response_mask[7]",
 *   expected: "0 or 1",
 *   got: "2",
 * });
 * assert.equal(e.message, "a.jsonl: line 3: field response_mask[7]: expected 0 or 1, got 2");
 * ```
 */
export class InterchangeError extends Error {
  readonly source: string;
  readonly at: string;
  readonly field: string;
  readonly expected: string;

  constructor(where: Where, info: InterchangeErrorInfo) {
    const field = info.field === "" ? "record" : `field ${info.field}`;
    super(
      `${where.source}: ${where.at}: ${field}: expected ${info.expected}` +
        (info.got === undefined ? "" : `, got ${info.got}`),
    );
    this.name = "InterchangeError";
    this.source = where.source;
    this.at = where.at;
    this.field = info.field;
    this.expected = info.expected;
  }
}

/** A short rendering of a found value for an error message. */
export function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
