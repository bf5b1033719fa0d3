/**
 * Design projection: the precision another seeds x questions design would have, from the
 * variance components of a recorded paired comparison ({@link projectDesign}), and the smallest
 * design that would reach a target half-width ({@link designFor}). The levers of a report.
 *
 * @module
 */

import { checkProbability, satterthwaite, tQuantile } from "./stats.ts";

/** What a design of `seeds` x `questions` would give, projected by {@link projectDesign}. */
export interface DesignProjection {
  seeds: number;
  questions: number;
  se: number;
  /** Satterthwaite df of the expected mean squares (NaN when every component is 0). */
  df: number;
  halfWidth: number;
  mde: number;
}

/**
 * The precision another design would have, from the variance components of a recorded
 * comparison ({@link PairedEstimate.components}): the levers of a comparison that did not reach
 * its target. With S' seeds and Q' questions,
 *
 *     Var(Δ̂) = σ²_s/S' + σ²_q/Q' + σ²_e/(S'Q'),
 *
 * and the df is Satterthwaite's for the expected mean squares E[MS_s] = σ²_e + Q'σ²_s,
 * E[MS_q] = σ²_e + S'σ²_q, E[MS_e] = σ²_e (the combination MS_s + MS_q − MS_e, as in
 * {@link pairedDelta}). The components are estimates from one experiment: a projection is a
 * plan, not a measurement.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = projectDesign({ seed: 0, question: 0.01, residual: 0.12 }, { seeds: 4, questions: 300 });
 * assert.ok(Math.abs(p.se - Math.sqrt(0.01 / 300 + 0.12 / 1200)) < 1e-12);
 * ```
 */
export function projectDesign(
  components: { seed: number; question: number; residual: number },
  opts: { seeds: number; questions: number; level?: number; power?: number },
): DesignProjection {
  const { seeds: s, questions: q } = opts;
  const level = opts.level ?? 0.95;
  const power = opts.power ?? 0.8;
  checkProbability("level", level);
  checkProbability("power", power);
  if (!(Number.isInteger(s) && s >= 1 && Number.isInteger(q) && q >= 2)) {
    throw new RangeError(`projectDesign: needs seeds >= 1 and questions >= 2, got ${s} x ${q}`);
  }
  for (const [k, v] of Object.entries(components)) {
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new RangeError(`projectDesign: component ${k} must be a finite number >= 0, got ${v}`);
    }
  }
  const { seed: vs, question: vq, residual: ve } = components;
  const variance = vs / s + vq / q + ve / (s * q);
  const se = Math.sqrt(variance);
  const terms = [{ ms: ve + s * vq, coef: 1, df: q - 1 }];
  if (s >= 2) {
    terms.push({ ms: ve + q * vs, coef: 1, df: s - 1 });
    terms.push({ ms: ve, coef: -1, df: (s - 1) * (q - 1) });
  }
  const df = satterthwaite(terms);
  if (se === 0 || !Number.isFinite(df)) {
    return { seeds: s, questions: q, se, df: NaN, halfWidth: 0, mde: 0 };
  }
  const tCrit = tQuantile((1 + level) / 2, df);
  return {
    seeds: s,
    questions: q,
    se,
    df,
    halfWidth: tCrit * se,
    mde: (tCrit + tQuantile(power, df)) * se,
  };
}

/**
 * The smallest number of questions per world (at a fixed number of seeds), or of seeds (at a
 * fixed number of questions), whose projected half-width ({@link projectDesign}) is at most
 * `halfWidth`; null when none up to `max` reaches it (e.g. a seed component that more
 * questions cannot average away).
 */
export function designFor(
  components: { seed: number; question: number; residual: number },
  opts: { halfWidth: number; seeds?: number; questions?: number; max?: number; level?: number },
): DesignProjection | null {
  if ((opts.seeds === undefined) === (opts.questions === undefined)) {
    throw new Error("designFor: fix exactly one of seeds and questions");
  }
  const max = opts.max ?? (opts.seeds === undefined ? 1000 : 1_000_000);
  const at = (n: number) =>
    projectDesign(components, {
      seeds: opts.seeds ?? n,
      questions: opts.questions ?? n,
      ...(opts.level === undefined ? {} : { level: opts.level }),
    });
  let lo = opts.seeds === undefined ? 1 : 2;
  if (at(max).halfWidth > opts.halfWidth) return null;
  let hi = max;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (at(mid).halfWidth <= opts.halfWidth) hi = mid;
    else lo = mid + 1;
  }
  return at(lo);
}
