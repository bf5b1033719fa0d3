/**
 * The regime an experiment ran in (`runs.config.regime`, core/regime.ts) and its measure: the
 * regime's step metric averaged over the first window of each run's RL steps, per arm, and
 * whether the baseline's value reaches the regime's target.
 *
 * @module
 */

import type { RunRecord, StepRecord } from "@creditlab/runstore";
import { type Regime, type RegimeMeasure, REGIMES } from "@creditlab/core";
import { mean } from "./stats.ts";

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
