/**
 * PURE's min-form credit as pure functions over typed arrays (Cheng et al., arXiv 2504.15275;
 * README.md has the equations and which parts are the paper's). For one trajectory with
 * policy rounds k = 1..K (round K answers) and process rewards r_1..r_{K-1} of its non-final
 * rounds:
 *
 *     w_j = exp(-r_j / T) / sum_l exp(-r_l / T)         soft-min weights (T = 0.1)
 *     G_k = sum_{j >= k} w_j r_j                        min-form return (-> min_{j >= k} r_j)
 *     A^proc_{i,k} = (G_{i,k} - mean_g G) / (std_g G + eps)   over the group's judged rounds
 *     A_{i,t} = A_i + lambda * A^proc_{i,k(t)}          tokens of rounds k < K; A_i in round K
 *
 * with A_i the GRPO outcome advantage.
 *
 * @module
 */
import type { RoundScore } from "@creditlab/core";
import { checkRoundScore } from "../round_judge.ts";
import {
  addRoundTerms,
  checkGroupIds,
  groupRoundAdvantages,
  type RoundLayout,
} from "../grpo/mod.ts";
import type { CreditForm, ProcessNormalization, ProcessRange, ProcessScore } from "./config.ts";

/**
 * Process rewards r_k of judged rounds: c_k = retrieval * thinking (`"product"`) or their mean
 * (`"mean"`), then r_k = 2 c_k - 1 (`"signed"`) or c_k (`"unit"`). Throws on a score that is
 * not 0 or 1, naming the round.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = [{ retrieval: 1, thinking: 1 }, { retrieval: 1, thinking: 0 }] as const;
 * assert.deepEqual(Array.from(processRewards(s, { score: "product", range: "signed" })), [1, -1]);
 * assert.deepEqual(Array.from(processRewards(s, { score: "mean", range: "unit" })), [1, 0.5]);
 * ```
 */
export function processRewards(
  scores: readonly RoundScore[],
  opts: { score: ProcessScore; range: ProcessRange },
): Float64Array {
  const out = new Float64Array(scores.length);
  scores.forEach((s, k) => {
    checkRoundScore(s, k, "processRewards");
    const c = opts.score === "product" ? s.retrieval * s.thinking : (s.retrieval + s.thinking) / 2;
    out[k] = opts.range === "signed" ? 2 * c - 1 : c;
  });
  return out;
}

function checkFinite(op: string, r: ArrayLike<number>): void {
  for (let k = 0; k < r.length; k++) {
    if (!Number.isFinite(r[k])) {
      throw new RangeError(`${op}: reward of round ${k + 1} is ${r[k]}; expected a finite number`);
    }
  }
}

/**
 * Soft-min weights w_j = exp(-r_j / T) / sum_l exp(-r_l / T) over all of `r` (computed as
 * exp(-(r_j - min r) / T), so no overflow for small T). Ties at the minimum share its weight.
 *
 * Worked example (T = 0.1, r = [0.5, 0.3, 0.4]): exp(-5, -3, -4) = 0.006738, 0.049787,
 * 0.018316; their sum 0.074841; w = [0.0900, 0.6652, 0.2447].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w = softMinWeights([0.5, 0.3, 0.4], 0.1);
 * assert.deepEqual(Array.from(w, (x) => +x.toFixed(4)), [0.09, 0.6652, 0.2447]);
 * ```
 */
export function softMinWeights(r: ArrayLike<number>, temperature: number): Float64Array {
  checkFinite("softMinWeights", r);
  if (!(Number.isFinite(temperature) && temperature > 0)) {
    throw new RangeError(`softMinWeights: temperature ${temperature}; expected a finite T > 0`);
  }
  const m = r.length;
  const w = new Float64Array(m);
  let lo = Infinity;
  for (let k = 0; k < m; k++) lo = Math.min(lo, r[k]!);
  let z = 0;
  for (let k = 0; k < m; k++) z += w[k] = Math.exp(-(r[k]! - lo) / temperature);
  for (let k = 0; k < m; k++) w[k]! /= z;
  return w;
}

/**
 * Returns G_1..G_m (index k-1 holds G_k) of process rewards r_1..r_m under a credit form,
 * each in one backward pass:
 *
 * - soft-min over `"trajectory"` (the paper's): G_k = sum_{j >= k} w_j r_j with
 *   w = {@link softMinWeights}(r). G_1 -> min_j r_j as T -> 0; for k after the worst round
 *   G_k -> 0 (the weight sits on a round already past).
 * - soft-min over `"suffix"`: G_k = sum_{j >= k} w^(k)_j r_j with w^(k) the soft-min weights of
 *   r_k..r_m alone, so G_k -> min_{j >= k} r_j as T -> 0 for every k (a running
 *   log-sum-exp: the sums are rescaled when a new minimum appears).
 * - `min`: G_k = min_{j >= k} r_j. `sum`: G_k = sum_{j >= k} r_j.
 *
 * Worked example, r = [0.5, 0.3, 0.4], T = 0.1 (weights as in {@link softMinWeights}):
 * - trajectory: w r = [0.0450, 0.1996, 0.0979], so G = [0.3425, 0.2975, 0.0979];
 * - suffix: G_3 = 0.4; G_2 = 0.3 + 0.1 e^-1 / (1 + e^-1) = 0.3 + 0.1 * 0.2689 = 0.3269;
 *   G_1 = 0.3 + 0.2 w_1 + 0.1 w_3 = 0.3425 (k = 1 is the same in both);
 * - min: [0.3, 0.3, 0.4]; sum: [1.2, 0.7, 0.4].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = [0.5, 0.3, 0.4];
 * const g = (c: Parameters<typeof minFormReturns>[1]) =>
 *   Array.from(minFormReturns(r, c), (x) => +x.toFixed(4));
 * assert.deepEqual(g({ kind: "soft-min", temperature: 0.1, over: "trajectory" }), [0.3425, 0.2975, 0.0979]);
 * assert.deepEqual(g({ kind: "soft-min", temperature: 0.1, over: "suffix" }), [0.3425, 0.3269, 0.4]);
 * assert.deepEqual(g({ kind: "min" }), [0.3, 0.3, 0.4]);
 * assert.deepEqual(g({ kind: "sum" }), [1.2, 0.7, 0.4]);
 * ```
 */
export function minFormReturns(r: ArrayLike<number>, credit: CreditForm): Float64Array {
  checkFinite("minFormReturns", r);
  const m = r.length;
  const out = new Float64Array(m);
  if (m === 0) return out;
  switch (credit.kind) {
    case "sum":
    case "min": {
      let acc = credit.kind === "sum" ? 0 : Infinity;
      for (let k = m - 1; k >= 0; k--) {
        acc = credit.kind === "sum" ? acc + r[k]! : Math.min(acc, r[k]!);
        out[k] = acc;
      }
      return out;
    }
    case "soft-min": {
      const T = credit.temperature;
      if (credit.over === "trajectory") {
        const w = softMinWeights(r, T);
        let acc = 0;
        for (let k = m - 1; k >= 0; k--) out[k] = acc += w[k]! * r[k]!;
        return out;
      }
      // sum_{j >= k} e_j and sum_{j >= k} e_j r_j with e_j = exp(-(r_j - lo) / T), lo = the
      // running minimum of r_k..r_m.
      let lo = r[m - 1]!, z = 0, num = 0;
      for (let k = m - 1; k >= 0; k--) {
        const x = r[k]!;
        if (x < lo) {
          const s = Math.exp(-(lo - x) / T);
          z *= s;
          num *= s;
          lo = x;
        }
        const e = Math.exp(-(x - lo) / T);
        z += e;
        num += e * x;
        out[k] = num / z;
      }
      return out;
    }
  }
}

/**
 * Per-round process advantages from each row's returns (null = a row with no judged round).
 * `"group"`: every return of every row of a prompt group (its `groupIds` entry) is z-scored
 * against all of them jointly — (G - mean) / (std + eps) with the unbiased std, or G - mean
 * without `normalizeStd`; a group with a single judged round gets 0. `"none"`: G itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one group, returns {1, 1} and {-1}: mean 1/3, unbiased std sqrt(4/3) = 1.1547
 * const a = processAdvantages(
 *   [Float64Array.of(1, 1), Float64Array.of(-1), null],
 *   Int32Array.of(0, 0, 0),
 *   { normalization: "group", normalizeStd: true, eps: 0 },
 * );
 * assert.deepEqual(a.map((x) => x && Array.from(x, (v) => +v.toFixed(4))), [
 *   [0.5774, 0.5774],
 *   [-1.1547],
 *   null,
 * ]);
 * ```
 */
export function processAdvantages(
  returns: readonly (Float64Array | null)[],
  groupIds: Int32Array,
  opts: { normalization: ProcessNormalization; normalizeStd: boolean; eps: number },
): (Float32Array | null)[] {
  checkGroupIds(groupIds, returns, { op: "processAdvantages", of: "returns" });
  if (opts.normalization === "none") return returns.map((g) => g && Float32Array.from(g));
  return groupRoundAdvantages(returns, groupIds, { ...opts, pooling: "group", singleton: "zero" });
}

/**
 * The PURE kernel: out[r, t] = rowAdv[r] + coef * roundAdv[r][k - 1] for a trainable token t
 * (lossMask != 0) of round k = roundIds[r, t] with 1 <= k <= roundAdv[r].length (the judged
 * rounds); rowAdv[r] for other trainable tokens (the answer round) and for rows with
 * `roundAdv[r] = null`; 0 elsewhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one row: prompt (round 0), round 1 (2 tokens), round 2 = answer (1 token)
 * const out = pureTokenAdvantages(Float32Array.of(0.5), [Float32Array.of(-1)], {
 *   n: 1, length: 4, lossMask: Float32Array.of(0, 1, 1, 1), roundIds: Int32Array.of(0, 1, 1, 2),
 * }, 0.5);
 * assert.deepEqual(Array.from(out), [0, 0, 0, 0.5]); // 0.5 + 0.5 * -1 = 0 on round 1
 * ```
 */
export function pureTokenAdvantages(
  rowAdv: Float32Array,
  roundAdv: readonly (Float32Array | null)[],
  layout: RoundLayout,
  coef: number,
): Float32Array {
  return addRoundTerms(rowAdv, roundAdv, { op: "pureTokenAdvantages", layout, coef });
}
