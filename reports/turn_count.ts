/**
 * Credit by turn count: does a method's credit depend on how many rounds a trajectory took,
 * beyond its outcome? Per-turn-index normalisation is biased when the policy chooses how many
 * turns to take (verl-project/verl issue 7244): turn k's baseline comes only from the
 * trajectories that reached turn k.
 *
 * Per trajectory i: K_i its policy rounds ({@link policyRounds}), its outcome (success:
 * outcome > 0) and its credit c_i, the mean advantage over its trained tokens
 * ({@link trainedMeanAdvantage}; what each of its tokens is pushed by under sequence-mean
 * aggregation). A cell is one prompt group's trajectories of one outcome. The statistic is the
 * pooled within-cell least-squares slope of credit on turn count (cell effects absorbed):
 *
 *     S = Σ_cells Σ_i (K_i − K̄_cell)(c_i − c̄_cell) / Σ_cells Σ_i (K_i − K̄_cell)²
 *
 * the change in per-token credit per extra round against same-outcome trajectories of the same
 * group. Outcome-only GRPO gives every token of every trajectory of a cell one advantage, so
 * S = 0 exactly. Only cells with two or more distinct K weigh ("informative" cells). Summed
 * per-round credit would not do: under GRPO it grows with K by construction.
 *
 * Its intervals (over prompt groups, over seeds): turn_count_bootstrap.ts.
 *
 * @module
 */

import { ROLE_CODE } from "@creditlab/core";

/**
 * Mean advantage over the tokens with loss mask > 0 (NaN when there are none, or when one is not
 * finite). Computed as a0 + Σ(a − a0)/n, so equal advantages give exactly their value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(trainedMeanAdvantage([0, 0.1, 0.1, 0.1], [0, 1, 1, 1]), 0.1);
 * assert.ok(Number.isNaN(trainedMeanAdvantage([0.5], [0])));
 * ```
 */
export function trainedMeanAdvantage(
  advantages: ArrayLike<number>,
  lossMask: ArrayLike<number>,
): number {
  if (advantages.length !== lossMask.length) {
    throw new RangeError(
      `turn count: lossMask has ${lossMask.length} entries, advantages ${advantages.length}`,
    );
  }
  let first = NaN;
  let sum = 0;
  let n = 0;
  for (let t = 0; t < advantages.length; t++) {
    if (!((lossMask[t] ?? 0) > 0)) continue;
    const a = advantages[t]!;
    if (n === 0) first = a;
    else sum += a - first;
    n++;
  }
  return n === 0 ? NaN : first + sum / n;
}

/**
 * The number of distinct policy rounds (round id >= 1 on policy-role tokens, core's `ROLE_CODE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // prompt, round 1 (policy, observation), round 2 (policy)
 * assert.equal(policyRounds([0, 1, 2, 1], [0, 1, 1, 2]), 2);
 * ```
 */
export function policyRounds(roles: ArrayLike<number>, roundIds: ArrayLike<number>): number {
  if (roles.length !== roundIds.length) {
    throw new RangeError(
      `turn count: roundIds has ${roundIds.length} entries, roles ${roles.length}`,
    );
  }
  const seen = new Set<number>();
  for (let t = 0; t < roles.length; t++) {
    if (roles[t] === ROLE_CODE.policy && roundIds[t]! >= 1) seen.add(roundIds[t]!);
  }
  return seen.size;
}

/** The trajectories' explicit ids: outcome, prompt group, and stratum (run) of each. */
export interface TurnCountIds {
  /** 1 = success, 0 = failure, per trajectory. */
  outcomes: Uint8Array;
  /** Prompt group of each trajectory, unique across the runs and steps measured. */
  groupIds: Int32Array;
  /** Stratum (run) of each trajectory; constant within a group. Default: all 0. */
  strata?: Int32Array;
}

/** Each prompt group's share of the slope: Σ (K − K̄)(c − c̄) and Σ (K − K̄)² over its cells. */
export interface GroupMoments {
  /** Group ids, ascending. */
  groups: Int32Array;
  /** Stratum of each group. */
  strata: Int32Array;
  num: Float64Array;
  den: Float64Array;
  /** Cells (group, outcome) with two or more distinct K, and their trajectories. */
  informativeCells: number;
  informativeTrajectories: number;
}

/** x0 + Σ(x − x0)/n: exactly x when every value is x (a plain mean may round away from it). */
function shiftedMean(xs: readonly number[]): number {
  const x0 = xs[0] ?? NaN;
  let s = 0;
  for (const x of xs) s += x - x0;
  return x0 + s / xs.length;
}

function checkColumns(credit: Float64Array, turns: Int32Array, ids: TurnCountIds): void {
  const n = credit.length;
  const cols: [string, ArrayLike<number>][] = [
    ["turns", turns],
    ["outcomes", ids.outcomes],
    ["groupIds", ids.groupIds],
    ...(ids.strata ? [["strata", ids.strata] as [string, ArrayLike<number>]] : []),
  ];
  for (const [name, col] of cols) {
    if (col.length !== n) {
      throw new RangeError(`turn count: ${name} has ${col.length} entries, credit ${n}`);
    }
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(credit[i]!)) {
      throw new RangeError(`turn count: credit[${i}] is ${credit[i]} (expected a finite number)`);
    }
    if (turns[i]! < 1) {
      throw new RangeError(`turn count: turns[${i}] is ${turns[i]} (expected >= 1)`);
    }
    if (ids.outcomes[i]! > 1) {
      throw new RangeError(`turn count: outcomes[${i}] is ${ids.outcomes[i]} (expected 0 or 1)`);
    }
  }
}

/**
 * {@link GroupMoments} of a batch: the numerator and denominator of S per prompt group.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // One group, all successes, K = 2, 3, 3 with credit 0.5, 0.2, 0.2 (see withinCellSlope).
 * const m = groupMoments(Float64Array.of(0.5, 0.2, 0.2), Int32Array.of(2, 3, 3), {
 *   outcomes: Uint8Array.of(1, 1, 1), groupIds: Int32Array.of(7, 7, 7),
 * });
 * assert.deepEqual([...m.groups], [7]);
 * assert.ok(Math.abs(m.num[0]! + 0.2) < 1e-12 && Math.abs(m.den[0]! - 2 / 3) < 1e-12);
 * ```
 */
export function groupMoments(
  credit: Float64Array,
  turns: Int32Array,
  ids: TurnCountIds,
): GroupMoments {
  checkColumns(credit, turns, ids);
  const cells = new Map<string, number[]>();
  const stratumOf = new Map<number, number>();
  for (let i = 0; i < credit.length; i++) {
    const g = ids.groupIds[i]!;
    const s = ids.strata?.[i] ?? 0;
    const prev = stratumOf.get(g);
    if (prev !== undefined && prev !== s) {
      throw new RangeError(
        `turn count: strata[${i}] is ${s}, but group ${g} is in stratum ${prev}`,
      );
    }
    stratumOf.set(g, s);
    const key = `${g}:${ids.outcomes[i]}`;
    const list = cells.get(key) ?? [];
    list.push(i);
    cells.set(key, list);
  }
  const groups = Int32Array.from([...stratumOf.keys()].sort((a, b) => a - b));
  const at = new Map([...groups].map((g, j) => [g, j]));
  const num = new Float64Array(groups.length);
  const den = new Float64Array(groups.length);
  let informativeCells = 0;
  let informativeTrajectories = 0;
  for (const rows of cells.values()) {
    const kBar = rows.reduce((a, i) => a + turns[i]!, 0) / rows.length;
    const cBar = shiftedMean(rows.map((i) => credit[i]!));
    if (new Set(rows.map((i) => turns[i]!)).size < 2) continue;
    informativeCells++;
    informativeTrajectories += rows.length;
    const j = at.get(ids.groupIds[rows[0]!]!)!;
    for (const i of rows) {
      const dk = turns[i]! - kBar;
      num[j]! += dk * (credit[i]! - cBar);
      den[j]! += dk * dk;
    }
  }
  return {
    groups,
    strata: Int32Array.from(groups, (g) => stratumOf.get(g)!),
    num,
    den,
    informativeCells,
    informativeTrajectories,
  };
}

/** Σ num / Σ den (NaN when Σ den = 0: no informative cell). */
export function pooledSlope(num: ArrayLike<number>, den: ArrayLike<number>): number {
  let a = 0;
  let b = 0;
  for (let j = 0; j < num.length; j++) {
    a += num[j]!;
    b += den[j]!;
  }
  return b > 0 ? a / b : NaN;
}

/**
 * The pooled within-cell slope S of credit on turn count (module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Hand-worked: K̄ = 8/3, c̄ = 0.3; Σ(K − K̄)(c − c̄) = (−2/3)(0.2) + 2(1/3)(−0.1) = −0.2,
 * // Σ(K − K̄)² = 4/9 + 1/9 + 1/9 = 2/3, so S = −0.3 (credit per extra round).
 * const s = withinCellSlope(Float64Array.of(0.5, 0.2, 0.2), Int32Array.of(2, 3, 3), {
 *   outcomes: Uint8Array.of(1, 1, 1), groupIds: Int32Array.of(0, 0, 0),
 * });
 * assert.ok(Math.abs(s + 0.3) < 1e-12);
 * ```
 */
export function withinCellSlope(
  credit: Float64Array,
  turns: Int32Array,
  ids: TurnCountIds,
): number {
  const m = groupMoments(credit, turns, ids);
  return pooledSlope(m.num, m.den);
}

/** One (outcome, K) row of {@link turnCountProfile}. */
export interface TurnCountCell {
  outcome: 0 | 1;
  turns: number;
  trajectories: number;
  /** Mean credit c over the trajectories. */
  meanCredit: number;
  /** Trajectories in informative cells, and their mean c − c̄_cell (NaN when none). */
  informative: number;
  meanDeviation: number;
}

/**
 * Credit by (outcome, K): the mean credit of the trajectories, and the mean deviation from
 * their same-outcome group mates over informative cells (0 under outcome-only GRPO).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = turnCountProfile(Float64Array.of(0.5, 0.2, 0.2, -1), Int32Array.of(2, 3, 3, 3), {
 *   outcomes: Uint8Array.of(1, 1, 1, 0), groupIds: Int32Array.of(0, 0, 0, 0),
 * });
 * assert.deepEqual(p.map((c) => [c.outcome, c.turns, c.trajectories, c.informative]), [
 *   [0, 3, 1, 0], [1, 2, 1, 1], [1, 3, 2, 2],
 * ]);
 * assert.ok(Math.abs(p[1]!.meanDeviation - 0.2) < 1e-12 && Math.abs(p[2]!.meanDeviation + 0.1) < 1e-12);
 * ```
 */
export function turnCountProfile(
  credit: Float64Array,
  turns: Int32Array,
  ids: TurnCountIds,
): TurnCountCell[] {
  checkColumns(credit, turns, ids);
  const cells = new Map<string, number[]>();
  for (let i = 0; i < credit.length; i++) {
    const key = `${ids.groupIds[i]}:${ids.outcomes[i]}`;
    cells.set(key, [...(cells.get(key) ?? []), i]);
  }
  const acc = new Map<string, { c: number[]; dev: number[] }>();
  const add = (i: number) => {
    const key = `${ids.outcomes[i]}:${turns[i]}`;
    const a = acc.get(key) ?? { c: [], dev: [] };
    acc.set(key, a);
    return a;
  };
  for (const rows of cells.values()) {
    const informative = new Set(rows.map((i) => turns[i]!)).size >= 2;
    const cBar = shiftedMean(rows.map((i) => credit[i]!));
    for (const i of rows) {
      const a = add(i);
      a.c.push(credit[i]!);
      if (informative) a.dev.push(credit[i]! - cBar);
    }
  }
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return [...acc.entries()].map(([key, a]): TurnCountCell => {
    const [o, k] = key.split(":").map(Number) as [number, number];
    return {
      outcome: o === 1 ? 1 : 0,
      turns: k,
      trajectories: a.c.length,
      meanCredit: avg(a.c),
      informative: a.dev.length,
      meanDeviation: avg(a.dev),
    };
  }).sort((x, y) => x.outcome - y.outcome || x.turns - y.turns);
}
