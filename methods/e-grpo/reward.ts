/**
 * E-GRPO's entity-aware reward as a pure function over typed arrays:
 *
 *     R_i = 1                     if o_i is correct
 *           alpha * gamma_hat_i   if o_i is incorrect (and eligible)
 *           0                     if o_i is not eligible (no answer, with noAnswer = "zero")
 *
 * gamma_hat_i = gamma_i / max_{j in G(i)} gamma_j ("group-max", 0 when the max is 0) or gamma_i.
 *
 * @module
 */
import { groupMax } from "../grpo/mod.ts";
import type { GammaNormalization } from "./config.ts";

/**
 * gamma_hat per row.
 *
 * @example
 * ```ts
 * normalizeGamma(new Float32Array([0.2, 0.4, 1]), new Int32Array([0, 0, 1]), "group-max"); // [0.5, 1, 1]
 * ```
 */
export function normalizeGamma(
  gamma: Float32Array,
  groupIds: Int32Array,
  normalization: GammaNormalization,
): Float32Array {
  const max = groupMax(gamma, groupIds, { op: "normalizeGamma", of: "gamma" });
  if (normalization === "none") return Float32Array.from(gamma);
  return Float32Array.from(gamma, (g, i) => (max[i]! > 0 ? g / max[i]! : 0));
}

/**
 * E-GRPO rewards per row.
 *
 * @param outcome EM outcome per row (> 0 = correct; the correct reward is the outcome itself, 1 for EM)
 * @param gamma entity match rate per row
 * @example
 * ```ts
 * entityRewards(new Float32Array([1, 0, 0]), new Float32Array([1, 0.5, 0.25]), {
 *   groupIds: new Int32Array([0, 0, 0]), eligible: new Uint8Array([1, 1, 1]), alpha: 0.3, normalization: "none",
 * }); // [1, 0.15, 0.075]
 * ```
 */
export function entityRewards(
  outcome: Float32Array,
  gamma: Float32Array,
  opts: {
    groupIds: Int32Array;
    /** 1 if an incorrect row may earn entity credit. */
    eligible: Uint8Array;
    alpha: number;
    normalization: GammaNormalization;
  },
): Float32Array {
  const n = outcome.length;
  if (gamma.length !== n || opts.groupIds.length !== n || opts.eligible.length !== n) {
    throw new RangeError(
      `entityRewards: outcome, gamma, groupIds and eligible need ${n} entries each`,
    );
  }
  // The group maximum runs over every row of the group, correct ones included.
  const hat = normalizeGamma(gamma, opts.groupIds, opts.normalization);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (outcome[i]! > 0) out[i] = outcome[i]!;
    else out[i] = opts.eligible[i] === 1 ? opts.alpha * hat[i]! : 0;
  }
  return out;
}
