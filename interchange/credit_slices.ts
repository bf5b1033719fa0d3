/**
 * The slices of a batch that credit.ts works on when it must yield between them (the credit
 * service): {@link groupSlices}, whole groups of about a number of padded tokens each, and
 * {@link buildBatchInChunks}, `buildBatch` of a batch in chunks of rows with the same result.
 *
 * @module
 */
import type { RolloutBatch, Trajectory } from "@creditlab/core";
import { buildBatch } from "@creditlab/agent";

/** Padded tokens (rows x longest row) per slice or chunk: about 1 ms of a method's step. */
export const SLICE_TOKENS = 65_536;

/** Tokens of a trajectory's row in a batch (its turns' tokens, as `buildBatch` counts them). */
export function rowLength(t: Trajectory): number {
  let len = 0;
  for (const turn of t.turns) len += turn.tokens.length;
  return len;
}

/**
 * The rows of `trajectories` as slices of whole groups (by `groupId`), each of at most
 * `maxTokens` padded tokens (its rows times its longest row) unless a single group is larger:
 * groups in order of their first row, each slice's rows in batch order. Every row is in exactly
 * one slice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Trajectory } from "@creditlab/core";
 * const row = (groupId: number): Trajectory => ({
 *   questionId: "q", groupId, reward: 0, meta: {},
 *   turns: [{ role: "observation", round: 0, text: "", tokens: new Int32Array(4) }],
 * });
 * // groups 7 (rows 0, 2), 3 (row 1, 4) and 9 (row 3); two groups of two rows fit 16 tokens
 * const slices = groupSlices([row(7), row(3), row(7), row(9), row(3)], 16);
 * assert.deepEqual(slices, [[0, 1, 2, 4], [3]]);
 * ```
 */
export function groupSlices(trajectories: readonly Trajectory[], maxTokens: number): number[][] {
  const groups = new Map<number, { rows: number[]; longest: number }>();
  trajectories.forEach((t, i) => {
    let g = groups.get(t.groupId);
    if (g === undefined) groups.set(t.groupId, g = { rows: [], longest: 0 });
    g.rows.push(i);
    g.longest = Math.max(g.longest, rowLength(t));
  });
  const slices: number[][] = [];
  let rows: number[] = [];
  let longest = 0;
  for (const g of groups.values()) {
    const wider = Math.max(longest, g.longest);
    if (rows.length > 0 && (rows.length + g.rows.length) * wider > maxTokens) {
      slices.push(rows);
      rows = [];
      longest = 0;
    }
    for (const r of g.rows) rows.push(r);
    longest = Math.max(longest, g.longest);
  }
  if (rows.length > 0) slices.push(rows);
  for (const s of slices) s.sort((a, b) => a - b);
  return slices;
}

/**
 * `buildBatch(trajectories)` (agent/batch.ts), built in chunks of rows of at most `maxTokens`
 * padded tokens with `pause()` before each: every chunk is padded to the longest row of the
 * whole batch, so the joined arrays are the whole batch's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildBatch } from "@creditlab/agent";
 * import type { Trajectory } from "@creditlab/core";
 * const row = (n: number, groupId: number): Trajectory => ({
 *   questionId: "q", groupId, reward: groupId, meta: {},
 *   turns: [{ role: "policy", round: 1, text: "", tokens: new Int32Array(n).fill(n) }],
 * });
 * const rows = [row(1, 0), row(3, 0), row(2, 1)];
 * const chunked = await buildBatchInChunks(rows, () => Promise.resolve(), 3);
 * assert.deepEqual(chunked, buildBatch(rows));
 * ```
 */
export async function buildBatchInChunks(
  trajectories: Trajectory[],
  pause: () => Promise<void>,
  maxTokens: number,
): Promise<RolloutBatch> {
  let length = 0;
  for (const t of trajectories) length = Math.max(length, rowLength(t));
  const perChunk = Math.max(1, Math.floor(maxTokens / Math.max(1, length)));
  if (perChunk >= trajectories.length) {
    await pause();
    return buildBatch(trajectories);
  }
  const parts: RolloutBatch[] = [];
  for (let from = 0; from < trajectories.length; from += perChunk) {
    await pause();
    parts.push(buildBatch(trajectories.slice(from, from + perChunk), { minLength: length }));
  }
  // each array joined after a pause (the token arrays are n x length entries each)
  const join = async <A extends Int32Array | Float32Array | Uint8Array>(
    make: new (n: number) => A,
    of: (b: RolloutBatch) => A,
  ): Promise<A> => {
    await pause();
    const out = new make(parts.reduce((n, b) => n + of(b).length, 0));
    let off = 0;
    for (const b of parts) {
      out.set(of(b) as ArrayLike<number>, off);
      off += of(b).length;
    }
    return out;
  };
  return {
    trajectories,
    n: trajectories.length,
    length,
    tokens: await join(Int32Array, (b) => b.tokens),
    lossMask: await join(Float32Array, (b) => b.lossMask),
    roundIds: await join(Int32Array, (b) => b.roundIds),
    roles: await join(Uint8Array, (b) => b.roles),
    groupIds: await join(Int32Array, (b) => b.groupIds),
    rewards: await join(Float32Array, (b) => b.rewards),
    numRounds: await join(Int32Array, (b) => b.numRounds),
    lengths: await join(Int32Array, (b) => b.lengths),
  };
}
