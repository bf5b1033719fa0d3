/**
 * MatchTIR's credit as pure functions (Qu et al., arXiv 2601.10712; README.md has the equations
 * and which parts are the paper's). For trajectory i with policy rounds k = 1..K, its search
 * calls p_1..p_n (in round order) and the question's gold hop queries g_1..g_m:
 *
 *     S_ab = sim(p_a, g_b)                                    similarity.ts
 *     c_a  = S_{a, pi(a)} (hard) | sum_b T_ab S_ab (soft)      matched similarity of call a
 *     r_k  = c_a for the round of call a; r^o on the answer round; 0 otherwise
 *     R_k  = sum_{j >= k} gamma^{j-k} r_j                      discounted turn return
 *     A^l_k = (R_k - mean) / (std + eps)   per (group, k)  |  over all rounds of the group
 *     A^g  = GRPO advantage of sum_k r_k (or of r^o)
 *     A_{i,t} = (1 - w) A^g + w A^l_{k(t)}                     w = 1/2: (A^g + A^l) / 2
 *
 * @module
 */
import type { SingletonGroupRule } from "@creditlab/kernels";
import {
  checkGroupIds,
  groupRoundAdvantages,
  type RoundLayout,
  tokenAdvantagesByRound,
} from "../grpo/mod.ts";
import type { Matching, TurnNormalization } from "./config.ts";
import { greedyMatching, hungarian, type Matrix, sinkhorn } from "./matching.ts";

/** What a matching gave each predicted call. */
export interface CallRewards {
  /** Reward c_a of each predicted call (n entries). */
  rewards: Float64Array;
  /** Hard matchings: the gold call of each predicted call (-1 = none, or matched at S = 0). */
  matched: Int32Array;
  /** Sinkhorn iterations run (0 for hard matchings). */
  iterations: number;
  /** False when Sinkhorn stopped at `maxIters` (always true for hard matchings). */
  converged: boolean;
}

/**
 * Rewards of the n predicted calls of similarity matrix `s` (n x m, m >= 1) under a matching:
 * hard (`hungarian`, `greedy`): S of the call's match, `unmatchedReward` for a call without one
 * (or matched at similarity 0); `sinkhorn`: sum_b T_ab S_ab of the plan for cost -S
 * (`rewardScale: "mass"`), times n (`"per-call"`).
 *
 * Worked example, S = [[1, 0], [0, 1]]: hard gives [1, 1]. Sinkhorn, reg 0.1: the plan is
 * symmetric, [[x, 1/2 - x], [1/2 - x, x]] with (x / (1/2 - x))^2 = e^{(1 + 1 - 0 - 0) / 0.1},
 * so x = (1/2) e^10 / (1 + e^10) = 0.4999773; "mass" rewards [0.4999773, 0.4999773], "per-call"
 * [0.9999546, 0.9999546].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matrix } from "./matching.ts";
 * const s = matrix([[1, 0], [0, 1]]);
 * assert.deepEqual(Array.from(callRewards(s, { kind: "hungarian" }, 0).rewards), [1, 1]);
 * const soft = callRewards(s, { kind: "sinkhorn", reg: 0.1, maxIters: 1000, tol: 1e-9, rewardScale: "mass" }, 0);
 * assert.deepEqual(Array.from(soft.rewards, (x) => +x.toFixed(7)), [0.4999773, 0.4999773]);
 * ```
 */
export function callRewards(s: Matrix, matching: Matching, unmatchedReward: number): CallRewards {
  const { rows: n, cols: m, values } = s;
  if (m === 0) throw new RangeError("callRewards: no gold calls to match against");
  const rewards = new Float64Array(n);
  const matched = new Int32Array(n).fill(-1);
  if (matching.kind === "sinkhorn") {
    const cost: Matrix = { rows: n, cols: m, values: values.map((x) => -x) };
    const res = sinkhorn(cost, matching);
    const scale = matching.rewardScale === "per-call" ? n : 1;
    for (let a = 0; a < n; a++) {
      let c = 0;
      for (let b = 0; b < m; b++) c += res.plan.values[a * m + b]! * values[a * m + b]!;
      rewards[a] = scale * c;
    }
    return { rewards, matched, iterations: res.iterations, converged: res.converged };
  }
  const assign = matching.kind === "hungarian" ? hungarian(s) : greedyMatching(s);
  for (let a = 0; a < n; a++) {
    const b = assign[a]!;
    const sim = b >= 0 ? values[a * m + b]! : 0;
    if (sim > 0) {
      matched[a] = b;
      rewards[a] = sim;
    } else {
      rewards[a] = unmatchedReward;
    }
  }
  return { rewards, matched, iterations: 0, converged: true };
}

/**
 * Turn rewards r_1..r_K of one trajectory (index k-1 holds round k): the mean reward of the
 * calls made in round k (one search per round in SearchWorld; the released code averages the
 * calls of a turn), `answer.reward` on `answer.round`, 0 on every other round (invalid,
 * feedback, or an answer when `answer` is null).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = turnRewards(4, [1, 3], Float64Array.of(0.5, 1), { round: 4, reward: 1 });
 * assert.deepEqual(Array.from(r), [0.5, 0, 1, 1]);
 * ```
 */
export function turnRewards(
  numRounds: number,
  callRounds: readonly number[],
  rewards: Float64Array,
  answer: { round: number; reward: number } | null,
): Float64Array {
  if (callRounds.length !== rewards.length) {
    throw new RangeError(
      `turnRewards: ${callRounds.length} call rounds but ${rewards.length} call rewards`,
    );
  }
  const sum = new Float64Array(numRounds), count = new Int32Array(numRounds);
  callRounds.forEach((k, a) => {
    if (!(Number.isInteger(k) && k >= 1 && k <= numRounds)) {
      throw new RangeError(`turnRewards: call ${a} is in round ${k}; expected 1..${numRounds}`);
    }
    sum[k - 1]! += rewards[a]!;
    count[k - 1]! += 1;
  });
  const out = new Float64Array(numRounds);
  for (let k = 0; k < numRounds; k++) out[k] = count[k]! > 0 ? sum[k]! / count[k]! : 0;
  if (answer !== null && answer.round >= 1 && answer.round <= numRounds) {
    out[answer.round - 1]! += answer.reward;
  }
  return out;
}

/**
 * Discounted turn returns R_k = sum_{j >= k} gamma^{j-k} r_j (one backward pass).
 *
 * Worked example, r = [0.5, 0, 1], gamma = 0.9: R_3 = 1, R_2 = 0 + 0.9 = 0.9,
 * R_1 = 0.5 + 0.81 = 1.31.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const R = discountedReturns([0.5, 0, 1], 0.9);
 * assert.deepEqual(Array.from(R, (x) => +x.toFixed(6)), [1.31, 0.9, 1]);
 * ```
 */
export function discountedReturns(r: ArrayLike<number>, gamma: number): Float64Array {
  const out = new Float64Array(r.length);
  let acc = 0;
  for (let k = r.length - 1; k >= 0; k--) out[k] = acc = r[k]! + gamma * acc;
  return out;
}

/**
 * Turn-level advantages A^l from each row's returns (null = a row without turn credit: its
 * question has no gold chain). `"per-turn-index"` z-scores R_{i,k} against the rows of the same
 * group that have a round k (key (group, k)); `"group-joint"` against every round of every row
 * of the group. Unbiased std, `eps` added; a key with a single entry follows `singleton`
 * (`"verl"`: A = R / (1 + eps), as the released code's mean 0 / std 1; `"zero"`: 0).
 *
 * Worked example, one group, returns [1, 1] and [0]: per turn index, k = 1 has {1, 0}: mean
 * 0.5, std 0.7071, A = +-0.7071; k = 2 has only {1}: verl rule, A = 1. Jointly: {1, 1, 0}, mean
 * 2/3, std 0.5774, A = [0.5774, 0.5774], [-1.1547].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const R = [Float64Array.of(1, 1), Float64Array.of(0)];
 * const opts = { normalizeStd: true, eps: 0, singleton: "verl" } as const;
 * const per = turnAdvantages(R, Int32Array.of(0, 0), { ...opts, normalization: "per-turn-index" });
 * assert.deepEqual(per.map((a) => a && Array.from(a, (x) => +x.toFixed(4))), [[0.7071, 1], [-0.7071]]);
 * const joint = turnAdvantages(R, Int32Array.of(0, 0), { ...opts, normalization: "group-joint" });
 * assert.deepEqual(joint.map((a) => a && Array.from(a, (x) => +x.toFixed(4))), [[0.5774, 0.5774], [-1.1547]]);
 * ```
 */
export function turnAdvantages(
  returns: readonly (ArrayLike<number> | null)[],
  groupIds: Int32Array,
  opts: {
    normalization: TurnNormalization;
    normalizeStd: boolean;
    eps: number;
    singleton: SingletonGroupRule;
  },
): (Float32Array | null)[] {
  checkGroupIds(groupIds, returns, { op: "turnAdvantages", of: "returns" });
  const pooling = opts.normalization === "per-turn-index" ? "group-and-round" : "group";
  return groupRoundAdvantages(returns, groupIds, { ...opts, pooling });
}

/**
 * The MatchTIR kernel: out[r, t] = (1 - w) trajAdv[r] + w turnAdv[r][k - 1] for a trainable token
 * t (lossMask != 0) of round k = roundIds[r, t] with 1 <= k <= turnAdv[r].length;
 * (1 - w) trajAdv[r] for another trainable token of such a row; trajAdv[r] on every trainable
 * token of a row with `turnAdv[r] = null` (no gold chain: plain GRPO); 0 elsewhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // row 0: round 1 (2 tokens), round 2 (1 token); row 1 has no turn credit
 * const out = matchtirTokenAdvantages(Float32Array.of(1, -1), [Float32Array.of(0.5, -0.5), null], {
 *   n: 2, length: 3, lossMask: Float32Array.of(1, 1, 1, 1, 0, 0), roundIds: Int32Array.of(1, 1, 2, 1, 0, 0),
 * }, 0.5);
 * assert.deepEqual(Array.from(out), [0.75, 0.75, 0.25, -1, 0, 0]);
 * ```
 */
export function matchtirTokenAdvantages(
  trajAdv: Float32Array,
  turnAdv: readonly (Float32Array | null)[],
  layout: RoundLayout,
  weight: number,
): Float32Array {
  return tokenAdvantagesByRound("matchtirTokenAdvantages", layout, { trajAdv, turnAdv }, (r) => {
    const a = trajAdv[r]!;
    const l = turnAdv[r] ?? null;
    if (l === null) return a === 0 ? null : () => a;
    return (k) => (1 - weight) * a + weight * (k >= 1 && k <= l.length ? l[k - 1]! : 0);
  });
}
