/**
 * A²TGPO's credit as pure functions over typed arrays (Chen et al., arXiv 2605.06200; README.md
 * has the equations and which parts are the paper's). For trajectory i of prompt group g with
 * policy rounds k = 1..K_i (round K_i answers) and information gains g_{i,1..K_i−1}:
 *
 *     z_{i,k}  = (g_{i,k} − mean) / (std + eps)      over (g, k) — or over all of g's gains
 *     S_{i,k}  = sum_{j=k}^{K_i−1} γ^(j−k) z_{i,j}    accumulated from turn k on
 *     T_{i,k}  = S_{i,k} / sqrt(K_i − k)              variance-rescaled (n = K_i − k terms)
 *     A_{i,t}  = A_i + λ T_{i,k(t)}                   tokens of turns k < K_i; A_i in round K_i
 *     s_{i,t}  = 1 + β (2 σ(z_{i,k(t)}) − 1)          clip-range scale of those tokens; else 1
 *
 * with A_i the GRPO outcome advantage. The loss clips token t's ratio to
 * [1 − ε_low s_t, 1 + ε_high s_t] (`StepResult.clipScale`).
 *
 * @module
 */
import {
  addRoundTerms,
  checkGroupIds,
  groupRoundAdvantages,
  type RoundLayout,
} from "../grpo/mod.ts";
import type { Rescale, TurnNormalization } from "./config.ts";

/**
 * Normalised gains z: each row's gains (null: a row without gains, kept null) z-scored within
 * its prompt group (`groupIds`) — per turn index k (`"per-turn-index"`, the set of turn k of
 * the group's trajectories that have one) or over all of the group's gains (`"group-joint"`);
 * (g − mean) / (std + eps) with the unbiased std, or g − mean without `normalizeStd`; a set of
 * one gain gives 0.
 *
 * Worked example (eps 0): one group, gains {0.3, −0.1} and {0.1}. Per turn index: turn 1 is
 * {0.3, 0.1}, mean 0.2, std 0.1414, z = ±0.7071; turn 2 is {−0.1} alone, z = 0. Joint:
 * mean 0.1, std sqrt((0.04 + 0.04 + 0) / 2) = 0.2, z = [1, −1], [0].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const gains = [Float64Array.of(0.3, -0.1), Float64Array.of(0.1), null];
 * const ids = Int32Array.of(0, 0, 0);
 * const z = (normalization: "per-turn-index" | "group-joint") =>
 *   normalizeGains(gains, ids, { normalization, normalizeStd: true, eps: 0 })
 *     .map((x) => x && Array.from(x, (v) => +v.toFixed(4)));
 * assert.deepEqual(z("per-turn-index"), [[0.7071, 0], [-0.7071], null]);
 * assert.deepEqual(z("group-joint"), [[1, -1], [0], null]);
 * ```
 */
export function normalizeGains(
  gains: readonly (ArrayLike<number> | null)[],
  groupIds: Int32Array,
  opts: { normalization: TurnNormalization; normalizeStd: boolean; eps: number },
): (Float32Array | null)[] {
  checkGroupIds(groupIds, gains, { op: "normalizeGains", of: "gains" });
  const pooling = opts.normalization === "per-turn-index" ? "group-and-round" : "group";
  return groupRoundAdvantages(gains, groupIds, { ...opts, pooling, singleton: "zero" });
}

/**
 * Turn terms T_1..T_m (index k−1) of one row's normalised gains z_1..z_m (m = K − 1):
 * S_k = sum_{j=k}^{m} γ^(j−k) z_j (backwards: S_k = z_k + γ S_{k+1}), then
 * T_k = S_k / sqrt(m − k + 1) (`"sqrt-count"`: the number of accumulated terms) or S_k
 * (`"none"`).
 *
 * Worked example, z = [1, −1, 0.5], γ = 1: S = [0.5, −0.5, 0.5], n = [3, 2, 1],
 * T = [0.5/√3, −0.5/√2, 0.5] = [0.2887, −0.3536, 0.5]. With γ = 0.5:
 * S_3 = 0.5, S_2 = −1 + 0.25 = −0.75, S_1 = 1 − 0.375 = 0.625.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r4 = (x: Float64Array) => Array.from(x, (v) => +v.toFixed(4));
 * const z = [1, -1, 0.5];
 * assert.deepEqual(r4(turnTerms(z, { gamma: 1, rescale: "sqrt-count" })), [0.2887, -0.3536, 0.5]);
 * assert.deepEqual(r4(turnTerms(z, { gamma: 0.5, rescale: "none" })), [0.625, -0.75, 0.5]);
 * ```
 */
export function turnTerms(
  z: ArrayLike<number>,
  opts: { gamma: number; rescale: Rescale },
): Float64Array {
  const m = z.length;
  const out = new Float64Array(m);
  let acc = 0;
  for (let k = m - 1; k >= 0; k--) {
    acc = z[k]! + opts.gamma * acc;
    out[k] = opts.rescale === "sqrt-count" ? acc / Math.sqrt(m - k) : acc;
  }
  return out;
}

/**
 * The clip-range scale of a turn with normalised gain z: 1 + β (2 σ(z) − 1), computed as
 * 1 + β tanh(z / 2) (the same function: 2 σ(z) − 1 = tanh(z / 2)), in (1 − β, 1 + β), exactly 1
 * at z = 0 or β = 0, increasing in z (informative turns get a wider range).
 *
 * Worked example, β = 0.3: z = 1 → σ = 0.7311, s = 1 + 0.3 × 0.4621 = 1.1386; z = −1 → 0.8614.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(turnClipScale(1, 0.3).toFixed(4), "1.1386");
 * assert.equal(turnClipScale(-1, 0.3).toFixed(4), "0.8614");
 * assert.equal(turnClipScale(0, 0.3), 1);
 * ```
 */
export function turnClipScale(z: number, beta: number): number {
  return 1 + beta * Math.tanh(z / 2);
}

/**
 * The advantage kernel: out[r, t] = rowAdv[r] + coef · terms[r][k − 1] for a trainable token t
 * (lossMask ≠ 0) of round k = roundIds[r, t] with 1 ≤ k ≤ terms[r].length; rowAdv[r] on the
 * row's other trainable tokens (its answer round) and on every trainable token of a row with
 * `terms[r] = null`; 0 elsewhere (the GRPO family's `addRoundTerms`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one row: prompt (round 0), round 1 (2 tokens), round 2 = answer (1 token)
 * const lossMask = Float32Array.of(0, 1, 1, 1), roundIds = Int32Array.of(0, 1, 1, 2);
 * const layout = { n: 1, length: 4, lossMask, roundIds };
 * const out = a2tgpoTokenAdvantages(Float32Array.of(0.5), [Float64Array.of(0.25)], layout, 2);
 * assert.deepEqual(Array.from(out), [0, 1, 1, 0.5]);
 * ```
 */
export function a2tgpoTokenAdvantages(
  rowAdv: Float32Array,
  terms: readonly (ArrayLike<number> | null)[],
  layout: RoundLayout,
  coef: number,
): Float32Array {
  return addRoundTerms(rowAdv, terms, { op: "a2tgpoTokenAdvantages", layout, coef });
}

/**
 * The clip-scale kernel: out[r, t] = scales[r][k − 1] for a trainable token t of round
 * k = roundIds[r, t] with 1 ≤ k ≤ scales[r].length, 1 everywhere else (other rounds, rows with
 * `scales[r] = null`, untrainable tokens, padding). Throws on wrong lengths or a scale that is
 * not finite and > 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const lossMask = Float32Array.of(0, 1, 1, 1), roundIds = Int32Array.of(0, 1, 1, 2);
 * const out = tokenClipScales([Float64Array.of(1.25)], { n: 1, length: 4, lossMask, roundIds });
 * assert.deepEqual(Array.from(out), [1, 1.25, 1.25, 1]);
 * ```
 */
export function tokenClipScales(
  scales: readonly (ArrayLike<number> | null)[],
  layout: RoundLayout,
): Float32Array {
  const { n, length, lossMask, roundIds } = layout;
  if (scales.length !== n) {
    throw new RangeError(`tokenClipScales: scales has ${scales.length} rows, expected n = ${n}`);
  }
  if (lossMask.length !== n * length || roundIds.length !== n * length) {
    throw new RangeError(
      `tokenClipScales: lossMask and roundIds need n * length = ${n * length} entries`,
    );
  }
  const out = new Float32Array(n * length).fill(1);
  scales.forEach((s, r) => {
    if (s === null) return;
    for (let k = 0; k < s.length; k++) {
      if (!(Number.isFinite(s[k]!) && s[k]! > 0)) {
        throw new RangeError(
          `tokenClipScales: row ${r} turn ${k + 1} has clip scale ${
            s[k]
          }; expected a finite number > 0`,
        );
      }
    }
    for (let i = r * length; i < (r + 1) * length; i++) {
      const k = roundIds[i]!;
      if (lossMask[i] !== 0 && k >= 1 && k <= s.length) out[i] = s[k - 1]!;
    }
  });
  return out;
}
