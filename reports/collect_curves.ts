/**
 * The learning curves of an experiment's runs from their logged step metrics: the harness's
 * ({@link CURVE_METRICS}) and every method call-count metric the runs logged
 * (`<method>/calls/...`); a curve whose points all have one value is left out with a note.
 *
 * @module
 */

import { isMethodCallMetric, METRIC } from "@creditlab/core";
import type { RunRecord, RunStore, StepRecord } from "@creditlab/runstore";
import type { CurvePoint, ExperimentData } from "./experiment_data.ts";

/**
 * The harness's learning curves, in order (core's metric names). After them, every method
 * call-count metric the runs logged (`<method>/calls/...`) is drawn too.
 */
export const CURVE_METRICS: readonly string[] = [
  METRIC.rewardMean,
  METRIC.outcomeEm,
  METRIC.kl,
  METRIC.clipFraction,
  METRIC.loss,
  METRIC.toolCallsMean,
  METRIC.feedbackCallsMean,
  METRIC.noSuccessShare,
];

/** The learning curves of the runs, and their logged step metrics by run. */
export interface Curves {
  /** Every run's step metrics, by run id. */
  stepsByRun: Map<string, StepRecord[]>;
  curves: ExperimentData["curves"];
  /** Curve metrics no run logged. */
  missingMetrics: string[];
  omittedCurves: ExperimentData["omittedCurves"];
  /** Logged metrics not drawn as curves. */
  otherMetrics: string[];
}

/** Read the runs' step metrics and draw the learning curves. */
export async function collectCurves(store: RunStore, runs: readonly RunRecord[]): Promise<Curves> {
  const stepsByRun = new Map<string, StepRecord[]>();
  const metricsSeen = new Set<string>();
  for (const r of runs) {
    const s = await store.steps(r.id);
    stepsByRun.set(r.id, s);
    for (const x of s) metricsSeen.add(x.metric);
  }
  const curves: ExperimentData["curves"] = [];
  const missingMetrics: string[] = [];
  const omittedCurves: ExperimentData["omittedCurves"] = [];
  const drawn = new Set<string>();
  const methods = [...new Set(runs.map((r) => r.method))].sort();
  const methodCallCurves = [...metricsSeen]
    .filter((m) => methods.some((method) => isMethodCallMetric(m, method)))
    .sort();
  for (const m of [...CURVE_METRICS, ...methodCallCurves]) {
    if (!metricsSeen.has(m)) {
      missingMetrics.push(m);
      continue;
    }
    drawn.add(m);
    const points: CurvePoint[] = [];
    for (const r of runs) {
      for (const s of stepsByRun.get(r.id) ?? []) {
        if (s.metric === m && Number.isFinite(s.value)) {
          points.push({ run: r.id, arm: r.arm, seed: r.seed, step: s.step, value: s.value });
        }
      }
    }
    const flat = constantValue(points.map((p) => p.value));
    if (flat !== null) omittedCurves.push({ metric: m, value: flat, points: points.length });
    else curves.push({ metric: m, points });
  }
  const otherMetrics = [...metricsSeen].filter((m) => !drawn.has(m)).sort();
  return { stepsByRun, curves, missingMetrics, omittedCurves, otherMetrics };
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
