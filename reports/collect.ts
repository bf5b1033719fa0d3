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
 * @module
 */

import { isMethodCallMetric, METRIC } from "@creditlab/core";
import {
  type EvalItemRecord,
  type EvalRecord,
  readByHops,
  readLookup,
  type RunRecord,
  type RunStore,
  type StepRecord,
  type TrajectoryRow,
} from "../agent/runstore.ts";
import { type ColumnKey, columnOf, COLUMNS, splitRank } from "./benchmarks.ts";
import {
  type ArmOutcomes,
  compareArms,
  type Comparison,
  constantValue,
  regimeOfConfig,
  type RegimeSummary,
  regimeSummary,
  trends,
  type TrendSummary,
} from "./decide.ts";
import { type Interval, mean, sampleStd, tInterval, welchInterval } from "./stats.ts";

/**
 * The arm of an experiment that holds its warm start: the SFT checkpoint evaluated (greedy, one
 * run, seed 1) on the experiment's own held-out questions.
 */
export const START_ARM = "start";

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

/**
 * Harness metrics that count extra (training-only) calls, for the checklist; a method's own
 * are its `<method>/calls/...` metrics.
 */
export const HARNESS_CALL_METRICS: readonly string[] = [METRIC.feedbackCallsMean];

/** Whether a metric a run of `method` logged counts extra calls (harness's or the method's). */
export function isExtraCallMetric(metric: string, method: string): boolean {
  return HARNESS_CALL_METRICS.includes(metric) || isMethodCallMetric(metric, method);
}

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
 * A per-round series the method recorded (a record's `rounds`, e.g. CW-GRPO's contribution
 * c_k), over the successful trajectories of an arm's runs (stored steps, pooled). Values are
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
  /** Standard deviation over seeds of the seven-benchmark average EM, SearchWorld EM. */
  stdAvgEm: number;
  stdSearchWorldEm: number;
  statuses: string[];
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

function armOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "baseline") return -1;
  if (b === "baseline") return 1;
  return a < b ? -1 : 1;
}

function cellFrom(values: (number | null)[], missingText: string): Cell {
  const have = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (have.length === 0) return { kind: "missing", text: missingText };
  return {
    kind: "value",
    interval: tInterval(have),
    values: have,
    seedsWith: have.length,
    seeds: values.length,
  };
}

/** Final evaluation of each table column for one run: the latest step, preferred split. */
export function finalEvals(evals: EvalRecord[]): Map<ColumnKey, EvalRecord> {
  const out = new Map<ColumnKey, EvalRecord>();
  for (const e of evals) {
    const col = columnOf(e.benchmark, e.split);
    if (col === null) continue;
    const prev = out.get(col);
    if (
      prev === undefined || e.step > prev.step ||
      (e.step === prev.step && splitRank(e.split) < splitRank(prev.split))
    ) out.set(col, e);
  }
  return out;
}

function perRunScores(evals: EvalRecord[], key: "em" | "f1"): Record<CellKey, number | null> {
  const fin = finalEvals(evals);
  const out = {} as Record<CellKey, number | null>;
  const avgParts: number[] = [];
  for (const c of COLUMNS) {
    const e = fin.get(c.key);
    const v = e === undefined ? null : e[key];
    out[c.key] = v;
    if (c.inAverage && v !== null && Number.isFinite(v)) avgParts.push(v);
  }
  out.avg = avgParts.length === 7 ? mean(avgParts) : null;
  return out;
}

function evalToolCallTable(runs: RunRecord[], evalsByRun: Map<string, EvalRecord[]>) {
  const out = {} as Record<CellKey, Cell>;
  const per = runs.map((r) => finalEvals(evalsByRun.get(r.id) ?? []));
  for (const c of COLUMNS) {
    out[c.key] = cellFrom(
      per.map((m) => {
        const v = m.get(c.key)?.extra["toolCalls"];
        return typeof v === "number" ? v : null;
      }),
      "not recorded",
    );
  }
  out.avg = { kind: "missing", text: "not averaged" };
  return out;
}

/**
 * For each SearchWorld column, what `read` finds in the `extra` of each run's final evaluation
 * (null where a run has no such evaluation or `read` finds nothing), in run order.
 */
function searchWorldExtras<T>(
  runs: RunRecord[],
  opts: {
    evalsByRun: Map<string, EvalRecord[]>;
    read: (extra: Record<string, unknown>) => T | null;
  },
): [SearchWorldKey, (T | null)[]][] {
  const per = runs.map((r) => finalEvals(opts.evalsByRun.get(r.id) ?? []));
  return SEARCHWORLD_COLUMNS.map((col) => [
    col,
    per.map((m) => {
      const e = m.get(col);
      return e ? opts.read(e.extra) : null;
    }),
  ]);
}

function hopTable(runs: RunRecord[], evalsByRun: Map<string, EvalRecord[]>) {
  const out: Partial<Record<SearchWorldKey, Record<string, Cell>>> = {};
  for (const [col, byRun] of searchWorldExtras(runs, { evalsByRun, read: readByHops })) {
    const hops = new Set(byRun.flatMap((by) => (by ? Object.keys(by) : [])));
    if (hops.size === 0) continue;
    const cells: Record<string, Cell> = {};
    for (const h of [...hops].sort((a, b) => Number(a) - Number(b))) {
      cells[h] = cellFrom(byRun.map((by) => by?.[h]?.em ?? null), "not recorded");
    }
    out[col] = cells;
  }
  return out;
}

function lookupTable(runs: RunRecord[], evalsByRun: Map<string, EvalRecord[]>) {
  const out: ArmSummary["lookup"] = {};
  for (const [col, byRun] of searchWorldExtras(runs, { evalsByRun, read: readLookup })) {
    if (byRun.every((l) => l === null)) continue;
    out[col] = {
      accuracy: cellFrom(byRun.map((l) => l?.accuracy ?? null), "not recorded"),
      chance: cellFrom(byRun.map((l) => l?.chance ?? null), "not recorded"),
    };
  }
  return out;
}

function armTable(runs: RunRecord[], evalsByRun: Map<string, EvalRecord[]>, key: "em" | "f1") {
  const per = runs.map((r) => perRunScores(evalsByRun.get(r.id) ?? [], key));
  const out = {} as Record<CellKey, Cell>;
  for (const c of COLUMNS) {
    out[c.key] = cellFrom(per.map((p) => p[c.key]), "no eval");
  }
  const have7 = runs.map((r) => {
    const fin = finalEvals(evalsByRun.get(r.id) ?? []);
    return COLUMNS.filter((c) => c.inAverage && fin.has(c.key)).length;
  });
  out.avg = cellFrom(
    per.map((p) => p.avg),
    `needs all 7 benchmarks (have ${have7.length ? Math.max(...have7) : 0})`,
  );
  return out;
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

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

async function trajectoryFiles(
  store: RunStore,
  runId: string,
): Promise<{ step: number; path: string; rows: number }[]> {
  const rows = await store.query(
    `SELECT step, path, rows FROM trajectory_files WHERE run_id = $1 ORDER BY step`,
    [runId],
  );
  return rows.map((r) => ({
    step: Number(r["step"]),
    path: `${store.dir}/${String(r["path"])}`,
    rows: Number(r["rows"]),
  }));
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

/** Summary of one arm's per-round series of one label ({@link RoundSeriesSummary}). */
export function summarizeRoundSeries(
  arm: string,
  label: string,
  list: readonly (readonly number[])[],
): RoundSeriesSummary {
  let allZero = 0;
  const tops: number[] = [];
  const actives: number[] = [];
  const byRank: number[][] = [];
  const byRound: number[][] = [];
  for (const c of list) {
    const s = c.reduce((x, y) => x + Math.max(0, y), 0);
    if (s <= 0) allZero++;
    const w = c.map((x) => (s > 0 ? Math.max(0, x) / s : 0));
    tops.push(Math.max(...w));
    actives.push(c.filter((x) => x > 0).length / c.length);
    [...w].sort((x, y) => y - x).forEach((v, i) => (byRank[i] ??= []).push(v));
    w.forEach((v, i) => (byRound[i] ??= []).push(v));
  }
  return {
    arm,
    label,
    trajectories: list.length,
    allZero,
    topShare: mean(tops),
    activeFraction: mean(actives),
    byRank: byRank.map((v) => mean(v)),
    byRound: byRound.map((v) => mean(v)),
  };
}

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
 * import { RunStore } from "../agent/runstore.ts";
 * const tmp = await Deno.makeTempDir();
 * const store = await RunStore.open(join(tmp, "runs.duckdb")); // a new, empty store
 * const data = await collectExperiment(store, "capf");
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
  const evalsByRun = new Map<string, EvalRecord[]>();
  for (const e of evals) {
    const l = evalsByRun.get(e.runId) ?? [];
    l.push(e);
    evalsByRun.set(e.runId, l);
  }
  const summarize = (arm: string, rs: RunRecord[]): ArmSummary => ({
    arm,
    method: [...new Set(rs.map((r) => r.method))].sort().join("+"),
    runs: rs,
    em: armTable(rs, evalsByRun, "em"),
    f1: armTable(rs, evalsByRun, "f1"),
    evalToolCalls: evalToolCallTable(rs, evalsByRun),
    emByHops: hopTable(rs, evalsByRun),
    lookup: lookupTable(rs, evalsByRun),
  });
  const armNames = [...new Set(runs.filter((r) => r.arm !== START_ARM).map((r) => r.arm))]
    .sort(armOrder);
  const arms: ArmSummary[] = armNames.map((a) =>
    summarize(
      a,
      runs.filter((r) => r.arm === a),
    )
  );

  // The warm start the arms began from: the experiment's own `start` arm, else (stores written
  // before it existed) the SFT runs of experiment "sft" with the same presets and seeds.
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

  // Per-question outcomes of every run's final SearchWorld evaluations (none in old stores).
  const itemsByRun = new Map<string, EvalItemRecord[]>();
  const itemsTable = await store.query(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'eval_items'`,
  );
  if (Number(itemsTable[0]?.["n"] ?? 0) > 0) {
    for (const r of [...runs, ...(startSource === "sft-experiment" ? start?.runs ?? [] : [])]) {
      itemsByRun.set(r.id, await store.evalItems({ runId: r.id }));
    }
  }
  const itemsRecorded = [...itemsByRun.values()].some((l) => l.length > 0);
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
  const baseArm = baselineArm({ arms });
  const mArm = methodArm({ arms });
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

  let delta: ExperimentData["delta"] = null;
  if (baseArm && mArm) {
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
    delta = { arm: mArm.arm, baseline: "baseline", em };
  }

  // Learning curves.
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

  // Trajectory files: tool calls, method records (per-round series, calls), heat samples,
  // rollouts per step.
  const toolCalls: ToolCallPoint[] = [];
  /** Per arm, per series label: the successful trajectories' series. */
  const seriesByArm = new Map<string, Map<string, number[][]>>();
  const sharesByArm = new Map<string, number[][]>();
  const SHARE_STEPS = 5;
  const rolloutsByArm = new Map<string, Set<number>>();
  /** Per arm, per call kind: the per-step sums over stored steps. */
  const recordCallsByArm = new Map<string, Map<string, number[]>>();
  const heat: HeatSample[] = [];
  for (const r of runs) {
    const files = await trajectoryFiles(store, r.id);
    const rs = rolloutsByArm.get(r.arm) ?? new Set<number>();
    rolloutsByArm.set(r.arm, rs);
    for (const f of files) {
      rs.add(f.rows);
      const agg = await store.query(
        `SELECT count(*) AS n, avg(tool_calls) AS a,
                avg(tool_calls) FILTER (WHERE outcome > 0) AS s
         FROM read_parquet(${sqlString(f.path)})`,
      );
      const g = agg[0] ?? {};
      const n = Number(g["n"] ?? 0);
      if (n === 0) continue;
      const calls: Record<string, number> = {};
      const series = seriesByArm.get(r.arm) ?? new Map<string, number[][]>();
      seriesByArm.set(r.arm, series);
      for (const t of await store.readTrajectorySummaries(r.id, f.step)) {
        for (const [k, v] of Object.entries(t.methodRecord?.calls ?? {})) {
          calls[k] = (calls[k] ?? 0) + v;
        }
        const rounds = t.methodRecord?.rounds;
        if (t.reward > 0 && rounds !== undefined && rounds.values.length > 0) {
          const list = series.get(rounds.label) ?? [];
          list.push(rounds.values.map((x) => (Number.isFinite(x) ? x : 0)));
          series.set(rounds.label, list);
        }
      }
      toolCalls.push({
        run: r.id,
        arm: r.arm,
        seed: r.seed,
        step: f.step,
        all: Number(g["a"]),
        success: g["s"] === null || g["s"] === undefined ? NaN : Number(g["s"]),
        trajectories: n,
        calls,
      });
      const byKind = recordCallsByArm.get(r.arm) ?? new Map<string, number[]>();
      recordCallsByArm.set(r.arm, byKind);
      for (const [k, v] of Object.entries(calls)) byKind.set(k, [...(byKind.get(k) ?? []), v]);
    }
    for (const f of files.slice(-SHARE_STEPS)) {
      const per = await store.query(
        `WITH t AS (
           SELECT "row", unnest(advantages) AS a, unnest(round_ids) AS k, unnest(loss_mask) AS m
           FROM read_parquet(${sqlString(f.path)}) WHERE outcome > 0)
         SELECT "row", k, avg(a) AS adv FROM t WHERE m > 0 AND k > 0
         GROUP BY "row", k ORDER BY "row", k`,
      );
      const byRow = new Map<number, number[]>();
      for (const x of per) {
        const row = Number(x["row"]);
        const l = byRow.get(row) ?? [];
        l.push(Math.abs(Number(x["adv"])));
        byRow.set(row, l);
      }
      const list = sharesByArm.get(r.arm) ?? [];
      for (const row of [...byRow.keys()].sort((a, b) => a - b)) {
        const m = byRow.get(row)!;
        const tot = m.reduce((a, b) => a + b, 0);
        if (m.length >= 2 && tot > 0) list.push(m.map((v) => v / tot));
      }
      sharesByArm.set(r.arm, list);
    }
  }
  const creditShares: CreditShareSummary[] = [];
  for (const a of armNames) {
    const list = sharesByArm.get(a) ?? [];
    if (list.length === 0) continue;
    const byRank: number[][] = [];
    for (const sh of list) {
      [...sh].sort((x, y) => y - x).forEach((v, i) => (byRank[i] ??= []).push(v));
    }
    creditShares.push({
      arm: a,
      trajectories: list.length,
      meanRounds: mean(list.map((l) => l.length)),
      topShare: mean(list.map((l) => Math.max(...l))),
      uniformTopShare: mean(list.map((l) => 1 / l.length)),
      byRank: byRank.map((v) => mean(v)),
      stepsRead: SHARE_STEPS,
    });
  }
  for (const a of arms) {
    // Heat map sample: the arm's first run with trajectories, its last stored step, the first
    // group with both a success and a failure (else the first group).
    for (const r of a.runs) {
      const steps = await store.trajectorySteps(r.id);
      const last = steps[steps.length - 1];
      if (last === undefined) continue;
      const rows = await store.readTrajectories(r.id, last);
      const groups = [...new Set(rows.map((x) => x.groupId))].sort((x, y) => x - y);
      const mixed = groups.find((g) => {
        const o = rows.filter((x) => x.groupId === g).map((x) => x.outcome > 0);
        return o.includes(true) && o.includes(false);
      });
      const gid = mixed ?? groups[0];
      if (gid === undefined) continue;
      heat.push({
        arm: a.arm,
        method: a.method,
        run: r.id,
        step: last,
        groupId: gid,
        rows: rows.filter((x) => x.groupId === gid).slice(0, heatRows),
      });
      break;
    }
  }

  const roundSeries: RoundSeriesSummary[] = [];
  for (const a of armNames) {
    const byLabel = seriesByArm.get(a) ?? new Map<string, number[][]>();
    for (const label of [...byLabel.keys()].sort()) {
      roundSeries.push(summarizeRoundSeries(a, label, byLabel.get(label)!));
    }
  }

  const checklist: ChecklistArm[] = arms.map((a) => {
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
      stdAvgEm: sampleStd(finite(per.map((p) => p.avg))),
      stdSearchWorldEm: sampleStd(finite(per.map((p) => p.searchworld))),
      statuses: a.runs.map((r) => r.status),
    };
  });

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
    toolCalls,
    roundSeries,
    creditShares,
    heat,
    checklist,
  };
}
