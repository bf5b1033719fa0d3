/**
 * Input checks shared by the policy-gradient ops: every failure is an Error naming the op and
 * the argument and saying what was expected, so bad data never turns into a silent NaN.
 *
 * Finiteness and range checks on tensors read one small boolean vector back from the backend
 * (a single synchronisation per op call, however many arguments are checked).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, tf } from "../backend.ts";
 * import { checkTensor } from "./validate.ts";
 * await initBackend({ backend: "cpu" });
 * checkTensor("maskedSum", "x", tf.zeros([2, 3]), { dtype: "float32", rank: 2 }); // passes
 * assert.throws(
 *   () => checkTensor("maskedSum", "x", tf.zeros([2]), { rank: 2 }),
 *   /^Error: maskedSum: x /,
 * );
 * ```
 * @module
 */

import { tf } from "../backend.ts";

/** An Error whose message starts with `op: argument`. */
export function opError(op: string, arg: string, message: string): Error {
  return new Error(`${op}: ${arg} ${message}`);
}

/** Check that `v` is one of the names `allowed`; returns it typed. */
export function checkOneOf<T extends string>(
  op: string,
  arg: string,
  v: unknown,
  allowed: readonly T[],
): T {
  if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
  throw opError(op, arg, `must be one of ${allowed.join("|")}, got ${JSON.stringify(v)}`);
}

/** Expected properties of a tensor argument. */
export interface TensorSpec {
  dtype?: tf.DataType;
  rank?: number;
  /** Exact shape (checked after rank). */
  shape?: readonly number[];
  /** Whether a tensor with zero elements is allowed (default false). */
  allowEmpty?: boolean;
}

/** Check dtype, rank, shape and non-emptiness of a tensor argument. */
export function checkTensor(op: string, arg: string, t: unknown, spec: TensorSpec): tf.Tensor {
  if (!(t instanceof tf.Tensor)) {
    throw opError(op, arg, `must be a tf.Tensor, got ${t === null ? "null" : typeof t}`);
  }
  if (t.isDisposed) throw opError(op, arg, "is a disposed tensor");
  if (spec.dtype !== undefined && t.dtype !== spec.dtype) {
    throw opError(op, arg, `must have dtype ${spec.dtype}, got ${t.dtype}`);
  }
  if (spec.rank !== undefined && t.rank !== spec.rank) {
    throw opError(op, arg, `must have rank ${spec.rank}, got shape [${t.shape}]`);
  }
  if (spec.shape !== undefined && !sameShape(t.shape, spec.shape)) {
    throw opError(op, arg, `must have shape [${spec.shape}], got [${t.shape}]`);
  }
  if (!spec.allowEmpty && t.size === 0) throw opError(op, arg, `is empty (shape [${t.shape}])`);
  return t;
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** One deferred boolean check on tensors: `ok` must be a scalar bool built in a tidy. */
export interface TensorCheck {
  arg: string;
  /** Builds a scalar bool tensor, true when the argument is fine. */
  ok: () => tf.Tensor;
  /** What was expected (used in the error). */
  expected: string;
}

/** `x` has no NaN or Inf. */
export function finiteCheck(arg: string, x: tf.Tensor): TensorCheck {
  return {
    arg,
    ok: () => tf.all(tf.isFinite(x)),
    expected: "contains NaN or Inf (expected finite values)",
  };
}

/** Every entry of `x` is exactly 0 or 1. */
export function binaryCheck(arg: string, x: tf.Tensor): TensorCheck {
  return {
    arg,
    ok: () => tf.all(tf.logicalOr(tf.equal(x, 0), tf.equal(x, 1))),
    expected: "must contain only 0 and 1",
  };
}

/** Every entry of the int tensor `x` is in [0, n). */
export function rangeCheck(arg: string, x: tf.Tensor, n: number): TensorCheck {
  return {
    arg,
    ok: () => tf.logicalAnd(tf.greaterEqual(tf.min(x), 0), tf.less(tf.max(x), n)),
    expected: `must hold ids in [0, ${n})`,
  };
}

/** `x` has at least one nonzero entry. */
export function nonEmptyMaskCheck(arg: string, x: tf.Tensor): TensorCheck {
  return { arg, ok: () => tf.any(tf.notEqual(x, 0)), expected: "selects no tokens (all zero)" };
}

/** Run all checks with one read-back; throw for the first that fails. */
export function runChecks(op: string, checks: readonly TensorCheck[]): void {
  if (checks.length === 0) return;
  const flags = tf.tidy(() => tf.stack(checks.map((c) => tf.cast(c.ok(), "int32"))));
  const v = flags.dataSync();
  flags.dispose();
  for (let i = 0; i < checks.length; i++) {
    if (v[i] !== 1) throw opError(op, checks[i]!.arg, checks[i]!.expected);
  }
}

/**
 * Check a value tensor and its mask, with one read-back: `x` float32 (of `rank`, when given) and
 * finite, `mask` float32 of x's shape holding only 0 and 1 and selecting at least one entry.
 * With `axis` (an integer in [−rank, rank)) an all-zero mask is allowed: each slice is reduced on
 * its own and an empty one gives 0.
 */
export function checkMaskedValues(
  op: string,
  arg: string,
  x: tf.Tensor,
  mask: tf.Tensor,
  opts: { rank?: number; axis?: number | undefined } = {},
): void {
  const spec: TensorSpec = { dtype: "float32" };
  if (opts.rank !== undefined) spec.rank = opts.rank;
  checkTensor(op, arg, x, spec);
  checkTensor(op, "mask", mask, { dtype: "float32", shape: x.shape });
  const axis = opts.axis;
  if (axis !== undefined && (!Number.isInteger(axis) || axis < -x.rank || axis >= x.rank)) {
    throw opError(op, "axis", `must be an integer in [${-x.rank}, ${x.rank}), got ${axis}`);
  }
  runChecks(op, [
    finiteCheck(arg, x),
    binaryCheck("mask", mask),
    ...(axis === undefined ? [nonEmptyMaskCheck("mask", mask)] : []),
  ]);
}

/** Check a finite number option (optionally with bounds). */
export function checkNumber(
  op: string,
  arg: string,
  x: unknown,
  opts: { min?: number; max?: number; minExclusive?: boolean; integer?: boolean } = {},
): number {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw opError(op, arg, `must be a finite number, got ${String(x)}`);
  }
  if (opts.integer && !Number.isInteger(x)) throw opError(op, arg, `must be an integer, got ${x}`);
  if (opts.min !== undefined) {
    if (opts.minExclusive ? x <= opts.min : x < opts.min) {
      throw opError(op, arg, `must be ${opts.minExclusive ? ">" : ">="} ${opts.min}, got ${x}`);
    }
  }
  if (opts.max !== undefined && x > opts.max) {
    throw opError(op, arg, `must be <= ${opts.max}, got ${x}`);
  }
  return x;
}

/** Check a plain array argument's length and (optionally) that all values are finite. */
export function checkArray(
  op: string,
  arg: string,
  x: ArrayLike<number>,
  opts: { length?: number; finite?: boolean; binary?: boolean } = {},
): void {
  if (opts.length !== undefined && x.length !== opts.length) {
    throw opError(op, arg, `must have length ${opts.length}, got ${x.length}`);
  }
  if (x.length === 0) throw opError(op, arg, "is empty");
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (opts.finite !== false && !Number.isFinite(v)) {
      throw opError(op, arg, `contains NaN or Inf at index ${i} (expected finite values)`);
    }
    if (opts.binary && v !== 0 && v !== 1) {
      throw opError(op, arg, `must contain only 0 and 1, got ${v} at index ${i}`);
    }
  }
}

/**
 * clip(x, lo, hi) that keeps NaN and ±Inf non-finite (some backends' clip maps NaN to a bound,
 * which would hide a diverged model). Adds x − x: 0 for finite x, NaN otherwise; its gradient is 0.
 */
export function clampKeepNaN(x: tf.Tensor, lo: number, hi: number): tf.Tensor {
  return tf.add(tf.clipByValue(x, lo, hi), tf.sub(x, x));
}
