/**
 * Building a method's per-trajectory records (the run store's `method_record`): the per-round
 * series a record leads with ({@link RoundsRecord}, {@link withRounds}) and the rows that get
 * a record ({@link rowRecords}).
 *
 * @module
 */
import type { MethodRecord } from "@creditlab/core";

/**
 * A record with a per-round series labelled `L` (the label the reports show), as a method's
 * record type extends it.
 */
export interface RoundsRecord<L extends string> extends MethodRecord {
  /** `values[k - 1]` belongs to policy round k (reports summarise it by round). */
  rounds: { label: L; values: number[] };
}

/**
 * A record: the per-round series `values` (copied into a plain array) labelled `label`, then
 * the fields of `rest`, in that order (the order the run store's JSON keeps).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = withRounds("gain", Float64Array.of(0.5, -1), { calls: { scorer: 2 } });
 * assert.deepEqual(rec, { rounds: { label: "gain", values: [0.5, -1] }, calls: { scorer: 2 } });
 * ```
 */
export function withRounds<L extends string, E extends object>(
  label: L,
  values: ArrayLike<number>,
  rest: E,
): RoundsRecord<L> & E {
  return { rounds: { label, values: Array.from(values) }, ...rest };
}

/**
 * Per row, the record `record` makes of the row's value, or undefined for a row whose value is
 * null (a row the method did not score, judge or match).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(rowRecords([2, null], (v, r) => ({ v, r })), [{ v: 2, r: 0 }, undefined]);
 * ```
 */
export function rowRecords<T, R>(
  byRow: readonly (T | null)[],
  record: (value: T, row: number) => R,
): (R | undefined)[] {
  return byRow.map((v, r) => (v === null ? undefined : record(v, r)));
}
