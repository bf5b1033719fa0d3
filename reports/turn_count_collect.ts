/**
 * The trajectories of the "Credit by turn count" section, read from the run store as aligned
 * columns (credit, K, outcome, group, run) per arm; for the method arm, the same trajectories'
 * credit replayed under the variant config (turn_count_replay.ts), with the check that replaying
 * the recorded config gives the stored advantages.
 *
 * @module
 */

import type { RunRecord, RunStoreReader, TrajectoryRow } from "@creditlab/runstore";
import type { Method } from "@creditlab/train";
import { policyRounds, trainedMeanAdvantage } from "./turn_count.ts";
import {
  maxAbsDifference,
  type ReplayEnvironment,
  replayRecords,
  runEnvironment,
  storedRecords,
  variantConfig,
} from "./turn_count_replay.ts";
import type { TurnCountSection } from "./turn_count_types.ts";

/** Largest |replayed − stored| advantage under the recorded config that counts as reproduced. */
export const REPLAY_TOLERANCE = 1e-6;

/** The trajectories of one arm, columns aligned; `variant` only for the replayed method arm (else NaN). */
export interface Columns {
  credit: number[];
  variant: number[];
  turns: number[];
  outcomes: number[];
  groups: number[];
  strata: number[];
  excluded: number;
  steps: Set<number>;
  perRun: { run: string; seed: number; steps: number; trajectories: number }[];
}

function emptyColumns(): Columns {
  return {
    credit: [],
    variant: [],
    turns: [],
    outcomes: [],
    groups: [],
    strata: [],
    excluded: 0,
    steps: new Set(),
    perRun: [],
  };
}

/** What replaying the method arm gave: fidelity, chains filled, why it stopped. */
export interface ReplayState {
  env: Map<string, ReplayEnvironment>;
  environments: Set<string>;
  fidelity: number;
  tokens: number;
  filled: number;
  mismatched: number;
  error: string | null;
}

/** A run's recorded method config (`config.method`), or undefined when it records none. */
export function recordedConfig(run: RunRecord): Record<string, unknown> | undefined {
  const c = run.config;
  const m = typeof c === "object" && c !== null ? (c as Record<string, unknown>)["method"] : null;
  return typeof m === "object" && m !== null && !Array.isArray(m)
    ? m as Record<string, unknown>
    : undefined;
}

function rowsInOrder(rows: readonly TrajectoryRow[]): TrajectoryRow[] {
  return [...rows].sort((a, b) => a.row - b.row);
}

/** What {@link collectTurnCounts} replays: the method, the variant and the state it updates. */
export interface ReplayJob {
  method: Method<unknown>;
  variant: Record<string, unknown>;
  state: ReplayState;
}

/**
 * The columns of the runs' stored trajectories (every stored step, row order); with `replay`,
 * each step is also replayed under the run's recorded config (the check, into `state.fidelity`)
 * and under the variant (`variant` column). A replay that fails sets `state.error` and stops.
 * Trajectories without a trained token or with a non-finite credit are left out (counted).
 */
export async function collectTurnCounts(
  store: RunStoreReader,
  runs: readonly RunRecord[],
  opts: { replay: ReplayJob | null },
): Promise<Columns> {
  const replay = opts.replay;
  const c = emptyColumns();
  let group = 0;
  for (const [ri, run] of runs.entries()) {
    const steps = await store.trajectorySteps(run.id);
    let n = 0;
    const recorded = recordedConfig(run);
    if (replay && recorded === undefined && replay.state.error === null) {
      replay.state.error = `run ${run.id} does not record its method config (config.method)`;
    }
    const variantCfg = replay && recorded !== undefined
      ? variantConfig(replay.method, { recorded, variant: replay.variant })
      : null;
    for (const step of steps) {
      const rows = rowsInOrder(await store.readTrajectories(run.id, step));
      if (rows.length === 0) continue;
      c.steps.add(step);
      let replayed: number[] | null = null;
      const st = replay?.state;
      if (replay && st && st.error === null) {
        const key = `${run.preset}/${JSON.stringify((run.config as { regime?: unknown })?.regime)}`;
        const env = st.env.get(key) ?? runEnvironment(run);
        st.env.set(key, env);
        st.environments.add(env.label);
        try {
          const stored = storedRecords(rows, env, { where: `${run.id} step ${step}` });
          st.filled += stored.filled;
          st.mismatched += stored.mismatched;
          const opts = { env, step };
          const again = await replayRecords(stored.records, replay.method, {
            ...opts,
            config: recorded,
          });
          st.fidelity = Math.max(st.fidelity, maxAbsDifference(again, stored.records));
          st.tokens += stored.records.reduce((a, r) => a + r.response_ids.length, 0);
          const out = await replayRecords(stored.records, replay.method, {
            ...opts,
            config: variantCfg,
          });
          replayed = out.map((r) => trainedMeanAdvantage(r.advantages ?? [NaN], r.response_mask));
        } catch (e) {
          st.error = `${run.id} step ${step}: ${(e as Error).message}`;
        }
      }
      const ids = new Map<number, number>();
      rows.forEach((r, i) => {
        const credit = trainedMeanAdvantage(r.advantages, r.lossMask);
        const v = replayed?.[i] ?? NaN;
        if (!Number.isFinite(credit) || (replayed !== null && !Number.isFinite(v))) {
          c.excluded++;
          return;
        }
        if (!ids.has(r.groupId)) ids.set(r.groupId, group++);
        c.credit.push(credit);
        c.variant.push(v);
        c.turns.push(policyRounds(r.roles, r.roundIds));
        c.outcomes.push(r.outcome > 0 ? 1 : 0);
        c.groups.push(ids.get(r.groupId)!);
        c.strata.push(ri);
        n++;
      });
    }
    c.perRun.push({ run: run.id, seed: run.seed, steps: steps.length, trajectories: n });
  }
  return c;
}

/** Trajectories whose credit the variant changes, and those of them in informative cells. */
export function changedCredit(c: Columns): NonNullable<TurnCountSection["changed"]> {
  const cells = new Map<string, Set<number>>();
  c.turns.forEach((k, i) => {
    const key = `${c.groups[i]}:${c.outcomes[i]}`;
    cells.set(key, (cells.get(key) ?? new Set()).add(k));
  });
  let trajectories = 0;
  let informative = 0;
  c.credit.forEach((x, i) => {
    if (!(Math.abs(c.variant[i]! - x) > REPLAY_TOLERANCE)) return;
    trajectories++;
    if (cells.get(`${c.groups[i]}:${c.outcomes[i]}`)!.size >= 2) informative++;
  });
  return { trajectories, of: c.credit.length, informative, tolerance: REPLAY_TOLERANCE };
}
