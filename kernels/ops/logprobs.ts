/**
 * Token log-probabilities of chosen tokens, and entropy, from logits.
 *
 * For logits z ∈ R^V at one position, temperature τ and chosen token y:
 * - log p(y) = u_y − log Σ_v exp(u_v), with u = z/τ − max(z/τ) (stable: no exp of a large
 *   number, and the picked difference is of O(1) numbers even for huge logits).
 * - H = logsumexp(z/τ) − Σ_v p_v z_v/τ, with p = softmax(z/τ).
 *
 * Picking z_y has two formulations ({@link PickMode}):
 * - `"gather"`: `tf.gather` on the flattened logits. Its gradient is `UnsortedSegmentSum`, which
 *   tfjs-backend-wasm lacks; kernels/wasm_kernels.ts registers it (one pass over the heap). On
 *   the cpu backend that kernel costs O(B·T·V · B·T), so it is not the default there.
 * - `"one-hot"`: Σ_v onehot(y)_v · z_v (multiply-and-sum); needs no gather gradient, costs one
 *   extra [B, T, V] tensor.
 * The default (`"auto"`) is `"one-hot"` on the cpu backend and `"gather"` elsewhere; both give
 * the same values and gradients (tested).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, tf } from "../backend.ts";
 * import { tokenLogProbs } from "./logprobs.ts";
 * await initBackend({ backend: "cpu" });
 * const logits = tf.tensor3d([[[0, 0], [Math.log(3), 0]]]); // B=1, T=2, V=2
 * const lp = tokenLogProbs(logits, tf.tensor2d([[0, 0]], [1, 2], "int32")).dataSync();
 * assert.deepEqual(Array.from(lp, (v) => +v.toFixed(4)), [-0.6931, -0.2877]); // log 1/2, log 3/4
 * ```
 * @module
 */

import { tf } from "../backend.ts";
import {
  checkArray,
  checkNumber,
  checkTensor,
  finiteCheck,
  opError,
  rangeCheck,
  runChecks,
} from "./validate.ts";

/** How the chosen token's logit is picked (see the module doc). */
export type PickMode = "auto" | "gather" | "one-hot";

/** Options of {@link tokenLogProbs} and {@link entropyFromLogits}. */
export interface LogitsOptions {
  /** Softmax temperature τ > 0 (default 1): logits are divided by it. */
  temperature?: number;
  /** Check shapes, dtypes, finite logits and targets in range (default true). */
  validate?: boolean;
}

function checkLogits(op: string, logits: tf.Tensor, opts: LogitsOptions): number {
  const t = opts.temperature ?? 1;
  if (opts.validate === false) return t;
  checkTensor(op, "logits", logits, { dtype: "float32", rank: 3 });
  return checkNumber(op, "temperature", t, { min: 0, minExclusive: true });
}

function resolvePick(mode: PickMode): "gather" | "one-hot" {
  if (mode !== "auto") return mode;
  return tf.getBackend() === "cpu" ? "one-hot" : "gather";
}

/**
 * log p(targets[b, t] | logits[b, t, :]) for every position: a [B, T] float32 tensor.
 * Logits [B, T, V] float32, targets [B, T] int32 with ids in [0, V).
 */
export function tokenLogProbs(
  logits: tf.Tensor,
  targets: tf.Tensor,
  opts: LogitsOptions & { pick?: PickMode } = {},
): tf.Tensor2D {
  const op = "tokenLogProbs";
  const temperature = checkLogits(op, logits, opts);
  const [B, T, V] = logits.shape as [number, number, number];
  if (opts.validate !== false) {
    checkTensor(op, "targets", targets, { dtype: "int32", shape: [B, T] });
    runChecks(op, [finiteCheck("logits", logits), rangeCheck("targets", targets, V)]);
  }
  const pick = resolvePick(opts.pick ?? "auto");
  return tf.tidy(() => {
    const z0 = temperature === 1 ? logits : tf.div(logits, temperature);
    // Shift by the row max first so that z_y − lse is a difference of O(1) numbers even when
    // the logits are huge (float32 keeps ~7 significant digits).
    const z = tf.sub(z0, tf.max(z0, -1, true));
    const lse = tf.log(tf.sum(tf.exp(z), -1)); // [B, T]
    let chosen: tf.Tensor;
    if (pick === "gather") {
      const flat = tf.reshape(z, [B * T * V]);
      const base = tf.mul(tf.range(0, B * T, 1, "int32"), tf.scalar(V, "int32"));
      const idx = tf.add(base, tf.reshape(targets, [B * T]));
      chosen = tf.reshape(tf.gather(flat, idx), [B, T]);
    } else {
      chosen = tf.sum(tf.mul(z, tf.oneHot(targets, V)), -1);
    }
    return tf.sub(chosen, lse) as tf.Tensor2D;
  });
}

/** Entropy H = −Σ p log p of softmax(logits/τ) at every position: [B, T] float32. */
export function entropyFromLogits(logits: tf.Tensor, opts: LogitsOptions = {}): tf.Tensor2D {
  const op = "entropyFromLogits";
  const temperature = checkLogits(op, logits, opts);
  if (opts.validate !== false) runChecks(op, [finiteCheck("logits", logits)]);
  return tf.tidy(() => {
    const z = temperature === 1 ? logits : tf.div(logits, temperature);
    const logp = tf.sub(z, tf.logSumExp(z, -1, true));
    return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1)) as tf.Tensor2D;
  });
}

// ---------------------------------------------------------------------------------------------
// Plain-TypeScript references.

function refLse(z: ArrayLike<number>, off: number, V: number, tau: number): number {
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, z[off + v]! / tau);
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(z[off + v]! / tau - m);
  return m + Math.log(s);
}

function refCheck(op: string, logits: ArrayLike<number>, vocab: number, tau: number): number {
  checkNumber(op, "vocab", vocab, { min: 1, integer: true });
  checkNumber(op, "temperature", tau, { min: 0, minExclusive: true });
  checkArray(op, "logits", logits);
  if (logits.length % vocab !== 0) {
    throw opError(op, "logits", `length ${logits.length} is not a multiple of vocab=${vocab}`);
  }
  return logits.length / vocab;
}

/** Reference of {@link tokenLogProbs} on row-major [N, V] logits and N targets. */
export function tokenLogProbsRef(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  opts: { vocab: number; temperature?: number },
): Float64Array {
  const op = "tokenLogProbsRef";
  const tau = opts.temperature ?? 1, V = opts.vocab;
  const n = refCheck(op, logits, V, tau);
  checkArray(op, "targets", targets, { length: n });
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const y = targets[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= V) {
      throw opError(op, "targets", `must hold ids in [0, ${V}), got ${y} at index ${i}`);
    }
    out[i] = logits[i * V + y]! / tau - refLse(logits, i * V, V, tau);
  }
  return out;
}

/** Reference of {@link entropyFromLogits} on row-major [N, V] logits. */
export function entropyRef(
  logits: ArrayLike<number>,
  opts: { vocab: number; temperature?: number },
): Float64Array {
  const tau = opts.temperature ?? 1, V = opts.vocab;
  const n = refCheck("entropyRef", logits, V, tau);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lse = refLse(logits, i * V, V, tau);
    let h = 0;
    for (let v = 0; v < V; v++) {
      const lp = logits[i * V + v]! / tau - lse;
      h -= Math.exp(lp) * lp;
    }
    out[i] = h;
  }
  return out;
}
