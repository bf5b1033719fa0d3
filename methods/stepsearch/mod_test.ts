import assert from "node:assert/strict";
import type { Question, SearchTool } from "@creditlab/core";
import { getMethod } from "@creditlab/train";
import { formatPassages } from "@creditlab/agent";
import { Bm25Index, bm25SearchTool, generateWorld, worldPreset } from "@creditlab/datasets";
import { grpo, grpoLoss } from "../grpo/mod.ts";
import {
  assertRounds,
  batchOf,
  configWith,
  contextOf,
  groupOf,
  ListSearch,
  question,
  rowsOf,
} from "../testing.ts";
import {
  stepsearch,
  STEPSEARCH_DEFAULTS,
  STEPSEARCH_PAPER,
  type StepSearchConfig,
  validateStepSearchConfig,
} from "./mod.ts";

// The hand-worked values below are of the z-scored step rewards ("group"); "none" (the default)
// has its own.
const cfg = configWith<StepSearchConfig>({ ...STEPSEARCH_DEFAULTS, stepNormalization: "group" });

/** A context whose questions are `qs` and whose training search tool is `search`. */
function ctxOf(c: StepSearchConfig, qs: Question[], search?: SearchTool) {
  const ctx = contextOf(c, { questions: qs });
  return search ? { ...ctx, resources: { ...ctx.resources, search } } : ctx;
}

const info = (...texts: string[]) =>
  formatPassages(texts.map((text, i) => ({ id: `${i}`, title: `t${i}`, text, score: 1 })));
const search = (q: string, ...texts: string[]) => ({
  policy: `<search> ${q} </search>`,
  obs: info(...texts),
});
const answer = (a: string) => ({ policy: `<answer> ${a} </answer>` });

/** Question q0 with gold documents "alpha beta" and "gamma delta" in its metadata. */
const Q0: Question = {
  ...question("q0"),
  metadata: { support_docs: ["alpha beta", "gamma delta"] },
};

/**
 * One group, K = 3, 4, 1, 2 rounds. A passage equal to a gold document has cosine 1 with it
 * and 0 with the other; "zeta eta" has 0 with both (no shared term). Step rewards s = g - p:
 * row 0 (r = 1): ["alpha beta", "zeta eta"] g 0.5 p 0; ["gamma delta", "alpha beta"] g 0.5
 *   p 1/2: s = [0.5, 0]
 * row 1 (r = 0): ["zeta eta"] g 0; ["zeta eta"] g 0 p 1; ["alpha beta"] g 0.5: s = [0, -1, 0.5]
 * row 2 (r = 0): answers at once, no scored round
 * row 3 (r = 0): ["gamma delta"] g 0.5: s = [0.5]
 */
function handGroup() {
  const trajs = groupOf(0, [
    {
      reward: 1,
      rounds: [
        search("a", "alpha beta", "zeta eta"),
        search("b", "gamma delta", "alpha beta"),
        answer("x"),
      ],
    },
    {
      reward: 0,
      rounds: [
        search("c", "zeta eta"),
        search("c", "zeta eta"),
        search("d", "alpha beta"),
        answer("y"),
      ],
    },
    { reward: 0, rounds: [answer("y")] },
    { reward: 0, rounds: [search("e", "gamma delta"), answer("y")] },
  ]);
  return { trajs, batch: batchOf(trajs) };
}

// Outcome: rewards [1, 0, 0, 0], mean 0.25, unbiased std 0.5: A = 0.75 / (0.5 + 1e-6) = 1.499997
// and -0.25 / (0.5 + 1e-6) = -0.499999.
// Step rewards of the group {0.5, 0 | 0, -1, 0.5 | 0.5}: mean 0.5 / 6 = 1/12; deviations
// 5/12 (x3), -1/12 (x2), -13/12; squares (3*25 + 2*1 + 169) / 144 = 246/144; unbiased var
// 246/720, std 0.584523; s^ = 0.712831 (s = 0.5), -0.142566 (s = 0), -1.853361 (s = -1).
const HAND_RETURN = [
  // row 0: V = [0.712831 - 0.142566, -0.142566, 0] = [0.570265, -0.142566, 0]; A + 0.6 V
  [1.842156, 1.414457, 1.499997],
  // row 1: V = [-0.142566 - 1.853361 + 0.712831, -1.853361 + 0.712831, 0.712831, 0]
  //          = [-1.283096, -1.140530, 0.712831, 0]
  [-1.269857, -1.184317, -0.0723, -0.499999],
  [-0.499999],
  // row 3: V = [0.712831, 0]
  [-0.0723, -0.499999],
];

Deno.test("stepsearch: registered; regime, loss, paper; config validation names the field", () => {
  assert.equal(getMethod("stepsearch"), stepsearch);
  assert.equal(stepsearch.regime, "long-chains");
  assert.equal(stepsearch.resources, undefined);
  assert.deepEqual(stepsearch.loss(stepsearch.defaults), grpoLoss(stepsearch.defaults));
  assert.equal(stepsearch.defaults.stepScale, 0.6);
  assert.equal(stepsearch.defaults.redundancyWeight, 1);
  assert.equal(STEPSEARCH_PAPER.arxiv, "2505.15107");
  validateStepSearchConfig(stepsearch.defaults);
  const bad: [Partial<StepSearchConfig>, RegExp][] = [
    [{ stepScale: -0.1 }, /field "stepScale" must be a finite number >= 0/],
    [{ stepScale: NaN }, /field "stepScale"/],
    [{ redundancyWeight: Infinity }, /field "redundancyWeight"/],
    [{ credit: "gae" as "return" }, /field "credit" must be "return" \| "round" \| "trajectory"/],
    [{ stepNormalization: "batch" as "none" }, /field "stepNormalization"/],
    [
      { goldDocs: { kind: "fact", searchK: 0 } },
      /field "goldDocs.searchK" must be an integer >= 1/,
    ],
    [{ goldDocs: { kind: "bm25" } as unknown as StepSearchConfig["goldDocs"] }, /field "goldDocs"/],
    [{ eps: -1 }, /stepsearch config: field "eps"/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(() => validateStepSearchConfig(cfg(patch)), re);
    assert.throws(() => stepsearch.loss(cfg(patch)), re);
  }
});

Deno.test("stepsearch: hand-worked group, default credit (group-normalised return-to-go)", async () => {
  const { batch } = handGroup();
  const res = await stepsearch.step(batch, ctxOf(cfg(), [Q0]));
  assertRounds(res.advantages, batch, { want: HAND_RETURN, tol: 2e-5, label: "return" });
  const r9 = (xs: readonly number[]) => xs.map((v) => Number(v.toFixed(9)));
  const rec0 = res.records![0]!;
  assert.deepEqual({ ...rec0, rounds: { ...rec0.rounds, values: r9(rec0.rounds.values) } }, {
    rounds: { label: "information gain", values: [0.5, 0.5, 0] },
    redundancy: [0, 0.5, 0],
    searchRounds: [1, 2],
    goldDocs: 2,
  });
  assert.deepEqual(r9(res.records![1]!.rounds.values), [0, 0, 0.5, 0]);
  assert.deepEqual(res.records![1]!.redundancy, [0, 1, 0, 0]);
  assert.deepEqual(res.records![2], {
    rounds: { label: "information gain", values: [0] },
    redundancy: [0],
    searchRounds: [],
    goldDocs: 2,
  });
  const m = res.metrics;
  // 6 scored rounds; gains 0.5, 0.5, 0, 0, 0.5, 0.5; step rewards sum 0.5;
  // passages 2 + 2 + 1 + 1 + 1 + 1 = 8, of which 2 repeats
  const near = (k: string, v: number) => assert.ok(Math.abs(m[k]! - v) < 1e-9, `${k}: ${m[k]}`);
  near("stepsearch/scored_rounds", 6);
  near("stepsearch/gain_mean", 2 / 6);
  near("stepsearch/positive_gain_share", 4 / 6);
  near("stepsearch/step_reward_mean", 0.5 / 6);
  near("stepsearch/redundancy_rate", 2 / 8);
  near("stepsearch/no_gold_share", 0);
  near("stepsearch/gold_docs_mean", 2);
  near("stepsearch/gold_missing", 0);
  near("stepsearch/calls/gold_search", 0);
});

Deno.test("stepsearch: every option is wired (hand-worked values)", async () => {
  const { batch } = handGroup();
  const run = async (patch: Partial<StepSearchConfig>) =>
    (await stepsearch.step(batch, ctxOf(cfg(patch), [Q0]))).advantages;
  // credit "round": V = s^ on its own round only
  // row 0: [0.712831, -0.142566, 0]; row 1: [-0.142566, -1.853361, 0.712831, 0]
  assertRounds(await run({ credit: "round" }), batch, {
    tol: 2e-5,
    label: "round",
    want: [
      [1.927696, 1.414457, 1.499997],
      [-0.585539, -1.612016, -0.0723, -0.499999],
      [-0.499999],
      [-0.0723, -0.499999],
    ],
  });
  // stepNormalization "none": raw returns; row 0 V = [0.5, 0, 0]; row 1 V = [-0.5, -0.5, 0.5, 0]
  assertRounds(await run({ stepNormalization: "none" }), batch, {
    tol: 2e-5,
    label: "none",
    want: [
      [1.799997, 1.499997, 1.499997],
      [-0.799999, -0.799999, -0.199999, -0.499999],
      [-0.499999],
      [-0.199999, -0.499999],
    ],
  });
  // credit "trajectory": rewards r + 0.6 sum s = [1.3, -0.3, 0, 0.3]; mean 0.325; deviations
  // 0.975, -0.625, -0.325, -0.025; squares sum 1.4475; var 0.4825, std 0.694622
  const T = [1.403639, -0.899768, -0.46788, -0.035991];
  assertRounds(await run({ credit: "trajectory" }), batch, {
    want: T.map((a) => [a, a, a, a]),
    tol: 2e-5,
    label: "traj",
  });
  // redundancyWeight 0: s = [0.5, 0.5 | 0, 0, 0.5 | 0.5]: mean 1/3, std 0.258199;
  // s^ = 0.645495 (0.5), -1.290989 (0); row 0 V_1 = 1.290990: 1.499997 + 0.774594
  const w0 = rowsOf(await run({ redundancyWeight: 0 }), batch);
  const firstPolicy = (r: number) => rowsOf(batch.lossMask, batch)[r]!.indexOf(1);
  assert.ok(Math.abs(w0[0]![firstPolicy(0)]! - 2.274591) < 2e-5, `w0 ${w0[0]![firstPolicy(0)]}`);
  // stepScale 0.3: row 0 round 1 = 1.499997 + 0.3 * 0.570265
  const half = rowsOf(await run({ stepScale: 0.3 }), batch);
  assert.ok(Math.abs(half[0]![firstPolicy(0)]! - 1.671077) < 2e-5);
  // normalizeStd false: A = r - mean and s^ = s - mean: row 0 round 1 = 0.75 + 0.6 (5/12 - 1/12)
  const dr = rowsOf(await run({ normalizeStd: false }), batch);
  assert.ok(Math.abs(dr[0]![firstPolicy(0)]! - 0.95) < 2e-6);
});

Deno.test("stepsearch: reduces to GRPO without gold documents or with stepScale 0", async () => {
  const { batch } = handGroup();
  const plain = question("q0"); // no metadata, no gold chain
  for (const credit of ["return", "round", "trajectory"] as const) {
    for (const stepNormalization of ["group", "none"] as const) {
      const c = cfg({ credit, stepNormalization });
      const want = (await grpo.step(batch, contextOf(c))).advantages;
      const none = await stepsearch.step(batch, ctxOf(c, [plain]));
      assert.deepEqual(none.advantages, want, `${credit}/${stepNormalization}: no gold`);
      assert.deepEqual(none.records, [undefined, undefined, undefined, undefined]);
      assert.equal(none.metrics["stepsearch/no_gold_share"], 1);
      assert.equal(none.metrics["stepsearch/scored_rounds"], 0);
      const zero = await stepsearch.step(batch, ctxOf({ ...c, stepScale: 0 }, [Q0]));
      assert.deepEqual(zero.advantages, want, `${credit}/${stepNormalization}: scale 0`);
    }
  }
});

Deno.test("stepsearch: SearchWorld end to end with BM25, gold docs from the gold chain", async () => {
  const world = generateWorld(worldPreset("easy"), { seed: 5 });
  const tool = bm25SearchTool(Bm25Index.build([...world.corpus]));
  const q = world.questions("train").find((x) => (x.goldChain?.length ?? 0) === 2)!;
  const [h1, h2] = q.goldChain!;
  const real = async (query: string) => ({
    policy: `<search> ${query} </search>`,
    obs: formatPassages(await tool.search(query, 3)),
  });
  const trajs = groupOf(0, [
    {
      questionId: q.id,
      reward: 1,
      rounds: [await real(h1!.query), await real(h2!.query), answer(h2!.entity)],
    },
    {
      questionId: q.id,
      reward: 0,
      rounds: [await real(h1!.query), await real(h1!.query), answer("nobody")],
    },
  ]);
  const res = await stepsearch.step(batchOf(trajs), ctxOf(cfg(), [q], tool));
  const [good, repeat] = res.records!;
  // gains telescope: sum_t g_t = mean_i c_T^i; both gold passages retrieved: c_T = [1, 1]
  const sum = good!.rounds.values.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, `gains ${good!.rounds.values}`);
  assert.ok(good!.rounds.values[0]! > 0 && good!.rounds.values[1]! > 0);
  assert.deepEqual(good!.redundancy, [0, 0, 0]);
  // the same query twice: the second round retrieves nothing new (gain 0, all 3 repeated)
  assert.equal(repeat!.rounds.values[1], 0);
  assert.deepEqual(repeat!.redundancy, [0, 1, 0]);
  assert.equal(res.metrics["stepsearch/calls/gold_search"], 2);
  assert.equal(res.metrics["stepsearch/gold_docs_mean"], 2);
  // the good trajectory's search rounds get more than its answer round (outcome only)
  const adv = rowsOf(res.advantages, batchOf(trajs))[0]!;
  const mask = rowsOf(batchOf(trajs).lossMask, batchOf(trajs))[0]!;
  const last = adv.filter((_, t) => mask[t] === 1).at(-1)!;
  assert.ok(adv[mask.indexOf(1)]! > last, `${adv[mask.indexOf(1)]} vs ${last}`);
});

Deno.test("stepsearch: gold rule is wired (fact vs top) for chain questions", async () => {
  // hop 1's top passage states nothing of the chain; the second one states the fact
  const q: Question = {
    ...question("q1"),
    metadata: { start: "vorla tesin" },
    goldChain: [{ query: "vorla tesin birthplace", entity: "kado rin", relation: "birthplace" }],
  };
  const tool = new ListSearch([
    { id: "1", title: "v", text: "vorla tesin birthplace unknown" },
    { id: "2", title: "v", text: "the birthplace of vorla tesin is kado rin ." },
  ]);
  const trajs = groupOf(0, [
    {
      questionId: "q1",
      reward: 1,
      rounds: [search("x", "the birthplace of vorla tesin is kado rin ."), answer("kado rin")],
    },
    { questionId: "q1", reward: 0, rounds: [search("y", "zeta eta"), answer("nobody")] },
  ]);
  const batch = batchOf(trajs);
  const fact = await stepsearch.step(batch, ctxOf(cfg(), [q], tool));
  const top = await stepsearch.step(batch, ctxOf(cfg({ goldDocs: { kind: "top" } }), [q], tool));
  assert.deepEqual(fact.records![0]!.rounds.values.map((v) => Number(v.toFixed(9))), [1, 0]);
  assert.ok(top.records![0]!.rounds.values[0]! < 1);
  assert.notDeepEqual(fact.advantages, top.advantages);
});
