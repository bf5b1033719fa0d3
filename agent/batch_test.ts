import assert from "node:assert/strict";
import { buildBatch } from "./batch.ts";
import { ROLE_CODE, type Trajectory, type Turn } from "@creditlab/core";

const turn = (role: Turn["role"], ids: number[], round: number): Turn => ({
  role,
  tokens: Int32Array.from(ids),
  text: ids.join(" "),
  round,
});

Deno.test("buildBatch: hand-checked layout of two trajectories", () => {
  const a: Trajectory = {
    questionId: "q1",
    groupId: 7,
    reward: 1,
    meta: {},
    turns: [
      turn("observation", [1, 5], 0), // prompt
      turn("policy", [10, 11], 1),
      turn("observation", [20], 1),
      turn("policy", [12], 2),
    ],
  };
  const b: Trajectory = {
    questionId: "q2",
    groupId: 3,
    reward: 0,
    meta: {},
    turns: [turn("observation", [1], 0), turn("policy", [13], 1), turn("feedback", [30, 31], 1)],
  };
  const batch = buildBatch([a, b]);
  assert.equal(batch.n, 2);
  assert.equal(batch.length, 6);
  assert.deepEqual([...batch.tokens], [1, 5, 10, 11, 20, 12, 1, 13, 30, 31, 0, 0]);
  assert.deepEqual([...batch.lossMask], [0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual([...batch.roundIds], [0, 0, 1, 1, 1, 2, 0, 1, 1, 1, 0, 0]);
  const { pad, policy, observation, feedback } = ROLE_CODE;
  assert.deepEqual(
    [...batch.roles],
    [pad, pad, policy, policy, observation, policy, pad, policy, feedback, feedback, pad, pad],
  );
  assert.deepEqual([...batch.groupIds], [7, 3]);
  assert.deepEqual([...batch.rewards], [1, 0]);
  assert.deepEqual([...batch.numRounds], [2, 1]);
  assert.deepEqual([...batch.lengths], [6, 4]);
});

Deno.test("buildBatch: empty input and non-finite rewards are refused", () => {
  assert.throws(() => buildBatch([]), /empty/);
  const t: Trajectory = {
    questionId: "q",
    groupId: 0,
    reward: Number.NaN,
    meta: {},
    turns: [turn("policy", [1], 1)],
  };
  assert.throws(() => buildBatch([t]), /trajectory 0 \(question q\) has reward NaN/);
});
