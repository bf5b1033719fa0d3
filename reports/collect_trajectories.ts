/**
 * What an experiment's report reads out of its runs' trajectory files: search calls per
 * trajectory and the training-only calls of each stored step, the per-round series methods
 * record (over successful trajectories), where the credit of successful trajectories sits
 * (from the stored per-token advantages) and a sampled group per arm for the heat map.
 *
 * @module
 */

import type { RunRecord, RunStore } from "@creditlab/runstore";
import type {
  ArmSummary,
  CreditShareSummary,
  HeatSample,
  RoundSeriesSummary,
  ToolCallPoint,
} from "./experiment_data.ts";
import { mean } from "./stats.ts";

/** Stored steps whose per-token advantages the credit shares read, per run (the last ones). */
const SHARE_STEPS = 5;

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

/** What {@link readTrajectoryFiles} finds in the runs' trajectory files. */
export interface TrajectoryFacts {
  toolCalls: ToolCallPoint[];
  /** Per arm, per series label: the successful trajectories' series. */
  seriesByArm: Map<string, Map<string, number[][]>>;
  /** Per arm: the credit shares by round of each successful trajectory of >= 2 rounds. */
  sharesByArm: Map<string, number[][]>;
  /** Per arm: the distinct trajectory counts of its stored steps. */
  rolloutsByArm: Map<string, Set<number>>;
  /** Per arm, per call kind: the per-step sums over stored steps. */
  recordCallsByArm: Map<string, Map<string, number[]>>;
}

/**
 * Read every run's trajectory files: tool calls, method records (per-round series, calls),
 * credit shares of the last {@link SHARE_STEPS} stored steps, rollouts per step.
 */
export async function readTrajectoryFiles(
  store: RunStore,
  runs: readonly RunRecord[],
): Promise<TrajectoryFacts> {
  const toolCalls: ToolCallPoint[] = [];
  const seriesByArm = new Map<string, Map<string, number[][]>>();
  const sharesByArm = new Map<string, number[][]>();
  const rolloutsByArm = new Map<string, Set<number>>();
  const recordCallsByArm = new Map<string, Map<string, number[]>>();
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
  return { toolCalls, seriesByArm, sharesByArm, rolloutsByArm, recordCallsByArm };
}

/** Where the credit of each arm's successful trajectories sits ({@link CreditShareSummary}). */
export function creditShareSummaries(
  armNames: readonly string[],
  sharesByArm: Map<string, number[][]>,
): CreditShareSummary[] {
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
  return creditShares;
}

/**
 * Heat map samples, one per arm: the arm's first run with trajectories, its last stored step, the
 * first group with both a success and a failure (else the first group), at most `heatRows` rows.
 */
export async function heatSamples(
  store: RunStore,
  arms: readonly ArmSummary[],
  heatRows: number,
): Promise<HeatSample[]> {
  const heat: HeatSample[] = [];
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
  return heat;
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

/** The per-round series of each arm, by label ({@link summarizeRoundSeries}). */
export function roundSeriesSummaries(
  armNames: readonly string[],
  seriesByArm: Map<string, Map<string, number[][]>>,
): RoundSeriesSummary[] {
  const roundSeries: RoundSeriesSummary[] = [];
  for (const a of armNames) {
    const byLabel = seriesByArm.get(a) ?? new Map<string, number[][]>();
    for (const label of [...byLabel.keys()].sort()) {
      roundSeries.push(summarizeRoundSeries(a, label, byLabel.get(label)!));
    }
  }
  return roundSeries;
}
