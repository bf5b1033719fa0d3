import assert from "node:assert/strict";
import type { RolloutBatch, Trajectory } from "@creditlab/core";
import { trajectoryRowsFromBatch } from "./trajectory_row.ts";

Deno.test("trajectoryRowsFromBatch: slices the padded batch per row", () => {
  const tok = (a: number[]) => Int32Array.from(a);
  const traj = (q: string, reward: number, searches: number): Trajectory => ({
    questionId: q,
    groupId: 0,
    reward,
    meta: { outcome: reward },
    turns: [
      { role: "observation", tokens: tok([1]), text: "p", round: 0 },
      ...Array.from({ length: searches }, () => ({
        role: "policy" as const,
        tokens: tok([2]),
        text: "<search> a </search>",
        round: 1,
        action: { kind: "search" as const, query: "a" },
      })),
    ],
  });
  const batch: RolloutBatch = {
    trajectories: [traj("a", 1, 2), traj("a", 0, 0)],
    n: 2,
    length: 3,
    tokens: tok([1, 2, 2, 1, 0, 0]),
    lossMask: Float32Array.from([0, 1, 1, 0, 0, 0]),
    roundIds: tok([0, 1, 1, 0, 0, 0]),
    roles: Uint8Array.from([0, 1, 1, 0, 0, 0]),
    groupIds: tok([7, 7]),
    rewards: Float32Array.from([1, 0]),
    numRounds: tok([1, 0]),
    lengths: tok([3, 1]),
  };
  const rows = trajectoryRowsFromBatch(batch, Float32Array.from([0, 0.5, 0.5, 0, 0, 0]), {
    records: [{ rounds: { label: "weight", values: [1] } }, undefined],
  });
  assert.deepEqual(rows[0]!.tokens, [1, 2, 2]);
  assert.deepEqual(rows[0]!.advantages, [0, 0.5, 0.5]);
  assert.deepEqual(rows[1]!.tokens, [1]);
  assert.equal(rows[0]!.toolCalls, 2);
  assert.equal(rows[1]!.toolCalls, 0);
  assert.equal(rows[0]!.groupId, 7);
  assert.deepEqual(rows[0]!.methodRecord, { rounds: { label: "weight", values: [1] } });
  // meta counts win; without them, untagged policy turns are counted from their text.
  batch.trajectories[0]!.meta = { outcome: 1, toolCalls: 5 };
  batch.trajectories[1]!.turns.push({
    role: "policy",
    tokens: tok([2]),
    text: "<feedback> x </feedback>",
    round: 1,
  });
  const again = trajectoryRowsFromBatch(batch, Float32Array.from([0, 0.5, 0.5, 0, 0, 0]));
  assert.equal(again[0]!.toolCalls, 5);
  assert.equal(again[1]!.toolCalls, 0);
  assert.equal(rows[1]!.methodRecord, undefined);
  assert.throws(
    () => trajectoryRowsFromBatch(batch, new Float32Array(2)),
    /expected n\*length = 6/,
  );
});
