/**
 * `detach(x)`: the value of `x` with no gradient flowing back (PyTorch's `x.detach()`,
 * TensorFlow's `stop_gradient`; TensorFlow.js has no such op). Lets an on-policy update reuse
 * the forward pass it differentiates as the "old" log-probabilities of the ratio
 * `exp(logp - detach(logp))`, instead of a second forward pass with identical values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, tf } from "../backend.ts";
 * await initBackend({ backend: "cpu" });
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, detach(x))))(tf.tensor1d([3]));
 * assert.deepEqual(Array.from(g.dataSync()), [3]); // d/dx (x * stop(x)) = stop(x)
 * ```
 * @module
 */
import { tf } from "../backend.ts";

type CustomFn = Parameters<typeof tf.customGrad>[0];

/** The value of `x`, treated as a constant by automatic differentiation. */
export function detach<T extends tf.Tensor>(x: T): T {
  const f = (a: tf.Tensor) => ({
    value: tf.clone(a),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
  });
  return tf.customGrad(f as unknown as CustomFn)(x) as T;
}
