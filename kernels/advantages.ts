/**
 * Group-relative advantages (GRPO, DeepSeekMath arXiv 2402.03300 section 4.1.2) and their
 * broadcast over a batch's policy tokens.
 *
 * For a prompt group of G trajectories with outcome rewards r_1..r_G:
 *
 *     A_i = (r_i - mean_G r) / (std_G r + eps)     (normalizeStd = true, GRPO)
 *     A_i =  r_i - mean_G r                        (normalizeStd = false, Dr. GRPO arXiv 2503.20783)
 *
 * `std_G` is the UNBIASED sample standard deviation (divide by G - 1), as verl's
 * `compute_grpo_outcome_advantage` (torch.std) computes it. A group of one trajectory has no
 * spread; the {@link SingletonGroupRule} names what happens then (verl: mean 0, std 1, so
 * A = r / (1 + eps)).
 *
 * Group ids are explicit (any int32 values, any order); rows are never grouped by reshape.
 *
 * @module
 */

/**
 * What a group with a single trajectory gets.
 * - `"verl"`: mean 0 and std 1 (verl's rule), so A = r / (1 + eps) (or r without std).
 * - `"zero"`: advantage 0 (no baseline can be estimated, so no signal).
 */
export type SingletonGroupRule = "verl" | "zero";

/** Options of {@link groupAdvantages} and {@link groupBaselines}. */
export interface GroupAdvantageOptions {
  /** Divide by the group's standard deviation plus `eps` (GRPO); false = Dr. GRPO. */
  normalizeStd: boolean;
  /** Added to the std in the denominator (verl: 1e-6). Must be >= 0. */
  eps: number;
  /** Rule for groups of one trajectory (default `"verl"`). */
  singleton?: SingletonGroupRule;
}

/** Per-row baseline and denominator: A_i = (r_i - mean[i]) / denom[i]. */
export interface GroupBaselines {
  /** Group mean of the row's group (per row). */
  mean: Float32Array;
  /** std + eps with std normalisation, else 1 (per row). 0 marks a `"zero"` singleton. */
  denom: Float32Array;
  /** Unbiased std of the row's group (per row; 0 for a group of one). */
  std: Float32Array;
  /** Number of trajectories in the row's group (per row). */
  groupSize: Int32Array;
}

function validate(
  rewards: Float32Array,
  groupIds: Int32Array,
  opts: GroupAdvantageOptions,
  op: string,
) {
  if (rewards.length !== groupIds.length) {
    throw new RangeError(
      `${op}: rewards has ${rewards.length} entries but groupIds has ${groupIds.length}; expected one per trajectory`,
    );
  }
  if (!(opts.eps >= 0) || !Number.isFinite(opts.eps)) {
    throw new RangeError(`${op}: opts.eps must be a finite number >= 0, got ${opts.eps}`);
  }
  for (let i = 0; i < rewards.length; i++) {
    if (!Number.isFinite(rewards[i]!)) {
      throw new RangeError(`${op}: rewards[${i}] is ${rewards[i]}; expected a finite number`);
    }
  }
}

/**
 * Per-row group statistics (the baseline and scale of {@link groupAdvantages}).
 *
 * Statistics are accumulated in float64. Returns, for each row, its group's mean and the
 * denominator (std + eps, or 1 without std normalisation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const b = groupBaselines(new Float32Array([1, 0]), new Int32Array([7, 7]), {
 *   normalizeStd: true,
 *   eps: 0,
 * });
 * assert.deepEqual(Array.from(b.mean), [0.5, 0.5]);
 * assert.equal(b.denom[0]!.toFixed(4), "0.7071"); // unbiased std of {1, 0}
 * ```
 */
export function groupBaselines(
  rewards: Float32Array,
  groupIds: Int32Array,
  opts: GroupAdvantageOptions,
): GroupBaselines {
  validate(rewards, groupIds, opts, "groupBaselines");
  const n = rewards.length;
  const slot = new Int32Array(n);
  const index = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const g = groupIds[i]!;
    let s = index.get(g);
    if (s === undefined) {
      s = index.size;
      index.set(g, s);
    }
    slot[i] = s;
  }
  const m = index.size;
  const count = new Int32Array(m);
  const sum = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const s = slot[i]!;
    count[s]! += 1;
    sum[s]! += rewards[i]!;
  }
  const mean = new Float64Array(m);
  for (let s = 0; s < m; s++) mean[s] = sum[s]! / count[s]!;
  const sq = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const d = rewards[i]! - mean[slot[i]!]!;
    sq[slot[i]!]! += d * d;
  }
  const singleton = opts.singleton ?? "verl";
  const out: GroupBaselines = {
    mean: new Float32Array(n),
    denom: new Float32Array(n),
    std: new Float32Array(n),
    groupSize: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const s = slot[i]!;
    const c = count[s]!;
    out.groupSize[i] = c;
    if (c === 1) {
      out.mean[i] = 0;
      out.denom[i] = singleton === "zero" ? 0 : opts.normalizeStd ? 1 + opts.eps : 1;
    } else {
      const std = Math.sqrt(sq[s]! / (c - 1));
      out.mean[i] = mean[s]!;
      out.std[i] = std;
      out.denom[i] = opts.normalizeStd ? std + opts.eps : 1;
    }
  }
  return out;
}

/**
 * GRPO group-relative advantage of each trajectory.
 *
 * A_i = (r_i - mean_G r) / (std_G r + eps) with the unbiased std, or r_i - mean_G r when
 * `normalizeStd` is false. A group whose rewards are all equal gets 0 for every member
 * (with eps = 0 and std normalisation too: 0 / 0 is defined as 0 here).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = groupAdvantages(new Float32Array([1, 0, 0, 0]), new Int32Array([3, 3, 3, 3]), {
 *   normalizeStd: true,
 *   eps: 1e-6,
 * });
 * // mean 0.25, unbiased std 0.5 -> a = [1.5, -0.5, -0.5, -0.5] (up to eps)
 * assert.deepEqual(Array.from(a, (x) => +x.toFixed(4)), [1.5, -0.5, -0.5, -0.5]);
 * ```
 */
export function groupAdvantages(
  rewards: Float32Array,
  groupIds: Int32Array,
  opts: GroupAdvantageOptions,
): Float32Array {
  const b = groupBaselines(rewards, groupIds, opts);
  const out = new Float32Array(rewards.length);
  for (let i = 0; i < rewards.length; i++) {
    out[i] = applyBaseline(rewards[i]!, b.mean[i]!, b.denom[i]!);
  }
  return out;
}

/**
 * (r - mean) / denom, with 0 when the numerator is 0 or the denominator is 0 (a `"zero"`
 * singleton, or a uniform group with eps = 0).
 */
export function applyBaseline(r: number, mean: number, denom: number): number {
  const d = r - mean;
  if (d === 0 || denom === 0) return 0;
  return d / denom;
}

/** The shape of a batch that {@link broadcastToTokens} needs. */
export interface TokenLayout {
  /** Rows. */
  n: number;
  /** Padded row length. */
  length: number;
  /** `n * length` entries; nonzero marks a trainable (policy) token. */
  lossMask: Float32Array;
}

/**
 * Broadcast one value per row over that row's trainable tokens: out[r, t] = perRow[r] where
 * lossMask[r, t] != 0, else 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const out = broadcastToTokens(new Float32Array([2, -1]), {
 *   n: 2,
 *   length: 3,
 *   lossMask: new Float32Array([0, 1, 1, 1, 0, 0]),
 * });
 * assert.deepEqual(Array.from(out), [0, 2, 2, -1, 0, 0]);
 * ```
 */
export function broadcastToTokens(perRow: Float32Array, batch: TokenLayout): Float32Array {
  const { n, length, lossMask } = batch;
  if (perRow.length !== n) {
    throw new RangeError(
      `broadcastToTokens: perRow has ${perRow.length} entries, expected n = ${n}`,
    );
  }
  if (lossMask.length !== n * length) {
    throw new RangeError(
      `broadcastToTokens: lossMask has ${lossMask.length} entries, expected n * length = ${
        n * length
      }`,
    );
  }
  const out = new Float32Array(n * length);
  for (let r = 0; r < n; r++) {
    const v = perRow[r]!;
    if (v === 0) continue;
    const base = r * length;
    for (let t = 0; t < length; t++) {
      if (lossMask[base + t] !== 0) out[base + t] = v;
    }
  }
  return out;
}

/** Counts of groups by outcome (for step metrics and the reproduce report's regime check). */
export interface GroupOutcomeStats {
  groups: number;
  /** Groups whose rewards are all equal (zero GRPO signal). */
  uniformGroups: number;
  /** Groups in which no trajectory has reward > 0. */
  noSuccessGroups: number;
}

/**
 * Count groups, groups with all-equal rewards and groups without any positive reward.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = groupOutcomeStats(new Float32Array([0, 0, 1, 0]), new Int32Array([0, 0, 1, 1]));
 * assert.deepEqual(s, { groups: 2, uniformGroups: 1, noSuccessGroups: 1 });
 * ```
 */
export function groupOutcomeStats(rewards: Float32Array, groupIds: Int32Array): GroupOutcomeStats {
  validate(rewards, groupIds, { normalizeStd: false, eps: 0 }, "groupOutcomeStats");
  const first = new Map<number, number>();
  const uniform = new Map<number, boolean>();
  const success = new Map<number, boolean>();
  for (let i = 0; i < rewards.length; i++) {
    const g = groupIds[i]!;
    const r = rewards[i]!;
    const f = first.get(g);
    if (f === undefined) {
      first.set(g, r);
      uniform.set(g, true);
      success.set(g, r > 0);
    } else {
      if (r !== f) uniform.set(g, false);
      if (r > 0) success.set(g, true);
    }
  }
  let uniformGroups = 0;
  let noSuccessGroups = 0;
  for (const g of first.keys()) {
    if (uniform.get(g)) uniformGroups += 1;
    if (!success.get(g)) noSuccessGroups += 1;
  }
  return { groups: first.size, uniformGroups, noSuccessGroups };
}
