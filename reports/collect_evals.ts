/**
 * The evaluation side of an experiment's report beyond its arms' tables: the warm start the arms
 * began from, the per-question outcomes of the evaluations, the paired comparisons of arms on the
 * SearchWorld columns and the method-minus-baseline table.
 *
 * @module
 */

import type { EvalItemRecord, EvalRecord, RunRecord, RunStore } from "@creditlab/runstore";
import { COLUMNS } from "./benchmarks.ts";
import { finalEvals, summarizeArm } from "./arm_tables.ts";
import { type ArmOutcomes, compareArms, type Comparison } from "./compare.ts";
import {
  type ArmSummary,
  type Cell,
  type CellKey,
  type ExperimentData,
  SEARCHWORLD_COLUMNS,
  type SearchWorldKey,
  START_ARM,
} from "./experiment_data.ts";
import { welchInterval } from "./stats.ts";

/**
 * The warm start the arms began from: the experiment's own `start` arm, else (stores written
 * before it existed) the SFT runs of experiment "sft" with the same presets and seeds, whose
 * evaluations are added to `evalsByRun`.
 */
export async function findStart(
  store: RunStore,
  opts: { name: string; runs: RunRecord[]; evalsByRun: Map<string, EvalRecord[]> },
): Promise<{ start: ArmSummary | null; startSource: ExperimentData["startSource"] }> {
  const { name, runs, evalsByRun } = opts;
  const summarize = (arm: string, rs: RunRecord[]) => summarizeArm(arm, rs, evalsByRun);
  let start: ArmSummary | null = null;
  let startSource: ExperimentData["startSource"] = null;
  const startRuns = runs.filter((r) => r.arm === START_ARM);
  if (startRuns.length > 0) {
    start = summarize("start (SFT)", startRuns);
    startSource = "arm";
  } else if (name !== "sft" && runs.length > 0) {
    const presets = new Set(runs.map((r) => r.preset));
    const seeds = new Set(runs.map((r) => r.seed));
    const sftRuns = (await store.listRuns({ experiment: "sft" })).filter((r) =>
      presets.has(r.preset) && seeds.has(r.seed)
    );
    if (sftRuns.length > 0) {
      for (const r of sftRuns) evalsByRun.set(r.id, await store.evals(r.id));
      start = summarize("start (SFT)", sftRuns);
      startSource = "sft-experiment";
    }
  }
  return { start, startSource };
}

/**
 * Per-question outcomes of the evaluations of every run (and of the warm start's SFT runs when
 * they come from experiment "sft"), by run; empty in stores without the `eval_items` table.
 */
export async function readEvalItems(
  store: RunStore,
  opts: { runs: RunRecord[]; start: ArmSummary | null; startSource: ExperimentData["startSource"] },
): Promise<Map<string, EvalItemRecord[]>> {
  const { runs, start, startSource } = opts;
  const itemsByRun = new Map<string, EvalItemRecord[]>();
  const itemsTable = await store.query(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'eval_items'`,
  );
  if (Number(itemsTable[0]?.["n"] ?? 0) > 0) {
    for (const r of [...runs, ...(startSource === "sft-experiment" ? start?.runs ?? [] : [])]) {
      itemsByRun.set(r.id, await store.evalItems({ runId: r.id }));
    }
  }
  return itemsByRun;
}

/** What {@link compareOnSearchWorld} compares. */
export interface ArmsToCompare {
  baseArm: ArmSummary | undefined;
  mArm: ArmSummary | undefined;
  start: ArmSummary | null;
  startSource: ExperimentData["startSource"];
  evalsByRun: Map<string, EvalRecord[]>;
  itemsByRun: Map<string, EvalItemRecord[]>;
}

/**
 * Per SearchWorld column with evaluations: method − baseline, baseline − start and
 * method − start, paired on per-question outcomes when recorded (else Welch over seeds).
 */
export function compareOnSearchWorld(opts: ArmsToCompare): Comparison[] {
  const { baseArm, mArm, start, startSource, evalsByRun, itemsByRun } = opts;
  const outcomes = (a: ArmSummary, col: SearchWorldKey): ArmOutcomes => ({
    arm: a.arm === "start (SFT)" ? START_ARM : a.arm,
    runs: a.runs.map((r) => {
      const fin = finalEvals(evalsByRun.get(r.id) ?? []).get(col);
      const its = fin === undefined
        ? []
        : (itemsByRun.get(r.id) ?? []).filter((i) =>
          i.step === fin.step && i.benchmark === fin.benchmark && i.split === fin.split
        );
      return {
        runId: r.id,
        seed: r.seed,
        items: its.length ? new Map(its.map((i) => [i.questionId, i.em])) : null,
        score: fin === undefined || !Number.isFinite(fin.em) ? null : fin.em,
      };
    }),
  });
  const comparisons: Comparison[] = [];
  for (const col of SEARCHWORLD_COLUMNS) {
    const has = (...as: (ArmSummary | null | undefined)[]) =>
      as.some((a) => a !== null && a !== undefined && a.em[col].kind === "value");
    if (baseArm && mArm && has(baseArm, mArm)) {
      comparisons.push(
        compareArms(outcomes(mArm, col), outcomes(baseArm, col), {
          column: col,
          label: `${mArm.arm} − baseline`,
        }),
      );
    }
    for (const a of [baseArm, mArm]) {
      if (a && start && has(a, start)) {
        comparisons.push(
          compareArms(outcomes(a, col), outcomes(start, col), {
            column: col,
            label: `${a.arm} − start`,
            shareReference: startSource === "arm",
          }),
        );
      }
    }
  }
  return comparisons;
}

/** Method minus baseline, per cell of the EM table. */
export function deltaTable(baseArm: ArmSummary, mArm: ArmSummary): ExperimentData["delta"] {
  const em = {} as Record<CellKey, Cell>;
  for (const k of [...COLUMNS.map((c) => c.key), "avg"] as CellKey[]) {
    const m = mArm.em[k];
    const b = baseArm.em[k];
    if (m.kind === "missing" || b.kind === "missing") {
      em[k] = {
        kind: "missing",
        text: m.kind === "missing"
          ? `${mArm.arm}: ${m.text}`
          : `baseline: ${b.kind === "missing" ? b.text : ""}`,
      };
    } else {
      em[k] = {
        kind: "value",
        interval: welchInterval(m.values, b.values),
        values: [],
        seedsWith: Math.min(m.seedsWith, b.seedsWith),
        seeds: Math.min(m.seeds, b.seeds),
      };
    }
  }
  return { arm: mArm.arm, baseline: "baseline", em };
}
