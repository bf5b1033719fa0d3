import assert from "node:assert/strict";
import { initBackend, tf } from "../backend.ts";
import { detach } from "./detach.ts";

Deno.test("detach: same value, no gradient through it", async () => {
  await initBackend({ backend: "cpu" });
  const x = tf.tensor1d([3, -2]);
  assert.deepEqual(Array.from(detach(x).dataSync()), [3, -2]);
  // d/dx sum(x * detach(x)) = detach(x) = x; without detach it would be 2x.
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, detach(v))))(x);
  assert.deepEqual(Array.from(g.dataSync()), [3, -2]);
  // exp(x - detach(x)) is 1 with gradient 1 (the on-policy ratio)
  const r = tf.grad((v: tf.Tensor) => tf.sum(tf.exp(tf.sub(v, detach(v)))))(x);
  assert.deepEqual(Array.from(r.dataSync()), [1, 1]);
});
