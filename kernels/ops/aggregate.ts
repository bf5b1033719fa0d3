/**
 * Loss aggregation: turn a per-token loss l[b, t] and a 0/1 mask m[b, t] into one scalar
 * (DESIGN.md section 7; verl's `agg_loss`). With n_b = Σ_t m[b,t] and R = number of rows with
 * n_b > 0 (rows without a trainable token are left out of every mode):
 *
 * - `token-mean` (DAPO):            Σ_b Σ_t m·l / Σ_b n_b
 * - `seq-mean-token-mean` (GRPO):   (1/R) Σ_{b: n_b>0} (Σ_t m·l / n_b)
 * - `seq-mean-token-sum-norm` (Dr. GRPO, Liu et al. 2025, "Understanding R1-Zero-Like
 *   Training"): (1/R) Σ_{b: n_b>0} (Σ_t m·l) / `maxLength`, a constant normaliser in place of
 *   the per-sequence length n_b so long and short answers are weighted alike. `maxLength`
 *   defaults to the padded length T; set it to the generation budget to keep it constant
 *   across steps (verl divides by the padded length the same way).
 *
 * A mask with no trainable token at all is an error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, tf } from "../backend.ts";
 * import { aggregateLoss } from "./aggregate.ts";
 * await initBackend({ backend: "cpu" });
 * const l = tf.tensor2d([[1, 2, 3], [4, 0, 0]]), m = tf.tensor2d([[1, 1, 1], [1, 0, 0]]);
 * const agg = (mode: "token-mean" | "seq-mean-token-mean" | "seq-mean-token-sum-norm") =>
 *   +aggregateLoss(l, m, { mode }).dataSync()[0]!.toFixed(4);
 * assert.equal(agg("token-mean"), 2.5); // (1+2+3+4)/4
 * assert.equal(agg("seq-mean-token-mean"), 3); // (2 + 4)/2
 * assert.equal(agg("seq-mean-token-sum-norm"), 1.6667); // (6/3 + 4/3)/2
 * ```
 * @module
 */

import type { Aggregation } from "@creditlab/core";
import { tf } from "../backend.ts";
import { maskedRowTotalsRef } from "./masked.ts";
import { checkMaskedValues, checkNumber, checkOneOf, opError } from "./validate.ts";

/** The mode names. */
export const AGGREGATION_MODES: readonly Aggregation[] = [
  "token-mean",
  "seq-mean-token-mean",
  "seq-mean-token-sum-norm",
];

/** Options of {@link aggregateLoss}. */
export interface AggregateOptions {
  mode: Aggregation;
  /** Dr. GRPO's constant normaliser for `seq-mean-token-sum-norm` (default: padded length T). */
  maxLength?: number | undefined;
  /** Check shapes, dtypes, finiteness and the mask (default true). */
  validate?: boolean;
}

/** Check a mode name. */
export function checkMode(op: string, arg: string, m: unknown): Aggregation {
  return checkOneOf(op, arg, m, AGGREGATION_MODES);
}

/** Aggregate a [B, T] per-token loss under a [B, T] 0/1 mask into a scalar (see module doc). */
export function aggregateLoss(
  perToken: tf.Tensor,
  mask: tf.Tensor,
  opts: AggregateOptions,
): tf.Scalar {
  const op = "aggregateLoss";
  const mode = checkMode(op, "mode", opts.mode);
  if (opts.maxLength !== undefined) {
    checkNumber(op, "maxLength", opts.maxLength, { min: 0, minExclusive: true });
  }
  if (opts.validate !== false) checkMaskedValues(op, "perToken", perToken, mask, { rank: 2 });
  const T = perToken.shape[1]!;
  return tf.tidy(() => {
    const masked = tf.mul(perToken, mask);
    if (mode === "token-mean") {
      return tf.div(tf.sum(masked), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
    }
    const rowSum = tf.sum(masked, 1);
    const n = tf.sum(mask, 1);
    const rows = tf.maximum(tf.sum(tf.cast(tf.greater(n, 0), "float32")), 1);
    const perRow = mode === "seq-mean-token-mean"
      ? tf.div(rowSum, tf.maximum(n, 1))
      : tf.div(rowSum, opts.maxLength ?? T);
    return tf.div(tf.sum(perRow), rows) as tf.Scalar;
  });
}

/** Reference of {@link aggregateLoss} on row-major [rows, rowLength] arrays. */
export function aggregateLossRef(
  perToken: ArrayLike<number>,
  mask: ArrayLike<number>,
  opts: { rowLength: number; mode: Aggregation; maxLength?: number },
): number {
  const op = "aggregateLossRef";
  const mode = checkMode(op, "mode", opts.mode);
  const { sums, counts } = maskedRowTotalsRef(op, "perToken", perToken, mask, opts.rowLength);
  const norm = opts.maxLength ?? opts.rowLength;
  let total = 0, count = 0, rowsUsed = 0, rowAcc = 0;
  for (let r = 0; r < sums.length; r++) {
    const s = sums[r]!, n = counts[r]!;
    total += s;
    count += n;
    if (n > 0) {
      rowsUsed++;
      rowAcc += mode === "seq-mean-token-mean" ? s / n : s / norm;
    }
  }
  if (count === 0) throw opError(op, "mask", "selects no tokens (all zero)");
  return mode === "token-mean" ? total / count : rowAcc / rowsUsed;
}
