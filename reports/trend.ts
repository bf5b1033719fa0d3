/**
 * The training-reward trend: how much a logged step series (e.g. mean reward per step) rose
 * between the first and the last window of each run's RL steps, with an interval over seeds
 * ({@link trainingTrend}), and that trend per arm of an experiment ({@link trends}).
 *
 * @module
 */

import type { RunRecord, StepRecord } from "@creditlab/runstore";
import { LEVEL } from "./compare.ts";
import { checkProbability, mean, sampleStd, tQuantile, welchInterval } from "./stats.ts";

/** Share of the RL steps in each window of the training-reward trend (first vs last). */
export const TREND_SHARE = 0.2;
/** The step metric of the training-reward trend. */
export const TREND_METRIC = "reward/mean";

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
