/**
 * What a report decides: Δ(method − baseline) and each arm's gain over its warm start, paired on
 * the per-question outcomes of the run store (`eval_items`) and summarised by
 * {@link pairedDelta} (crossed seed x question random effects); the verdict on the paper's
 * claim; the regime the experiment ran in and its measure (core/regime.ts); the training
 * reward trend ({@link trainingTrend}); wall time. Pure functions of numbers already read from
 * the store, so the same store always gives the same decisions.
 *
 * Stores written before per-question outcomes were recorded have none: a comparison then falls
 * back to Welch's interval over the seeds' aggregate EM, and says so.
 *
 * @module
 */

import type { RunRecord, StepRecord } from "@creditlab/runstore";
import { type Regime, type RegimeMeasure, REGIMES } from "@creditlab/core";
import {
  designFor,
  type DesignProjection,
  type PairedCell,
  pairedDelta,
  type PairedEstimate,
  trainingTrend,
  type TrendEstimate,
  type Verdict,
  verdict,
  type VerdictKind,
} from "./paired.ts";
import { type PaperCard, paperEffects } from "./paper.ts";
import { mean, sampleStd, tQuantile } from "./stats.ts";

/** Confidence level of every interval of a report. */
export const LEVEL = 0.95;
/** Power at which every minimal detectable effect of a report is computed. */
export const POWER = 0.8;
/** Share of the RL steps in each window of the training-reward trend (first vs last). */
export const TREND_SHARE = 0.2;
/** The step metric of the training-reward trend. */
export const TREND_METRIC = "reward/mean";

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

function fmtPoints(x: number, signed: boolean): string {
  if (!Number.isFinite(x)) return "n/a";
  const r = Math.round(x * 10) / 10;
  if (r === 0) return "0.0";
  const s = r.toFixed(1);
  return signed && r > 0 ? `+${s}` : s;
}

/** A fraction as signed points with one decimal ("+1.2", "-0.4", "0.0"; "n/a" for NaN). */
export function signedPoints(x: number): string {
  return fmtPoints(x * 100, true);
}

/** A fraction as unsigned points with one decimal. */
export function points(x: number): string {
  return fmtPoints(x * 100, false);
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
  const delta = mean(a) - mean(b);
  const va = sampleStd(a) ** 2 / a.length;
  const vb = sampleStd(b) ** 2 / b.length;
  const se = Math.sqrt(va + vb);
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
  const df = (va + vb) ** 2 / (va * va / (a.length - 1) + vb * vb / (b.length - 1));
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

/** The direction of a paper's claim and where the report read it. */
export interface ClaimDirection {
  /** +1: the paper claims the method beats the baseline; -1: the opposite. */
  direction: 1 | -1;
  source: string;
}

/**
 * The paper's direction: the sign of the effects read off the card ({@link paperEffects}),
 * else + when a claim says the method outperforms, gains or improves, else + assumed (every
 * paper of a credit-assignment method claims it beats its baseline), saying so.
 */
export function paperDirection(card: PaperCard): ClaimDirection {
  if (card.kind === "missing") {
    return { direction: 1, source: `${card.reason}: + (method better than baseline) assumed` };
  }
  const fx = paperEffects(card).filter((e) => e.points !== 0);
  if (fx.length > 0) {
    const first = fx[0]!;
    const direction = first.points > 0 ? 1 : -1;
    const agree = fx.every((e) => Math.sign(e.points) === direction);
    return {
      direction,
      source: `paper card: ${first.metric} ${first.points > 0 ? "+" : ""}${
        first.points.toFixed(1)
      } points (${first.how})${
        agree ? "" : "; the card's effects disagree in sign, first one used"
      }`,
    };
  }
  for (const p of card.papers) {
    const c = p.claims.find((c) => /outperform|better|gain|improv/i.test(c.metric));
    if (c) return { direction: 1, source: `paper card: "${c.metric}"` };
  }
  return {
    direction: 1,
    source: "the paper card gives no effect direction: + (method better than baseline) assumed",
  };
}

function kindText(kind: VerdictKind, effect: string, mde: string, design: string): string {
  return kind === "inconclusive"
    ? `inconclusive at ${mde}: ${effect} ${design}`
    : `${kind}: ${effect}, ${mde} ${design}`;
}

/**
 * The verdict of a comparison in the paper's direction: {@link verdict} of the paired estimate;
 * for a Welch fallback the same rule (interval strictly on one side of 0), its text naming the
 * design "Welch over a vs b seeds". Null without an interval.
 */
export function comparisonVerdict(
  c: Comparison,
  opts: { direction: 1 | -1; label?: string },
): Verdict | null {
  if (c.paired) {
    return verdict(c.paired, {
      direction: opts.direction,
      ...(opts.label === undefined ? {} : { label: opts.label }),
    });
  }
  const e = c.estimate;
  if (e === null) return null;
  const near = Math.min(opts.direction * e.lo, opts.direction * e.hi);
  const far = Math.max(opts.direction * e.lo, opts.direction * e.hi);
  const kind: VerdictKind = near > 0 ? "reproduces" : far < 0 ? "contradicts" : "inconclusive";
  const name = opts.label === undefined ? "Δ" : `Δ ${opts.label}`;
  const effect = `${name} ${signedPoints(e.delta)} points [${signedPoints(e.lo)}, ${
    signedPoints(e.hi)
  }]`;
  const design = `(Welch over ${e.seeds} vs ${e.referenceSeeds} seeds; no per-question outcomes)`;
  return { kind, text: kindText(kind, effect, `MDE ${points(e.mde)} points`, design) };
}

/** "Does RL learn?" in words, from the verdict kind of an arm's gain over its warm start. */
export function learnsAnswer(kind: VerdictKind, mde: number): string {
  if (kind === "reproduces") return "yes";
  if (kind === "contradicts") return "no: below its warm start";
  return `inconclusive at MDE ${points(mde)} points`;
}

/** A regime's measure on one arm: the metric's mean over the first `window` of each run's steps. */
export interface RegimeArmMeasure {
  arm: string;
  /** Mean over seeds of the per-seed window means; null when no run logged the metric. */
  value: number | null;
  perSeed: { seed: number; value: number; steps: number }[];
  /** value >= atLeast; null when the regime has no target or the value is missing. */
  holds: boolean | null;
}

/** The regime an experiment ran in and its measure. */
export interface RegimeSummary {
  name: string;
  /** Where the name comes from. */
  source: string;
  /** The regime's definition, null for a name core/regime.ts does not know. */
  regime: Regime | null;
  arms: RegimeArmMeasure[];
  /** Whether the regime holds: the baseline arm's measure (else the first arm's) >= atLeast. */
  holds: boolean | null;
  /** Other regime names found in the run configs (should be none). */
  others: string[];
}

/** `config.regime` of a run, or null. */
export function regimeOfConfig(config: unknown): string | null {
  if (typeof config !== "object" || config === null) return null;
  const r = (config as Record<string, unknown>)["regime"];
  return typeof r === "string" && r !== "" ? r : null;
}

function windowMean(values: readonly number[], window: number): number {
  const k = Math.max(1, Math.ceil(window * values.length));
  return mean(values.slice(0, k));
}

/**
 * Per-seed and arm-level measure of a regime: for each run, the mean of `measure.metric` over
 * its first ceil(window · n) logged steps (n = steps that logged the metric, at least one);
 * the arm's value is the mean over its seeds.
 */
export function regimeMeasure(
  runs: readonly RunRecord[],
  opts: {
    measure: RegimeMeasure;
    stepsByRun: ReadonlyMap<string, readonly StepRecord[]>;
    arm: string;
  },
): RegimeArmMeasure {
  const perSeed: RegimeArmMeasure["perSeed"] = [];
  for (const r of runs) {
    const xs = (opts.stepsByRun.get(r.id) ?? [])
      .filter((s) => s.metric === opts.measure.metric && Number.isFinite(s.value))
      .sort((x, y) => x.step - y.step)
      .map((s) => s.value);
    if (xs.length === 0) continue;
    perSeed.push({
      seed: r.seed,
      value: windowMean(xs, opts.measure.window),
      steps: Math.max(1, Math.ceil(opts.measure.window * xs.length)),
    });
  }
  const value = perSeed.length ? mean(perSeed.map((p) => p.value)) : null;
  const t = opts.measure.atLeast;
  return {
    arm: opts.arm,
    value,
    perSeed,
    holds: t === null || value === null ? null : value >= t,
  };
}

/**
 * The regime of an experiment: `config.regime` of its runs (the baseline's first), `mixed`
 * when no run records one; its measure on each RL arm.
 */
export function regimeSummary(
  runs: readonly RunRecord[],
  opts: { arms: readonly string[]; stepsByRun: ReadonlyMap<string, readonly StepRecord[]> },
): RegimeSummary {
  const ordered = [
    ...runs.filter((r) => r.arm === "baseline"),
    ...runs.filter((r) => r.arm !== "baseline"),
  ];
  const names = [
    ...new Set(ordered.map((r) => regimeOfConfig(r.config)).filter((n) => n !== null)),
  ];
  const name = names[0] ?? "mixed";
  const source = names.length
    ? "runs.config.regime"
    : "default: no run of the experiment records a regime (runs.config.regime)";
  const regime = (REGIMES as Readonly<Record<string, Regime | undefined>>)[name] ?? null;
  const arms = regime === null
    ? []
    : opts.arms.map((arm) =>
      regimeMeasure(runs.filter((r) => r.arm === arm), {
        measure: regime.measure,
        stepsByRun: opts.stepsByRun,
        arm,
      })
    );
  const decisive = arms.find((a) => a.arm === "baseline") ?? arms[0];
  return {
    name,
    source,
    regime,
    arms,
    holds: decisive?.holds ?? null,
    others: names.slice(1).sort(),
  };
}

/** The training trend of one arm's {@link TREND_METRIC}: first vs last {@link TREND_SHARE}. */
export interface TrendSummary {
  arm: string;
  metric: string;
  estimate: TrendEstimate | null;
  /** Why there is no estimate ("" when there is one). */
  note: string;
}

/** {@link trainingTrend} of `metric` per arm (null, with the reason, when not computable). */
export function trends(
  runs: readonly RunRecord[],
  opts: {
    arms: readonly string[];
    stepsByRun: ReadonlyMap<string, readonly StepRecord[]>;
    metric?: string;
    share?: number;
  },
): TrendSummary[] {
  const metric = opts.metric ?? TREND_METRIC;
  return opts.arms.map((arm) => {
    const series: { seed: number; step: number; value: number }[] = [];
    for (const r of runs.filter((x) => x.arm === arm)) {
      for (const s of opts.stepsByRun.get(r.id) ?? []) {
        if (s.metric === metric && Number.isFinite(s.value)) {
          series.push({ seed: r.seed, step: s.step, value: s.value });
        }
      }
    }
    if (series.length === 0) return { arm, metric, estimate: null, note: `${metric} not logged` };
    try {
      return {
        arm,
        metric,
        estimate: trainingTrend(series, { share: opts.share ?? TREND_SHARE, level: LEVEL }),
        note: "",
      };
    } catch (e) {
      return { arm, metric, estimate: null, note: (e as Error).message };
    }
  });
}

/** Wall time of a run in seconds (ended − started), null while running or unparsable. */
export function wallSeconds(r: RunRecord): number | null {
  if (r.endedAt === null) return null;
  const s = Date.parse(r.startedAt);
  const e = Date.parse(r.endedAt);
  return Number.isFinite(s) && Number.isFinite(e) ? (e - s) / 1000 : null;
}

/** A duration as "1h 02m 03s", "2m 03s" or "45s" ("n/a" for null). */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "n/a";
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${two(m)}m ${two(s)}s`;
  if (m > 0) return `${m}m ${two(s)}s`;
  return `${s}s`;
}

/**
 * The value every point of a curve has, when they all have the same one (a plot that says
 * nothing, e.g. a clip fraction identically 0 under one update per step); else null.
 */
export function constantValue(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const v = values[0]!;
  return values.every((x) => x === v) ? v : null;
}

/** A comparison with its verdict: the paper's claim (method − baseline) or an arm's gain. */
export interface Decided {
  comparison: Comparison;
  /** Null without an interval. */
  verdict: Verdict | null;
  /** For a gain over the warm start: "yes", "no: ...", "inconclusive at MDE x points". */
  answer: string | null;
}

/** The decisions of one SearchWorld world (column). */
export interface WorldDecision {
  column: string;
  label: string;
  domain: "in-domain" | "out-of-domain";
  /** Δ method − baseline, verdict in the paper's direction; null without both arms. */
  claim: Decided | null;
  /** Each RL arm's gain over the warm start (baseline first), verdict in direction +. */
  gains: Decided[];
}

/** Everything a report decides about one experiment. */
export interface Decisions {
  direction: ClaimDirection;
  worlds: WorldDecision[];
  /** The in-domain verdict on the paper's claim (the report's headline), when there is one. */
  headline: { column: string; label: string; verdict: Verdict } | null;
}

/** Label and domain of a SearchWorld column key. */
export function worldOf(column: string): { label: string; domain: "in-domain" | "out-of-domain" } {
  return column.endsWith("-ood")
    ? { label: "SearchWorld-OOD", domain: "out-of-domain" }
    : { label: "SearchWorld", domain: "in-domain" };
}

/**
 * The decisions of an experiment from its comparisons and the paper card: per world the verdict
 * on Δ(method − baseline) in the paper's direction and each arm's gain over its warm start;
 * the in-domain claim is the headline.
 */
export function decide(
  comparisons: readonly Comparison[],
  opts: { card: PaperCard; baseline?: string },
): Decisions {
  const direction = paperDirection(opts.card);
  const baseline = opts.baseline ?? "baseline";
  const columns = [...new Set(comparisons.map((c) => c.column))];
  const worlds = columns.map((column): WorldDecision => {
    const cs = comparisons.filter((c) => c.column === column);
    const claimC = cs.find((c) => c.reference === baseline);
    const gains = cs.filter((c) => c.reference === "start").map((c): Decided => {
      const v = comparisonVerdict(c, { direction: 1, label: c.label });
      return {
        comparison: c,
        verdict: v,
        answer: v && c.estimate ? learnsAnswer(v.kind, c.estimate.mde) : null,
      };
    });
    return {
      column,
      ...worldOf(column),
      claim: claimC
        ? {
          comparison: claimC,
          verdict: comparisonVerdict(claimC, { direction: direction.direction }),
          answer: null,
        }
        : null,
      gains,
    };
  });
  const inDomain = worlds.find((w) => w.domain === "in-domain" && w.claim?.verdict);
  return {
    direction,
    worlds,
    headline: inDomain?.claim?.verdict
      ? { column: inDomain.column, label: inDomain.label, verdict: inDomain.claim.verdict }
      : null,
  };
}
