import assert from "node:assert/strict";
import { getMethod } from "@creditlab/train";
import { generateWorld, worldPreset } from "@creditlab/datasets";
import { grpo, grpoLoss } from "../grpo/mod.ts";
import {
  answerRound,
  assertRounds,
  batchOf,
  configWith,
  contextOf,
  groupOf,
  question,
  searchRound,
} from "../testing.ts";
import {
  matchtir,
  MATCHTIR_DEFAULTS,
  MATCHTIR_PAPER,
  type MatchtirConfig,
  type MatchtirRecord,
  SINKHORN_DEFAULTS,
  validateMatchtirConfig,
} from "./mod.ts";

const cfg = configWith(MATCHTIR_DEFAULTS);

const CHAIN = [
  { query: "alpha founder", entity: "bob" },
  { query: "bob birthplace", entity: "paris" },
];
const Q = question("q0", { goldChain: CHAIN });

/**
 * One group on a 2-hop question, three rows of 3, 2 and 4 rounds:
 * row 0 (reward 1): "alpha founder" (S [1, 0]), "bob birthplace" ([0, 1]), answer
 * row 1 (reward 0): "alpha founder", answer
 * row 2 (reward 0): "weather today" ([0, 0]), "founder of alpha" ({founder, of, alpha} vs
 *   {alpha, founder}: P 2/3, R 1, F1 0.8; [0.8, 0]), "bob birthplace" ([0, 1]), answer
 */
function fixture(groupId = 0, questionId = "q0") {
  const trajs = groupOf(groupId, [
    {
      questionId,
      reward: 1,
      rounds: [searchRound("alpha founder"), searchRound("bob birthplace"), answerRound("paris")],
    },
    { questionId, reward: 0, rounds: [searchRound("alpha founder"), answerRound("rome")] },
    {
      questionId,
      reward: 0,
      rounds: [
        searchRound("weather today"),
        searchRound("founder of alpha"),
        searchRound("bob birthplace"),
        answerRound("rome"),
      ],
    },
  ]);
  return { trajs, batch: batchOf<MatchtirRecord>(trajs, { padTo: 60 }) };
}

Deno.test("matchtir: registered; regime, loss, no resources; config validation names the field", () => {
  assert.equal(getMethod("matchtir"), matchtir);
  assert.equal(matchtir.regime, "long-chains");
  assert.equal(matchtir.resources, undefined);
  assert.deepEqual(matchtir.loss(matchtir.defaults), grpoLoss(matchtir.defaults));
  assert.deepEqual(matchtir.defaults.matching, { kind: "hungarian" });
  assert.equal(matchtir.defaults.gamma, 0.9);
  assert.equal(SINKHORN_DEFAULTS.reg, 0.1);
  validateMatchtirConfig(matchtir.defaults);
  const bad: [Partial<MatchtirConfig>, RegExp][] = [
    [{ matching: { kind: "km" } as unknown as MatchtirConfig["matching"] }, /field "matching"/],
    [{ matching: { ...SINKHORN_DEFAULTS, reg: 0 } }, /field "matching.reg" must be a finite/],
    [{ matching: { ...SINKHORN_DEFAULTS, maxIters: 0.5 } }, /field "matching.maxIters"/],
    [{ matching: { ...SINKHORN_DEFAULTS, tol: -1 } }, /field "matching.tol"/],
    [
      { matching: { ...SINKHORN_DEFAULTS, rewardScale: "row" as "mass" } },
      /field "matching.rewardScale" must be "mass" \| "per-call"/,
    ],
    [{ similarity: "bleu" as "exact" }, /field "similarity"/],
    [{ schemaTerms: 1 as unknown as boolean }, /field "schemaTerms" must be a boolean/],
    [{ unmatchedReward: NaN }, /field "unmatchedReward" must be a finite number/],
    [{ answerTurnReward: "f1" as "zero" }, /field "answerTurnReward"/],
    [{ trajectoryReward: "sum" as "outcome" }, /field "trajectoryReward"/],
    [{ gamma: -0.1 }, /field "gamma" must be in \[0, 1\]/],
    [{ turnNormalization: "batch" as "group-joint" }, /field "turnNormalization"/],
    [{ turnWeight: 2 }, /field "turnWeight" must be in \[0, 1\]/],
    [{ matchThreshold: 1.5 }, /field "matchThreshold"/],
    [{ eps: -1 }, /matchtir config: field "eps"/],
  ];
  for (const [patch, re] of bad) assert.throws(() => validateMatchtirConfig(cfg(patch)), re);
  assert.equal(MATCHTIR_PAPER.arxiv, "2601.10712");
});

// Default config (Hungarian, token F1, answer round = outcome, A^g of the turn sums, gamma 0.9,
// per turn index, (A^g + A^l) / 2), worked by hand:
// turn rewards: row 0 [1, 1, 1]; row 1 [1, 0]; row 2 [0, 0.8, 1, 0] ("weather today" is left
//   out by the 3 x 2 assignment: p1 -> hop 0 at 0.8, p2 -> hop 1 at 1)
// A^g over the sums {3, 1, 1.8}: mean 1.93333, deviations 1.06667, -0.93333, -0.13333, squares
//   sum 2.02667, unbiased var 1.01333, std 1.00664: A^g = [1.059625, -0.927172, -0.132453]
// returns (0.9): row 0 [2.71, 1.9, 1]; row 1 [1, 0]; row 2 [1.53, 1.7, 1, 0]
// per turn index: k = 1 {2.71, 1, 1.53}: mean 1.74667, std 0.875348 -> [1.100514, -0.852994,
//   -0.247520]; k = 2 {1.9, 0, 1.7}: mean 1.2, std 1.044031 -> [0.670478, -1.149390, 0.478913];
//   k = 3 {1, 1}: equal -> 0; k = 4 {0} alone (verl rule) -> 0 / (1 + eps) = 0
const A_G = [1.059625, -0.927172, -0.132453];
const A_L = [[1.100514, 0.670478, 0], [-0.852994, -1.14939], [-0.24752, 0.478913, 0, 0]];
const mix = (w: number) => A_L.map((row, r) => row.map((l) => (1 - w) * A_G[r]! + w * l));

Deno.test("matchtir: end to end, default config (hand-worked), records and metrics", async () => {
  const { batch } = fixture();
  const res = await matchtir.step(batch, contextOf(cfg(), { questions: [Q] }));
  assertRounds(res.advantages, batch, { want: mix(0.5), label: "default" });
  const rec = res.records!;
  assert.deepEqual(rec[0]!.rounds, { label: "turn reward", values: [1, 1, 1] });
  assert.deepEqual(rec[2]!.rounds.values.map((x) => +x.toFixed(6)), [0, 0.8, 1, 0]);
  assert.deepEqual(rec[2]!.returns.map((x) => +x.toFixed(6)), [1.53, 1.7, 1, 0]);
  assert.deepEqual(rec[1]!.turnAdvantages.map((x) => +x.toFixed(4)), [-0.853, -1.1494]);
  assert.equal(+rec[2]!.trajectoryReward.toFixed(6), 1.8);
  assert.deepEqual(rec[2]!.matchedHop, [null, 0, 1, null]);
  assert.deepEqual(rec[0]!.matchedHop, [0, 1, null]);
  const m = res.metrics;
  // matched pairs: 1, 1 (row 0), 1 (row 1), 0.8, 1 (row 2): mean 4.8 / 5
  assert.ok(Math.abs(m["matchtir/matched_similarity_mean"]! - 0.96) < 1e-9);
  // gold hops found at >= 0.5: row 0 2/2, row 1 1/2, row 2 2/2 -> 5/6
  assert.ok(Math.abs(m["matchtir/gold_matched_share"]! - 5 / 6) < 1e-9);
  assert.equal(m["matchtir/turns_per_trajectory"], 3);
  assert.equal(m["matchtir/searches_per_trajectory"], 2);
  // turn rewards: (3 + 1 + 1.8) / 9 rounds
  assert.ok(Math.abs(m["matchtir/turn_reward_mean"]! - 5.8 / 9) < 1e-9);
  assert.equal(m["matchtir/chain_share"], 1);
  assert.equal(m["matchtir/sinkhorn_unconverged"], 0);
  for (const k of Object.keys(m)) assert.ok(k.startsWith("matchtir/"), k);
});

Deno.test("matchtir: without a gold chain it is exactly GRPO (alone and next to a chained group)", async () => {
  const plain = fixture(1, "q1");
  const ctx = contextOf(cfg(), { questions: [Q, question("q1")] });
  const want = (await grpo.step(plain.batch, contextOf(cfg()))).advantages;
  const got = await matchtir.step(plain.batch, ctx);
  assert.deepEqual(Array.from(got.advantages), Array.from(want));
  assert.deepEqual(got.records, [undefined, undefined, undefined]);
  assert.equal(got.metrics["matchtir/chain_share"], 0);
  // next to a chained group, the chainless group's rows still get GRPO's advantage
  const both = [...fixture(0, "q0").trajs, ...plain.trajs];
  const batch = batchOf<MatchtirRecord>(both, { padTo: 60 });
  const mixed = (await matchtir.step(batch, ctx)).advantages;
  const grpoAll = (await grpo.step(batch, contextOf(cfg()))).advantages;
  const rows = (a: Float32Array, r: number) =>
    Array.from(a.subarray(r * batch.length, (r + 1) * batch.length));
  for (const r of [3, 4, 5]) assert.deepEqual(rows(mixed, r), rows(grpoAll, r));
  // turnWeight 0 with the outcome as trajectory reward is GRPO on chained groups too
  const zero = await matchtir.step(
    batch,
    contextOf(cfg({ turnWeight: 0, trajectoryReward: "outcome" }), {
      questions: [Q, question("q1")],
    }),
  );
  assert.deepEqual(Array.from(zero.advantages), Array.from(grpoAll));
});

Deno.test("matchtir: per-turn-index and group-joint normalisation differ on variable turn counts", async () => {
  const { batch } = fixture();
  const joint = await matchtir.step(
    batch,
    contextOf(cfg({ turnNormalization: "group-joint" }), { questions: [Q] }),
  );
  // jointly over all 9 returns {2.71, 1.9, 1, 1, 0, 1.53, 1.7, 1, 0}: mean 10.84 / 9 = 1.204444,
  // squares of deviations sum 6.128822, unbiased var 0.766103, std 0.875273:
  // row 0 [1.720096, 0.794672, -0.233578], row 1 [-0.233578, -1.376077],
  // row 2 [0.371947, 0.566172, -0.233578, -1.376077]
  const L = [[1.720096, 0.794672, -0.233578], [-0.233578, -1.376077], [
    0.371947,
    0.566172,
    -0.233578,
    -1.376077,
  ]];
  const want = L.map((row, r) => row.map((l) => (A_G[r]! + l) / 2));
  assertRounds(joint.advantages, batch, { want, label: "group-joint" });
  // and the default (per turn index) gives other values on the same group
  const per = await matchtir.step(batch, contextOf(cfg(), { questions: [Q] }));
  assert.notDeepEqual(Array.from(per.advantages), Array.from(joint.advantages));
  assert.notDeepEqual(per.records![1]!.turnAdvantages, joint.records![1]!.turnAdvantages);
});

Deno.test("matchtir: every option is wired (each changes the output as expected)", async () => {
  const { batch } = fixture();
  const run = async (patch: Partial<MatchtirConfig>) =>
    await matchtir.step(batch, contextOf(cfg(patch), { questions: [Q] }));
  const turn = async (patch: Partial<MatchtirConfig>, r: number) =>
    (await run(patch)).records![r]!.rounds.values.map((x) => +x.toFixed(4));
  // similarity "exact": "founder of alpha" no longer counts (0.8 -> 0)
  assert.deepEqual(await turn({ similarity: "exact" }, 2), [0, 0, 1, 0]);
  // schemaTerms: matched S = (2 + c) / 3: 0.8 -> 0.9333; the left-out call still 0
  assert.deepEqual(await turn({ schemaTerms: true }, 2), [0, 0.9333, 1, 0]);
  // unmatchedReward: the left-out "weather today" gets it
  assert.deepEqual(await turn({ unmatchedReward: -0.5 }, 2), [-0.5, 0.8, 1, 0]);
  // answerTurnReward "zero": row 0's answer round drops from 1 to 0
  assert.deepEqual(await turn({ answerTurnReward: "zero" }, 0), [1, 1, 0]);
  // sinkhorn (reg 0.1, mass): row 1 has one call x two hops: T = [[1/2, 1/2]] -> 0.5
  assert.deepEqual(await turn({ matching: SINKHORN_DEFAULTS }, 1), [0.5, 0]);
  const soft = await run({ matching: SINKHORN_DEFAULTS });
  assert.ok(soft.metrics["matchtir/sinkhorn_iterations_mean"]! >= 1);
  // row 0 (2 x 2 identity): mass 0.4999773 each; per-call 0.9999546
  assert.deepEqual(await turn({ matching: SINKHORN_DEFAULTS }, 0), [0.5, 0.5, 1]);
  const perCall = { ...SINKHORN_DEFAULTS, rewardScale: "per-call" } as const;
  assert.deepEqual(await turn({ matching: perCall }, 0), [1, 1, 1]);
  assert.notDeepEqual(
    await turn({ matching: { ...SINKHORN_DEFAULTS, reg: 1 } }, 2),
    await turn({ matching: SINKHORN_DEFAULTS }, 2),
  );
  // greedy vs Hungarian: hops "a b c d", "a b x y"; searches "a b c" (F1 6/7 and 4/7) and
  // "c d" (2/3 and 0). Hungarian: 4/7 + 2/3; greedy takes 6/7 first, then "c d" is unmatched
  const q2 = question("q2", {
    goldChain: [{ query: "a b c d", entity: "x" }, { query: "a b x y", entity: "y" }],
  });
  const g2 = batchOf<MatchtirRecord>(groupOf(0, [
    {
      questionId: "q2",
      reward: 0,
      rounds: [searchRound("a b c"), searchRound("c d"), answerRound("z")],
    },
  ]));
  const values = async (matching: MatchtirConfig["matching"]) =>
    (await matchtir.step(g2, contextOf(cfg({ matching }), { questions: [q2] }))).records![0]!
      .rounds.values.map((x) => +x.toFixed(4));
  assert.deepEqual(await values({ kind: "hungarian" }), [0.5714, 0.6667, 0]);
  assert.deepEqual(await values({ kind: "greedy" }), [0.8571, 0, 0]);
  // gamma 0: returns are the rewards
  assert.deepEqual((await run({ gamma: 0 })).records![2]!.returns.map((x) => +x.toFixed(4)), [
    0,
    0.8,
    1,
    0,
  ]);
  // trajectoryReward "outcome": A^g over {1, 0, 0} = [1.154699, -0.577349, -0.577349]
  const out = await run({ trajectoryReward: "outcome", turnWeight: 0 });
  assert.ok(Math.abs(out.advantages[batch.lossMask.indexOf(1)]! - 1.154699) < 1e-5);
  assert.equal(out.records![0]!.trajectoryReward, 1);
  // turnWeight 1: only A^l (row 1 round 1: -0.852994)
  const w1 = await run({ turnWeight: 1 });
  assertRounds(w1.advantages, batch, { want: mix(1), label: "turnWeight 1" });
  // matchThreshold 0.9: row 2's hop 0 (found at 0.8) no longer counts: 4 / 6
  const strict = await run({ matchThreshold: 0.9 });
  assert.ok(Math.abs(strict.metrics["matchtir/gold_matched_share"]! - 4 / 6) < 1e-9);
  // GRPO options reach both advantages: without std, A^g = sums - mean = [1.066667, ...]
  const noStd = await run({ normalizeStd: false, turnWeight: 0 });
  assert.ok(Math.abs(noStd.advantages[batch.lossMask.indexOf(1)]! - 1.066667) < 1e-5);
});

Deno.test("matchtir: singleton rule on a turn index only one trajectory reached", async () => {
  // row 0 reaches round 3 alone with return 1 (its answer, outcome 1); row 1 answers at round 2
  const trajs = groupOf(0, [
    {
      reward: 1,
      rounds: [searchRound("alpha founder"), searchRound("bob birthplace"), answerRound("paris")],
    },
    { reward: 0, rounds: [searchRound("alpha founder"), answerRound("rome")] },
  ]);
  const batch = batchOf<MatchtirRecord>(trajs);
  const verl = await matchtir.step(batch, contextOf(cfg(), { questions: [Q] }));
  const zero = await matchtir.step(
    batch,
    contextOf(cfg({ singletonGroup: "zero" }), { questions: [Q] }),
  );
  // verl: A^l = R / (1 + eps) = 1 / (1 + 1e-6); "zero": 0
  assert.ok(Math.abs(verl.records![0]!.turnAdvantages[2]! - 1) < 1e-5);
  assert.equal(zero.records![0]!.turnAdvantages[2], 0);
});

Deno.test("matchtir: on SearchWorld, searching the gold hop queries earns the full matched reward", async () => {
  const world = generateWorld(worldPreset("easy"), { seed: 3 });
  const q = world.questions("train").find((x) => (x.goldChain?.length ?? 0) >= 2)!;
  const hops = q.goldChain!;
  const trajs = groupOf(0, [
    {
      questionId: q.id,
      reward: 1,
      rounds: [...hops.map((h) => searchRound(h.query)), answerRound(hops.at(-1)!.entity)],
    },
    { questionId: q.id, reward: 0, rounds: [searchRound(hops[0]!.query), answerRound("nobody")] },
  ]);
  const res = await matchtir.step(batchOf(trajs), contextOf(cfg(), { questions: [q] }));
  const r0 = res.records![0]!;
  assert.deepEqual(r0.rounds.values, [...hops.map(() => 1), 1]);
  assert.deepEqual(r0.matchedHop, [...hops.map((_, j) => j), null]);
  assert.equal(res.metrics["matchtir/matched_similarity_mean"], 1);
  assert.equal(res.metrics["matchtir/gold_matched_share"], (hops.length + 1) / (2 * hops.length));
});

Deno.test("matchtir: a row whose question is missing is an error", () => {
  const { batch } = fixture(0, "nope");
  assert.throws(
    () => matchtir.step(batch, contextOf(cfg(), { questions: [Q] })),
    /no question with id nope/,
  );
});
