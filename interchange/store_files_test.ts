/**
 * One format, not two (issue 20, item 1): the trajectory files our trainer's run store writes are
 * interchange-format v1 files. Our own SearchWorld rollouts go the trainer's way (scoring,
 * `buildBatch`, the method's step, `trajectoryRowsFromBatch` as the arm job calls it, the run
 * store's `writeTrajectories`); the file then validates with interchange's reader, carries what
 * `recordFromTrajectory` makes of the same trajectories, reads back as the rows the reports use,
 * and `deno task credit`'s computation on it gives the advantages the trainer logged, bit for bit.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildBatch } from "@creditlab/agent";
import { RunStore, type TrajectoryRow, trajectoryRowsFromBatch } from "@creditlab/runstore";
import {
  checkStepResult,
  getMethod,
  grantResources,
  type MethodContext,
  scoreTrajectories,
  stepRng,
} from "@creditlab/train";
import { judgedRounds } from "../methods/round_judge.ts";
import { copyTrajectories, type OurRollouts, rolloutTest } from "./testing.ts";
import { readRecords } from "./files.ts";
import { recordFromTrajectory } from "./convert.ts";
import { creditRecords } from "./credit.ts";

/** What the trainer computes for one step of `method` on our rollouts, as its sink sees it. */
async function trainerStep(rollouts: OurRollouts, name: string) {
  const method = getMethod(name);
  const trajs = copyTrajectories(rollouts.trajectories);
  const ctx: MethodContext<unknown> = {
    config: method.defaults,
    questions: rollouts.questions,
    resources: grantResources(method, method.defaults, rollouts.testbed.resources),
    rng: stepRng(1, 0).fork(),
    step: 0,
  };
  const scored = scoreTrajectories(trajs, { questions: rollouts.questions, method, ctx });
  const rolloutBatch = buildBatch(trajs);
  const batch = { ...rolloutBatch, rewardRecords: scored.records };
  const result = checkStepResult(method.name, await method.step(batch, ctx), batch);
  return {
    trajs,
    rolloutBatch,
    advantages: result.advantages,
    kept: result.records ?? scored.records,
  };
}

/** The response part of row i of a padded per-token array. */
function responseOf(
  a: Float32Array,
  batch: { length: number; lengths: Int32Array },
  i: number,
  prompt: number,
) {
  return Array.from(a.subarray(i * batch.length + prompt, i * batch.length + batch.lengths[i]!));
}

rolloutTest(
  "store files: our rollouts -> run store -> interchange file -> credit equals the trainer's grpo bit for bit",
  { judge: false },
  async ({ rollouts }) => {
    const dir = await Deno.makeTempDir();
    const store = await RunStore.open(join(dir, "creditlab.duckdb"));
    try {
      const { trajs, rolloutBatch, advantages, kept } = await trainerStep(rollouts, "grpo");
      // As experiments/arm_job.ts calls it (no questions: the sink does not get them).
      const rows = trajectoryRowsFromBatch(rolloutBatch, advantages, { records: kept });
      const id = await store.startRun({
        method: "grpo",
        config: {},
        seed: 1,
        backend: "cpu",
        commit: "test",
        preset: "smoke",
      });
      const path = await store.writeTrajectories(id, 9, rows);

      // 1. The file is an interchange v1 file: interchange's reader checks every record.
      const records = await readRecords(path);
      assert.equal(records.length, trajs.length);
      records.forEach((rec, i) => {
        const t = trajs[i]!;
        const prompt = t.turns[0]!.tokens.length;
        const want = recordFromTrajectory(t, {
          question: rollouts.questions.get(t.questionId)!,
          trajectoryId: String(i),
        });
        // What recordFromTrajectory makes of the trajectory (turn spans with roles, rounds,
        // actions and verdicts; log-probs; meta), plus the trainer's outputs.
        for (
          const k of [
            "uid",
            "trajectory_id",
            "question_id",
            "prompt_ids",
            "prompt_text",
            "response_ids",
            "response_mask",
            "turns",
            "answer",
            "meta",
          ] as const
        ) {
          assert.deepEqual(rec[k] ?? null, want[k] ?? null, `record ${i}: ${k}`);
        }
        assert.deepEqual(rec.rollout_log_probs ?? null, want.rollout_log_probs ?? null);
        assert.deepEqual([rec.method, rec.reward], ["grpo", rolloutBatch.rewards[i]]);
        assert.equal(rec.outcome_reward, t.meta.outcome);
        assert.deepEqual(rec.ground_truth.target, []); // not given by the trainer's sink
        assert.deepEqual(rec.advantages, responseOf(advantages, rolloutBatch, i, prompt));
      });

      // 2. `deno task credit`'s computation on the file: the trainer's advantages, bit for bit.
      const out = await creditRecords(records, getMethod("grpo"), { judgedRounds });
      out.records.forEach((rec, i) => {
        const prompt = trajs[i]!.turns[0]!.tokens.length;
        assert.deepEqual(
          rec.advantages,
          responseOf(advantages, rolloutBatch, i, prompt),
          `row ${i}`,
        );
        assert.equal(rec.reward, rolloutBatch.rewards[i]);
      });
      assert.ok(out.records.some((r) => r.advantages!.some((a) => a !== 0)), "some credit");

      // 3. Read back through the run store: the rows the reports use (tokens, roles, rounds,
      //    loss mask, per-token advantages, turn texts and roles, spans, outcome, search calls).
      assert.deepEqual(await store.readTrajectories(id, 9), rows);
      const summaries = await store.readTrajectorySummaries(id, 9);
      assert.deepEqual(
        summaries.map((s) => [s.row, s.groupId, s.outcome, s.toolCalls]),
        rows.map((r: TrajectoryRow) => [r.row, r.groupId, r.outcome, r.toolCalls]),
      );

      // 4. Given the questions, the file carries their dataset and ground truth too.
      const full = trajectoryRowsFromBatch(rolloutBatch, advantages, {
        records: kept,
        questions: rollouts.questions,
      });
      const [first] = await readRecords(await store.writeTrajectories(id, 19, full));
      const q = rollouts.questions.get(first!.question_id)!;
      assert.deepEqual(
        [first!.data_source, first!.question, first!.ground_truth.target],
        [q.benchmark, q.question, q.goldenAnswers],
      );
    } finally {
      store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
