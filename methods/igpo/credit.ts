/**
 * IGPO's credit as pure functions over typed arrays (Wang et al., arXiv 2510.14967; README.md
 * has the equations and which parts are the paper's). For trajectory i with policy rounds
 * ("turns") k = 1..K (round K answers) and the gold answer a = (a_1..a_L):
 *
 *     v_{i,t} = (1/L) sum_j log pi(a_j | q, o_{i,<=t}, a_<j)      t = 0..K-1 (t = 0: prompt)
 *     p_{i,t} = exp(v_{i,t})
 *     r_{i,k} = p_{i,k} - p_{i,k-1}   (k < K)      r_{i,K} = F1 (or EM) of the answer
 *     z_{i,k} = (r_{i,k} - mean_g r) / (std_g r + eps)   over all turn rewards of prompt group g
 *     A_{i,k} = sum_{j >= k} gamma^(j-k) z_{i,j}           on every policy token of round k
 *
 * Turn values live in a flat layout: row r's K_r values at `offsets[r] .. offsets[r + 1]`, round k
 * at `offsets[r] + k - 1`.
 *
 * @module
 */
import type { SingletonGroupRule } from "@creditlab/kernels";
import { type RoundLayout, tokenAdvantagesByRound } from "../grpo/mod.ts";
import type { StdEstimator, TurnNormalization } from "./config.ts";

function checkFinite(op: string, what: string, xs: ArrayLike<number>): void {
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) {
      throw new RangeError(`${op}: ${what}[${i}] is ${xs[i]}; expected a finite number`);
    }
  }
}

export { informationGains } from "../information_gain.ts";

/** Turn rewards of a batch in the flat layout (see the module doc). */
export interface TurnRewards {
  /** r_{i,1..K_i} of every row in row order. */
  rewards: Float64Array;
  /** n + 1 offsets: row r's rewards are `rewards[offsets[r] .. offsets[r + 1]]`. */
  offsets: Int32Array;
}

/**
 * Turn rewards of every row: its K - 1 information gains (`gains[r]`; null = all 0, for a row
 * that was not scored) then its outcome as round K's reward. A row with K = 0 has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t = turnRewards([Float64Array.of(0.2, -0.1), null, null], [1, 0, 0], Int32Array.of(3, 2, 0));
 * assert.deepEqual(Array.from(t.rewards), [0.2, -0.1, 1, 0, 0]);
 * assert.deepEqual(Array.from(t.offsets), [0, 3, 5, 5]);
 * ```
 */
export function turnRewards(
  gains: readonly (Float64Array | null)[],
  outcomes: ArrayLike<number>,
  numRounds: Int32Array,
): TurnRewards {
  const n = numRounds.length;
  if (gains.length !== n || outcomes.length !== n) {
    throw new RangeError(
      `turnRewards: ${gains.length} rows of gains and ${outcomes.length} outcomes for ${n} rows`,
    );
  }
  checkFinite("turnRewards", "outcomes", outcomes);
  const offsets = new Int32Array(n + 1);
  for (let r = 0; r < n; r++) {
    const k = numRounds[r]!;
    if (!(Number.isInteger(k) && k >= 0)) {
      throw new RangeError(`turnRewards: row ${r} has ${k} rounds; expected an integer >= 0`);
    }
    const g = gains[r] ?? null;
    if (g !== null && g.length !== Math.max(0, k - 1)) {
      throw new RangeError(`turnRewards: row ${r} has ${g.length} gains for ${k} rounds`);
    }
    if (g !== null) checkFinite("turnRewards", `gains of row ${r}`, g);
    offsets[r + 1] = offsets[r]! + k;
  }
  const rewards = new Float64Array(offsets[n]!);
  for (let r = 0; r < n; r++) {
    const start = offsets[r]!, end = offsets[r + 1]!;
    if (end === start) continue;
    const g = gains[r];
    if (g) rewards.set(g, start);
    rewards[end - 1] = outcomes[r]!;
  }
  return { rewards, offsets };
}

/** How a set of turn rewards is z-scored. */
export interface ZScoreOptions {
  std: StdEstimator;
  /** Divide by std + eps (else centre only). */
  normalizeStd: boolean;
  eps: number;
  /** A set of one reward: `"zero"` gives 0, `"verl"` r / (1 + eps) (mean 0, std 1). */
  singleton: SingletonGroupRule;
}

/**
 * (x - mean_S) / (std_S + eps) of each value over its set S (`setIds`, any integers), the std
 * of {@link ZScoreOptions.std}; x - mean_S without `normalizeStd`. A value equal to its set's
 * mean gives exactly 0; a set of one follows `singleton`. Statistics in float64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // {1, 0}: mean 0.5, population std 0.5
 * const z = zScoreBySet(Float64Array.of(1, 0, 7), Int32Array.of(3, 3, 9), {
 *   std: "population", normalizeStd: true, eps: 0, singleton: "zero",
 * });
 * assert.deepEqual(Array.from(z), [1, -1, 0]);
 * ```
 */
export function zScoreBySet(
  values: Float64Array,
  setIds: Int32Array,
  opts: ZScoreOptions,
): Float64Array {
  if (setIds.length !== values.length) {
    throw new RangeError(`zScoreBySet: ${values.length} values but ${setIds.length} set ids`);
  }
  if (!(Number.isFinite(opts.eps) && opts.eps >= 0)) {
    throw new RangeError(`zScoreBySet: eps must be a finite number >= 0, got ${opts.eps}`);
  }
  checkFinite("zScoreBySet", "values", values);
  const stats = new Map<number, { count: number; sum: number; sq: number }>();
  values.forEach((x, i) => {
    const s = stats.get(setIds[i]!) ?? { count: 0, sum: 0, sq: 0 };
    s.count += 1;
    s.sum += x;
    stats.set(setIds[i]!, s);
  });
  values.forEach((x, i) => {
    const s = stats.get(setIds[i]!)!;
    s.sq += (x - s.sum / s.count) ** 2;
  });
  const out = new Float64Array(values.length);
  values.forEach((x, i) => {
    const s = stats.get(setIds[i]!)!;
    if (s.count === 1) {
      out[i] = opts.singleton === "zero" ? 0 : opts.normalizeStd ? x / (1 + opts.eps) : x;
      return;
    }
    const d = x - s.sum / s.count;
    const sd = Math.sqrt(s.sq / (opts.std === "population" ? s.count : s.count - 1));
    const denom = opts.normalizeStd ? sd + opts.eps : 1;
    out[i] = d === 0 || denom === 0 ? 0 : d / denom;
  });
  return out;
}

/**
 * Normalised turn rewards z: every reward of a row's prompt group (`groupIds[r]`) in one set
 * (`"joint"`), or the group's outcomes (each row's last reward) and its information gains in
 * two sets (`"separate"`), z-scored by {@link zScoreBySet}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one group: row 0 r = [0.2, 1], row 1 r = [0]
 * const t = turnRewards([Float64Array.of(0.2), null], [1, 0], Int32Array.of(2, 1));
 * const opts = { std: "population", normalizeStd: false, eps: 0, singleton: "zero" } as const;
 * const joint = normalizeTurnRewards(t, Int32Array.of(0, 0), { ...opts, normalization: "joint" });
 * // mean 0.4: [-0.2, 0.6, -0.4]
 * assert.deepEqual(Array.from(joint, (x) => +x.toFixed(4)), [-0.2, 0.6, -0.4]);
 * const sep = normalizeTurnRewards(t, Int32Array.of(0, 0), { ...opts, normalization: "separate" });
 * // gains {0.2} alone -> 0; outcomes {1, 0}: mean 0.5
 * assert.deepEqual(Array.from(sep), [0, 0.5, -0.5]);
 * ```
 */
export function normalizeTurnRewards(
  turns: TurnRewards,
  groupIds: Int32Array,
  opts: ZScoreOptions & { normalization: TurnNormalization },
): Float64Array {
  const { rewards, offsets } = turns;
  const n = offsets.length - 1;
  if (groupIds.length !== n) {
    throw new RangeError(`normalizeTurnRewards: ${n} rows but ${groupIds.length} group ids`);
  }
  const dense = new Map<number, number>();
  const setIds = new Int32Array(rewards.length);
  for (let r = 0; r < n; r++) {
    const g = groupIds[r]!;
    if (!dense.has(g)) dense.set(g, dense.size);
    const base = dense.get(g)! * 2;
    const start = offsets[r]!, end = offsets[r + 1]!;
    for (let i = start; i < end; i++) {
      setIds[i] = opts.normalization === "joint" ? base : base + (i === end - 1 ? 1 : 0);
    }
  }
  return zScoreBySet(rewards, setIds, opts);
}

/**
 * Turn advantages A_k = sum_{j >= k} gamma^(j-k) z_j within each row (one backward pass).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = turnAdvantages(Float64Array.of(1, 2, 4, 8), Int32Array.of(0, 3, 4), 0.5);
 * assert.deepEqual(Array.from(a), [1 + 0.5 * (2 + 0.5 * 4), 2 + 0.5 * 4, 4, 8]);
 * ```
 */
export function turnAdvantages(z: Float64Array, offsets: Int32Array, gamma: number): Float64Array {
  if (!(gamma >= 0 && gamma <= 1)) {
    throw new RangeError(`turnAdvantages: gamma must be in [0, 1], got ${gamma}`);
  }
  if (offsets[offsets.length - 1] !== z.length) {
    throw new RangeError(
      `turnAdvantages: offsets end at ${offsets[offsets.length - 1]} for ${z.length} values`,
    );
  }
  const out = new Float64Array(z.length);
  for (let r = 0; r + 1 < offsets.length; r++) {
    let acc = 0;
    for (let i = offsets[r + 1]! - 1; i >= offsets[r]!; i--) out[i] = acc = z[i]! + gamma * acc;
  }
  return out;
}

/**
 * The IGPO kernel: every trainable token (lossMask != 0) of round k of row r gets A_{r,k}
 * (`adv[offsets[r] + k - 1]`, 1 <= k <= K_r); other tokens 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one row: prompt (round 0), round 1 (2 tokens, then 1 observation token), round 2 (1 token)
 * const out = igpoTokenAdvantages(Float64Array.of(0.5, -1), Int32Array.of(0, 2), {
 *   n: 1, length: 5, lossMask: Float32Array.of(0, 1, 1, 0, 1), roundIds: Int32Array.of(0, 1, 1, 1, 2),
 * });
 * assert.deepEqual(Array.from(out), [0, 0.5, 0.5, 0, -1]);
 * ```
 */
export function igpoTokenAdvantages(
  adv: Float64Array,
  offsets: Int32Array,
  layout: RoundLayout,
): Float32Array {
  if (offsets.length !== layout.n + 1 || offsets[layout.n] !== adv.length) {
    throw new RangeError(
      `igpoTokenAdvantages: ${offsets.length} offsets ending at ${offsets[offsets.length - 1]} ` +
        `for n = ${layout.n} rows and ${adv.length} turn advantages`,
    );
  }
  const numRounds = Int32Array.from({ length: layout.n }, (_, r) => offsets[r + 1]! - offsets[r]!);
  return tokenAdvantagesByRound("igpoTokenAdvantages", layout, { numRounds }, (r) => {
    const start = offsets[r]!, k = numRounds[r]!;
    if (k === 0) return null;
    return (round) => {
      if (!(round >= 1 && round <= k)) {
        throw new RangeError(
          `igpoTokenAdvantages: row ${r} has a trainable token in round ${round} of ${k}`,
        );
      }
      return adv[start + round - 1]!;
    };
  });
}
