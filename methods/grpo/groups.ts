/**
 * Statistics over a batch's explicit prompt-group ids (one per row, never inferred from a
 * reshape): the check that they fit the rows ({@link checkGroupIds}) and each row's group
 * maximum ({@link groupMax}).
 *
 * @module
 */

/**
 * Check that `groupIds` holds one prompt-group id per row of `rows`, else throw a RangeError
 * naming the caller (`where.op`) and what the rows hold (`where.of`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * checkGroupIds(Int32Array.of(0, 0), [[1], [2]], { op: "demo", of: "returns" }); // passes
 * assert.throws(
 *   () => checkGroupIds(Int32Array.of(0), [[1], [2]], { op: "demo", of: "returns" }),
 *   /demo: 2 rows of returns but 1 group ids/,
 * );
 * ```
 */
export function checkGroupIds(
  groupIds: Int32Array,
  rows: { length: number },
  where: { op: string; of: string },
): void {
  if (groupIds.length !== rows.length) {
    throw new RangeError(
      `${where.op}: ${rows.length} rows of ${where.of} but ${groupIds.length} group ids`,
    );
  }
}

/**
 * Per row, the maximum of `values` over the rows of its group (`groupIds`, one per value).
 * Throws when the lengths differ, naming the caller (`where.op`) and its values (`where.of`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const m = groupMax(Int32Array.of(2, 4, 1), Int32Array.of(0, 0, 1), { op: "demo", of: "counts" });
 * assert.deepEqual(Array.from(m), [4, 4, 1]);
 * ```
 */
export function groupMax(
  values: ArrayLike<number>,
  groupIds: Int32Array,
  where: { op: string; of: string },
): Float64Array {
  if (values.length !== groupIds.length) {
    throw new RangeError(
      `${where.op}: ${where.of} has ${values.length} entries, groupIds ${groupIds.length}`,
    );
  }
  const max = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const g = groupIds[i]!;
    max.set(g, Math.max(max.get(g) ?? -Infinity, values[i]!));
  }
  return Float64Array.from(groupIds, (g) => max.get(g)!);
}
