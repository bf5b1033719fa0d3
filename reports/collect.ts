/**
 * Reads one experiment out of the run store into plain numbers for the renderers: the
 * per-benchmark EM/F1 table (mean and 95% t-interval over seeds), learning curves, tool calls
 * per trajectory, the per-round series methods record, sampled trajectories for the credit heat
 * map, and the reporting checklist of the credit-assignment survey (METHODS.md).
 *
 * Nothing here names a method: harness metrics are core's `METRIC` constants; a run's method
 * metrics are found by its method's name prefix (`<method>/...`, call counts under
 * `<method>/calls/...`); per-round series and training-only calls come from the generic parts of
 * the method records in the trajectory files (core's `MethodRecord`).
 *
 * Everything here is a deterministic function of the store's contents (sorted by run sequence,
 * step, name), so the same store always gives the same report.
 *
 * The steps are named and live in their own files: the arms' tables (arm_tables.ts), the warm
 * start, per-question outcomes, comparisons and delta (collect_evals.ts), the learning curves
 * (collect_curves.ts), what the trajectory files hold (collect_trajectories.ts) and the
 * checklist (checklist.ts); the shape of the result is experiment_data.ts.
 *
 * @module
 */

import type { RunRecord, RunStore } from "@creditlab/runstore";
import { armNamesOf, evalsByRunOf, summarizeArm } from "./arm_tables.ts";
import { columnOf } from "./benchmarks.ts";
import { checklistArm } from "./checklist.ts";
import { collectCurves } from "./collect_curves.ts";
import { compareOnSearchWorld, deltaTable, findStart, readEvalItems } from "./collect_evals.ts";
import {
  creditShareSummaries,
  heatSamples,
  readTrajectoryFiles,
  roundSeriesSummaries,
} from "./collect_trajectories.ts";
import { regimeOfConfig, regimeSummary } from "./regime.ts";
import { trends } from "./trend.ts";
import { baselineArm, type ExperimentData, methodArm, START_ARM } from "./experiment_data.ts";

/** Selection of runs for an experiment name. */
export async function selectRuns(
  store: RunStore,
  name: string,
): Promise<{ runs: RunRecord[]; selection: string }> {
  const byExp = await store.listRuns({ experiment: name });
  if (byExp.length > 0) return { runs: byExp, selection: `runs of experiment "${name}"` };
  const byMethod = await store.listRuns({ method: name });
  const exps = [...new Set(byMethod.map((r) => r.experiment))].sort();
  const runs: RunRecord[] = [];
  for (const e of exps) runs.push(...await store.listRuns({ experiment: e }));
  runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    runs,
    selection: runs.length > 0
      ? `no experiment "${name}"; all runs of the experiment(s) with method "${name}": ${
        exps.join(", ")
      }`
      : `no runs recorded for "${name}"`,
  };
}

/**
 * Collect everything the report shows about experiment `name`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { RunStore } from "@creditlab/runstore";
 * const tmp = await Deno.makeTempDir();
 * const store = await RunStore.open(join(tmp, "runs.duckdb")); // a new, empty store
 * const data = await collectExperiment(store, "alpha");
 * assert.deepEqual(data.runs, []); // no runs yet
 * store.close();
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function collectExperiment(
  store: RunStore,
  name: string,
  opts: { heatRows?: number } = {},
): Promise<ExperimentData> {
  const { runs, selection } = await selectRuns(store, name);
  const heatRows = opts.heatRows ?? 8;
  const allEvals = await store.evals();
  const runIds = new Set(runs.map((r) => r.id));
  const evals = allEvals.filter((e) => runIds.has(e.runId));
  const evalsByRun = evalsByRunOf(evals);
  const armNames = armNamesOf(runs);
  const arms = armNames.map((a) =>
    summarizeArm(
      a,
      runs.filter((r) => r.arm === a),
      evalsByRun,
    )
  );
  const { start, startSource } = await findStart(store, { name, runs, evalsByRun });
  const itemsByRun = await readEvalItems(store, { runs, start, startSource });
  const itemsRecorded = [...itemsByRun.values()].some((l) => l.length > 0);
  const baseArm = baselineArm({ arms });
  const mArm = methodArm({ arms });
  const comparisons = compareOnSearchWorld({
    baseArm,
    mArm,
    start,
    startSource,
    evalsByRun,
    itemsByRun,
  });
  const delta = baseArm && mArm ? deltaTable(baseArm, mArm) : null;
  const { stepsByRun, curves, missingMetrics, omittedCurves, otherMetrics } = await collectCurves(
    store,
    runs,
  );
  const files = await readTrajectoryFiles(store, runs);
  const creditShares = creditShareSummaries(armNames, files.sharesByArm);
  const heat = await heatSamples(store, arms, heatRows);
  const roundSeries = roundSeriesSummaries(armNames, files.seriesByArm);
  const checklist = arms.map((a) =>
    checklistArm(a, {
      stepsByRun,
      evalsByRun,
      rolloutsByArm: files.rolloutsByArm,
      recordCallsByArm: files.recordCallsByArm,
    })
  );

  const otherEvals = evals.filter((e) => columnOf(e.benchmark, e.split) === null);
  const rlRuns = runs.filter((r) => r.arm !== START_ARM);
  // A regime and a training trend belong to RL experiments: a baseline arm, or runs that
  // record a regime (not, e.g., the SFT runs of experiment "sft").
  const rl = baseArm !== undefined || rlRuns.some((r) => regimeOfConfig(r.config) !== null);
  return {
    name,
    selection,
    runs,
    arms,
    start,
    startSource,
    itemsRecorded,
    comparisons,
    regime: rl ? regimeSummary(rlRuns, { arms: armNames, stepsByRun }) : null,
    trends: rl ? trends(rlRuns, { arms: armNames, stepsByRun }) : [],
    omittedCurves,
    delta,
    evals,
    otherEvals,
    curves,
    missingMetrics,
    otherMetrics,
    toolCalls: files.toolCalls,
    roundSeries,
    creditShares,
    heat,
    checklist,
  };
}
