/**
 * Building blocks of the Qwen3-shaped transformer: RMSNorm, rotary position embeddings, the
 * causal mask and the embedding lookup. Each works on TensorFlow.js tensors and avoids kernels
 * that the wasm backend lacks (no Einsum; gather's gradient falls back to a one-hot matMul when
 * `UnsortedSegmentSum` is not registered).
 *
 * @module
 */
import { tf } from "../backend.ts";

/**
 * RMSNorm (Zhang & Sennrich 2019, arXiv:1910.07467) over the last axis:
 * `y = x / sqrt(mean(x^2) + eps) * w`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, tf } from "../backend.ts";
 * await initBackend({ backend: "cpu" });
 * const y = rmsNorm(tf.tensor2d([[3, 4]]), tf.ones([2]), 0); // [[3, 4] / sqrt(12.5)]
 * assert.deepEqual(Array.from(y.dataSync(), (v) => +v.toFixed(4)), [0.8485, 1.1314]);
 * ```
 */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const ms = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), weight);
  });
}

/**
 * Rotary position embedding tables (Su et al. 2021, arXiv:2104.09864) in the "rotate half"
 * layout used by Qwen/Llama: for pair index `j < hd/2`, `theta_j = base^(-2j/hd)` and
 * `cos[p, j] = cos[p, j + hd/2] = cos(p * theta_j)` (same for sin).
 * Returns `[positions.length, hd]` row-major tables.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const { cos, sin } = ropeTables(Int32Array.of(0, 1), { headDim: 4, theta: 10000 });
 * assert.deepEqual(Array.from(cos.subarray(0, 4)), [1, 1, 1, 1]); // position 0
 * assert.equal(sin[4], Math.fround(Math.sin(1))); // position 1, frequency 1
 * ```
 */
export function ropeTables(
  positions: ArrayLike<number>,
  opts: { headDim: number; theta: number },
): { cos: Float32Array; sin: Float32Array } {
  const hd = opts.headDim, half = hd / 2;
  const inv = new Float64Array(half);
  for (let j = 0; j < half; j++) inv[j] = Math.pow(opts.theta, (-2 * j) / hd);
  const cos = new Float32Array(positions.length * hd),
    sin = new Float32Array(positions.length * hd);
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    for (let j = 0; j < half; j++) {
      const a = p * inv[j]!;
      const c = Math.cos(a), s = Math.sin(a);
      cos[i * hd + j] = c;
      cos[i * hd + j + half] = c;
      sin[i * hd + j] = s;
      sin[i * hd + j + half] = s;
    }
  }
  return { cos, sin };
}

/**
 * The `[hd, hd]` matrix `R` with `x R = rotate_half(x) = concat(-x[half:], x[:half])`.
 * Using a small matMul keeps RoPE to three ops with a simple gradient on every backend.
 */
export function rotateHalfMatrix(hd: number): Float32Array {
  const half = hd / 2;
  const r = new Float32Array(hd * hd);
  for (let j = 0; j < half; j++) {
    r[(j + half) * hd + j] = -1; // out[j] = -x[j + half]
    r[j * hd + j + half] = 1; // out[j + half] = x[j]
  }
  return r;
}

/**
 * Apply RoPE: `x * cos + rotate_half(x) * sin`, x `[..., hd]`, cos/sin broadcastable to x.
 */
export function applyRope(
  x: tf.Tensor,
  cos: tf.Tensor,
  sin: tf.Tensor,
  rot: tf.Tensor2D,
): tf.Tensor {
  return tf.tidy(() => {
    const hd = x.shape[x.shape.length - 1]!;
    const rx = tf.reshape(tf.matMul(tf.reshape(x, [-1, hd]), rot), x.shape);
    return tf.add(tf.mul(x, cos), tf.mul(rx, sin));
  });
}

/** Additive mask value for disallowed attention (finite, so a fully masked row stays finite). */
export const MASK_NEG = -1e9;

/**
 * Causal additive mask for `groups` stacked query blocks of length `t` over `t` keys:
 * `[groups * t, t]`, entry (g*t + i, j) = 0 when j <= i else {@link MASK_NEG}.
 */
export function causalMask(t: number, groups: number): Float32Array {
  const m = new Float32Array(groups * t * t);
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < t; i++) {
      const row = (g * t + i) * t;
      for (let j = i + 1; j < t; j++) m[row + j] = MASK_NEG;
    }
  }
  return m;
}

/**
 * `onehot(ids, depth)` as float32. Built as int32 then cast: tfjs-backend-wasm 4.22's OneHot
 * ignores the dtype argument and writes integer bit patterns into a float32 tensor.
 */
export function oneHotF32(ids: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(ids, depth), "float32") as tf.Tensor2D);
}

/** True when the active backend can differentiate `tf.gather` natively. */
export function gatherGradAvailable(): boolean {
  return tf.getKernel("UnsortedSegmentSum", tf.getBackend()) !== undefined;
}

/**
 * Embedding lookup `E[ids]` -> `[ids.size, d]`. The gradient w.r.t. `E` is the scatter-add of
 * the output gradient; on backends without `UnsortedSegmentSum` it is computed as
 * `onehot(ids)^T dY` (a matMul), which is exact. `opts.grad` forces one of the two.
 */
export function embeddingLookup(
  table: tf.Tensor2D,
  ids: tf.Tensor1D,
  opts: { grad?: "auto" | "segmentSum" | "oneHot" } = {},
): tf.Tensor2D {
  const grad = opts.grad ?? "auto";
  if (grad === "segmentSum" || (grad === "auto" && gatherGradAvailable())) {
    return tf.gather(table, ids);
  }
  const vocab = table.shape[0];
  const lookup = (e: tf.Tensor, i: tf.Tensor, save: tf.GradSaveFunc) => {
    save([i]);
    return {
      value: tf.gather(e as tf.Tensor2D, i as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const oh = oneHotF32(saved[0] as tf.Tensor1D, vocab);
        return [tf.matMul(oh, dy as tf.Tensor2D, true, false), tf.zerosLike(saved[0]!)];
      },
    };
  };
  const f = tf.customGrad(lookup as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(table, ids) as tf.Tensor2D;
}
