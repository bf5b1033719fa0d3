import assert from "node:assert/strict";
import { buildBatch } from "@creditlab/agent";
import type { Trajectory } from "@creditlab/core";
import { lengthBuckets, sliceRows } from "./micro_batch.ts";

/** A trajectory of one policy turn with the given token ids. */
const policyOnly = (questionId: string, groupId: number, ids: number[]): Trajectory => {
  const tokens = Int32Array.from(ids);
  return {
    questionId,
    groupId,
    reward: 0,
    meta: {},
    turns: [{ role: "policy", tokens, text: "", round: 1 }],
  };
};

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
    policyOnly("a", 0, [5, 6, 7]),
    { ...policyOnly("b", 0, [8]), reward: 1 },
    policyOnly("c", 1, [9, 10]),
  ]);
  const extra = Float32Array.from({ length: 9 }, (_, i) => i); // batch.length = 3
  const sl = sliceRows(batch, [2, 1], { mask: batch.lossMask, x: extra });
  assert.equal(sl.n, 2);
  assert.equal(sl.len, 2);
  assert.deepEqual([...sl.tokens], [9, 10, 8, 0]);
  assert.deepEqual([...sl.arrays.mask], [1, 1, 1, 0]);
  assert.deepEqual([...sl.arrays.x], [6, 7, 3, 4]);
});
