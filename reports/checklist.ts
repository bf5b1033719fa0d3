/**
 * The reporting checklist of the credit-assignment survey (METHODS.md) for one arm: seeds,
 * backends, presets, steps, rollouts per step, rollout settings, the training-only resources the
 * method asked for and the extra calls it made, the spread of EM over seeds, run statuses.
 *
 * @module
 */

import { isMethodCallMetric, METRIC } from "@creditlab/core";
import type { EvalRecord, StepRecord } from "@creditlab/runstore";
import { perRunScores } from "./arm_tables.ts";
import type { ArmSummary, ChecklistArm, StepSeconds } from "./experiment_data.ts";
import { mean, median, sampleStd } from "./stats.ts";

/**
 * Harness metrics that count extra (training-only) calls, for the checklist; a method's own
 * are its `<method>/calls/...` metrics.
 */
export const HARNESS_CALL_METRICS: readonly string[] = [METRIC.feedbackCallsMean];

/** Whether a metric a run of `method` logged counts extra calls (harness's or the method's). */
export function isExtraCallMetric(metric: string, method: string): boolean {
  return HARNESS_CALL_METRICS.includes(metric) || isMethodCallMetric(metric, method);
}
function findHints(config: unknown, path = "", out: string[] = []): string[] {
  if (typeof config !== "object" || config === null) return out;
  for (const k of Object.keys(config).sort()) {
    const v = (config as Record<string, unknown>)[k];
    const p = path ? `${path}.${k}` : k;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) findHints(v, p, out);
    else if (
      /group.?size|^g$|samples.?per|questions.?per|prompts.?per|batch.?size|^steps$|rl.?steps|max.?turns|search.?turns|^lr$|learning.?rate|kl.?coef|aggregation|clip/i
        .test(k) && (typeof v === "number" || typeof v === "string" || typeof v === "boolean")
    ) out.push(`${p}=${v}`);
  }
  return out;
}
/**
 * The training-only resources a run's config records (`config.resources`, the requests of its
 * method: `{ kind, detail? }`), as text; none when absent.
 */
export function requestedResources(config: unknown): string[] {
  const rs = typeof config === "object" && config !== null
    ? (config as Record<string, unknown>)["resources"]
    : undefined;
  if (!Array.isArray(rs)) return [];
  return rs.flatMap((r) => {
    if (typeof r !== "object" || r === null) return [];
    const { kind, detail } = r as Record<string, unknown>;
    if (typeof kind !== "string") return [];
    return [typeof detail === "string" ? `${kind} (detail ${detail})` : kind];
  });
}

/**
 * Median wall seconds per step of the given step records (pooled over runs), whole and by
 * part; null when no step logged its wall time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { METRIC } from "@creditlab/core";
 * const rec = (step: number, metric: string, value: number) => ({ step, metric, value });
 * const steps = [1, 3, 2].flatMap((t, i) => [
 *   rec(i, METRIC.stepSeconds, t),
 *   rec(i, METRIC.rolloutSeconds, t / 2),
 *   rec(i, METRIC.creditSeconds, 0.1),
 *   rec(i, METRIC.updateSeconds, t / 4),
 * ]);
 * assert.deepEqual(stepSeconds(steps), { step: 2, rollout: 1, credit: 0.1, update: 0.5, steps: 3 });
 * ```
 */
export function stepSeconds(
  steps: readonly { metric: string; value: number }[],
): StepSeconds | null {
  const of = (metric: string) =>
    steps.filter((s) => s.metric === metric && Number.isFinite(s.value)).map((s) => s.value);
  const whole = of(METRIC.stepSeconds);
  if (whole.length === 0) return null;
  const part = (metric: string) => {
    const xs = of(metric);
    return xs.length ? median(xs) : 0;
  };
  return {
    step: median(whole),
    rollout: part(METRIC.rolloutSeconds),
    credit: part(METRIC.creditSeconds),
    update: part(METRIC.updateSeconds),
    steps: whole.length,
  };
}

/** What {@link checklistArm} reads besides the arm: the runs' step metrics and evaluations, and the trajectory files' facts. */
export interface ChecklistInputs {
  stepsByRun: Map<string, StepRecord[]>;
  evalsByRun: Map<string, EvalRecord[]>;
  rolloutsByArm: Map<string, Set<number>>;
  recordCallsByArm: Map<string, Map<string, number[]>>;
}

/** The checklist of one arm. */
export function checklistArm(a: ArmSummary, inputs: ChecklistInputs): ChecklistArm {
  const { stepsByRun, evalsByRun, rolloutsByArm, recordCallsByArm } = inputs;
  const extra = new Map<string, number[]>();
  for (const r of a.runs) {
    for (const s of stepsByRun.get(r.id) ?? []) {
      if (isExtraCallMetric(s.metric, r.method) && Number.isFinite(s.value)) {
        const l = extra.get(s.metric) ?? [];
        l.push(s.value);
        extra.set(s.metric, l);
      }
    }
  }
  const recordCalls = recordCallsByArm.get(a.arm) ?? new Map<string, number[]>();
  const per = a.runs.map((r) => perRunScores(evalsByRun.get(r.id) ?? [], "em"));
  const finite = (xs: (number | null)[]) =>
    xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return {
    arm: a.arm,
    method: a.method,
    seeds: a.runs.map((r) => r.seed),
    backends: [...new Set(a.runs.map((r) => r.backend))].sort(),
    presets: [...new Set(a.runs.map((r) => r.preset))].sort(),
    steps: a.runs.map((r) => {
      const s = stepsByRun.get(r.id) ?? [];
      return s.length === 0 ? null : Math.max(...s.map((x) => x.step));
    }),
    rolloutsPerStep: [...(rolloutsByArm.get(a.arm) ?? [])].sort((x, y) => x - y),
    configHints: [...new Set(a.runs.flatMap((r) => findHints(r.config)))].sort(),
    resources: [...new Set(a.runs.flatMap((r) => requestedResources(r.config)))].sort(),
    recordCallsPerStep: [...recordCalls.keys()].sort().map((k) => ({
      kind: k,
      perStep: mean(recordCalls.get(k) ?? []),
    })),
    extraCallsPerStep: [...extra.keys()].sort().map((k) => ({
      metric: k,
      perStep: mean(extra.get(k) ?? []),
    })),
    secondsPerStep: stepSeconds(a.runs.flatMap((r) => stepsByRun.get(r.id) ?? [])),
    stdAvgEm: sampleStd(finite(per.map((p) => p.avg))),
    stdSearchWorldEm: sampleStd(finite(per.map((p) => p.searchworld))),
    statuses: a.runs.map((r) => r.status),
  };
}
