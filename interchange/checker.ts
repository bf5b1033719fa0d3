/**
 * The checks of one interchange record's values, bound to where the record came from
 * ({@link Checker}): strings, integers, finite numbers, token ids, per-response-token arrays,
 * turn actions and feedback verdicts. Every failure is an {@link InterchangeError} naming the
 * field and what was expected; validate.ts checks a whole record with them.
 *
 * @module
 */
import { isJsonObject, type JsonObject } from "@creditlab/core";
import { InterchangeError, shown, type Where } from "./errors.ts";

const FEEDBACK_KINDS = new Set([
  "correct",
  "wrong-type",
  "wrong-hop",
  "missing-entity",
  "wrong",
  "unknown",
]);
const ACTION_FIELD: Record<string, string> = {
  search: "query",
  answer: "text",
  feedback: "draft",
  invalid: "reason",
};

/**
 * A struct value (or a list of them) as a record holds it: its null fields left out, as absent
 * optional fields, at every depth; list elements are kept as they are (the checks reject a null
 * element). What Parquet and Arrow give for a struct column has every field of its type, null
 * where the record had none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(
 *   withoutNullFields({ target: ["a"], entities: null, chain: [{ query: "q", entity: "e", relation: null }] }),
 *   { target: ["a"], chain: [{ query: "q", entity: "e" }] },
 * );
 * ```
 */
export function withoutNullFields(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNullFields);
  if (!isJsonObject(v)) return v;
  const o: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (x !== null && x !== undefined) o[k] = withoutNullFields(x);
  }
  return o;
}

/**
 * Checks of one record, bound to where it came from; each returns the checked value, typed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = new Checker({ source: "a.jsonl", at: "line 2" });
 * assert.deepEqual(c.ids([1, 2], "prompt_ids"), [1, 2]);
 * assert.throws(
 *   () => c.aligned([0.5], "advantages", 2),
 *   /line 2: field advantages: expected 2 entries \(one per response token\), got 1 entries/,
 * );
 * ```
 */
export class Checker {
  constructor(readonly where: Where) {}

  fail(field: string, expected: string, got?: unknown): never {
    throw new InterchangeError(this.where, {
      field,
      expected,
      ...(arguments.length > 2 ? { got: shown(got) } : {}),
    });
  }

  /** As {@link fail}, with `got` already rendered as text. */
  failText(field: string, expected: string, got: string): never {
    throw new InterchangeError(this.where, { field, expected, got });
  }

  str(v: unknown, field: string, opts: { nonEmpty?: boolean } = {}): string {
    if (typeof v !== "string") this.fail(field, "a string", v);
    if (opts.nonEmpty && v === "") this.fail(field, "a non-empty string", v);
    return v;
  }

  optStr(v: unknown, field: string): void {
    if (v !== undefined && v !== null) this.str(v, field);
  }

  int(v: unknown, field: string, min: number): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > 2147483647) {
      this.fail(field, `an integer >= ${min}`, v);
    }
    return v;
  }

  finite(v: unknown, field: string): number {
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(field, "a finite number", v);
    return v;
  }

  optFinite(v: unknown, field: string): void {
    if (v !== undefined && v !== null) this.finite(v, field);
  }

  strList(v: unknown, field: string): string[] {
    if (!Array.isArray(v)) this.fail(field, "an array of strings", v);
    v.forEach((x, i) => this.str(x, `${field}[${i}]`));
    return v;
  }

  /** Token ids: integers in [0, 2^31). */
  ids(v: unknown, field: string): number[] {
    if (!Array.isArray(v)) this.fail(field, "an array of token ids", v);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 2147483647) {
        this.fail(`${field}[${i}]`, "a token id (an integer >= 0)", x);
      }
    }
    return v;
  }

  /** A per-response-token array of finite numbers, `n` long. */
  aligned(v: unknown, field: string, n: number): number[] {
    if (!Array.isArray(v)) this.fail(field, `an array of ${n} numbers (one per response token)`, v);
    if (v.length !== n) {
      this.failText(field, `${n} entries (one per response token)`, `${v.length} entries`);
    }
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (typeof x !== "number" || !Number.isFinite(x)) {
        this.fail(`${field}[${i}]`, "a finite number", x);
      }
    }
    return v;
  }

  action(v: unknown, field: string): void {
    if (!isJsonObject(v)) this.fail(field, `an action object {kind, ...}`, v);
    const key = typeof v.kind === "string" ? ACTION_FIELD[v.kind] : undefined;
    if (key === undefined) {
      this.fail(`${field}.kind`, `one of ${Object.keys(ACTION_FIELD).join(", ")}`, v.kind);
    }
    this.str(v[key], `${field}.${key}`);
  }

  verdict(v: unknown, field: string): void {
    if (!isJsonObject(v)) this.fail(field, "a verdict {correct, kind}", v);
    if (typeof v.correct !== "boolean") this.fail(`${field}.correct`, "true or false", v.correct);
    if (typeof v.kind !== "string" || !FEEDBACK_KINDS.has(v.kind)) {
      this.fail(`${field}.kind`, `one of ${[...FEEDBACK_KINDS].join(", ")}`, v.kind);
    }
  }
}
