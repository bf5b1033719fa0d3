/**
 * CW-GRPO's credit rule as pure functions (Wang et al., arXiv 2604.14267; METHODS.md):
 *
 *     c_k = retrieval_k * thinking_k                                  k = 1..K-1
 *     w_k = c_k / max(sum_j c_j, 1e-6)        or softmax_k(gamma c_k)
 *     A_{i,t} = A_i * (K-1) * w_k   for tokens of round k < K,  A_i for the answer round K
 *
 * applied only when A_i > 0, r_i > 0 and K > 1; otherwise A_{i,t} = A_i (GRPO).
 *
 * @module
 */
import type { RoundScore } from "@creditlab/core";
import { checkRoundScore } from "../round_judge.ts";
import type { AllZeroContributions, ContributionWeighting } from "./config.ts";
import { type RoundLayout, tokenAdvantagesByRound } from "../grpo/advantages.ts";

/** The released normaliser's floor: w_k = c_k / max(sum c, 1e-6). */
export const NORMALIZE_FLOOR = 1e-6;

/**
 * c_k = retrieval_k * thinking_k. Throws on a score that is not 0 or 1.
 *
 * @example
 * ```ts
 * contributions([{ retrieval: 1, thinking: 1 }, { retrieval: 1, thinking: 0 }]); // [1, 0]
 * ```
 */
export function contributions(scores: readonly RoundScore[]): Float32Array {
  const out = new Float32Array(scores.length);
  scores.forEach((s, k) => {
    checkRoundScore(s, k, "contributions");
    out[k] = s.retrieval * s.thinking;
  });
  return out;
}

/**
 * Weights w_k over the non-final rounds from contributions c_k.
 *
 * @example
 * ```ts
 * contributionWeights(new Float32Array([1, 0, 1]), { weighting: { kind: "normalize" }, allZero: "zero-non-final" });
 * // [0.5, 0, 0.5]
 * ```
 */
export function contributionWeights(
  c: Float32Array,
  opts: { weighting: ContributionWeighting; allZero: AllZeroContributions },
): Float64Array {
  const m = c.length;
  const w = new Float64Array(m);
  if (m === 0) return w;
  if (opts.weighting.kind === "softmax") {
    const g = opts.weighting.gamma;
    let max = -Infinity;
    for (let k = 0; k < m; k++) max = Math.max(max, g * c[k]!);
    let z = 0;
    for (let k = 0; k < m; k++) z += w[k] = Math.exp(g * c[k]! - max);
    for (let k = 0; k < m; k++) w[k]! /= z;
    return w;
  }
  let sum = 0;
  for (let k = 0; k < m; k++) sum += c[k]!;
  if (sum === 0 && opts.allZero === "fall-back-to-grpo") return w.fill(1 / m);
  const d = Math.max(sum, NORMALIZE_FLOOR);
  for (let k = 0; k < m; k++) w[k] = c[k]! / d;
  return w;
}

/**
 * Per-round advantage multipliers of one judged trajectory with K rounds: (K-1) w_k for
 * k < K and 1 for the answer round (index k-1 holds round k).
 *
 * @example
 * ```ts
 * roundScales(new Float64Array([0.5, 0, 0.5])); // [1.5, 0, 1.5, 1]
 * ```
 */
export function roundScales(weights: Float64Array): Float32Array {
  const K = weights.length + 1;
  const out = new Float32Array(K);
  for (let k = 0; k < K - 1; k++) out[k] = (K - 1) * weights[k]!;
  out[K - 1] = 1;
  return out;
}

/**
 * The CW-GRPO kernel: out[r, t] = rowAdv[r] * scales[r][round(t) - 1] on trainable tokens
 * (rounds past the scales, or rows with `scales[r] = null`, keep rowAdv[r]); 0 elsewhere.
 *
 * @example
 * ```ts
 * cwTokenAdvantages(new Float32Array([2]), [new Float32Array([0, 1])], {
 *   n: 1, length: 3, lossMask: new Float32Array([0, 1, 1]), roundIds: new Int32Array([0, 1, 2]),
 * }); // [0, 0, 2]
 * ```
 */
export function cwTokenAdvantages(
  rowAdv: Float32Array,
  scales: readonly (Float32Array | null)[],
  layout: RoundLayout,
): Float32Array {
  return tokenAdvantagesByRound("cwTokenAdvantages", layout, { rowAdv, scales }, (r) => {
    const a = rowAdv[r]!;
    if (a === 0) return null;
    const s = scales[r] ?? null;
    return (k) => (s !== null && k >= 1 && k <= s.length ? a * s[k - 1]! : a);
  });
}
