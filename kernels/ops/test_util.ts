/**
 * Helpers shared by the kernel tests: seeded random arrays, allclose, a mask generator, and
 * the values of a computation on a given backend.
 * @module
 */

import assert from "node:assert/strict";
import type { Rng } from "../rng.ts";
import { tf } from "../backend.ts";

/** Assert |a − b| ≤ atol + rtol·|b| elementwise. */
export function allclose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: { rtol?: number; atol?: number; what?: string } = {},
): void {
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-5;
  assert.equal(a.length, b.length, `${opts.what ?? "arrays"}: lengths ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    assert.ok(
      d <= atol + rtol * Math.abs(b[i]!),
      `${opts.what ?? "arrays"}: index ${i}: ${a[i]} vs ${b[i]} (diff ${d})`,
    );
  }
}

/** Assert two numbers are close. */
export function close(
  a: number,
  b: number,
  opts: { rtol?: number; atol?: number; what?: string } = {},
): void {
  allclose([a], [b], opts);
}

/** n standard normals scaled by `scale`. */
export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/** A [rows, cols] 0/1 mask with a random contiguous span per row (some rows may be empty). */
export function randomMask(
  rng: Rng,
  rows: number,
  cols: number,
  opts: { allowEmptyRows?: boolean } = {},
): Float32Array {
  const m = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    if (opts.allowEmptyRows && rng.next() < 0.2) continue;
    const start = rng.int(cols);
    const len = 1 + rng.int(cols - start);
    for (let t = start; t < start + len; t++) m[r * cols + t] = 1;
  }
  return m;
}

/** Evaluate `f` on a backend and return its values (inputs are built inside `f`). */
export async function valuesOn(backend: "wasm" | "cpu", f: () => tf.Tensor): Promise<number[]> {
  await tf.setBackend(backend);
  const t = tf.tidy(f);
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}
