import assert from "node:assert/strict";
import { answerRound, batchOf, groupOf, question, searchRound } from "../testing.ts";
import { pair } from "./test_fixtures.ts";
import { contextsAfterRounds, type GoldOptions, informationGains, scoreGold } from "./mod.ts";
import { TableScorer, wordIds } from "./test_scorer.ts";

const DEFAULT: GoldOptions = { gold: "first", answerSpan: "answer", goldEpisode: "prefix" };

const questions = new Map([["q0", question("q0", { goldenAnswers: ["paris"] })]]);

Deno.test("a2tgpo scoring: contexts are the turns of rounds <= t", () => {
  const [a] = pair();
  const [c0, c1, c2] = contextsAfterRounds(a!.turns, 2);
  assert.deepEqual(Array.from(c0!), [13, 7, 5]);
  assert.deepEqual(Array.from(c1!), [13, 7, 5, 12, 5, 13, 17, 9, 18]);
  assert.equal(c2!.length, 9 + 3);
});

Deno.test("a2tgpo scoring: golden gold-answer probabilities and gains (hand-worked)", async () => {
  const scorer = new TableScorer();
  const batch = batchOf(pair());
  const got = await scoreGold(batch, { ...DEFAULT, questions, scorer });
  // Target <answer> paris = [12, 9]; v_t = log P(9 | c_t, 12) = log (1 + n_9) / (64 + |c_t| + 1).
  // t = 0 (both rows): |c| = 3, no 9 in it: 1 / 68.
  // t = 1, A: |c| = 9 with one "paris" (9): 2 / 74 = 1 / 37. B: none: 1 / 74.
  const want = [[1 / 68, 1 / 37], [1 / 68, 1 / 74]];
  got.values.forEach((v, r) => {
    v!.forEach((x, t) => assert.ok(Math.abs(Math.exp(x) - want[r]![t]!) < 1e-7, `${r} ${t}`));
  });
  assert.deepEqual(Array.from(got.requests), [2, 2]);
  // One call, contexts and targets as above (the <answer> tag in the target, not averaged).
  assert.equal(scorer.calls.length, 1);
  const reqs = scorer.calls[0]!;
  assert.deepEqual(reqs.map((q) => Array.from(q.target)), [[12, 9], [12, 9], [12, 9], [12, 9]]);
  assert.deepEqual(reqs.map((q) => q.context.length), [3, 9, 3, 9]);
  // Gains: A 1/37 - 1/68 = 31/2516 = 0.012321; B 1/74 - 1/68 = -6/5032 = -0.0011924;
  // log-prob-diff: ln(68/37) = 0.6086, ln(68/74) = -0.0846.
  const g = (r: number, kind: "prob-diff" | "log-prob-diff") =>
    informationGains(got.values[r]!, kind)[0]!;
  assert.ok(Math.abs(g(0, "prob-diff") - 31 / 2516) < 1e-7);
  assert.ok(Math.abs(g(1, "prob-diff") + 6 / 5032) < 1e-7);
  assert.equal(g(0, "log-prob-diff").toFixed(4), "0.6086");
  assert.equal(g(1, "log-prob-diff").toFixed(4), "-0.0846");
});

Deno.test("a2tgpo scoring: answer-and-close also averages </answer>", async () => {
  const scorer = new TableScorer();
  const got = await scoreGold(batchOf(pair()), {
    ...DEFAULT,
    answerSpan: "answer-and-close",
    questions,
    scorer,
  });
  // t = 0: target [12, 9, 13]; P(9 | 13 7 5 12) = 1/68; P(13 | 13 7 5 12 9) = 2/69 (one 13).
  // v_0 = (ln(1/68) + ln(2/69)) / 2 = -3.8802.
  assert.equal(got.values[0]![0]!.toFixed(4), "-3.8802");
  assert.deepEqual(Array.from(scorer.calls[0]![0]!.target), [12, 9, 13]);
});

Deno.test("a2tgpo scoring: gold max takes the more probable golden answer", async () => {
  // Golden answers "paris" (9) and "who" (7, in the prompt: P = 2/68 at t = 0).
  const q2 = new Map([["q0", question("q0", { goldenAnswers: ["paris", "who"] })]]);
  const first = await scoreGold(batchOf(pair()), {
    ...DEFAULT,
    questions: q2,
    scorer: new TableScorer(),
  });
  const scorer = new TableScorer();
  const max = await scoreGold(batchOf(pair()), { ...DEFAULT, gold: "max", questions: q2, scorer });
  assert.ok(Math.abs(Math.exp(first.values[0]![0]!) - 1 / 68) < 1e-7);
  assert.ok(Math.abs(Math.exp(max.values[0]![0]!) - 2 / 68) < 1e-7);
  // After A's round 1: paris 2/74, who 2/74 (one each): equal.
  assert.ok(Math.abs(Math.exp(max.values[0]![1]!) - 2 / 74) < 1e-7);
  assert.deepEqual(Array.from(max.requests), [4, 4]);
  assert.equal(scorer.calls[0]!.length, 8);
});

Deno.test("a2tgpo scoring: the gold's entity slots come from the scored prefix or the episode", async () => {
  // Names: rome (in the prompt, slot 0 = id 54), berlin (round 1's result, slot 1), paris
  // (round 2's result). Prefix: after t = 0 paris is the next free slot, 1 (id 55); after
  // t = 1 and 2 it is slot 2 (56). Full: slot 2 at every t.
  const trajs = groupOf(0, [{
    reward: 1,
    prompt: "Question: rome ?",
    rounds: [searchRound("a", "berlin"), searchRound("b", "paris"), answerRound("paris")],
  }]);
  const names = ["rome", "berlin", "paris"];
  const ids = async (goldEpisode: "prefix" | "full") => {
    const scorer = new TableScorer({ names });
    await scoreGold(batchOf(trajs), { ...DEFAULT, goldEpisode, questions, scorer });
    return scorer.calls[0]!.map((q) => q.target[1]);
  };
  assert.deepEqual(await ids("prefix"), [55, 56, 56]);
  assert.deepEqual(await ids("full"), [56, 56, 56]);
});

Deno.test("a2tgpo scoring: rows with one round are not scored; errors name the problem", async () => {
  const trajs = [
    ...pair(),
    ...groupOf(1, [{ reward: 1, rounds: [{ policy: "<answer> paris </answer>" }] }]),
  ];
  const scorer = new TableScorer();
  const got = await scoreGold(batchOf(trajs), { ...DEFAULT, questions, scorer });
  assert.equal(got.values[2], null);
  assert.deepEqual(Array.from(got.requests), [2, 2, 0]);
  // A golden answer with no tokens is skipped: the row is not scored.
  const empty = new Map([["q0", question("q0", { goldenAnswers: ["  "] })]]);
  const none = await scoreGold(batchOf(pair()), { ...DEFAULT, questions: empty, scorer });
  assert.deepEqual(none.values, [null, null]);
  await assert.rejects(
    () => scoreGold(batchOf(pair()), { ...DEFAULT, questions: new Map(), scorer }),
    /a2tgpo: row 0: question "q0" is unknown/,
  );
  const short = {
    ...scorer,
    stats: scorer.stats,
    encode: (t: string) => wordIds(t),
    logProbs: () => Promise.resolve([new Float32Array(2)]),
  };
  await assert.rejects(
    () => scoreGold(batchOf(pair()), { ...DEFAULT, questions, scorer: short }),
    /a2tgpo: the policy scorer returned 1 results for 4 requests/,
  );
});
