/**
 * Helpers shared by the kernel tests: seeded random arrays, allclose, a mask generator, the
 * values of a computation on a given backend, and the check of a wasm engine's on/off switch.
 * @module
 */

import assert from "node:assert/strict";
import { withEnv } from "@creditlab/core/testing";
import type { Rng } from "../rng.ts";
import { initBackend, type InitBackendOptions, tf } from "../backend.ts";

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

/** One of the wasm backend's optional native engines, for {@link checkEngineSwitch}. */
export interface EngineSwitch {
  /** The `BackendInfo` field naming the engine (its thread count is in `<field>Threads`). */
  field: "matmul" | "elementwise";
  /** The `initBackend` option that asks for the engine, e.g. `{ blas: true }`. */
  request: InitBackendOptions;
  /** The environment variable whose value `0` turns the engine off. */
  env: string;
  /** The engine `initBackend` reports, and a pattern of its reason, with the engine on / off. */
  on: { engine: string; reason: RegExp };
  off: { engine: string; reason: RegExp };
  /** Whether the engine's kernels are installed now. */
  enabled: () => boolean;
}

/**
 * `initBackend` on wasm with the engine requested reports it on (with at least one thread) and
 * installs it; with `env=0` a plain `initBackend` on wasm reports it off and leaves it out. The
 * caller puts its own engine settings back afterwards.
 */
export async function checkEngineSwitch(e: EngineSwitch): Promise<void> {
  const on = await initBackend({ ...e.request, backend: "wasm" });
  assert.equal(on[e.field], e.on.engine);
  assert.ok((on[`${e.field}Threads`] ?? 0) >= 1);
  assert.match(on.reason, e.on.reason);
  assert.ok(e.enabled());
  await withEnv(e.env, "0", async () => {
    const off = await initBackend({ backend: "wasm" });
    assert.equal(off[e.field], e.off.engine);
    assert.match(off.reason, e.off.reason);
    assert.equal(e.enabled(), false);
  });
}
