import assert from "node:assert/strict";
import type { RoundJudge, RoundScore } from "@creditlab/core";
import { getMethod } from "@creditlab/train";
import { generateWorld, searchworld, worldPreset } from "@creditlab/datasets";
import { grpoLoss } from "../grpo/mod.ts";
import { judgedRounds } from "../round_judge.ts";
import { LlmRoundJudge } from "../llm_judge.ts";
import {
  answerRound,
  batchOf,
  configWith,
  contextOf,
  groupOf,
  question,
  rowCheck,
  ScriptedChat,
  searchRound,
  trajectory,
} from "../testing.ts";
import { pure, PURE_DEFAULTS, PURE_PAPER, type PureConfig, validatePureConfig } from "./mod.ts";

const cfg = configWith(PURE_DEFAULTS);

/**
 * Expected advantages of a row from hand-worked values: `a` on every policy token, plus
 * `proc[k - 1]` on the tokens of judged round k.
 */
const expectRow = rowCheck((a, proc, k) => a + (k >= 1 && k <= proc.length ? proc[k - 1]! : 0));

Deno.test("pure: registered; regime, resources, loss; config validation names the field", () => {
  assert.equal(getMethod("pure"), pure);
  assert.equal(pure.regime, "long-chains");
  assert.deepEqual(pure.resources!(pure.defaults), [{ kind: "round-judge" }]);
  assert.deepEqual(pure.loss(pure.defaults), grpoLoss(pure.defaults));
  assert.deepEqual(pure.defaults.credit, {
    kind: "soft-min",
    temperature: 0.1,
    over: "trajectory",
  });
  validatePureConfig(pure.defaults);
  const bad: [Partial<PureConfig>, RegExp][] = [
    [{ credit: { kind: "soft-min", temperature: 0, over: "suffix" } }, /"credit.temperature"/],
    [
      { credit: { kind: "soft-min", temperature: 0.1, over: "x" as "suffix" } },
      /"credit.over" must be "trajectory" \| "suffix"/,
    ],
    [{ credit: { kind: "max" } as unknown as PureConfig["credit"] }, /field "credit"/],
    [{ processScore: "sum" as "mean" }, /"processScore"/],
    [{ processRange: "pm" as "unit" }, /"processRange"/],
    [{ processNormalization: "batch" as "none" }, /"processNormalization"/],
    [{ processCoef: Infinity }, /"processCoef" must be a finite number >= 0/],
    [{ eps: -1 }, /pure config: field "eps"/],
  ];
  for (const [patch, re] of bad) assert.throws(() => validatePureConfig(cfg(patch)), re);
  assert.equal(PURE_PAPER.arxiv, "2504.15275");
});

/**
 * A SearchWorld group on a 2-hop question, scored by the world's oracle round judge:
 * row 0 (reward 1): search hop 1 -> fact 1 (1/1), search hop 2 -> fact 2 (1/1), answer. r = [1, 1]
 * row 1 (reward 0): an off-target search (0/0), search hop 1 -> fact 1 (1/1), answer. r = [-1, 1]
 * row 2 (reward 0): answers at once (K = 1, not judged)
 * row 3 (reward 0): search hop 1 -> fact 1 (1/1), answer. r = [1]
 */
function oracleGroup() {
  const world = generateWorld(worldPreset("easy"), { seed: 5 });
  const q = world.questions("train").find((x) => (x.goldChain?.length ?? 0) === 2)!;
  const [h1, h2] = q.goldChain!;
  const start = searchworld.startEntity(q)!;
  const hop1 = {
    policy: `<search> ${h1!.query} </search>`,
    obs: `<information> Doc 1(Title: x) the ${h1!.relation} of ${start} is ${
      h1!.entity
    } . </information>`,
  };
  const hop2 = {
    policy: `<search> ${h2!.query} </search>`,
    obs: `<information> Doc 1(Title: y) the ${h2!.relation} of ${h1!.entity} is ${
      h2!.entity
    } . </information>`,
  };
  const wasted = {
    policy: "<search> weather today </search>",
    obs: "<information> Doc 1(Title: z) nothing relevant . </information>",
  };
  const trajs = groupOf(0, [
    {
      questionId: q.id,
      reward: 1,
      rounds: [hop1, hop2, { policy: `<answer> ${h2!.entity} </answer>` }],
    },
    {
      questionId: q.id,
      reward: 0,
      rounds: [wasted, hop1, { policy: "<answer> nobody </answer>" }],
    },
    { questionId: q.id, reward: 0, rounds: [{ policy: "<answer> nobody </answer>" }] },
    { questionId: q.id, reward: 0, rounds: [hop1, { policy: "<answer> nobody </answer>" }] },
  ]);
  return { world, q, trajs, batch: batchOf(trajs) };
}

// Outcome: rewards [1, 0, 0, 0], mean 0.25, unbiased std 0.5: A = [1.5, -0.5, -0.5, -0.5].
const A_WIN = 0.75 / (0.5 + 1e-6);
const A_LOSE = -0.25 / (0.5 + 1e-6);

Deno.test("pure: end to end with SearchWorld's oracle judge, default config (hand-worked)", async () => {
  const { world, q, trajs, batch } = oracleGroup();
  const oracle = world.roundJudge();
  assert.deepEqual(await oracle.score(q, judgedRounds(trajs[1]!)), [
    { retrieval: 0, thinking: 0 },
    { retrieval: 1, thinking: 1 },
  ]);
  const res = await pure.step(
    batch,
    contextOf(cfg(), { questions: [q], resources: { "round-judge": oracle } }),
  );
  // T = 0.1, weights over each trajectory's rounds:
  // row 0: r = [1, 1]: w = [1/2, 1/2], G = [1, 1/2]
  // row 1: r = [-1, 1]: w = [1, e^-20] / (1 + e^-20), G = [-1 + 4e-9, 2e-9] ~ [-1, 0]
  // row 3: r = [1]: G = [1]
  // group's returns {1, 0.5, -1, 0, 1}: mean 0.3, deviations 0.7, 0.2, -1.3, -0.3, 0.7;
  // squares sum 2.8, unbiased var 0.7, std 0.83666:
  // A^proc row 0 = [0.83666, 0.23905], row 1 = [-1.55380, -0.35857], row 3 = [0.83666]
  const adv = res.advantages;
  expectRow(batch, adv, 0, A_WIN, [0.83666, 0.23905]);
  expectRow(batch, adv, 1, A_LOSE, [-1.5538, -0.35857]);
  expectRow(batch, adv, 2, A_LOSE, []);
  expectRow(batch, adv, 3, A_LOSE, [0.83666]);
  // records: the judged rows' process rewards, returns and judge calls
  assert.deepEqual(res.records![0], {
    rounds: { label: "process reward", values: [1, 1] },
    returns: [1, 0.5],
    calls: { judge: 2 },
  });
  assert.deepEqual(res.records![1]!.rounds.values, [-1, 1]);
  assert.equal(res.records![2], undefined);
  assert.deepEqual(res.records![3]!.calls, { judge: 1 });
  const m = res.metrics;
  assert.equal(m["pure/judged_trajectories"], 3);
  assert.equal(m["pure/calls/judged_rounds"], 5);
  assert.equal(m["pure/process_reward_mean"], (1 + 1 - 1 + 1 + 1) / 5);
  // G_1 of the judged rows: 1, -1, 1
  assert.ok(Math.abs(m["pure/value_mean"]! - 1 / 3) < 1e-6);
  assert.equal(m["pure/calls/judge_llm"], 0);
  for (const k of Object.keys(m)) assert.ok(k.startsWith("pure/"), k);
});

Deno.test("pure: exact min (and suffix soft-min) credits the good round after a bad one", async () => {
  const { world, q, batch } = oracleGroup();
  // min / suffix: row 1's G = [-1, 1] (its hop-1 search is worth its own reward)
  // group's returns {1, 1, -1, 1, 1}: mean 0.6, deviations 0.4 (x4) and -1.6; squares sum 3.2,
  // unbiased var 0.8, std 0.894427: A^proc = 0.447214 for a 1, -1.788854 for the -1
  for (
    const credit of [{ kind: "min" }, {
      kind: "soft-min",
      temperature: 0.1,
      over: "suffix",
    }] as const
  ) {
    const adv = (await pure.step(
      batch,
      contextOf(cfg({ credit }), {
        questions: [q],
        resources: { "round-judge": world.roundJudge() },
      }),
    )).advantages;
    expectRow(batch, adv, 0, A_WIN, [0.447214, 0.447214]);
    expectRow(batch, adv, 1, A_LOSE, [-1.788854, 0.447214]);
    expectRow(batch, adv, 2, A_LOSE, []);
    expectRow(batch, adv, 3, A_LOSE, [0.447214]);
  }
  // processCoef scales the process part: lambda 0.5 on the exact min
  const half = (await pure.step(
    batch,
    contextOf(cfg({ credit: { kind: "min" }, processCoef: 0.5 }), {
      questions: [q],
      resources: { "round-judge": world.roundJudge() },
    }),
  )).advantages;
  expectRow(batch, half, 1, A_LOSE, [-0.894427, 0.223607]);
});

Deno.test("pure: missing judge, missing question, wrong score count and bad scores are errors", async () => {
  const batch = batchOf([
    trajectory({
      groupId: 0,
      reward: 1,
      rounds: [{ policy: "<search> a </search>", obs: "<information> d </information>" }, {
        policy: "<answer> b </answer>",
      }],
    }),
  ]);
  const step = (j: RoundJudge | null, questions = [question("q0")]) =>
    pure.step(
      batch,
      contextOf(cfg(), { questions, ...(j ? { resources: { "round-judge": j } } : {}) }),
    );
  await assert.rejects(() => Promise.resolve(step(null)), /no "round-judge" resource was granted/);
  const ok: RoundJudge = {
    score: (_q, rs) => Promise.resolve(rs.map(() => ({ retrieval: 1, thinking: 1 }))),
  };
  await assert.rejects(
    () => Promise.resolve(step(ok, [question("other")])),
    /no question with id q0/,
  );
  const none: RoundJudge = { score: () => Promise.resolve([]) };
  await assert.rejects(() => Promise.resolve(step(none)), /returned 0 scores for 1 rounds/);
  const bad: RoundJudge = {
    score: (_q, rs) =>
      Promise.resolve(rs.map(() => ({ retrieval: 1, thinking: 3 }) as unknown as RoundScore)),
  };
  await assert.rejects(() => Promise.resolve(step(bad)), /thinking = 3/);
  // a batch without multi-round trajectories asks for no judge at all
  const single = batchOf([
    trajectory({ groupId: 0, reward: 1, rounds: [{ policy: "<answer> b </answer>" }] }),
  ]);
  const res = await pure.step(single, contextOf(cfg()));
  assert.equal(res.metrics["pure/judged_trajectories"], 0);
});

Deno.test("pure: an LLM judge's calls, parse failures and cache hits are counted in the step metrics", async () => {
  let i = 0;
  const chat = new ScriptedChat(() => (i++ === 0 ? '{"retrieval": 1, "thinking": 1}' : "no idea"));
  const judge = new LlmRoundJudge(chat);
  const batch = batchOf(groupOf(0, [
    { reward: 1, rounds: [searchRound("alpha"), answerRound("x")] },
    { reward: 0, rounds: [searchRound("beta"), answerRound("y")] },
  ]));
  const ctx = contextOf(cfg(), { resources: { "round-judge": judge } });
  const res = await pure.step(batch, ctx);
  // both trajectories are judged (successful or not): 2 calls, one unparseable (0/0 -> r = -1)
  assert.equal(chat.calls.length, 2);
  assert.equal(res.metrics["pure/calls/judge_llm"], 2);
  assert.equal(res.metrics["pure/judge_parse_failures"], 1);
  assert.equal(res.metrics["pure/process_reward_mean"], 0);
  const again = await pure.step(batch, ctx);
  assert.equal(again.metrics["pure/calls/judge_llm"], 0);
  assert.equal(again.metrics["pure/judge_llm_cache_hits"], 2);
});
