/**
 * `deno task sweep` (cli/sweep.ts): option parsing and the paired comparison on hand-made
 * inputs, then one tiny real sweep (SFT, RL, both evaluations, a DuckDB run store) whose JSON
 * line is read back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { getPreset, type TestbedEval } from "@creditlab/experiments";
import {
  main,
  mergeMethodConfig,
  pairWorld,
  parseSeeds,
  sweepPreset,
  sweepTable,
  sweepUpdates,
} from "../cli/sweep.ts";
import { withTempDir } from "@creditlab/core/testing";

Deno.test("sweep: seeds and method-config overrides are checked", () => {
  assert.deepEqual(parseSeeds("1,2, 3"), [1, 2, 3]);
  for (const bad of ["", "1,,2", "0", "1.5", "a"]) {
    assert.throws(() => parseSeeds(bad), /--seeds: expected positive integers/);
  }
  const d = { klCoef: 0.001, aggregation: "seq-mean-token-mean" };
  assert.deepEqual(mergeMethodConfig("grpo", d, undefined), d);
  assert.deepEqual(mergeMethodConfig("grpo", d, '{"klCoef":0.05}'), { ...d, klCoef: 0.05 });
  assert.throws(
    () => mergeMethodConfig("grpo", d, '{"kl":0.05}'),
    /grpo has no setting "kl"; its settings are klCoef, aggregation/,
  );
  assert.throws(() => mergeMethodConfig("grpo", d, "{kl"), /--method-config: not valid JSON/);
  assert.throws(() => mergeMethodConfig("grpo", d, "[1]"), /expected a JSON object/);
});

Deno.test("sweep: a nested method-config merges key by key; a tagged choice is replaced", () => {
  const c = {
    klCoef: 0.001,
    feedback: { enabled: true, offerShare: 0.5 },
    attenuation: { factor: 0, reach: { kind: "last-n-rounds", n: 2 }, when: "every-call" },
  };
  assert.deepEqual(
    mergeMethodConfig("capf", c, '{"attenuation":{"factor":0.5}}'),
    { ...c, attenuation: { ...c.attenuation, factor: 0.5 } },
  );
  // `reach` has a kind: the override replaces it whole (no stray `n`).
  assert.deepEqual(
    mergeMethodConfig("capf", c, '{"attenuation":{"reach":{"kind":"feedback-call-only"}}}')
      .attenuation,
    { factor: 0, reach: { kind: "feedback-call-only" }, when: "every-call" },
  );
  assert.throws(
    () => mergeMethodConfig("capf", c, '{"attenuation":{"factr":0.5}}'),
    /capf has no setting "attenuation\.factr"; "attenuation" has factor, reach, when/,
  );
  // The defaults are not changed by a merge.
  mergeMethodConfig("capf", c, '{"feedback":{"offerShare":1}}');
  assert.equal(c.feedback.offerShare, 0.5);
});

Deno.test("sweep: overrides reach a copy of the preset", () => {
  const base = getPreset("smoke");
  const p = sweepPreset(base, {
    preset: "smoke",
    method: "grpo",
    methodConfig: {},
    n: 300,
    sft: { steps: 250, decayMinLrRatio: 0.1, observationWeight: 0.25 },
    rl: {
      steps: 7,
      questionsPerStep: 16,
      groupSize: 8,
      lr: 1e-4,
      warmupSteps: 6,
      temperature: 0.5,
    },
  });
  assert.equal(p.eval.testQuestions, 300);
  assert.equal(p.eval.oodQuestions, 300);
  assert.deepEqual(p.sft.optimizer.decay, { totalSteps: 250, minLrRatio: 0.1 });
  assert.equal(p.sft.observationWeight, 0.25);
  assert.equal(p.rl.rollout.groupSize, 8);
  assert.equal(p.rl.rollout.temperature, 0.5);
  assert.equal(p.rl.optimizer.warmupSteps, 6);
  assert.equal(p.rl.checkpointEvery, 7);
  assert.equal(base.rl.rollout.groupSize, 4, "the preset itself is unchanged");
  assert.equal(base.sft.optimizer.decay, undefined);
  assert.notEqual(base.sft.observationWeight, 0.25);
  assert.equal(p.rl.updates, undefined, "settings without updates: one update per step");
});

Deno.test("sweep: optimizer updates per step default to the preset's and are checked", () => {
  const base = getPreset("smoke");
  const none = { groupsPerUpdate: undefined, epochs: undefined, questions: 16 };
  const { updates: _, ...rlOneUpdate } = base.rl;
  const oneUpdate = { ...base, rl: rlOneUpdate };
  assert.deepEqual(sweepUpdates(base, none), base.rl.updates);
  assert.deepEqual(
    sweepUpdates(oneUpdate, none),
    undefined,
  );
  assert.deepEqual(
    sweepUpdates(oneUpdate, { ...none, epochs: "3" }),
    { groupsPerUpdate: 16, epochs: 3 },
  );
  assert.deepEqual(sweepUpdates(base, { ...none, groupsPerUpdate: "4" }), {
    groupsPerUpdate: 4,
    epochs: base.rl.updates!.epochs,
  });
  assert.throws(() => sweepUpdates(base, { ...none, epochs: "0" }), /--epochs/);
  const p = sweepPreset(base, {
    preset: "smoke",
    method: "grpo",
    methodConfig: {},
    n: 10,
    sft: { steps: 1, decayMinLrRatio: null, observationWeight: 0 },
    rl: {
      steps: 1,
      questionsPerStep: 4,
      groupSize: 2,
      lr: 1e-4,
      warmupSteps: 0,
      temperature: 1,
      updates: { groupsPerUpdate: 2, epochs: 3 },
    },
  });
  assert.deepEqual(p.rl.updates, { groupsPerUpdate: 2, epochs: 3 });
});

Deno.test("sweep: paired comparison counts gained and lost questions", () => {
  const ev = (ems: number[], ids = ems.map((_, i) => `q${i}`)): TestbedEval => ({
    benchmark: "searchworld",
    split: "test",
    n: ems.length,
    em: ems.reduce((a, b) => a + b, 0) / ems.length,
    f1: 0,
    toolCalls: 1,
    answered: 1,
    byHops: {},
    records: ems.map((em, i) => ({
      questionId: ids[i]!,
      answer: "x",
      em,
      f1: em,
      toolCalls: 1,
      hops: 1,
    })),
    lookup: { accuracy: 0.5, chance: 0.4, n: 2 },
  } as TestbedEval);
  const r = pairWorld(ev([1, 0, 0, 1]), ev([1, 1, 1, 0]));
  assert.deepEqual(r, {
    before: 0.5,
    after: 0.75,
    gained: 2,
    lost: 1,
    lookupBefore: 0.5,
    lookupAfter: 0.5,
  });
  assert.throws(() => pairWorld(ev([1, 0]), ev([1])), /2 questions before RL, 1 after/);
  assert.throws(
    () => pairWorld(ev([1]), ev([1], ["other"])),
    /question 0 is q0 before RL, other after/,
  );
});

Deno.test("sweep: the results table (hand-checked)", () => {
  const line = (
    label: string,
    seed: number,
    inD: [number, number],
    ood: [number, number],
    decay: number | null,
    observationWeight?: number,
    extra: Record<string, unknown> = {},
  ) =>
    JSON.stringify({
      label,
      seed,
      settings: {
        preset: "smoke",
        sft: { steps: 250, decayMinLrRatio: decay, observationWeight },
        ...extra,
      },
      worlds: {
        in: { before: inD[0], after: inD[1] },
        ood: { before: ood[0], after: ood[1] },
      },
    });
  const jsonl = [
    line("a", 2, [0.5, 0.52], [0.5, 0.45], null, 0.5),
    line("a", 1, [0.6, 0.6], [0.4, 0.41], null, 0.5),
    line("a", 1, [0.6, 0.7], [0.4, 0.41], 0.1, 0.5),
    line("a", 1, [0.6, 0.63], [0.4, 0.41], 0.1, 0.5), // repeated: the last line wins
    line("a", 2, [0.6, 0.6], [0.4, 0.4], 0.1, 0),
    line("a", 1, [0.3, 0.35], [0.4, 0.4], null, 0.5, { regime: "long-chains", sftSeed: 1 }),
    line("a", 1, [0.3, 0.3], [0.4, 0.4], null, 0.5, { regime: "mixed", sftSeed: 1 }),
    "",
  ].join("\n");
  assert.equal(
    sweepTable(jsonl),
    [
      "| setting | SFT steps, observation weight | seed 1 | seed 2 |",
      "| --- | --- | --- | --- |",
      "| a | 250, 0.5 | +0.0 / +1.0 | +2.0 / −5.0 |",
      "| a | 250 cosine, 0.5 | +3.0 / +1.0 |  |",
      "| a | 250 cosine, 0 |  | +0.0 / +0.0 |",
      "| a [long-chains] | 250, 0.5, seed 1's | +5.0 / +0.0 |  |",
      "| a | 250, 0.5, seed 1's | +0.0 / +0.0 |  |",
    ].join("\n"),
  );
  assert.throws(() => sweepTable("{"), /sweep results line 1: not JSON/);
  assert.throws(() => sweepTable('{"seed":1}'), /line 1: expected seed, settings.sft and worlds/);
});

Deno.test({
  name: "sweep: a tiny real sweep appends one JSON line per seed",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withTempDir(async (dir) => {
      const results = join(dir, "out", "rows.jsonl");
      const code = await main([
        "--seeds",
        "1,2",
        "--n",
        "8",
        "--sft-steps",
        "3",
        "--steps",
        "2",
        "--questions",
        "2",
        "--group",
        "2",
        "--label",
        "tiny",
        "--out",
        join(dir, "runs"),
        "--results",
        results,
        // Both seeds side by side in workers (cli/arm_worker.ts), whatever the machine.
        "--jobs",
        "2",
      ]);
      assert.equal(code, 0);
      const rows = (await Deno.readTextFile(results)).trim().split("\n").map((l) => JSON.parse(l));
      // Appended as the seeds finish: in either order.
      assert.deepEqual(rows.map((r) => r.seed).sort(), [1, 2]);
      for (const r of rows) {
        assert.equal(r.label, "tiny");
        assert.equal(r.settings.rl.groupSize, 2);
        assert.equal(r.settings.sft.steps, 3);
        assert.equal(r.settings.n, 8);
        assert.equal(r.jobs, 2);
        assert.match(r.backend, /openblas .* x1|^(cpu|tensorflow)/, "one engine thread per seed");
        for (const w of [r.worlds.in, r.worlds.ood]) {
          assert.ok(w.before >= 0 && w.before <= 1 && w.after >= 0 && w.after <= 1);
          assert.ok(w.gained + w.lost <= 8);
        }
        assert.ok(r.seconds.rl > 0);
        assert.match(r.backend, /^(wasm|cpu|tensorflow)/);
      }
      // Both seeds' warm starts sit in the run store of their SFT setting.
      await Deno.stat(join(dir, "runs", "smoke-n8-sft3-obs0", "creditlab.duckdb"));
    }, { prefix: "creditlab-sweep-test-" });
  },
});
