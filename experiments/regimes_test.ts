import assert from "node:assert/strict";
import { type Question, REGIMES } from "@creditlab/core";
import type { Method } from "@creditlab/train";
import { defaultRegime, experimentName, regimeQuestions } from "./regimes.ts";
import { getPreset } from "./presets.ts";

/** A question of `hops` hops (null: none recorded). */
const q = (id: string, hops: number | null): Question => {
  const base = { question: id, goldenAnswers: ["x"], benchmark: "searchworld", split: "test" };
  return hops === null ? { ...base, id } : { ...base, id, metadata: { hops } };
};

Deno.test("regimeQuestions: keeps the regime's hop counts in order; no hop count only in mixed", () => {
  const qs = [q("a", 1), q("b", 4), q("c", 3), q("d", null), q("e", 2)];
  const ids = (name: keyof typeof REGIMES) => regimeQuestions(qs, REGIMES[name]).map((x) => x.id);
  assert.deepEqual(ids("mixed"), ["a", "b", "c", "d", "e"]);
  assert.deepEqual(ids("sparse-success"), ["b"]);
  assert.deepEqual(ids("long-chains"), ["b", "c"]);
  assert.deepEqual(ids("near-misses"), ["b", "c", "e"]);
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
