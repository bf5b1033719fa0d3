import assert from "node:assert/strict";
import type { RoundJudge, RoundScore } from "@creditlab/core";
import { getMethod } from "@creditlab/train";
import { generateWorld, searchworld, worldPreset } from "@creditlab/datasets";
import { grpoLoss } from "../grpo/mod.ts";
import { LlmRoundJudge } from "../llm_judge.ts";
import { batchOf, contextOf, groupOf, rowCheck, ScriptedChat, TableJudge } from "../testing.ts";
import {
  MT_GRPO_PAPER,
  mtGrpo,
  type MtGrpoConfig,
  RELEASED_TURN_REWARD,
  validateMtGrpoConfig,
} from "./mod.ts";
import { EMPTY, FULL, mtCfg } from "./test_fixtures.ts";

/** Check row `row` of `adv`: `a` on its policy tokens plus `turn[k - 1]` on those of round k. */
const expectRow = rowCheck((a, turn, k) => a + (turn[k - 1] ?? 0));

Deno.test("mt-grpo: registered; regime, resources, loss; config validation names the field", () => {
  assert.equal(getMethod("mt-grpo"), mtGrpo);
  assert.equal(mtGrpo.regime, "long-chains");
  assert.deepEqual(mtGrpo.resources!(mtGrpo.defaults), [{ kind: "round-judge" }]);
  assert.deepEqual(mtGrpo.loss(mtGrpo.defaults), grpoLoss(mtGrpo.defaults));
  assert.equal(mtGrpo.defaults.turnCoef, 1);
  assert.equal(mtGrpo.defaults.turnScope, "first-search-round");
  assert.equal(mtGrpo.defaults.turnBaseline, "group");
  assert.equal(mtGrpo.defaults.creditStop, false);
  validateMtGrpoConfig(mtCfg({ turnReward: { ...RELEASED_TURN_REWARD } }));
  const bad: [Partial<MtGrpoConfig>, RegExp][] = [
    [{ turnCoef: NaN }, /field "turnCoef" must be a finite number >= 0, got null/],
    [
      { turnScope: "all" as "first-search-round" },
      /field "turnScope" must be "first-search-round"/,
    ],
    [{ turnBaseline: "batch" as "group" }, /field "turnBaseline" must be "group" \| "reached"/],
    [{ creditStop: 1 as unknown as boolean }, /field "creditStop" must be a boolean, got 1/],
    [{ turnReward: null as unknown as MtGrpoConfig["turnReward"] }, /field "turnReward" must be/],
    [
      { turnReward: { retrieval: -1, thinking: 0, executed: 0 } },
      /field "turnReward.retrieval" must be a finite number >= 0/,
    ],
    [
      { turnReward: { retrieval: 0, thinking: 0, executed: 0 } },
      /field "turnReward" must be weights with a positive sum/,
    ],
    [{ eps: -1 }, /mt-grpo config: field "eps"/],
  ];
  for (const [patch, re] of bad) assert.throws(() => validateMtGrpoConfig(mtCfg(patch)), re);
  assert.equal(MT_GRPO_PAPER.arxiv, "2505.11821");
});

/**
 * One group, outcomes [1, 0, 0, 0] (A_WIN, A_LOSE), scored by a table judge:
 * row 0: search (ret 1, th 1), search (ret 1, th 0), answer.      turn rewards [1, 1]
 * row 1: invalid action, search (ret 0, th 1), answer.            [0], segment 1 = rounds 1-2
 * row 2: answers at once.                                         no search
 * row 3: search (ret 1, th 1), search with an empty result (0/0), answer.   [1, 0]
 */
function handGroup() {
  const table: Record<string, RoundScore> = {
    "<search> s0a </search>": { retrieval: 1, thinking: 1 },
    "<search> s0b </search>": { retrieval: 1, thinking: 0 },
    "<search> s1a </search>": { retrieval: 0, thinking: 1 },
    "<search> s3a </search>": { retrieval: 1, thinking: 1 },
    "<search> s3b </search>": { retrieval: 0, thinking: 0 },
  };
  const s = (q: string, obs = FULL) => ({ policy: `<search> ${q} </search>`, obs });
  const answer = { policy: "<answer> x </answer>" };
  const batch = batchOf(groupOf(0, [
    { reward: 1, rounds: [s("s0a"), s("s0b"), answer] },
    {
      reward: 0,
      rounds: [{ policy: "<think> hmm </think>", obs: "invalid action" }, s("s1a"), answer],
    },
    { reward: 0, rounds: [answer] },
    { reward: 0, rounds: [s("s3a"), s("s3b", EMPTY), answer] },
  ]));
  const run = async (c: MtGrpoConfig) =>
    await mtGrpo.step(batch, contextOf(c, { resources: { "round-judge": new TableJudge(table) } }));
  return { batch, run };
}

// Outcome: rewards [1, 0, 0, 0], mean 0.25, unbiased std 0.5 (eps 1e-6).
const A_WIN = 0.75 / (0.5 + 1e-6);
const A_LOSE = -0.25 / (0.5 + 1e-6);
// Index 1 of the default ("group"): {1, 0, 0 (row 2), 1}, mean 0.5, std sqrt(1/3) = 0.57735.
const S1 = 0.5 / (Math.sqrt(1 / 3) + 1e-6);

Deno.test("mt-grpo: default config on a hand group (paper: first search round, group baseline)", async () => {
  const { batch, run } = handGroup();
  const res = await run(mtCfg());
  expectRow(batch, res.advantages, 0, A_WIN, [S1, 0, 0]);
  expectRow(batch, res.advantages, 1, A_LOSE, [-S1, -S1, 0]); // the invalid round 1 too
  expectRow(batch, res.advantages, 2, A_LOSE, []);
  expectRow(batch, res.advantages, 3, A_LOSE, [S1, 0, 0]);
  const rec = res.records!;
  assert.deepEqual(rec[0]!.rounds, { label: "turn reward", values: [1, 1] });
  assert.deepEqual(rec[0]!.searchRounds, [1, 2]);
  assert.deepEqual(rec[0]!.turnAdvantages.map((x) => +x.toFixed(4)), [0.866, 0, 0]);
  assert.deepEqual(rec[1]!.rounds.values, [0, 0]); // round 1 is not a search
  assert.deepEqual(rec[1]!.searchRounds, [2]);
  assert.deepEqual(rec[1]!.turnAdvantages.map((x) => +x.toFixed(4)), [-0.866, -0.866, 0]);
  assert.deepEqual(rec[2], {
    rounds: { label: "turn reward", values: [] },
    searchRounds: [],
    turnAdvantages: [0],
    calls: { judge: 0 },
  });
  assert.deepEqual(rec[3]!.rounds.values, [1, 0]);
  assert.deepEqual(rec[3]!.calls, { judge: 2 });
  const m = res.metrics;
  assert.equal(m["mt-grpo/judged_trajectories"], 3);
  assert.equal(m["mt-grpo/calls/judged_rounds"], 6);
  assert.equal(m["mt-grpo/turns"], 3); // the first search of rows 0, 1, 3
  assert.ok(Math.abs(m["mt-grpo/turn_reward_mean"]! - 2 / 3) < 1e-9);
  assert.ok(Math.abs(m["mt-grpo/turn_success_share"]! - 2 / 3) < 1e-9);
  assert.ok(Math.abs(m["mt-grpo/turn_adv_abs_mean"]! - S1) < 1e-5);
  assert.equal(m["mt-grpo/calls/judge_llm"], 0);
  for (const k of Object.keys(m)) assert.ok(k.startsWith("mt-grpo/"), k);
});

Deno.test("mt-grpo: each option changes the advantages as it should (wiring)", async () => {
  const { batch, run } = handGroup();
  const adv = async (patch: Partial<MtGrpoConfig>) => (await run(mtCfg(patch))).advantages;
  // turnCoef scales the turn term: lambda 2 doubles it
  const two = await adv({ turnCoef: 2 });
  expectRow(batch, two, 0, A_WIN, [2 * S1, 0, 0]);
  expectRow(batch, two, 1, A_LOSE, [-2 * S1, -2 * S1, 0]);
  // creditStop: row 2's stop decision is index 1 (value 0) -> -S1 on its answer
  expectRow(batch, await adv({ creditStop: true }), 2, A_LOSE, [-S1]);
  // reached: index 1 over rows 0, 1, 3 only: {1, 0, 1}, mean 2/3, std sqrt(1/3)
  const sd = Math.sqrt(1 / 3) + 1e-6;
  const reached = await adv({ turnBaseline: "reached" });
  expectRow(batch, reached, 0, A_WIN, [1 / 3 / sd, 0, 0]);
  expectRow(batch, reached, 1, A_LOSE, [-2 / 3 / sd, -2 / 3 / sd, 0]);
  expectRow(batch, reached, 2, A_LOSE, []);
  // every-search-round: index 2 {1 (row 0), 0 (rows 1, 2 fill), 0 (row 3)}: mean .25, std .5
  const every = await adv({ turnScope: "every-search-round" });
  expectRow(batch, every, 0, A_WIN, [S1, 0.75 / (0.5 + 1e-6), 0]);
  expectRow(batch, every, 3, A_LOSE, [S1, -0.25 / (0.5 + 1e-6), 0]);
  // turnReward thinking only: index 1 {1, 1, 0 (row 2), 1}, mean .75, std .5 -> +0.5 each
  const think = await adv({ turnReward: { retrieval: 0, thinking: 1, executed: 0 } });
  expectRow(batch, think, 1, A_LOSE, [0.5, 0.5, 0].map((x) => x / (1 + 2e-6)));
  // executed separates row 1's search (passages found, nothing new) from row 3's second
  // (nothing found): equal without it, row 1's higher with it (every round, pooled)
  const at = async (executed: number) => {
    const r = await run(mtCfg({
      turnScope: "every-search-round",
      turnBaseline: "pooled",
      turnReward: { retrieval: 1, thinking: 0, executed },
    }));
    return [r.records![1]!.turnAdvantages[1]!, r.records![3]!.turnAdvantages[1]!];
  };
  const [a1, a3] = await at(0);
  assert.equal(a1, a3);
  const [b1, b3] = await at(0.2);
  assert.ok(b1! > b3!, `${b1} vs ${b3}`);
  // normalizeStd false: the turn term is centred only (+-0.5), like the outcome (0.75, -0.25)
  const centred = await adv({ normalizeStd: false });
  expectRow(batch, centred, 0, 0.75, [0.5, 0, 0]);
  expectRow(batch, centred, 1, -0.25, [-0.5, -0.5, 0]);
});

/**
 * A SearchWorld group on a 2-hop question scored by the world's oracle round judge (retrieval:
 * the search brought a new gold-chain fact):
 * row 0 (reward 1): hop 1 (1), hop 2 (1), answer.      row 1 (0): off-target (0), hop 1 (1), answer.
 * row 2 (0): answers at once.                          row 3 (0): hop 1 (1), answer.
 */
function oracleGroup() {
  const world = generateWorld(worldPreset("easy"), { seed: 5 });
  const q = world.questions("train").find((x) => (x.goldChain?.length ?? 0) === 2)!;
  const [h1, h2] = q.goldChain!;
  const start = searchworld.startEntity(q)!;
  const fact = (rel: string, s: string, o: string) =>
    `<information> Doc 1(Title: x) the ${rel} of ${s} is ${o} . </information>`;
  const hop1 = {
    policy: `<search> ${h1!.query} </search>`,
    obs: fact(h1!.relation!, start, h1!.entity),
  };
  const hop2 = {
    policy: `<search> ${h2!.query} </search>`,
    obs: fact(h2!.relation!, h1!.entity, h2!.entity),
  };
  const wasted = { policy: "<search> weather today </search>", obs: FULL };
  const trajs = groupOf(0, [
    {
      questionId: q.id,
      reward: 1,
      rounds: [hop1, hop2, { policy: `<answer> ${h2!.entity} </answer>` }],
    },
    { questionId: q.id, reward: 0, rounds: [wasted, hop1, { policy: "<answer> no </answer>" }] },
    { questionId: q.id, reward: 0, rounds: [{ policy: "<answer> no </answer>" }] },
    { questionId: q.id, reward: 0, rounds: [hop1, { policy: "<answer> no </answer>" }] },
  ]);
  const batch = batchOf(trajs);
  const run = async (c: MtGrpoConfig) =>
    await mtGrpo.step(
      batch,
      contextOf(c, { questions: [q], resources: { "round-judge": world.roundJudge() } }),
    );
  return { batch, run };
}

Deno.test("mt-grpo: SearchWorld oracle judge; variable turn counts: paper's baseline vs the unbiased one", async () => {
  const { batch, run } = oracleGroup();
  // default: index 1 {1, 0, 0 (row 2), 1} as in the hand group
  const paper = await run(mtCfg());
  expectRow(batch, paper.advantages, 0, A_WIN, [S1, 0, 0]);
  expectRow(batch, paper.advantages, 1, A_LOSE, [-S1, 0, 0]);
  expectRow(batch, paper.advantages, 2, A_LOSE, []);
  expectRow(batch, paper.advantages, 3, A_LOSE, [S1, 0]);
  assert.deepEqual(paper.records![1]!.rounds.values, [0, 1]);
  // every search round, pooled, creditStop (unbiased): nine decisions
  // {1, 1, stop 0 | 0, 1, stop 0 | stop 0 | 1, stop 0}: mean 4/9, unbiased std
  // sqrt((4 (5/9)^2 + 5 (4/9)^2) / 8) = sqrt(180/648) = 0.527046: 1 -> 1.054093, 0 -> -0.843274
  const joint = await run(mtCfg({
    turnScope: "every-search-round",
    turnBaseline: "pooled",
    creditStop: true,
  }));
  const [hi, lo] = [1.054093, -0.843274];
  expectRow(batch, joint.advantages, 0, A_WIN, [hi, hi, lo]);
  expectRow(batch, joint.advantages, 1, A_LOSE, [lo, hi, lo]);
  expectRow(batch, joint.advantages, 2, A_LOSE, [lo]);
  expectRow(batch, joint.advantages, 3, A_LOSE, [hi, lo]);
  // per turn index without the stop (reached): index 1 {1, 0, 1}; index 2 {1, 1} -> 0
  const sd = Math.sqrt(1 / 3) + 1e-6;
  const reached = await run(mtCfg({ turnScope: "every-search-round", turnBaseline: "reached" }));
  expectRow(batch, reached.advantages, 0, A_WIN, [1 / 3 / sd, 0, 0]);
  expectRow(batch, reached.advantages, 1, A_LOSE, [-2 / 3 / sd, 0, 0]);
  expectRow(batch, reached.advantages, 2, A_LOSE, []);
});

Deno.test("mt-grpo: judge errors and an LLM judge's calls are reported", async () => {
  const batch = batchOf(groupOf(0, [
    {
      reward: 1,
      rounds: [{ policy: "<search> alpha </search>", obs: FULL }, {
        policy: "<answer> x </answer>",
      }],
    },
    {
      reward: 0,
      rounds: [{ policy: "<search> beta </search>", obs: FULL }, {
        policy: "<answer> y </answer>",
      }],
    },
  ]));
  await assert.rejects(
    () => Promise.resolve(mtGrpo.step(batch, contextOf(mtCfg()))),
    /no "round-judge" resource was granted/,
  );
  const none: RoundJudge = { score: () => Promise.resolve([]) };
  await assert.rejects(
    () =>
      Promise.resolve(
        mtGrpo.step(batch, contextOf(mtCfg(), { resources: { "round-judge": none } })),
      ),
    /mt-grpo: the judge returned 0 scores for 1 rounds/,
  );
  let i = 0;
  const chat = new ScriptedChat(() => (i++ === 0 ? '{"retrieval": 1, "thinking": 1}' : "no idea"));
  const ctx = contextOf(mtCfg(), { resources: { "round-judge": new LlmRoundJudge(chat) } });
  const res = await mtGrpo.step(batch, ctx);
  assert.equal(res.metrics["mt-grpo/calls/judge_llm"], 2);
  assert.equal(res.metrics["mt-grpo/judge_parse_failures"], 1); // unparseable = 0/0
  assert.equal(res.metrics["mt-grpo/turn_reward_mean"], 0.5);
  const again = await mtGrpo.step(batch, ctx);
  assert.equal(again.metrics["mt-grpo/judge_llm_cache_hits"], 2);
});
