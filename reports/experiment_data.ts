/**
 * What a report shows about one experiment, as plain numbers for the renderers
 * ({@link ExperimentData}; collected by collect.ts): tables of cells over seeds, curves, tool
 * calls, per-round series, credit shares, heat-map samples and the reporting checklist.
 *
 * @module
 */

import type { EvalRecord, RunRecord, TrajectoryRow } from "@creditlab/runstore";
import { type ColumnKey, COLUMNS } from "./benchmarks.ts";
import type { Comparison } from "./compare.ts";
import type { RegimeSummary } from "./regime.ts";
import type { TrendSummary } from "./trend.ts";
import type { Interval } from "./stats.ts";

/**
 * The arm of an experiment that holds its warm start: the SFT checkpoint evaluated (greedy, one
 * run, seed 1) on the experiment's own held-out questions.
 */
export const START_ARM = "start";
/** A table cell: a mean with its interval over the seeds that have it, or why it is missing. */
export type Cell =
  | { kind: "value"; interval: Interval; values: number[]; seedsWith: number; seeds: number }
  | { kind: "missing"; text: string };

/** Key of a table cell: a benchmark column or the seven-benchmark average. */
export type CellKey = ColumnKey | "avg";

/** One arm of an experiment (e.g. the GRPO baseline or the method). */
export interface ArmSummary {
  arm: string;
  method: string;
  runs: RunRecord[];
  em: Record<CellKey, Cell>;
  f1: Record<CellKey, Cell>;
  /** Search calls per question at evaluation (`extra.toolCalls` of the evals), per column. */
  evalToolCalls: Record<CellKey, Cell>;
  /**
   * EM per hop count of the SearchWorld columns (`extra.byHops` of the evals): column ->
   * hop count ("1".."4") -> cell over seeds. Columns and hops without records are absent.
   */
  emByHops: Partial<Record<SearchWorldKey, Record<string, Cell>>>;
  /**
   * Teacher-forced lookup accuracy and its chance level per SearchWorld column
   * (`extra.lookup` of the evals, agent/lookup.ts), cells over seeds. Columns without records
   * are absent.
   */
  lookup: Partial<Record<SearchWorldKey, { accuracy: Cell; chance: Cell }>>;
}

/** The SearchWorld columns, whose questions carry hop counts. */
export const SEARCHWORLD_COLUMNS = ["searchworld", "searchworld-ood"] as const;

/** Key of a SearchWorld column. */
export type SearchWorldKey = typeof SEARCHWORLD_COLUMNS[number];

/** One point of a learning curve. */
export interface CurvePoint {
  run: string;
  arm: string;
  seed: number;
  step: number;
  value: number;
}

/** Tool calls of one run at one stored trajectory step. */
export interface ToolCallPoint {
  run: string;
  arm: string;
  seed: number;
  step: number;
  /** Mean search calls per trajectory. */
  all: number;
  /** Mean search calls per successful (outcome EM > 0) trajectory, NaN if none. */
  success: number;
  trajectories: number;
  /** Training-only calls of the step's trajectories by kind (sum of their records' `calls`). */
  calls: Record<string, number>;
}

/**
 * A per-round series the method recorded (a record's `rounds`, e.g. a judged weight c_k per
 * round), over the successful trajectories of an arm's runs (stored steps, pooled). Values are
 * normalised per trajectory as max(0, v_k) / sum_j max(0, v_j).
 */
export interface RoundSeriesSummary {
  arm: string;
  /** The series' label, as the method gave it. */
  label: string;
  /** Successful trajectories (reward > 0) that carry a non-empty series with this label. */
  trajectories: number;
  /** Of those, how many had every value <= 0. */
  allZero: number;
  /** Mean normalised value of the largest round (1 = everything in one round). */
  topShare: number;
  /** Mean fraction of rounds with a positive value. */
  activeFraction: number;
  /** Mean normalised value by rank (rank 1 = the round with the largest value). */
  byRank: number[];
  /** Mean normalised value by round k = 1, 2, ... */
  byRound: number[];
}

/**
 * Where the credit of successful trajectories sits, read off the stored per-token advantages
 * (any method): for each successful trajectory with K >= 2 rounds, m_k = mean advantage of the
 * policy tokens of round k, share_k = |m_k| / sum_j |m_j|. GRPO gives every round the same
 * share (1/K); a method that concentrates credit gives a larger top share.
 */
export interface CreditShareSummary {
  arm: string;
  /** Successful trajectories with at least two rounds and non-zero credit. */
  trajectories: number;
  /** Mean number of rounds K of those trajectories. */
  meanRounds: number;
  /** Mean share of the round with the largest credit. */
  topShare: number;
  /** What the top share would be with uniform credit: mean of 1/K. */
  uniformTopShare: number;
  /** Mean share by rank (rank 1 = the round with the most credit). */
  byRank: number[];
  /** Stored steps read per run (the last ones). */
  stepsRead: number;
}

/** A sampled group of trajectories for the heat map. */
export interface HeatSample {
  arm: string;
  method: string;
  run: string;
  step: number;
  groupId: number;
  rows: TrajectoryRow[];
}

/** The checklist of METHODS.md for one arm. */
export interface ChecklistArm {
  arm: string;
  method: string;
  seeds: number[];
  backends: string[];
  presets: string[];
  /** Last logged step of each run (null = no steps logged). */
  steps: (number | null)[];
  /** Distinct trajectory counts per stored step (observed rollouts per step). */
  rolloutsPerStep: number[];
  /** Rollout settings found in the run configs (key path = value). */
  configHints: string[];
  /**
   * Training-only resources the runs' methods asked for (`config.resources` of the runs, e.g.
   * "privileged-verifier (detail hint)"); empty when none or not recorded.
   */
  resources: string[];
  /**
   * Mean per stored step of the training-only calls the method records count, by kind (sum of
   * the records' `calls` over a step's trajectories).
   */
  recordCallsPerStep: { kind: string; perStep: number }[];
  /** Mean per step of each logged extra-call metric ({@link isExtraCallMetric}). */
  extraCallsPerStep: { metric: string; perStep: number }[];
  /**
   * Median wall seconds per RL step over the arm's logged steps (core's `time/...` metrics):
   * the whole step, its rollouts, the method's calls and the update; null for runs that did
   * not log them (stores older than the timing metrics).
   */
  secondsPerStep: StepSeconds | null;
  /** Standard deviation over seeds of the seven-benchmark average EM, SearchWorld EM. */
  stdAvgEm: number;
  stdSearchWorldEm: number;
  statuses: string[];
}

/** Median wall seconds of an arm's RL steps, whole and by part. */
export interface StepSeconds {
  step: number;
  rollout: number;
  credit: number;
  update: number;
  /** Steps measured (over all runs of the arm). */
  steps: number;
}

/** Everything a report shows about one experiment. */
export interface ExperimentData {
  name: string;
  /** How the runs were selected. */
  selection: string;
  runs: RunRecord[];
  /** The RL arms (baseline first); the warm start is `start`, not an arm here. */
  arms: ArmSummary[];
  /**
   * The warm start the arms began from: the experiment's `start` arm when recorded, else (older
   * stores) the SFT runs of experiment "sft" with the same presets and seeds.
   */
  start: ArmSummary | null;
  /** Where `start` comes from. */
  startSource: "arm" | "sft-experiment" | null;
  /** Whether any run of the experiment (or its start) recorded per-question outcomes. */
  itemsRecorded: boolean;
  /**
   * Per SearchWorld column with evaluations: method − baseline, baseline − start and
   * method − start, paired on per-question outcomes when recorded (else Welch over seeds).
   */
  comparisons: Comparison[];
  /**
   * The regime of the runs and its measure per RL arm; null without a baseline arm or a run
   * that records one.
   */
  regime: RegimeSummary | null;
  /** Training-reward trend per RL arm (first vs last 20% of steps); empty when `regime` is null. */
  trends: TrendSummary[];
  /** Curves left out because every point has the same value (a plot that says nothing). */
  omittedCurves: { metric: string; value: number; points: number }[];
  /** Method minus baseline, per cell, when there is a baseline arm and a method arm. */
  delta: { arm: string; baseline: string; em: Record<CellKey, Cell> } | null;
  evals: EvalRecord[];
  /** Evaluations of benchmarks outside the table. */
  otherEvals: EvalRecord[];
  curves: { metric: string; points: CurvePoint[] }[];
  missingMetrics: string[];
  /** Logged metrics not drawn as curves. */
  otherMetrics: string[];
  toolCalls: ToolCallPoint[];
  /** The per-round series the methods recorded, per arm and label. */
  roundSeries: RoundSeriesSummary[];
  creditShares: CreditShareSummary[];
  heat: HeatSample[];
  checklist: ChecklistArm[];
}

/** The baseline arm of an experiment, if any. */
export function baselineArm(d: { arms: readonly ArmSummary[] }): ArmSummary | undefined {
  return d.arms.find((a) => a.arm === "baseline");
}

/** The method arm of an experiment (the first arm that is not the baseline), if any. */
export function methodArm(d: { arms: readonly ArmSummary[] }): ArmSummary | undefined {
  return d.arms.find((a) => a.arm !== "baseline");
}

/**
 * Table columns with at least one value in the EM or F1 table of any arm or the start, in
 * table order ("avg" last). The SearchWorld columns are always kept.
 */
export function columnsWithData(d: ExperimentData): CellKey[] {
  const rows = [...(d.start ? [d.start] : []), ...d.arms];
  const has = (k: CellKey) =>
    rows.some((a) => a.em[k].kind === "value" || a.f1[k].kind === "value");
  return ([...COLUMNS.map((c) => c.key), "avg"] as CellKey[]).filter((k) =>
    (SEARCHWORLD_COLUMNS as readonly string[]).includes(k) || has(k)
  );
}

/**
 * Seconds from the first run's start to the last run's end over the ended runs (null when none
 * ended): the experiment's wall-clock time, which arms run side by side (`reproduce --jobs`)
 * make shorter than the sum of the runs' times.
 */
export function elapsedSeconds(runs: readonly RunRecord[]): number | null {
  let first = Infinity;
  let last = -Infinity;
  for (const r of runs) {
    if (r.endedAt === null) continue;
    const s = Date.parse(r.startedAt);
    const e = Date.parse(r.endedAt);
    if (!Number.isFinite(s) || !Number.isFinite(e)) continue;
    first = Math.min(first, s);
    last = Math.max(last, e);
  }
  return Number.isFinite(first) ? (last - first) / 1000 : null;
}

/** Wall time of a run in seconds (ended − started), null while running or unparsable. */
export function wallSeconds(r: RunRecord): number | null {
  if (r.endedAt === null) return null;
  const s = Date.parse(r.startedAt);
  const e = Date.parse(r.endedAt);
  return Number.isFinite(s) && Number.isFinite(e) ? (e - s) / 1000 : null;
}
