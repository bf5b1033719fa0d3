import assert from "node:assert/strict";
import { formatPassages } from "@creditlab/agent";
import { Bm25Index, generateWorld, worldPreset } from "@creditlab/datasets";
import { getMethod } from "@creditlab/train";
import { grpoLoss } from "../grpo/mod.ts";
import { batchOf, configWith, contextOf, groupOf, rowCheck } from "../testing.ts";
import {
  gigpo,
  GIGPO_DEFAULTS,
  GIGPO_PAPER,
  type GigpoConfig,
  type GigpoRecord,
  passagesOf,
  validateGigpoConfig,
} from "./mod.ts";

const cfg = configWith(GIGPO_DEFAULTS);

const doc = (title: string) => `Doc 1(Title: ${title}) ${title} is a fact .`;
const info = (...titles: string[]) =>
  `<information> ${
    titles.map((t, i) => doc(t).replace("Doc 1", `Doc ${i + 1}`)).join("\n")
  } </information>`;
const search = (q: string, ...titles: string[]) => ({
  policy: `<search> ${q} </search>`,
  obs: info(...titles),
});
const answer = (a: string) => ({ policy: `<answer> ${a} </answer>` });

/** Expect `a + step[k - 1]` on every policy token of round k of `row` (0 elsewhere). */
const expectRow = rowCheck((a, step, k) => a + step[k - 1]!);

Deno.test("gigpo: registered; regime, no resources, GRPO loss; config validation names the field", () => {
  assert.equal(getMethod("gigpo"), gigpo);
  assert.equal(gigpo.regime, "long-chains");
  assert.equal(gigpo.resources, undefined);
  assert.deepEqual(gigpo.loss(gigpo.defaults), grpoLoss(gigpo.defaults));
  assert.deepEqual(gigpo.groupLocal, { rewards: true, step: false });
  assert.equal(gigpo.defaults.stepWeight, 1);
  assert.equal(gigpo.defaults.gamma, 0.95);
  assert.equal(gigpo.defaults.stepNormalization, "mean");
  assert.equal(gigpo.defaults.anchorKey, "retrieved-set");
  validateGigpoConfig(gigpo.defaults);
  const bad: [Partial<GigpoConfig>, RegExp][] = [
    [{ stepWeight: -1 }, /field "stepWeight" must be a finite number >= 0, got -1/],
    [{ gamma: 1.5 }, /field "gamma" must be in \[0, 1\], got 1.5/],
    [{ gamma: NaN }, /field "gamma"/],
    [
      { stepNormalization: "std" as "mean" },
      /field "stepNormalization" must be "mean" \| "mean-std"/,
    ],
    [{ anchorKey: "obs" as "exact-history" }, /field "anchorKey" must be "retrieved-set" \|/],
    [{ keyRound: "yes" as unknown as boolean }, /field "keyRound" must be a boolean, got "yes"/],
    [{ episodeStats: "batch" as "step" }, /field "episodeStats" must be "trajectory" \| "step"/],
    [{ eps: -1 }, /gigpo config: field "eps"/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(() => validateGigpoConfig(cfg(patch)), re);
    assert.throws(() => gigpo.step(batchOf([]), contextOf(cfg(patch))), re);
  }
  assert.equal(GIGPO_PAPER.arxiv, "2505.10978");
});

/**
 * One prompt group (R, K):
 * row 0 (1, 3): search q1 -> [A]; search q2 -> [B]; answer
 * row 1 (0, 3): search q1b -> [A]; search q3 -> [C]; answer
 * row 2 (1, 2): search q1 -> [A]; answer
 * row 3 (0, 1): answer at once
 * Anchor groups (retrieved set + round): round 1 {all 4, state {}}; round 2 {rows 0, 1, 2,
 * state {A}}; round 3 row 0 {A, B} and row 1 {A, C}, one member each.
 */
function mainGroup() {
  return batchOf(groupOf(0, [
    { reward: 1, rounds: [search("q1", "A"), search("q2", "B"), answer("x")] },
    { reward: 0, rounds: [search("q1b", "A"), search("q3", "C"), answer("y")] },
    { reward: 1, rounds: [search("q1", "A"), answer("x")] },
    { reward: 0, rounds: [answer("y")] },
  ]));
}

// Episode: rewards [1, 0, 1, 0], mean 0.5, unbiased std sqrt(1/3) = 0.57735:
// A^E = +-0.5 / (0.57735 + 1e-6) = +-0.866024.
const AE = 0.5 / (Math.sqrt(1 / 3) + 1e-6);

Deno.test("gigpo: end to end, default config (hand-worked)", async () => {
  const batch = mainGroup();
  const res = await gigpo.step(batch, contextOf(cfg()));
  // returns 0.95^(K-k) R: row 0 [0.9025, 0.95, 1], row 1 [0, 0, 0], row 2 [0.95, 1], row 3 [0]
  // round 1 group {0.9025, 0, 0.95, 0}: mean 1.8525 / 4 = 0.463125
  //   A^S = [0.439375, -0.463125, 0.486875, -0.463125]
  // round 2 group {0.95, 0, 1}: mean 0.65, A^S = [0.3, -0.65, 0.35]; round 3: alone, 0
  expectRow(batch, res.advantages, 0, AE, [0.439375, 0.3, 0]);
  expectRow(batch, res.advantages, 1, -AE, [-0.463125, -0.65, 0]);
  expectRow(batch, res.advantages, 2, AE, [0.486875, 0.35]);
  expectRow(batch, res.advantages, 3, -AE, [-0.463125]);
  const rec = res.records! as GigpoRecord[];
  assert.deepEqual(rec.map((r) => r.anchorGroupSizes), [[4, 3, 1], [4, 3, 1], [4, 3], [4]]);
  assert.deepEqual(rec[0]!.rounds.label, "step advantage");
  assert.deepEqual(rec[2]!.rounds.values.map((v) => +v.toFixed(6)), [0.486875, 0.35]);
  assert.deepEqual(rec[0]!.stepReturns.map((v) => +v.toFixed(6)), [0.9025, 0.95, 1]);
  const m = res.metrics;
  // 9 rounds; in groups of > 1: round 1 (4) + round 2 (3) = 7; rounds k >= 2: 5, of them 3
  assert.equal(m["gigpo/repeated_round_share"], 7 / 9);
  assert.equal(m["gigpo/repeated_share_later_rounds"], 3 / 5);
  // 4 anchor groups (round 1, round 2, two singletons at round 3) for 9 rounds
  assert.equal(m["gigpo/anchor_groups"], 4);
  assert.equal(m["gigpo/anchor_group_size_mean"], 9 / 4);
  // |A^S| sum 1.8525 + 1.3 = 3.1525 over 9 rounds
  assert.ok(Math.abs(m["gigpo/step_advantage_abs_mean"]! - 3.1525 / 9) < 1e-6);
  assert.ok(Math.abs(m["gigpo/episode_advantage_abs_mean"]! - AE) < 1e-6);
  for (const k of Object.keys(m)) assert.ok(k.startsWith("gigpo/"), k);
});

Deno.test("gigpo: mean-std normalisation, omega and gamma (hand-worked)", async () => {
  const batch = mainGroup();
  const adv = async (patch: Partial<GigpoConfig>) =>
    (await gigpo.step(batch, contextOf(cfg(patch)))).advantages;
  // round 1: squares 0.193050 + 2 * 0.214485 + 0.237047 = 0.859067, / 3, std 0.535122:
  //   A^S = [0.821073, -0.865455, 0.909837, -0.865455]
  // round 2: squares 0.09 + 0.4225 + 0.1225 = 0.635, / 2, std 0.563471: [0.532413, -1.153561, 0.621148]
  const ms = await adv({ stepNormalization: "mean-std" });
  expectRow(batch, ms, 0, AE, [0.821073, 0.532413, 0]);
  expectRow(batch, ms, 1, -AE, [-0.865455, -1.153561, 0]);
  expectRow(batch, ms, 2, AE, [0.909837, 0.621148]);
  expectRow(batch, ms, 3, -AE, [-0.865455]);
  // omega 2 doubles the step part
  const twice = await adv({ stepWeight: 2 });
  expectRow(batch, twice, 0, AE, [0.87875, 0.6, 0]);
  expectRow(batch, twice, 2, AE, [0.97375, 0.7]);
  // gamma 1: returns = R; round 1 {1, 0, 1, 0}: +-0.5; round 2 {1, 0, 1}: mean 2/3
  const flat = await adv({ gamma: 1 });
  expectRow(batch, flat, 0, AE, [0.5, 1 / 3, 0]);
  expectRow(batch, flat, 1, -AE, [-0.5, -2 / 3, 0]);
  expectRow(batch, flat, 2, AE, [0.5, 1 / 3]);
  // normalizeStd (a GRPO field) changes the episode part only: A^E = R - 0.5
  const drgrpo = await adv({ normalizeStd: false });
  expectRow(batch, drgrpo, 0, 0.5, [0.439375, 0.3, 0]);
  expectRow(batch, drgrpo, 3, -0.5, [-0.463125]);
});

/**
 * Trajectories of different lengths in one group, for the key options (R, K):
 * row 0 (1, 3): [A, B]; [C]; answer
 * row 1 (0, 3): [B, A]; [C]; answer
 * row 2 (1, 4): [A]; [B]; invalid action; answer
 * row 3 (0, 2): [C]; answer
 */
function optionGroup() {
  return batchOf(groupOf(0, [
    { reward: 1, rounds: [search("a", "A", "B"), search("c", "C"), answer("x")] },
    { reward: 0, rounds: [search("b", "B", "A"), search("c", "C"), answer("y")] },
    {
      reward: 1,
      rounds: [search("a", "A"), search("b", "B"), {
        policy: "oops",
        obs: "My previous action is invalid. Let me try again.",
      }, answer("x")],
    },
    { reward: 0, rounds: [search("c", "C"), answer("y")] },
  ]));
}

Deno.test("gigpo: each anchor-key option forms the groups it names (variable round counts)", async () => {
  const batch = optionGroup();
  const sizes = async (patch: Partial<GigpoConfig>) =>
    ((await gigpo.step(batch, contextOf(cfg(patch)))).records as GigpoRecord[]).map((r) =>
      r.anchorGroupSizes
    );
  // retrieved set + round: round 2 {A,B} rows 0, 1; round 3 {A,B,C} rows 0, 1; row 2's
  // {A} (round 2) and {A,B} (rounds 3, 4) and row 3's {C} are alone. Row 3 stopped after
  // round 2, row 0 and 1 after round 3: later rounds' groups hold only who got there.
  assert.deepEqual(await sizes({}), [[4, 2, 2], [4, 2, 2], [4, 1, 1, 1], [4, 1]]);
  // without the round: {A,B} = rows 0 and 1 at round 2, row 2 at rounds 3 and 4 (4 rounds)
  assert.deepEqual(await sizes({ keyRound: false }), [[4, 4, 2], [4, 4, 2], [4, 1, 4, 4], [4, 1]]);
  // exact history: [A, B] and [B, A] differ, so only round 1 is shared
  assert.deepEqual(await sizes({ anchorKey: "exact-history" }), [
    [4, 1, 1],
    [4, 1, 1],
    [4, 1, 1, 1],
    [4, 1],
  ]);
  // last observation + round: rows 0 and 1 both last saw [C] at round 3
  assert.deepEqual(await sizes({ anchorKey: "last-observation" }), [
    [4, 1, 2],
    [4, 1, 2],
    [4, 1, 1, 1],
    [4, 1],
  ]);
  // the released anchor (last observation, no round): row 3's round 2 also last saw [C]
  assert.deepEqual(await sizes({ anchorKey: "last-observation", keyRound: false }), [
    [4, 1, 3],
    [4, 1, 3],
    [4, 1, 1, 1],
    [4, 3],
  ]);
});

Deno.test("gigpo: episode statistics per trajectory (paper) vs per step (released) differ when round counts differ", async () => {
  const batch = optionGroup();
  const adv = async (patch: Partial<GigpoConfig>) =>
    (await gigpo.step(batch, contextOf(cfg({ stepWeight: 0, ...patch })))).advantages;
  // rewards [1, 0, 1, 0], rounds [3, 3, 4, 2]. Per trajectory: +-0.866024. Per step: seven
  // copies of 1 and five of 0: mean 7/12, unbiased std sqrt(2.916667 / 11) = 0.514929:
  // A^E = 0.416667 / 0.514930 = 0.809171 and -0.583333 / 0.514930 = -1.132840
  const per = await adv({});
  const steps = await adv({ episodeStats: "step" });
  expectRow(batch, per, 0, AE, [0, 0, 0]);
  expectRow(batch, per, 3, -AE, [0, 0]);
  expectRow(batch, steps, 0, 0.809171, [0, 0, 0]);
  expectRow(batch, steps, 2, 0.809171, [0, 0, 0, 0]);
  expectRow(batch, steps, 3, -1.13284, [0, 0]);
});

Deno.test("gigpo: SearchWorld observations rendered by the protocol group by what they retrieved", async () => {
  const world = generateWorld(worldPreset("easy"), { seed: 5 });
  const index = Bm25Index.build(world.corpus);
  const q = world.questions("train").find((x) => (x.goldChain?.length ?? 0) === 2)!;
  const [h1, h2] = q.goldChain!;
  const hop = (query: string) => {
    const top = index.search(query, 3);
    return { policy: `<search> ${query} </search>`, obs: formatPassages(top), top };
  };
  const one = hop(h1!.query), two = hop(h2!.query), off = hop("weather today river");
  // the parser reads back every passage the protocol rendered
  assert.equal(one.top.length, 3);
  assert.deepEqual(passagesOf(one.obs), one.top.map((p) => `Title: ${p.title}) ${p.text}`));
  const batch = batchOf(groupOf(0, [
    { questionId: q.id, reward: 1, rounds: [one, two, answer(h2!.entity)] },
    { questionId: q.id, reward: 0, rounds: [one, off, answer("nobody")] },
    { questionId: q.id, reward: 0, rounds: [answer("nobody")] },
  ]));
  const res = await gigpo.step(batch, contextOf(cfg(), { questions: [q] }));
  const rec = res.records as GigpoRecord[];
  assert.deepEqual(rec.map((r) => r.anchorGroupSizes), [[3, 2, 1], [3, 2, 1], [3]]);
  // round 2 (same hop-1 passages): returns 0.95 and 0, mean 0.475: A^S = +-0.475
  assert.deepEqual(rec.slice(0, 2).map((r) => +r.rounds.values[1]!.toFixed(6)), [0.475, -0.475]);
});
