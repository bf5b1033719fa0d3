/**
 * Checks of a method's output in tests: plain references of GRPO's group statistics and
 * advantage, per-token and per-round assertions against hand-worked values, and the rounding
 * and row helpers that make golden values readable.
 *
 * @example
 * ```ts
 * import { answerRound, batchOf, groupOf } from "./trajectories.ts";
 * const g = groupOf(0, [
 *   { reward: 1, rounds: [answerRound("a")] },
 *   { reward: 0, rounds: [answerRound("b")] },
 * ]);
 * const batch = batchOf(g);
 * const cfg = { normalizeStd: false, eps: 1e-6 };
 * const adv = Float32Array.from(
 *   batch.lossMask,
 *   (m, i) => m * referenceAdvantage(g, g[Math.floor(i / batch.length)]!, cfg),
 * );
 * assertRounds(adv, batch, { want: [[0.5], [-0.5]] });
 * ```
 * @module
 */
import assert from "node:assert/strict";
import type { RolloutBatch, Trajectory, Turn } from "@creditlab/core";

/**
 * Plain reference of GRPO's group statistics for trajectory `t` of `trajs` (its group: the
 * trajectories with its groupId): the mean and unbiased standard deviation of the group's
 * rewards; a one-trajectory group has mean 0 and std 1 (verl's rule).
 */
export function referenceGroup(
  trajs: readonly Trajectory[],
  t: Trajectory,
): { single: boolean; mean: number; sd: number } {
  const mates = trajs.filter((u) => u.groupId === t.groupId).map((u) => u.reward);
  const single = mates.length === 1;
  const mean = single ? 0 : mates.reduce((x, y) => x + y, 0) / mates.length;
  const sd = single
    ? 1
    : Math.sqrt(mates.reduce((x, y) => x + (y - mean) ** 2, 0) / (mates.length - 1));
  return { single, mean, sd };
}

/**
 * Plain reference of GRPO's advantage of trajectory `t` of `trajs`: (r - mean) / (sd + eps)
 * over its group ({@link referenceGroup}), r - mean without `normalizeStd`; exactly 0 when r is
 * the group's mean.
 *
 * @example
 * ```ts
 * import { groupOf } from "./trajectories.ts";
 * const g = groupOf(0, [{ reward: 1, rounds: [] }, { reward: 0, rounds: [] }]);
 * referenceAdvantage(g, g[0]!, { normalizeStd: false, eps: 1e-6 }); // 0.5
 * ```
 */
export function referenceAdvantage(
  trajs: readonly Trajectory[],
  t: Trajectory,
  cfg: { normalizeStd: boolean; eps: number },
): number {
  const { mean, sd } = referenceGroup(trajs, t);
  const d = t.reward - mean;
  return d === 0 ? 0 : cfg.normalizeStd ? d / (sd + cfg.eps) : d;
}

/**
 * Check a method's per-token advantages `got` of `batchOf(trajs, { padTo: length })` against
 * a plain reference walked turn by turn (not through the batch's layout): `row(t, r)` gives,
 * for trajectory `t` (row r), the expected value of each token of a policy turn, checked
 * within `tol`; the tokens of other turns and the padding must be exactly 0. Failure messages
 * start with `label`.
 *
 * @example
 * ```ts
 * import { batchOf, groupOf } from "./trajectories.ts";
 * const g = groupOf(0, [{ reward: 1, rounds: [{ policy: "<answer> a </answer>" }] }]);
 * const batch = batchOf(g, { padTo: 8 });
 * const got = batch.lossMask.map((m) => m * 2);
 * assertPerToken(got, g, batch.length, () => () => 2, { tol: 1e-6, label: "demo" });
 * ```
 */
export function assertPerToken(
  got: Float32Array,
  trajs: readonly Trajectory[],
  length: number,
  row: (t: Trajectory, r: number) => (turn: Turn) => number,
  opts: { tol: number; label: string },
): void {
  let i = 0;
  trajs.forEach((t, r) => {
    const value = row(t, r);
    const start = i;
    for (const turn of t.turns) {
      const want = turn.role === "policy" ? value(turn) : 0;
      for (let j = 0; j < turn.tokens.length; j++, i++) {
        const ok = turn.role === "policy" ? Math.abs(got[i]! - want) < opts.tol : got[i] === 0;
        assert.ok(ok, `${opts.label} row ${r} token ${i - start}: ${got[i]} vs ${want}`);
      }
    }
    for (; i < start + length; i++) {
      assert.equal(got[i], 0, `${opts.label} row ${r} token ${i - start} (padding)`);
    }
  });
  assert.equal(got.length, i, `${opts.label}: ${got.length} advantages for ${i} tokens`);
}

/**
 * Check row `row` of the per-token values `got` of `batch` round by round: `want(k)` within
 * `tol` (default 1e-5) on every trainable token of round k, exactly 0 on every other token
 * (padding included). Failure messages name the row, token and round, after `label` if given.
 *
 * @example
 * ```ts
 * import { answerRound, batchOf, groupOf, searchRound } from "./trajectories.ts";
 * const batch = batchOf(groupOf(0, [{ reward: 1, rounds: [searchRound("a"), answerRound("b")] }]));
 * const got = Float32Array.from(batch.lossMask, (m, i) => m * batch.roundIds[i]!);
 * assertRowRounds(got, batch, { row: 0, want: (k) => k });
 * ```
 */
export function assertRowRounds(
  got: Float32Array,
  batch: RolloutBatch,
  opts: { row: number; want: (round: number) => number; tol?: number; label?: string },
): void {
  const { row } = opts;
  const tol = opts.tol ?? 1e-5;
  const label = opts.label === undefined ? "" : `${opts.label} `;
  for (let t = 0; t < batch.length; t++) {
    const i = row * batch.length + t;
    const k = batch.roundIds[i]!;
    const trained = batch.lossMask[i] !== 0;
    const want = trained ? opts.want(k) : 0;
    assert.ok(
      trained ? Math.abs(got[i]! - want) < tol : got[i] === 0,
      `${label}row ${row} token ${t} (round ${k}): ${got[i]} vs ${want}`,
    );
  }
}

/**
 * Check every row of the per-token values `got` of `batch` against hand-worked values per
 * round: `want[r][k - 1]` on the trainable tokens of round k of row r, within `tol`, and exactly
 * 0 elsewhere ({@link assertRowRounds}); `want` has one list per row.
 *
 * @example
 * ```ts
 * import { answerRound, batchOf, groupOf, searchRound } from "./trajectories.ts";
 * const batch = batchOf(groupOf(0, [
 *   { reward: 1, rounds: [searchRound("a"), answerRound("b")] },
 *   { reward: 0, rounds: [answerRound("c")] },
 * ]));
 * const got = Float32Array.from(batch.lossMask, (m, i) => m * batch.roundIds[i]!);
 * assertRounds(got, batch, { want: [[1, 2], [1]] });
 * ```
 */
export function assertRounds(
  got: Float32Array,
  batch: RolloutBatch,
  opts: { want: readonly (readonly number[])[]; tol?: number; label?: string },
): void {
  const { want, ...rest } = opts;
  const label = opts.label ?? "rounds";
  assert.equal(got.length, batch.n * batch.length, `${label}: one value per token of the batch`);
  assert.equal(want.length, batch.n, `${label}: one list of rounds per row`);
  want.forEach((rounds, row) =>
    assertRowRounds(got, batch, { ...rest, row, want: (k) => rounds[k - 1]! })
  );
}

/**
 * A check of one row against hand-worked values, as a method's golden tests write it:
 * `check(batch, adv, row, a, perRound)` asserts `want(a, perRound, k)` on every trainable token
 * of round k of row `row` of `adv` (the trajectory's value `a` combined with round k's
 * `perRound` value) and exactly 0 on every other token ({@link assertRowRounds}).
 *
 * @example
 * ```ts
 * import { answerRound, batchOf, groupOf, searchRound } from "./trajectories.ts";
 * const expectRow = rowCheck((a, step, k) => a + step[k - 1]!);
 * const batch = batchOf(groupOf(0, [{ reward: 1, rounds: [searchRound("a"), answerRound("b")] }]));
 * const adv = Float32Array.from(batch.lossMask, (m, i) => m * (1 + batch.roundIds[i]!));
 * expectRow(batch, adv, 0, 1, [1, 2]); // 1 + 1 on round 1, 1 + 2 on round 2
 * ```
 */
export function rowCheck(
  want: (a: number, perRound: readonly number[], round: number) => number,
): (batch: RolloutBatch, adv: Float32Array, row: number, a: number, perRound: number[]) => void {
  return (batch, adv, row, a, perRound) =>
    assertRowRounds(adv, batch, { row, want: (k) => want(a, perRound, k) });
}

/** The values rounded to 4 decimals, the precision of most hand-worked golden values. */
export function r4(xs: ArrayLike<number>): number[] {
  return Array.from(xs, (v) => Number(v.toFixed(4)));
}

/** Rows of a per-token array, cut to each row's real length (for readable assertions). */
export function rowsOf(values: Float32Array, batch: RolloutBatch): number[][] {
  return Array.from(
    { length: batch.n },
    (_, r) => Array.from(values.subarray(r * batch.length, r * batch.length + batch.lengths[r]!)),
  );
}
