/**
 * The verdict on a paper's claim, in words: whether an interval of Δ lies on the paper's side
 * of 0 ({@link intervalVerdict}), for a paired estimate ({@link verdict}) or any other interval
 * with its design named (decide.ts uses it for Welch's fallback).
 *
 * @module
 */

import { pointsText } from "./format.ts";
import type { PairedEstimate } from "./paired.ts";

/** Outcome of a reproduction check: see {@linkcode verdict}. */
export type VerdictKind = "reproduces" | "contradicts" | "inconclusive";

/** A verdict and its one-line text. */
export interface Verdict {
  kind: VerdictKind;
  text: string;
}

/**
 * Verdict on an interval of Δ in the paper's `direction` (+1: the paper claims the method beats
 * the baseline): reproduces when the interval lies strictly on the paper's side of 0,
 * contradicts when strictly on the other side, else inconclusive (the text then leads with the
 * MDE). Numbers print in points (x `unit`, default 100, one decimal); `design` closes the text,
 * e.g. "(3 seeds x 200 questions)"; `label`, if given, names the quantity after Δ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const v = intervalVerdict({ delta: 0.02, lo: -0.01, hi: 0.05, mde: 0.04 }, {
 *   direction: 1,
 *   design: "(Welch over 3 vs 3 seeds)",
 * });
 * assert.equal(v.text, "inconclusive at MDE 4.0 points: Δ +2.0 points [-1.0, +5.0] (Welch over 3 vs 3 seeds)");
 * ```
 */
export function intervalVerdict(
  est: { delta: number; lo: number; hi: number; mde: number },
  opts: { direction: 1 | -1; design: string; label?: string; unit?: number },
): Verdict {
  const { direction } = opts;
  if (direction !== 1 && direction !== -1) {
    throw new RangeError(`verdict: direction must be 1 or -1, got ${direction}`);
  }
  const unit = opts.unit ?? 100;
  if (!(unit > 0 && Number.isFinite(unit))) {
    throw new RangeError(`verdict: unit must be a positive finite number, got ${unit}`);
  }
  const fmt = (x: number, signed: boolean) => pointsText(x * unit, { signed });
  // The interval's ends on the paper's scale (direction · Δ): both > 0 or both < 0 decides.
  const near = Math.min(direction * est.lo, direction * est.hi);
  const far = Math.max(direction * est.lo, direction * est.hi);
  const kind: VerdictKind = near > 0 ? "reproduces" : far < 0 ? "contradicts" : "inconclusive";
  const name = opts.label === undefined ? "Δ" : `Δ ${opts.label}`;
  const effect = `${name} ${fmt(est.delta, true)} points ` +
    `[${fmt(est.lo, true)}, ${fmt(est.hi, true)}]`;
  const mde = `MDE ${fmt(est.mde, false)} points`;
  const text = kind === "inconclusive"
    ? `inconclusive at ${mde}: ${effect} ${opts.design}`
    : `${kind}: ${effect}, ${mde} ${opts.design}`;
  return { kind, text };
}

/**
 * Verdict on a paper's claim from a {@linkcode PairedEstimate}. `direction` is the sign the
 * paper claims for Δ (+1: the method is better than the baseline).
 *
 * - reproduces: the interval lies strictly on the paper's side of 0 (lo > 0 for direction +1,
 *   hi < 0 for direction -1);
 * - contradicts: the interval lies strictly on the other side;
 * - inconclusive: the interval contains 0; the text reports the design's MDE.
 *
 * Numbers are printed in points: the outcome unit times `unit` (default 100, so a proportion
 * 0.031 prints as "3.1 points"), one decimal. `label`, if given, names the quantity after Δ.
 * With one seed the text adds "seed noise not estimated".
 *
 * @example
 * ```ts
 * import { pairedDelta } from "./paired.ts";
 * const cells = []; // 3 seeds x 200 questions
 * for (let seed = 0; seed < 3; seed++) {
 *   for (let q = 0; q < 200; q++) {
 *     cells.push({ seed, questionId: `q${q}`, baseline: q % 4 ? 0 : 1, method: q % 3 ? 0 : 1 });
 *   }
 * }
 * verdict(pairedDelta(cells), { direction: 1 }).text;
 * // "reproduces: Δ +4.2 points [+1.1, +7.3], MDE 4.4 points (3 seeds x 200 questions)"
 * // or "inconclusive at MDE 4.4 points: Δ +1.0 points [-2.1, +4.1] (3 seeds x 200 questions)"
 * ```
 */
export function verdict(
  est: PairedEstimate,
  opts: { direction: 1 | -1; unit?: number; label?: string },
): Verdict {
  const seedWord = est.seeds === 1 ? "seed" : "seeds";
  const questionWord = est.questions === 1 ? "question" : "questions";
  const design = `(${est.seeds} ${seedWord} x ${est.questions} ${questionWord}` +
    (est.seedNoiseEstimated ? ")" : "; seed noise not estimated)");
  return intervalVerdict(est, { ...opts, design });
}
