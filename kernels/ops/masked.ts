/**
 * Masked reductions: sum, mean and variance of `x` over the entries where `mask` is 1.
 *
 * With `m` the 0/1 mask and `n = Σ m`:
 * - maskedSum  = Σ m·x
 * - maskedMean = Σ m·x / n
 * - maskedVar  = Σ m·(x − mean)² / (n − δ), δ = 1 when `unbiased`, else 0
 *
 * Without `axis` the reduction is over every entry and an all-zero mask is an error (the mean
 * of nothing is not 0). With `axis` each slice is reduced on its own; a slice whose mask is all
 * zero gives 0 (a padded row contributes nothing), and its gradient is 0, never NaN.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, tf } from "../backend.ts";
 * import { maskedMean } from "./masked.ts";
 * await initBackend({ backend: "cpu" });
 * const x = tf.tensor2d([[1, 2], [3, 4]]), m = tf.tensor2d([[1, 0], [1, 1]]);
 * assert.equal(maskedMean(x, m).dataSync()[0]!.toFixed(4), "2.6667"); // (1 + 3 + 4) / 3
 * assert.deepEqual(Array.from(maskedMean(x, m, { axis: 1 }).dataSync()), [1, 3.5]);
 * ```
 * @module
 */

import { tf } from "../backend.ts";
import { checkArray, checkMaskedValues, opError } from "./validate.ts";

/** Options of the masked reductions. */
export interface MaskedOptions {
  /** Reduce along this axis only (negative counts from the end); undefined = all entries. */
  axis?: number | undefined;
  /** Check shapes, dtypes, finiteness and the 0/1 mask (default true). */
  validate?: boolean;
}

function check(op: string, x: tf.Tensor, mask: tf.Tensor, opts: MaskedOptions): void {
  if (opts.validate !== false) checkMaskedValues(op, "x", x, mask, { axis: opts.axis });
}

/** Σ mask·x over all entries (scalar) or along `opts.axis`. See the module doc. */
export function maskedSum(x: tf.Tensor, mask: tf.Tensor, opts: MaskedOptions = {}): tf.Tensor {
  check("maskedSum", x, mask, opts);
  return tf.tidy(() => tf.sum(tf.mul(x, mask), opts.axis));
}

function meanKeep(x: tf.Tensor, mask: tf.Tensor, axis: number | undefined): tf.Tensor {
  const s = tf.sum(tf.mul(x, mask), axis, true);
  const n = tf.sum(mask, axis, true);
  // max(n, 1): an empty slice has s = 0, so its mean is 0 and its gradient finite.
  return tf.div(s, tf.maximum(n, 1));
}

/** Σ mask·x / Σ mask over all entries (scalar) or along `opts.axis` (empty slices give 0). */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor, opts: MaskedOptions = {}): tf.Tensor {
  check("maskedMean", x, mask, opts);
  return tf.tidy(() => {
    const m = meanKeep(x, mask, opts.axis);
    return opts.axis === undefined ? tf.reshape(m, []) : tf.squeeze(m, [opts.axis]);
  });
}

/**
 * Masked variance Σ m·(x − mean)² / (n − δ) with δ = 1 when `unbiased` (Bessel), else 0.
 * Over all entries, fewer than 1 + δ selected entries is an error; along an axis such slices
 * give 0.
 */
export function maskedVar(
  x: tf.Tensor,
  mask: tf.Tensor,
  opts: MaskedOptions & { unbiased?: boolean } = {},
): tf.Tensor {
  const op = "maskedVar";
  check(op, x, mask, opts);
  const delta = opts.unbiased ? 1 : 0;
  return tf.tidy(() => {
    const mean = meanKeep(x, mask, opts.axis);
    const d = tf.sub(x, mean);
    const ss = tf.sum(tf.mul(tf.mul(d, d), mask), opts.axis, true);
    const n = tf.sum(mask, opts.axis, true);
    if (
      opts.axis === undefined && opts.validate !== false && delta > 0 && n.dataSync()[0]! <= delta
    ) {
      throw opError(
        op,
        "mask",
        `selects ${n.dataSync()[0]} entries; the unbiased variance needs at least 2`,
      );
    }
    const v = tf.div(ss, tf.maximum(tf.sub(n, delta), 1));
    const out = tf.where(tf.greater(n, delta), v, tf.zerosLike(v));
    return opts.axis === undefined ? tf.reshape(out, []) : tf.squeeze(out, [opts.axis]);
  });
}

// ---------------------------------------------------------------------------------------------
// Plain-TypeScript references (the oracles of the tests).

function checkPair(op: string, arg: string, x: ArrayLike<number>, mask: ArrayLike<number>): void {
  checkArray(op, arg, x);
  checkArray(op, "mask", mask, { length: x.length, binary: true });
}

/**
 * Per-row Σ mask·x (`sums`) and Σ mask (`counts`) of row-major [rows, rowLength] arrays, after
 * checking them: `x` (named `arg` in errors) finite, `mask` 0/1 of its length, `rowLength`
 * dividing it. The loop of the per-row references.
 */
export function maskedRowTotalsRef(
  op: string,
  arg: string,
  x: ArrayLike<number>,
  mask: ArrayLike<number>,
  rowLength: number,
): { sums: Float64Array; counts: Float64Array } {
  checkPair(op, arg, x, mask);
  const L = rowLength;
  if (!Number.isInteger(L) || L <= 0 || x.length % L !== 0) {
    throw opError(op, "rowLength", `must divide ${arg}.length=${x.length}, got ${L}`);
  }
  const rows = x.length / L;
  const sums = new Float64Array(rows), counts = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0, n = 0;
    for (let t = 0; t < L; t++) {
      s += mask[r * L + t]! * x[r * L + t]!;
      n += mask[r * L + t]!;
    }
    sums[r] = s;
    counts[r] = n;
  }
  return { sums, counts };
}

/** Reference Σ mask·x. */
export function maskedSumRef(x: ArrayLike<number>, mask: ArrayLike<number>): number {
  checkPair("maskedSumRef", "x", x, mask);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += mask[i]! * x[i]!;
  return s;
}

/** Reference Σ mask·x / Σ mask (all-zero mask: Error). */
export function maskedMeanRef(x: ArrayLike<number>, mask: ArrayLike<number>): number {
  checkPair("maskedMeanRef", "x", x, mask);
  let s = 0, n = 0;
  for (let i = 0; i < x.length; i++) {
    s += mask[i]! * x[i]!;
    n += mask[i]!;
  }
  if (n === 0) throw opError("maskedMeanRef", "mask", "selects no tokens (all zero)");
  return s / n;
}

/** Reference masked variance (see {@link maskedVar}). */
export function maskedVarRef(
  x: ArrayLike<number>,
  mask: ArrayLike<number>,
  opts: { unbiased?: boolean } = {},
): number {
  const mean = maskedMeanRef(x, mask);
  let ss = 0, n = 0;
  for (let i = 0; i < x.length; i++) {
    ss += mask[i]! * (x[i]! - mean) ** 2;
    n += mask[i]!;
  }
  const delta = opts.unbiased ? 1 : 0;
  if (n <= delta) throw opError("maskedVarRef", "mask", `selects ${n} entries; need at least 2`);
  return ss / (n - delta);
}

/** Reference per-row reductions of a row-major [rows, rowLength] array (empty rows give 0). */
export function maskedRowsRef(
  x: ArrayLike<number>,
  mask: ArrayLike<number>,
  opts: { rowLength: number; reduce: "sum" | "mean" | "var"; unbiased?: boolean },
): Float64Array {
  const L = opts.rowLength;
  const { sums, counts } = maskedRowTotalsRef("maskedRowsRef", "x", x, mask, L);
  const out = new Float64Array(sums.length);
  const delta = opts.unbiased ? 1 : 0;
  for (let r = 0; r < sums.length; r++) {
    const s = sums[r]!, n = counts[r]!;
    if (opts.reduce === "sum") out[r] = s;
    else if (opts.reduce === "mean") out[r] = n > 0 ? s / n : 0;
    else {
      const mean = n > 0 ? s / n : 0;
      let ss = 0;
      for (let t = 0; t < L; t++) ss += mask[r * L + t]! * (x[r * L + t]! - mean) ** 2;
      out[r] = n > delta ? ss / (n - delta) : 0;
    }
  }
  return out;
}
