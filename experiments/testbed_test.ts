import assert from "node:assert/strict";
import { questionHops, REGIMES } from "@creditlab/core";
import { buildTestbed } from "./testbed.ts";
import { getPreset } from "./presets.ts";

Deno.test("buildTestbed: a regime restricts the RL and held-out questions, not the SFT ones", () => {
  const preset = structuredClone(getPreset("default"));
  preset.eval.testQuestions = 120;
  preset.eval.oodQuestions = 100;
  const mixed = buildTestbed(preset);
  const long = buildTestbed(preset, { regime: REGIMES["long-chains"] });
  assert.equal(long.regime.name, "long-chains");
  assert.deepEqual(long.train.map((x) => x.id), mixed.train.map((x) => x.id));
  assert.equal(long.test.length, 120);
  assert.equal(long.ood.length, 100);
  for (const set of [long.rlTrain, long.test, long.ood]) {
    assert.ok(set.every((x) => [3, 4].includes(questionHops(x)!)));
  }
  assert.ok(long.rlTrain.length > 0 && long.rlTrain.length < long.train.length);
  assert.deepEqual(new Set(mixed.test.map((x) => questionHops(x))), new Set([1, 2, 3, 4]));
  // The smoke world has no 4-hop question: a clear error, not an empty evaluation.
  assert.throws(
    () => buildTestbed(getPreset("smoke"), { regime: REGIMES["sparse-success"] }),
    /preset "smoke" \(world easy\) has no training question of 4 hops for regime "sparse-success"/,
  );
});
