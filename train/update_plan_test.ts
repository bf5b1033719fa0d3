import assert from "node:assert/strict";
import { Rng } from "@creditlab/kernels";
import { updatePlan } from "./update_plan.ts";

Deno.test("updatePlan: whole groups per update, every row once per epoch, one update by default", () => {
  // Group ids interleaved on purpose: groups come from the ids, not from the row order.
  const ids = new Int32Array([7, 3, 7, 3, 9, 9, 5, 5]);
  const probe = new Rng(4);
  // No updates config, or one update covering every group: all rows, and no random draw.
  assert.deepEqual(updatePlan(ids, { updates: undefined, rng: probe }), [[0, 1, 2, 3, 4, 5, 6, 7]]);
  assert.deepEqual(
    updatePlan(ids, { updates: { groupsPerUpdate: 4, epochs: 1 }, rng: probe }),
    [[0, 1, 2, 3, 4, 5, 6, 7]],
  );
  assert.equal(probe.next(), new Rng(4).next(), "a single update draws nothing");
  const plan = updatePlan(ids, { updates: { groupsPerUpdate: 3, epochs: 2 }, rng: new Rng(1) });
  // 4 groups, 3 per update: updates of 3 and 1 groups, twice.
  assert.deepEqual(plan.map((rows) => rows.length), [6, 2, 6, 2]);
  for (const rows of plan) {
    for (const r of rows) {
      const mates = [...ids.keys()].filter((k) => ids[k] === ids[r]);
      assert.ok(mates.every((k) => rows.includes(k)), `update ${rows} splits group ${ids[r]}`);
    }
  }
  for (const epoch of [plan.slice(0, 2), plan.slice(2)]) {
    assert.deepEqual(epoch.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
  }
  // Seeded: the same stream gives the same plan.
  assert.deepEqual(
    updatePlan(ids, { updates: { groupsPerUpdate: 1, epochs: 3 }, rng: new Rng(8) }),
    updatePlan(ids, { updates: { groupsPerUpdate: 1, epochs: 3 }, rng: new Rng(8) }),
  );
  assert.throws(
    () => updatePlan(ids, { updates: { groupsPerUpdate: 0, epochs: 1 }, rng: new Rng(1) }),
    /RlConfig\.updates\.groupsPerUpdate: expected an integer >= 1, got 0/,
  );
  assert.throws(
    () => updatePlan(ids, { updates: { groupsPerUpdate: 2, epochs: 1.5 }, rng: new Rng(1) }),
    /RlConfig\.updates\.epochs: expected an integer >= 1, got 1\.5/,
  );
});
