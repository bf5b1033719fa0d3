/**
 * Test helpers of the turn-count tests: interchange records of trajectories with a chosen number
 * of policy rounds K and answer, their credit by a registered method (the trainer's in-process
 * credit), and a run store holding them as trajectory files.
 *
 * @module
 */

import { creditRecords, type TrajectoryRecord } from "@creditlab/interchange";
import { rowFromRecord, RunStore } from "@creditlab/runstore";
import { getMethod } from "@creditlab/train";
import "../methods/mod.ts";
import { judgedRounds } from "../methods/round_judge.ts";

/** One trajectory: its group, K policy rounds (K − 1 searches, then an answer) and answer. */
export interface Spec {
  uid: string;
  rounds: number;
  answer: string;
}

/** The gold answer of every record's question. */
export const GOLD = "ann";

/** A record of `spec` (question q-<uid>; two tokens per turn, observations not trained). */
export function record(spec: Spec, id: number): TrajectoryRecord {
  const ids: number[] = [];
  const mask: number[] = [];
  const turns: TrajectoryRecord["turns"] = [];
  const turn = (role: "policy" | "observation", round: number, text: string) => {
    turns.push({ role, round, start: ids.length, end: ids.length + 2, text });
    ids.push(5, 6);
    mask.push(role === "policy" ? 1 : 0, role === "policy" ? 1 : 0);
  };
  for (let k = 1; k < spec.rounds; k++) {
    turn("policy", k, `<search> hop ${k} </search>`);
    turn("observation", k, `<information> Doc 1(Title: t${k}) p </information>`);
  }
  turn("policy", spec.rounds, `<answer> ${spec.answer} </answer>`);
  return {
    version: 1,
    uid: spec.uid,
    trajectory_id: String(id),
    data_source: "fixture",
    question_id: `q-${spec.uid}`,
    question: `who is ${spec.uid} ?`,
    ground_truth: { target: [GOLD] },
    prompt_ids: [1, 2],
    prompt_text: `question : who is ${spec.uid} ?`,
    response_ids: ids,
    response_mask: mask,
    turns,
    answer: spec.answer,
    outcome_reward: spec.answer === GOLD ? 1 : 0,
  };
}

/** The records of `specs` with the credit of the registered method `name` under `config`. */
export async function credited(
  specs: readonly Spec[],
  name: string,
  config?: unknown,
): Promise<TrajectoryRecord[]> {
  const method = getMethod(name);
  const recs = specs.map((s, i) => record(s, i));
  const out = await creditRecords(recs, method, {
    judgedRounds,
    ...(config === undefined ? {} : { config }),
  });
  return out.records;
}

/** One run of a turn-count store: its arm, method, recorded method config and stored steps. */
export interface FixtureRun {
  arm: string;
  method: string;
  seed: number;
  config: unknown;
  /** Per stored step: the credited records (advantages as stored). */
  steps: TrajectoryRecord[][];
}

/** Write the runs (experiment `exp`, preset "fixture": no testbed) to a new store at `path`. */
export async function writeTurnCountStore(
  path: string,
  exp: string,
  runs: readonly FixtureRun[],
): Promise<void> {
  const store = await RunStore.open(path);
  try {
    for (const r of runs) {
      const id = await store.startRun({
        method: r.method,
        arm: r.arm,
        experiment: exp,
        config: { method: r.config },
        seed: r.seed,
        backend: "wasm",
        commit: "fixture",
        preset: "fixture",
        startedAt: new Date(Date.UTC(2026, 11, 1)),
      });
      for (const [s, recs] of r.steps.entries()) {
        const rows = recs.map((rec, index) =>
          rowFromRecord(rec, { index, groupId: s * 100 + Number(rec.uid) })
        );
        await store.writeTrajectories(id, 10 * (s + 1), rows);
      }
      await store.endRun(id, "completed", new Date(Date.UTC(2026, 11, 1, 0, 1)));
    }
  } finally {
    store.close();
  }
}
