/**
 * Micro-batches of a rollout batch: rows grouped by length ({@link lengthBuckets}) and sliced out
 * of the batch's per-token arrays, each trimmed to its longest row ({@link sliceRows}).
 *
 * @module
 */
import type { RolloutBatch } from "@creditlab/core";

/**
 * Split rows `0..n-1` into micro-batches of at most `size` rows, by length: rows sorted by
 * length (ties by index) and cut into `ceil(n / size)` near-equal chunks, so each chunk is
 * padded only to its own longest row (a batch of rollouts spans 60 to 480 tokens; slicing in
 * row order padded ~40% of the tokens).
 *
 * @example
 * ```ts
 * lengthBuckets([5, 1, 9, 3, 7], 2); // [[1], [3, 0], [4, 2]]
 * ```
 */
export function lengthBuckets(lengths: ArrayLike<number>, size: number): number[][] {
  const n = lengths.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    lengths[a]! - lengths[b]! || a - b
  );
  const chunks = Math.max(1, Math.ceil(n / size)), out: number[][] = [];
  for (let c = 0; c < chunks; c++) {
    const rows = order.slice(Math.floor((c * n) / chunks), Math.floor(((c + 1) * n) / chunks));
    if (rows.length > 0) out.push(rows);
  }
  return out;
}

/** Named per-token arrays (`[batch.n * batch.length]` each); an absent one is left out. */
export type PerTokenArrays = { readonly [name: string]: Float32Array | undefined };

/** One micro-batch: the given rows of a batch, trimmed to their longest row. */
export interface RowSlice<A extends PerTokenArrays> {
  /** Rows. */
  n: number;
  /** Positions per row (the longest of the rows, at least 1). */
  len: number;
  /** `[n * len]` token ids. */
  tokens: Int32Array;
  /**
   * `[n * len]` slices of the per-token arrays given to {@link sliceRows}, by the same names
   * (an array that was absent stays absent).
   */
  arrays: { [K in keyof A]: A[K] };
}

/**
 * The given rows of a batch as one micro-batch trimmed to their longest row: the tokens and
 * each per-token array (`[batch.n * batch.length]`, e.g. loss mask, advantages, weights).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildBatch } from "@creditlab/agent";
 * const policy = (ids: number[]) => [
 *   { role: "policy" as const, tokens: Int32Array.from(ids), text: "", round: 1 },
 * ];
 * const batch = buildBatch([
 *   { questionId: "a", groupId: 0, reward: 1, meta: {}, turns: policy([5, 6, 7]) },
 *   { questionId: "b", groupId: 0, reward: 0, meta: {}, turns: policy([8]) },
 *   { questionId: "c", groupId: 1, reward: 0, meta: {}, turns: policy([9, 10]) },
 * ]);
 * const sl = sliceRows(batch, [2, 1], { mask: batch.lossMask });
 * // rows 2 and 1 of the loss mask, each cut to max(lengths[2], lengths[1]) = 2
 * assert.deepEqual([...sl.arrays.mask], [1, 1, 1, 0]);
 * ```
 */
export function sliceRows<A extends PerTokenArrays>(
  batch: RolloutBatch,
  rows: readonly number[],
  arrays: A,
): RowSlice<A> {
  const n = rows.length;
  let len = 1;
  for (const r of rows) len = Math.max(len, batch.lengths[r]!);
  const tokens = new Int32Array(n * len);
  const present = Object.entries(arrays).filter((e): e is [string, Float32Array] =>
    e[1] !== undefined
  );
  const out = present.map(([k]) => [k, new Float32Array(n * len)] as const);
  rows.forEach((row, r) => {
    const src = row * batch.length;
    tokens.set(batch.tokens.subarray(src, src + len), r * len);
    present.forEach(([, a], i) => out[i]![1].set(a.subarray(src, src + len), r * len));
  });
  return { n, len, tokens, arrays: Object.fromEntries(out) as { [K in keyof A]: A[K] } };
}
