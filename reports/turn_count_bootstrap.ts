/**
 * Intervals for the turn-count slope S of turn_count.ts: a cluster bootstrap over prompt groups
 * (both outcome cells of a group resampled together), stratified by run ({@link bootstrapSlope}),
 * and the per-run slopes ({@link stratumSlopes}) for a t-interval over seeds. A paired
 * difference between two credits of the same trajectories (e.g. a method's recorded credit and
 * the same trajectories replayed under another config) is the slope of the difference of their
 * numerators over the same denominators: resampling the same groups for both pairs them.
 *
 * @module
 */

import { Rng } from "../kernels/rng.ts";
import type { GroupMoments } from "./turn_count.ts";

/** Slope of each stratum's groups alone, by stratum ascending (NaN: no informative cell). */
export function stratumSlopes(m: GroupMoments): { stratum: number; slope: number }[] {
  const by = new Map<number, [number, number]>();
  m.strata.forEach((s, j) => {
    const v = by.get(s) ?? [0, 0];
    v[0] += m.num[j]!;
    v[1] += m.den[j]!;
    by.set(s, v);
  });
  return [...by.keys()].sort((a, b) => a - b).map((s) => {
    const [a, b] = by.get(s)!;
    return { stratum: s, slope: b > 0 ? a / b : NaN };
  });
}

/** Options of {@link bootstrapSlope}. */
export interface BootstrapOptions {
  /** Stratum of each group (groups are resampled within their stratum). */
  strata: Int32Array;
  /** Resamples (default 2000). */
  resamples?: number;
  /** Seed of the resampling Rng (default 1): same input, same interval. */
  seed?: number;
  /** Default 0.95. */
  level?: number;
}

/** A percentile bootstrap interval; `degenerate` resamples (no informative group) are left out. */
export interface BootstrapInterval {
  lo: number;
  hi: number;
  resamples: number;
  degenerate: number;
}

function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile interval of Σ num / Σ den under a stratified cluster bootstrap: each resample draws,
 * in every stratum, as many groups as it has, with replacement. Pass the difference of two
 * numerators (same groups, same den) for a paired difference.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Every group has slope 2: every resample gives 2.
 * const ci = bootstrapSlope(Float64Array.of(2, 4, 6), Float64Array.of(1, 2, 3), {
 *   strata: Int32Array.of(0, 0, 1), resamples: 200,
 * });
 * assert.deepEqual([ci.lo, ci.hi, ci.degenerate], [2, 2, 0]);
 * ```
 */
export function bootstrapSlope(
  num: Float64Array,
  den: Float64Array,
  opts: BootstrapOptions,
): BootstrapInterval {
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  if (num.length !== den.length || opts.strata.length !== den.length) {
    throw new RangeError(
      `turn count: num, den and strata must have one entry per group (${num.length}, ${den.length}, ${opts.strata.length})`,
    );
  }
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`turn count: resamples must be a positive integer, got ${resamples}`);
  }
  if (!(level > 0 && level < 1)) throw new RangeError(`turn count: level ${level} not in (0, 1)`);
  const members = new Map<number, number[]>();
  opts.strata.forEach((s, j) => members.set(s, [...(members.get(s) ?? []), j]));
  const pools = [...members.keys()].sort((a, b) => a - b).map((s) => members.get(s)!);
  const rng = new Rng(opts.seed ?? 1);
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) {
    let a = 0;
    let d = 0;
    for (const pool of pools) {
      for (let r = 0; r < pool.length; r++) {
        const j = pool[rng.int(pool.length)]!;
        a += num[j]!;
        d += den[j]!;
      }
    }
    if (d > 0) values.push(a / d);
  }
  values.sort((x, y) => x - y);
  return {
    lo: quantile(values, (1 - level) / 2),
    hi: quantile(values, (1 + level) / 2),
    resamples,
    degenerate: resamples - values.length,
  };
}
