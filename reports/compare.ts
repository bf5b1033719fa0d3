/**
 * Comparing two arms of an experiment on one benchmark column: paired on the per-question
 * outcomes of the run store (`eval_items`, {@link pairedDelta} over seed x question cells) where
 * both arms recorded them, else Welch's interval over the seeds' aggregate EM
 * ({@link welchEstimate}); with the design's MDE and, for a paired comparison wider than
 * {@link TARGET_HALF_WIDTH}, the levers that would reach it ({@link leversOf}).
 *
 * @module
 */

import { designFor, type DesignProjection } from "./design.ts";
import { type PairedCell, pairedDelta, type PairedEstimate } from "./paired.ts";
import { mean, tQuantile, welchSe } from "./stats.ts";

/** Confidence level of every interval of a report. */
export const LEVEL = 0.95;
/** Power at which every minimal detectable effect of a report is computed. */
export const POWER = 0.8;

/** One run's outcomes on one benchmark column: its final evaluation. */
export interface RunOutcomes {
  runId: string;
  seed: number;
  /** EM per question id (`eval_items` of the final evaluation); null when none recorded. */
  items: ReadonlyMap<string, number> | null;
  /** Aggregate EM of the final evaluation (`evals.em`); null when the run has none. */
  score: number | null;
}

/** An arm's runs on one benchmark column, in run order. */
export interface ArmOutcomes {
  arm: string;
  runs: readonly RunOutcomes[];
}

/**
 * The numbers of one comparison A − B, however they were computed; fractions (EM in [0, 1]).
 * NaN where not computable (JSON: null).
 */
export interface EstimateNumbers extends
  Pick<
    PairedEstimate,
    "delta" | "se" | "df" | "lo" | "hi" | "halfWidth" | "mde" | "level" | "power"
  > {
  /** "paired": {@link pairedDelta} over (seed, question) cells; "welch": Welch over seeds. */
  how: "paired" | "welch";
  /** Paired: seeds S of the design. Welch: seeds of A. */
  seeds: number;
  /** Welch: seeds of B (paired: the same as `seeds`, or 1 for a shared reference). */
  referenceSeeds: number;
  /** Paired: questions Q. Welch: null (questions are not paired). */
  questions: number | null;
  /** False when the interval cannot count seed-to-seed noise (one seed). */
  seedNoiseEstimated: boolean;
  /** Paired: the variance components of one cell's difference. Welch: null. */
  components: { seed: number; question: number; residual: number } | null;
  /** Paired, when the half-width exceeds {@link TARGET_HALF_WIDTH}: what would reach it. */
  levers: Levers | null;
}

/**
 * The half-width issue 17 sets as the target of a comparison's 95% interval (3 EM points): a
 * design whose interval is wider cannot decide the 3.8-6.3-point effects the papers claim.
 */
export const TARGET_HALF_WIDTH = 0.03;

/**
 * What would bring a paired comparison to {@link TARGET_HALF_WIDTH}, projected from its variance
 * components (`projectDesign`): more questions at the same seeds, or more seeds at the same
 * questions; null where none up to the search bound would (a seed component more questions
 * cannot average away, or a question component more seeds cannot).
 */
export interface Levers {
  target: number;
  /** The smallest number of questions per world at the recorded seeds. */
  questions: DesignProjection | null;
  /** The smallest number of seeds at the recorded questions per world. */
  seeds: DesignProjection | null;
}

/** {@link Levers} of a paired estimate, or null when it meets the target or is not paired. */
export function leversOf(est: PairedEstimate): Levers | null {
  if (!(est.halfWidth > TARGET_HALF_WIDTH) || est.seeds < 1) return null;
  const c = est.components;
  return {
    target: TARGET_HALF_WIDTH,
    questions: designFor(c, {
      halfWidth: TARGET_HALF_WIDTH,
      seeds: est.seeds,
      max: 100_000,
      level: est.level,
    }),
    seeds: designFor(c, {
      halfWidth: TARGET_HALF_WIDTH,
      questions: est.questions,
      max: 1000,
      level: est.level,
    }),
  };
}

/** One comparison A − B on one benchmark column. */
export interface Comparison {
  column: string;
  /** "method − baseline", "baseline − start", ... */
  label: string;
  arm: string;
  reference: string;
  /** Null when no interval could be computed (see `note`). */
  estimate: EstimateNumbers | null;
  /** The paired estimate itself, when paired (what {@link verdict} reads). */
  paired: PairedEstimate | null;
  /** mean(A) − mean(B) of the seeds' aggregate EM, when both have one (even without interval). */
  point: number | null;
  /** Seeds of A paired with B (paired only). */
  pairedSeeds: number[];
  /** B is one run shared by every seed of A (the warm start: one greedy evaluation). */
  sharedReference: boolean;
  /** Questions left out because not every paired run evaluated them. */
  droppedQuestions: number;
  /** How the estimate was obtained, or why there is none (one sentence). */
  note: string;
}

/**
 * Welch's comparison of mean(a) − mean(b) over seeds, with Welch-Satterthwaite df and the
 * minimal detectable effect of the same design; null with fewer than 2 values on a side.
 * Zero variance gives a point interval (half-width 0, MDE 0, df NaN), as {@link pairedDelta}.
 */
export function welchEstimate(
  a: readonly number[],
  b: readonly number[],
  opts: { level?: number; power?: number } = {},
): EstimateNumbers | null {
  const level = opts.level ?? LEVEL;
  const power = opts.power ?? POWER;
  if (a.length < 2 || b.length < 2) return null;
  const { delta, se, df } = welchSe(a, b);
  const common = {
    how: "welch" as const,
    delta,
    se,
    level,
    power,
    seeds: a.length,
    referenceSeeds: b.length,
    questions: null,
    seedNoiseEstimated: true,
    components: null,
    levers: null,
  };
  if (!(se > 0)) {
    return { ...common, se: 0, df: NaN, lo: delta, hi: delta, halfWidth: 0, mde: 0 };
  }
  const t = tQuantile((1 + level) / 2, df);
  const halfWidth = t * se;
  return {
    ...common,
    df,
    lo: delta - halfWidth,
    hi: delta + halfWidth,
    halfWidth,
    mde: (t + tQuantile(power, df)) * se,
  };
}

function fromPaired(est: PairedEstimate, referenceSeeds: number): EstimateNumbers {
  return {
    how: "paired",
    delta: est.delta,
    se: est.se,
    df: est.df,
    lo: est.lo,
    hi: est.hi,
    halfWidth: est.halfWidth,
    mde: est.mde,
    level: est.level,
    power: est.power,
    seeds: est.seeds,
    referenceSeeds,
    questions: est.questions,
    seedNoiseEstimated: est.seedNoiseEstimated,
    components: { ...est.components },
    levers: leversOf(est),
  };
}

function finite(xs: readonly (number | null)[]): number[] {
  return xs.filter((x): x is number => x !== null && Number.isFinite(x));
}

/** The first run of each seed that has per-question outcomes, by seed. */
function bySeedWithItems(arm: ArmOutcomes): Map<number, RunOutcomes> {
  const out = new Map<number, RunOutcomes>();
  for (const r of arm.runs) {
    if (r.items !== null && r.items.size > 0 && !out.has(r.seed)) out.set(r.seed, r);
  }
  return out;
}

/**
 * Compare arm `a` with arm `b` on one column: paired on per-question outcomes when both arms
 * recorded them ({@link pairedDelta} over the (seed, question) cells both have; seeds pair with
 * the same seed, or, with `shareReference`, with `b`'s single run when `b` has one run only —
 * the greedy warm start), else Welch over the seeds' aggregate EM.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const arm = (name: string, ems: number[]) => ({
 *   arm: name,
 *   runs: ems.map((score, seed) => ({ runId: `${name}-${seed}`, seed, items: null, score })),
 * });
 * const c = compareArms(arm("method", [0.42, 0.45, 0.44]), arm("baseline", [0.40, 0.41, 0.39]), {
 *   column: "searchworld",
 *   label: "method − baseline",
 * });
 * c.estimate?.halfWidth; // Welch over seeds: no per-question outcomes (items) to pair
 * assert.equal(c.point?.toFixed(3), "0.037");
 * ```
 */
export function compareArms(
  a: ArmOutcomes,
  b: ArmOutcomes,
  opts: { column: string; label: string; shareReference?: boolean; level?: number; power?: number },
): Comparison {
  const level = opts.level ?? LEVEL;
  const power = opts.power ?? POWER;
  const aScores = finite(a.runs.map((r) => r.score));
  const bScores = finite(b.runs.map((r) => r.score));
  const base = {
    column: opts.column,
    label: opts.label,
    arm: a.arm,
    reference: b.arm,
    point: aScores.length && bScores.length ? mean(aScores) - mean(bScores) : null,
  };
  const aItems = bySeedWithItems(a);
  const bItems = bySeedWithItems(b);
  let why = "";
  if (aItems.size > 0 && bItems.size > 0) {
    const shared = opts.shareReference === true && b.runs.length === 1 && bItems.size === 1
      ? [...bItems.values()][0]!
      : null;
    const pairs: { seed: number; a: RunOutcomes; b: RunOutcomes }[] = [];
    for (const seed of [...aItems.keys()].sort((x, y) => x - y)) {
      const ref = bItems.get(seed) ?? shared;
      if (ref) pairs.push({ seed, a: aItems.get(seed)!, b: ref });
    }
    if (pairs.length === 0) {
      why = `no seed has per-question outcomes in both ${a.arm} and ${b.arm}`;
    } else {
      const maps = pairs.flatMap((p) => [p.a.items!, p.b.items!]);
      const union = new Set<string>();
      for (const m of maps) for (const q of m.keys()) union.add(q);
      const questions = [...union].filter((q) => maps.every((m) => m.has(q))).sort();
      if (questions.length < 2) {
        why = `${a.arm} and ${b.arm} share ${questions.length} evaluated question(s); need 2`;
      } else {
        const cells: PairedCell[] = [];
        for (const p of pairs) {
          for (const q of questions) {
            cells.push({
              seed: p.seed,
              questionId: q,
              baseline: p.b.items!.get(q)!,
              method: p.a.items!.get(q)!,
            });
          }
        }
        const est = pairedDelta(cells, { level, power });
        const sharedReference = shared !== null && pairs.every((p) => p.b === shared);
        const dropped = union.size - questions.length;
        return {
          ...base,
          estimate: fromPaired(est, new Set(pairs.map((p) => p.b.runId)).size),
          paired: est,
          pairedSeeds: pairs.map((p) => p.seed),
          sharedReference,
          droppedQuestions: dropped,
          note: `paired over ${pairs.length} seed(s) x ${questions.length} questions` +
            (sharedReference ? ` (every seed paired with the one ${b.arm} run)` : "") +
            (dropped > 0 ? `; ${dropped} question(s) not evaluated by every run left out` : ""),
        };
      }
    }
  } else {
    why = "no per-question outcomes recorded";
  }
  const w = welchEstimate(aScores, bScores, { level, power });
  return {
    ...base,
    estimate: w,
    paired: null,
    pairedSeeds: [],
    sharedReference: false,
    droppedQuestions: 0,
    note: w
      ? `${why}: Welch over seeds (${aScores.length} vs ${bScores.length}; questions not paired)`
      : aScores.length === 0 || bScores.length === 0
      ? `${why}, and ${aScores.length === 0 ? a.arm : b.arm} has no evaluation here`
      : `${why}, and fewer than 2 seeds with an evaluation in ${
        aScores.length < 2 ? a.arm : b.arm
      }: no interval`,
  };
}
