import assert from "node:assert/strict";
import { buildBatch, lengthBuckets, sliceRows } from "./batch.ts";
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

Deno.test("lengthBuckets: near-equal chunks of rows sorted by length", () => {
  assert.deepEqual(lengthBuckets([5, 1, 9, 3, 7], 2), [[1], [3, 0], [4, 2]]);
  assert.deepEqual(lengthBuckets([4, 4, 4], 8), [[0, 1, 2]]);
  const lens = Array.from({ length: 37 }, (_, i) => (i * 7919) % 101);
  const chunks = lengthBuckets(lens, 8);
  assert.equal(chunks.length, 5);
  assert.ok(chunks.every((c) => c.length <= 8));
  assert.deepEqual(chunks.flat().sort((a, b) => a - b), lens.map((_, i) => i));
});

Deno.test("sliceRows: the chosen rows, trimmed to their longest, with each per-token array", () => {
  const batch = buildBatch([
    { questionId: "a", groupId: 0, reward: 0, meta: {}, turns: [turn("policy", [5, 6, 7], 1)] },
    { questionId: "b", groupId: 0, reward: 1, meta: {}, turns: [turn("policy", [8], 1)] },
    { questionId: "c", groupId: 1, reward: 0, meta: {}, turns: [turn("policy", [9, 10], 1)] },
  ]);
  const extra = Float32Array.from({ length: 9 }, (_, i) => i); // batch.length = 3
  const sl = sliceRows(batch, [2, 1], { mask: batch.lossMask, x: extra });
  assert.equal(sl.n, 2);
  assert.equal(sl.len, 2);
  assert.deepEqual([...sl.tokens], [9, 10, 8, 0]);
  assert.deepEqual([...sl.arrays.mask], [1, 1, 1, 0]);
  assert.deepEqual([...sl.arrays.x], [6, 7, 3, 4]);
});
