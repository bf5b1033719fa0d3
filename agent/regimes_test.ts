import assert from "node:assert/strict";
import {
  getRegime,
  namesGoldEntity,
  nearMissShare,
  questionHops,
  REGIME_NAMES,
  regimeQuestions,
  REGIMES,
} from "./regimes.ts";
import { buildTestbed, defaultRegime, experimentName } from "./experiment.ts";
import { getPreset } from "./presets.ts";
import type { Question, Trajectory, Turn } from "@creditlab/core";
import type { Method } from "./types.ts";

const q = (id: string, hops: number | null, goldEntities: string[] = []): Question => ({
  id,
  question: `question ${id}`,
  goldenAnswers: [goldEntities.at(-1) ?? "x"],
  goldEntities,
  benchmark: "searchworld",
  split: "test",
  ...(hops === null ? {} : { metadata: { hops } }),
});

const turn = (role: Turn["role"], text: string): Turn => ({
  role,
  text,
  tokens: new Int32Array(0),
  round: 0,
});

const traj = (questionId: string, outcome: number, texts: string[]): Trajectory => ({
  questionId,
  groupId: 0,
  turns: [turn("observation", "prompt names Kela Moru"), ...texts.map((t) => turn("policy", t))],
  reward: outcome,
  meta: { outcome },
});

Deno.test("regimeQuestions: keeps the regime's hop counts in order; no hop count only in mixed", () => {
  const qs = [q("a", 1), q("b", 4), q("c", 3), q("d", null), q("e", 2)];
  const ids = (name: keyof typeof REGIMES) => regimeQuestions(qs, REGIMES[name]).map((x) => x.id);
  assert.deepEqual(ids("mixed"), ["a", "b", "c", "d", "e"]);
  assert.deepEqual(ids("sparse-success"), ["b"]);
  assert.deepEqual(ids("long-chains"), ["b", "c"]);
  assert.deepEqual(ids("near-misses"), ["b", "c", "e"]);
  assert.equal(questionHops(q("z", 0)), null);
});

Deno.test("getRegime: every name resolves; an unknown one is a clear error", () => {
  for (const n of REGIME_NAMES) assert.equal(getRegime(n).name, n);
  assert.throws(() => getRegime("sparse"), /unknown regime "sparse"; expected one of mixed/);
});

Deno.test("namesGoldEntity: whole normalised words of the agent's text, final answer cut", () => {
  const question = q("a", 2, ["Kela Moru", "Tavi"]);
  // The prompt (an observation) names an entity: not the agent's text.
  assert.equal(namesGoldEntity(traj("a", 0, ["<search> who </search>"]), question), false);
  assert.equal(
    namesGoldEntity(traj("a", 0, ["<search> kela moru's city </search>"]), question),
    false,
    "'moru's' normalises to 'morus', not the entity",
  );
  assert.equal(
    namesGoldEntity(traj("a", 0, ["<search> KELA, moru city </search>"]), question),
    true,
  );
  // Naming the answer only inside the final <answer> tag is not a near miss.
  assert.equal(namesGoldEntity(traj("a", 0, ["<answer> tavi </answer>"]), question), false);
  assert.equal(
    namesGoldEntity(traj("a", 0, ["<think> tavi </think> <answer> x </answer>"]), question),
    true,
  );
  assert.equal(namesGoldEntity(traj("a", 0, ["<search> tavis </search>"]), question), false);
});

Deno.test("nearMissShare: over failed rollouts only (hand-counted)", () => {
  const questions = new Map([["a", q("a", 2, ["Kela Moru", "Tavi"])], ["b", q("b", 1, ["Ro"])]]);
  const trajs = [
    traj("a", 1, ["<search> tavi </search>"]), // success: not counted
    traj("a", 0, ["<search> tavi </search>"]), // failed, near miss
    traj("a", 0, ["<search> nothing </search>"]), // failed
    traj("b", 0, ["<search> ro </search>"]), // failed, near miss
  ];
  assert.equal(nearMissShare(trajs, questions), 2 / 3);
  assert.equal(nearMissShare(trajs.slice(0, 1), questions), 0);
});

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

Deno.test("defaultRegime and experimentName: the method's regime unless the preset fixes one", () => {
  const m = { name: "capf", regime: "sparse-success" } as Method<unknown>;
  const plain = { name: "grpo" } as Method<unknown>;
  const dflt = getPreset("default");
  const smoke = getPreset("smoke");
  assert.equal(defaultRegime(dflt, m), "sparse-success");
  assert.equal(defaultRegime(dflt, plain), "mixed");
  assert.equal(defaultRegime(smoke, m), "mixed");
  assert.equal(experimentName(m, { preset: dflt, regime: "sparse-success" }), "capf");
  assert.equal(experimentName(m, { preset: dflt, regime: "mixed" }), "capf@mixed");
  assert.equal(experimentName(m, { preset: smoke, regime: "mixed" }), "capf");
});
