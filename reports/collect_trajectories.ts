/**
 * What an experiment's report reads out of its runs' trajectory files: search calls per
 * trajectory and the training-only calls of each stored step, the per-round series methods
 * record (over successful trajectories), where the credit of successful trajectories sits
 * (from the stored per-token advantages) and a sampled group per arm for the heat map.
 *
 * @module
 */

import type { RunRecord, RunStore, TrajectoryRow } from "@creditlab/runstore";
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

/** The stored steps of a run that have a trajectory file, and its trajectory count, by step. */
async function trajectoryFiles(
  store: RunStore,
  runId: string,
): Promise<{ step: number; rows: number }[]> {
  const rows = await store.query(
    `SELECT step, rows FROM trajectory_files WHERE run_id = $1 ORDER BY step`,
    [runId],
  );
  return rows.map((r) => ({ step: Number(r["step"]), rows: Number(r["rows"]) }));
}

/**
 * The mean advantage of each policy round k >= 1 of a row over its trained tokens (mask > 0),
 * rounds ascending; non-finite advantages are left out (a round with none has 0).
 */
function roundCredit(t: TrajectoryRow): Map<number, number> {
  const sums = new Map<number, [number, number]>();
  for (let i = 0; i < t.tokens.length; i++) {
    const k = t.roundIds[i] ?? 0;
    if (!((t.lossMask[i] ?? 0) > 0) || k <= 0) continue;
    const s = sums.get(k) ?? [0, 0];
    const a = t.advantages[i] ?? NaN;
    if (Number.isFinite(a)) {
      s[0] += a;
      s[1]++;
    }
    sums.set(k, s);
  }
  const out = new Map<number, number>();
  for (const k of [...sums.keys()].sort((a, b) => a - b)) {
    const [sum, n] = sums.get(k)!;
    out.set(k, n === 0 ? 0 : sum / n);
  }
  return out;
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
 * Read every run's trajectory files through the run store's reader (interchange-format files, or
 * legacy ones of older stores): tool calls, method records (per-round series, calls), credit
 * shares of the last {@link SHARE_STEPS} stored steps, rollouts per step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { RunStore } from "@creditlab/runstore";
 * import { writeFixtureStore } from "./testing.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFixtureStore(join(dir, "creditlab.duckdb"), { seeds: 1, steps: 2 });
 * const store = await RunStore.open(join(dir, "creditlab.duckdb"), { readOnly: true });
 * const facts = await readTrajectoryFiles(store, await store.listRuns({ experiment: "beta" }));
 * assert.ok(facts.toolCalls.length > 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
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
    const shareFrom = Math.max(0, files.length - SHARE_STEPS);
    for (const [fi, f] of files.entries()) {
      rs.add(f.rows);
      // Through the store's reader: interchange's for interchange-format files (turns from the
      // spans, per-token advantages, roles), the legacy reader for files of older stores.
      const rows = await store.readTrajectories(r.id, f.step);
      if (rows.length === 0) continue;
      const calls: Record<string, number> = {};
      const series = seriesByArm.get(r.arm) ?? new Map<string, number[][]>();
      seriesByArm.set(r.arm, series);
      for (const t of rows) {
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
      const success = rows.filter((t) => t.outcome > 0);
      toolCalls.push({
        run: r.id,
        arm: r.arm,
        seed: r.seed,
        step: f.step,
        all: mean(rows.map((t) => t.toolCalls)),
        success: success.length === 0 ? NaN : mean(success.map((t) => t.toolCalls)),
        trajectories: rows.length,
        calls,
      });
      const byKind = recordCallsByArm.get(r.arm) ?? new Map<string, number[]>();
      recordCallsByArm.set(r.arm, byKind);
      for (const [k, v] of Object.entries(calls)) byKind.set(k, [...(byKind.get(k) ?? []), v]);
      if (fi < shareFrom) continue;
      const list = sharesByArm.get(r.arm) ?? [];
      for (const t of success) {
        const m = [...roundCredit(t).values()].map(Math.abs);
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
