/**
 * Paired comparison of two training arms over a crossed seeds x questions design, with an
 * interval that counts both noise sources (the RL seed and the sample of held-out questions),
 * the design's minimal detectable effect, and a reproduction verdict; plus the training-reward
 * trend (first vs last window of steps) over seeds.
 *
 * Model for the paired difference d[s,q] = y1[s,q] - y0[s,q] (method minus baseline, same seed
 * s, same question q), two-way crossed random effects without replication:
 *
 *   d[s,q] = Δ + a_s + b_q + e_sq,   a_s ~ (0, σ²_s),  b_q ~ (0, σ²_q),  e_sq ~ (0, σ²_e),
 *
 * all mutually independent. This is the ANOVA (Hoeffding) decomposition of any exchangeable
 * seeds x questions array, so no normality is needed for the moment equations below; e_sq
 * absorbs both the seed x question interaction and the Bernoulli noise of the outcomes.
 * Δ = E[y1 - y0] is the population effect: the expectation over new seeds AND new questions.
 *
 * @module
 */

import { mean, sampleStd, tQuantile, welchInterval } from "./stats.ts";

/** One (seed, question) cell of a paired design: both arms' outcomes on that seed and question. */
export interface PairedCell {
  seed: number;
  questionId: string;
  /** Baseline outcome y0 (exact match 0/1 or a score in [0, 1]). */
  baseline: number;
  /** Method outcome y1. */
  method: number;
}

/** Result of {@linkcode pairedDelta}. All quantities are in the outcome's unit (e.g. 0.031). */
export interface PairedEstimate {
  /** Mean of d = method - baseline over all S·Q cells. */
  delta: number;
  /** Standard error of `delta`: sqrt of the estimated Var(d̄). */
  se: number;
  /** Satterthwaite degrees of freedom of the variance estimate (NaN when se = 0). */
  df: number;
  /** Lower end of the two-sided interval at `level`. */
  lo: number;
  /** Upper end of the two-sided interval at `level`. */
  hi: number;
  /** t_{(1+level)/2, df} · se. */
  halfWidth: number;
  /** Minimal detectable effect: (t_{(1+level)/2, df} + t_{power, df}) · se. */
  mde: number;
  /** Number of seeds S. */
  seeds: number;
  /** Number of questions Q. */
  questions: number;
  /**
   * Estimated variance components of a single cell's d (all >= 0, truncated as described on
   * {@linkcode pairedDelta}). With S = 1, `seed` and `residual` are 0 and `question` holds the
   * total per-question variance (question and residual are confounded, seed is not estimable).
   */
  components: { seed: number; question: number; residual: number };
  /** False when S = 1: the interval then covers question sampling only, not seed-to-seed noise. */
  seedNoiseEstimated: boolean;
  /** Two-sided confidence level of the interval (default 0.95). */
  level: number;
  /** Power at which `mde` is computed (default 0.8). */
  power: number;
}

function checkProbability(what: string, x: number): void {
  if (!(x > 0 && x < 1)) throw new RangeError(`${what} must be in (0, 1), got ${x}`);
}

/** Satterthwaite df for V = Σ c_i·M_i with M_i a mean square on ν_i df: V² / Σ (c_i M_i)²/ν_i. */
function satterthwaite(terms: readonly { ms: number; coef: number; df: number }[]): number {
  let v = 0;
  let den = 0;
  for (const t of terms) {
    v += t.coef * t.ms;
    den += (t.coef * t.ms) ** 2 / t.df;
  }
  return den > 0 ? v * v / den : NaN;
}

/**
 * Paired difference Δ = E[method - baseline] over a crossed S seeds x Q questions design, with
 * a two-sided interval that counts seed noise and question-sampling noise.
 *
 * Method of moments on d[s,q] = method - baseline (model in the module doc), with row means
 * d̄_s·, column means d̄_·q and grand mean d̄ = `delta`:
 *
 *   MS_s = Q·Σ_s (d̄_s· - d̄)² / (S-1)                          E[MS_s] = σ²_e + Q·σ²_s
 *   MS_q = S·Σ_q (d̄_·q - d̄)² / (Q-1)                          E[MS_q] = σ²_e + S·σ²_q
 *   MS_e = Σ_{s,q} (d - d̄_s· - d̄_·q + d̄)² / ((S-1)(Q-1))      E[MS_e] = σ²_e
 *
 *   Var(d̄) = σ²_s/S + σ²_q/Q + σ²_e/(SQ),  unbiasedly estimated by (MS_s + MS_q - MS_e)/(SQ).
 *
 * Truncation: the components are estimated as σ̂²_s = max(0, (MS_s - MS_e)/Q),
 * σ̂²_q = max(0, (MS_q - MS_e)/S), σ̂²_e = MS_e, and V = σ̂²_s/S + σ̂²_q/Q + σ̂²_e/(SQ), i.e.
 *
 *   V·SQ = max(MS_s, MS_e) + max(MS_q, MS_e) - MS_e,
 *
 * which is never negative and never below the untruncated estimate. It reduces to one of four
 * linear combinations of mean squares, and the df is Satterthwaite's for that combination,
 * df = (Σ c_i MS_i)² / Σ (c_i MS_i)²/ν_i with ν_s = S-1, ν_q = Q-1, ν_e = (S-1)(Q-1):
 *
 *   both components positive:  MS_s + MS_q - MS_e
 *   seed truncated (MS_s < MS_e <= MS_q):  MS_q  (df = Q-1)
 *   question truncated (MS_q < MS_e <= MS_s):  MS_s  (df = S-1)
 *   both truncated:  MS_e  (df = (S-1)(Q-1)).
 *
 * Interval: d̄ ± t_{(1+level)/2, df}·se with se = sqrt(V). MDE (two-sided test at `level`,
 * power `power`): (t_{(1+level)/2, df} + t_{power, df})·se.
 *
 * Calibration (simulation in paired_test.ts: binary outcomes from a logistic model with seed,
 * question, seed x arm and question x arm effects; 2000 experiments per design): the 95%
 * interval covers the population Δ in 96.5% (3 seeds x 200 questions), 95.9% (3 x 400),
 * 96.5% (5 x 200) and 96.2% (5 x 400) of experiments. It is slightly conservative because the
 * truncation biases V upward (by about 30% in E[V] at 3 seeds); the small seed df is handled by
 * Satterthwaite's df, which falls towards S-1 when the seed mean square dominates. At a true Δ
 * equal to the average MDE (5 x 400) the two-sided test rejects in 77% of experiments.
 *
 * One seed (S = 1): seed noise cannot be estimated. The estimate is the paired t-interval over
 * questions, V = MS_q/Q with MS_q the sample variance of the per-question d, df = Q-1, and
 * `seedNoiseEstimated` is false (it is true for S >= 2).
 *
 * Zero variance (every d equal, or more generally V = 0): se = 0, lo = hi = delta,
 * halfWidth = 0, mde = 0 and df = NaN (there is no variance whose df could be counted).
 *
 * Throws on: no cells, a non-finite seed or outcome, a duplicate (seed, question) cell, an
 * incomplete design (a seed missing a question that another seed has; the message names the
 * seed and the question), fewer than 2 questions, or `level`/`power` outside (0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const est = pairedDelta([
 *   { seed: 0, questionId: "a", baseline: 0, method: 1 },
 *   { seed: 0, questionId: "b", baseline: 1, method: 1 },
 *   { seed: 1, questionId: "a", baseline: 0, method: 0 },
 *   { seed: 1, questionId: "b", baseline: 0, method: 1 },
 * ]);
 * assert.equal(est.delta, 0.5); // (1 + 0 + 0 + 1) / 4
 * ```
 */
export function pairedDelta(
  cells: readonly PairedCell[],
  opts: { level?: number; power?: number } = {},
): PairedEstimate {
  const level = opts.level ?? 0.95;
  const power = opts.power ?? 0.8;
  checkProbability("pairedDelta: level", level);
  checkProbability("pairedDelta: power", power);
  if (cells.length === 0) throw new Error("pairedDelta: no cells");

  // seed -> (question -> d); questions in order of first appearance.
  const bySeed = new Map<number, Map<string, number>>();
  const questionOwner = new Map<string, number>();
  for (const c of cells) {
    if (!Number.isFinite(c.seed)) {
      throw new Error(`pairedDelta: non-finite seed ${c.seed} (question "${c.questionId}")`);
    }
    if (!Number.isFinite(c.baseline) || !Number.isFinite(c.method)) {
      throw new Error(
        `pairedDelta: non-finite outcome at seed ${c.seed}, question "${c.questionId}": ` +
          `baseline ${c.baseline}, method ${c.method}`,
      );
    }
    let row = bySeed.get(c.seed);
    if (row === undefined) {
      row = new Map();
      bySeed.set(c.seed, row);
    }
    if (row.has(c.questionId)) {
      throw new Error(
        `pairedDelta: duplicate cell for seed ${c.seed}, question "${c.questionId}"`,
      );
    }
    row.set(c.questionId, c.method - c.baseline);
    if (!questionOwner.has(c.questionId)) questionOwner.set(c.questionId, c.seed);
  }
  const seedIds = [...bySeed.keys()].sort((a, b) => a - b);
  const questionIds = [...questionOwner.keys()];
  const S = seedIds.length;
  const Q = questionIds.length;
  if (Q < 2) {
    throw new Error(`pairedDelta: need at least 2 questions, got ${Q} ("${questionIds[0]}")`);
  }

  // d as a dense S x Q array, centred on the first cell so that an all-equal table gives
  // exactly zero deviations (and so exactly zero variance).
  const d = new Float64Array(S * Q);
  const origin = cells[0]!.method - cells[0]!.baseline;
  for (let i = 0; i < S; i++) {
    const seed = seedIds[i]!;
    const row = bySeed.get(seed)!;
    for (let j = 0; j < Q; j++) {
      const q = questionIds[j]!;
      const v = row.get(q);
      if (v === undefined) {
        throw new Error(
          `pairedDelta: incomplete design: seed ${seed} has no cell for question "${q}" ` +
            `(seed ${questionOwner.get(q)} has it)`,
        );
      }
      d[i * Q + j] = v - origin;
    }
  }

  const rowMean = new Float64Array(S);
  const colMean = new Float64Array(Q);
  let grand = 0;
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < Q; j++) {
      const v = d[i * Q + j]!;
      rowMean[i]! += v;
      colMean[j]! += v;
      grand += v;
    }
  }
  for (let i = 0; i < S; i++) rowMean[i]! /= Q;
  for (let j = 0; j < Q; j++) colMean[j]! /= S;
  grand /= S * Q;
  const delta = origin + grand;

  let ssS = 0;
  for (let i = 0; i < S; i++) ssS += (rowMean[i]! - grand) ** 2;
  ssS *= Q;
  let ssQ = 0;
  for (let j = 0; j < Q; j++) ssQ += (colMean[j]! - grand) ** 2;
  ssQ *= S;

  let v: number;
  let df: number;
  let components: PairedEstimate["components"];
  const seedNoiseEstimated = S >= 2;
  if (!seedNoiseEstimated) {
    const msQ = ssQ / (Q - 1);
    v = msQ / Q;
    df = Q - 1;
    components = { seed: 0, question: msQ, residual: 0 };
  } else {
    let ssE = 0;
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < Q; j++) {
        ssE += (d[i * Q + j]! - rowMean[i]! - colMean[j]! + grand) ** 2;
      }
    }
    const nuS = S - 1;
    const nuQ = Q - 1;
    const nuE = (S - 1) * (Q - 1);
    const msS = ssS / nuS;
    const msQ = ssQ / nuQ;
    const msE = ssE / nuE;
    components = {
      seed: Math.max(0, (msS - msE) / Q),
      question: Math.max(0, (msQ - msE) / S),
      residual: msE,
    };
    const terms: { ms: number; coef: number; df: number }[] = [];
    const seedKept = msS >= msE;
    const questionKept = msQ >= msE;
    if (seedKept) terms.push({ ms: msS, coef: 1, df: nuS });
    if (questionKept) terms.push({ ms: msQ, coef: 1, df: nuQ });
    if (seedKept && questionKept) terms.push({ ms: msE, coef: -1, df: nuE });
    if (!seedKept && !questionKept) terms.push({ ms: msE, coef: 1, df: nuE });
    let vsq = 0;
    for (const t of terms) vsq += t.coef * t.ms;
    v = Math.max(0, vsq) / (S * Q);
    df = satterthwaite(terms);
  }

  const se = Math.sqrt(v);
  const design = { seeds: S, questions: Q, components, seedNoiseEstimated, level, power };
  if (!(se > 0)) {
    return { delta, se: 0, df: NaN, lo: delta, hi: delta, halfWidth: 0, mde: 0, ...design };
  }
  const tCrit = tQuantile((1 + level) / 2, df);
  const halfWidth = tCrit * se;
  return {
    delta,
    se,
    df,
    lo: delta - halfWidth,
    hi: delta + halfWidth,
    halfWidth,
    mde: (tCrit + tQuantile(power, df)) * se,
    ...design,
  };
}

/** Outcome of a reproduction check: see {@linkcode verdict}. */
export type VerdictKind = "reproduces" | "contradicts" | "inconclusive";

/** A verdict and its one-line text. */
export interface Verdict {
  kind: VerdictKind;
  text: string;
}

function fmtPoints(x: number, signed: boolean): string {
  const r = Math.round(x * 10) / 10;
  if (r === 0) return "0.0";
  const s = r.toFixed(1);
  return signed && r > 0 ? `+${s}` : s;
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
  const { direction } = opts;
  if (direction !== 1 && direction !== -1) {
    throw new RangeError(`verdict: direction must be 1 or -1, got ${direction}`);
  }
  const unit = opts.unit ?? 100;
  if (!(unit > 0 && Number.isFinite(unit))) {
    throw new RangeError(`verdict: unit must be a positive finite number, got ${unit}`);
  }
  // The interval's ends on the paper's scale (direction · Δ): both > 0 or both < 0 decides.
  const near = Math.min(direction * est.lo, direction * est.hi);
  const far = Math.max(direction * est.lo, direction * est.hi);
  const kind: VerdictKind = near > 0 ? "reproduces" : far < 0 ? "contradicts" : "inconclusive";
  const name = opts.label === undefined ? "Δ" : `Δ ${opts.label}`;
  const effect = `${name} ${fmtPoints(est.delta * unit, true)} points ` +
    `[${fmtPoints(est.lo * unit, true)}, ${fmtPoints(est.hi * unit, true)}]`;
  const mde = `MDE ${fmtPoints(est.mde * unit, false)} points`;
  const seedWord = est.seeds === 1 ? "seed" : "seeds";
  const questionWord = est.questions === 1 ? "question" : "questions";
  const design = `(${est.seeds} ${seedWord} x ${est.questions} ${questionWord}` +
    (est.seedNoiseEstimated ? ")" : "; seed noise not estimated)");
  const text = kind === "inconclusive"
    ? `inconclusive at ${mde}: ${effect} ${design}`
    : `${kind}: ${effect}, ${mde} ${design}`;
  return { kind, text };
}

/** Result of {@linkcode trainingTrend}. */
export interface TrendEstimate {
  /** Mean over seeds of each seed's first-window mean. */
  first: number;
  /** Mean over seeds of each seed's last-window mean. */
  last: number;
  /** Mean over seeds of (last_s - first_s) (= last - first). */
  delta: number;
  lo: number;
  hi: number;
  /** Half-width of the interval (NaN when it cannot be computed, see trainingTrend). */
  halfWidth: number;
  seeds: number;
  /** Steps per window (the smallest over seeds if seeds logged different numbers of steps). */
  stepsPerWindow: number;
  /** False when S = 1: the interval is within-run step noise only. */
  seedNoiseEstimated: boolean;
}

/**
 * Training-reward trend: how much a logged series (e.g. mean reward per step) rose from the
 * start to the end of training, over seeds.
 *
 * For each seed s with n_s logged steps (sorted by step number), the window is
 * k_s = min(ceil(share·n_s), floor(n_s/2)) steps (so the two windows never overlap);
 * first_s and last_s are the means of the first and last k_s values, and
 * D_s = last_s - first_s. `delta` is the mean of D_s over seeds.
 *
 * Interval:
 * - S >= 2: Student-t over the S per-seed deltas, delta ± t_{(1+level)/2, S-1}·sd(D)/sqrt(S).
 *   Each D_s already contains that run's within-run window noise, so the spread of the D_s
 *   estimates Var(D_s) = (between-seed variance of the trend) + (within-run noise) without
 *   having to model the (autocorrelated) step noise. With S = 2 this has 1 df and is wide on
 *   purpose: pooling the steps of two runs would ignore that runs differ.
 * - S = 1: Welch's interval between the last and first windows' step values of the single run
 *   (`seedNoiseEstimated` false). This ignores autocorrelation between steps and run-to-run
 *   variation, so it understates the uncertainty; it is NaN when a window has fewer than 2
 *   steps.
 *
 * Throws on an empty series, non-finite seed/step/value, a duplicated step within a seed (the
 * message names both), a seed with fewer than 2 steps, `share` outside (0, 0.5], or `level`
 * outside (0, 1).
 */
export function trainingTrend(
  series: readonly { seed: number; step: number; value: number }[],
  opts: { share?: number; level?: number } = {},
): TrendEstimate {
  const share = opts.share ?? 0.2;
  const level = opts.level ?? 0.95;
  if (!(share > 0 && share <= 0.5)) {
    throw new RangeError(`trainingTrend: share must be in (0, 0.5], got ${share}`);
  }
  checkProbability("trainingTrend: level", level);
  if (series.length === 0) throw new Error("trainingTrend: empty series");

  const bySeed = new Map<number, Map<number, number>>();
  for (const p of series) {
    if (!Number.isFinite(p.seed) || !Number.isFinite(p.step) || !Number.isFinite(p.value)) {
      throw new Error(
        `trainingTrend: non-finite point at seed ${p.seed}, step ${p.step}: value ${p.value}`,
      );
    }
    let steps = bySeed.get(p.seed);
    if (steps === undefined) {
      steps = new Map();
      bySeed.set(p.seed, steps);
    }
    if (steps.has(p.step)) {
      throw new Error(`trainingTrend: duplicate point for seed ${p.seed}, step ${p.step}`);
    }
    steps.set(p.step, p.value);
  }

  const seedIds = [...bySeed.keys()].sort((a, b) => a - b);
  const firsts: number[] = [];
  const lasts: number[] = [];
  const deltas: number[] = [];
  let stepsPerWindow = Infinity;
  let firstWindow: number[] = [];
  let lastWindow: number[] = [];
  for (const seed of seedIds) {
    const steps = [...bySeed.get(seed)!.entries()].sort((a, b) => a[0] - b[0]);
    const n = steps.length;
    if (n < 2) throw new Error(`trainingTrend: seed ${seed} has ${n} step(s); need at least 2`);
    const k = Math.min(Math.ceil(share * n), Math.floor(n / 2));
    stepsPerWindow = Math.min(stepsPerWindow, k);
    firstWindow = steps.slice(0, k).map((e) => e[1]);
    lastWindow = steps.slice(n - k).map((e) => e[1]);
    const f = mean(firstWindow);
    const l = mean(lastWindow);
    firsts.push(f);
    lasts.push(l);
    deltas.push(l - f);
  }

  const S = seedIds.length;
  const delta = mean(deltas);
  let halfWidth: number;
  if (S >= 2) {
    const sd = sampleStd(deltas);
    halfWidth = sd === 0 ? 0 : tQuantile((1 + level) / 2, S - 1) * sd / Math.sqrt(S);
  } else {
    halfWidth = welchInterval(lastWindow, firstWindow, { level }).halfWidth;
  }
  return {
    first: mean(firsts),
    last: mean(lasts),
    delta,
    lo: delta - halfWidth,
    hi: delta + halfWidth,
    halfWidth,
    seeds: S,
    stepsPerWindow,
    seedNoiseEstimated: S >= 2,
  };
}

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
