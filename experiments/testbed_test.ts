import assert from "node:assert/strict";
import { questionHops, REGIMES } from "@creditlab/core";
import { generateWorld, worldPreset } from "@creditlab/datasets";
import { buildTestbed, regimeHopMix } from "./testbed.ts";
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
  // The regime's test pool holds only its hop counts, in the world's proportions (0.25 : 0.15 of
  // 1,400 = 875 : 525), so the held-out set is the pool's first questions whatever the regime.
  const pool = long.world.questions("test");
  assert.equal(pool.length, preset.world.testQuestions);
  assert.equal(pool.filter((x) => questionHops(x) === 4).length, 525);
  assert.deepEqual(long.test, pool.slice(0, 120));
  // `mixed` keeps the world's own test pool: the same questions as without a regime.
  const plain = generateWorld({
    ...worldPreset("default"),
    questions: { train: preset.world.trainQuestions, test: preset.world.testQuestions },
  }, { seed: preset.world.seed });
  assert.deepEqual(mixed.world.questions("test"), plain.questions("test"));
  // The smoke world has no 4-hop question: a clear error, not an empty evaluation.
  assert.throws(
    () => buildTestbed(getPreset("smoke"), { regime: REGIMES["sparse-success"] }),
    /preset "smoke" \(world easy\) has no question of 4 hops for regime "sparse-success"/,
  );
});

Deno.test("regimeHopMix: the world's weights on the regime's hop counts, null when none", () => {
  const mix = { 1: 0.3, 2: 0.3, 3: 0.25, 4: 0.15 };
  assert.deepEqual(regimeHopMix(mix, REGIMES.mixed), mix);
  assert.deepEqual(regimeHopMix(mix, REGIMES["near-misses"]), { 2: 0.3, 3: 0.25, 4: 0.15 });
  assert.deepEqual(regimeHopMix(mix, REGIMES["sparse-success"]), { 4: 0.15 });
  assert.equal(regimeHopMix({ 1: 0.5, 2: 0.5, 4: 0 }, REGIMES["sparse-success"]), null);
});
