/**
 * Per-token KL estimators of KL(π_θ ‖ π_ref) from log-probabilities of tokens sampled from π_θ
 * (J. Schulman, "Approximating KL Divergence", 2020, http://joschu.net/blog/kl-approx.html).
 *
 * With δ = log π_ref(y) − log π_θ(y) = `refLogProbs − logProbs` and r = exp(δ) = π_ref/π_θ:
 * - k1 = −δ = log π_θ − log π_ref                 (unbiased, high variance, can be negative)
 * - k2 = ½ δ²                                      (biased, low variance, ≥ 0)
 * - k3 = r − 1 − log r = exp(δ) − δ − 1            (unbiased, low variance, ≥ 0; GRPO's choice,
 *   verl's "low_var_kl")
 * For k3 only, δ is clamped to [−{@link KL_LOG_RATIO_CLAMP}, +{@link KL_LOG_RATIO_CLAMP}] before
 * the exponential so a far-off reference cannot overflow float32 (verl clamps the resulting
 * value to [−10, 10] instead; we do not clamp the value). The references do the same.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, tf } from "../backend.ts";
 * import { klPenalty } from "./kl.ts";
 * await initBackend({ backend: "cpu" });
 * // log π = log 0.5, log π_ref = log 0.25: δ = −log 2, r = 1/2
 * const k3 = klPenalty(tf.tensor1d([Math.log(0.5)]), tf.tensor1d([Math.log(0.25)]), {
 *   estimator: "k3",
 * });
 * assert.equal(k3.dataSync()[0]!.toFixed(4), "0.1931"); // 0.5 − 1 + log 2
 * ```
 * @module
 */

import type { KlEstimator } from "@creditlab/core";
import { tf } from "../backend.ts";
import {
  checkArray,
  checkOneOf,
  checkTensor,
  clampKeepNaN,
  finiteCheck,
  runChecks,
} from "./validate.ts";

/** The estimator names. */
export const KL_ESTIMATORS: readonly KlEstimator[] = ["k1", "k2", "k3"];

/** |δ| bound applied before exp in k3. */
export const KL_LOG_RATIO_CLAMP = 20;

/** Check an estimator name. */
export function checkEstimator(op: string, arg: string, e: unknown): KlEstimator {
  return checkOneOf(op, arg, e, KL_ESTIMATORS);
}

/** Per-token KL estimate (same shape as the inputs). See the module doc for the formulas. */
export function klPenalty(
  logProbs: tf.Tensor,
  refLogProbs: tf.Tensor,
  opts: { estimator: KlEstimator; validate?: boolean },
): tf.Tensor {
  const op = "klPenalty";
  const estimator = checkEstimator(op, "estimator", opts.estimator);
  if (opts.validate !== false) {
    checkTensor(op, "logProbs", logProbs, { dtype: "float32" });
    checkTensor(op, "refLogProbs", refLogProbs, { dtype: "float32", shape: logProbs.shape });
    runChecks(op, [finiteCheck("logProbs", logProbs), finiteCheck("refLogProbs", refLogProbs)]);
  }
  return tf.tidy(() => {
    const delta = tf.sub(refLogProbs, logProbs);
    switch (estimator) {
      case "k1":
        return tf.neg(delta);
      case "k2":
        return tf.mul(0.5, tf.square(delta));
      case "k3": {
        const d = clampKeepNaN(delta, -KL_LOG_RATIO_CLAMP, KL_LOG_RATIO_CLAMP);
        return tf.sub(tf.sub(tf.exp(d), d), 1);
      }
    }
  });
}

/** Reference of {@link klPenalty} on plain arrays. */
export function klPenaltyRef(
  logProbs: ArrayLike<number>,
  refLogProbs: ArrayLike<number>,
  opts: { estimator: KlEstimator },
): Float64Array {
  const op = "klPenaltyRef";
  const estimator = checkEstimator(op, "estimator", opts.estimator);
  checkArray(op, "logProbs", logProbs);
  checkArray(op, "refLogProbs", refLogProbs, { length: logProbs.length });
  const out = new Float64Array(logProbs.length);
  for (let i = 0; i < out.length; i++) {
    const delta = refLogProbs[i]! - logProbs[i]!;
    if (estimator === "k1") out[i] = -delta;
    else if (estimator === "k2") out[i] = 0.5 * delta * delta;
    else {
      const d = Math.min(KL_LOG_RATIO_CLAMP, Math.max(-KL_LOG_RATIO_CLAMP, delta));
      out[i] = Math.exp(d) - d - 1;
    }
  }
  return out;
}
