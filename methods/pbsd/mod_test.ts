import assert from "node:assert/strict";
import type { PolicyScorer } from "@creditlab/core";
import { Rng } from "@creditlab/kernels";
import { getMethod } from "@creditlab/train";
import { creditRecords } from "../../interchange/credit.ts";
import { handRecord } from "../../interchange/testing.ts";
import { grpoLoss } from "../grpo/mod.ts";
import { judgedRounds } from "../round_judge.ts";
import { batchOf, contextOf, question, randomTrajectories } from "../testing.ts";
import { pbsd, PBSD_PAPER, type PbsdConfig, validatePbsdConfig } from "./mod.ts";
import { CopyScorer } from "./test_scorer.ts";
import { A_GOLDEN, cfg, expectRow, goldenGroup, run } from "./test_fixtures.ts";

Deno.test("pbsd: registered; regime, resources, loss; config validation names the field", () => {
  assert.equal(getMethod("pbsd"), pbsd);
  assert.equal(pbsd.regime, "long-chains");
  assert.deepEqual(pbsd.resources!(pbsd.defaults), [{ kind: "policy-scorer" }]);
  assert.deepEqual(pbsd.resources!(cfg({ creditCoef: 0 })), []);
  assert.deepEqual(pbsd.loss(pbsd.defaults), grpoLoss(pbsd.defaults));
  assert.deepEqual(pbsd.groupLocal, { rewards: true, step: false });
  validatePbsdConfig(pbsd.defaults);
  const gold = pbsd.defaults.goldContext;
  const bad: [Partial<PbsdConfig>, RegExp][] = [
    [
      { goldContext: { ...gold, template: "gold answer" } },
      /"goldContext.template" must be a string containing "\{answer\}"/,
    ],
    [
      { goldContext: { ...gold, placement: "middle" as "after-prompt" } },
      /"goldContext.placement"/,
    ],
    [{ goldContext: { ...gold, answers: "some" as "all" } }, /"goldContext.answers"/],
    [{ goldContext: null as unknown as PbsdConfig["goldContext"] }, /field "goldContext"/],
    [
      { studentLogProbs: "rollout" as "sampled" },
      /"studentLogProbs" must be "recompute" \| "sampled"/,
    ],
    [{ granularity: "step" as "turn" }, /"granularity"/],
    [{ scoredRounds: "last" as "all" }, /"scoredRounds"/],
    [{ turnCredit: "max" as "sum" }, /"turnCredit"/],
    [{ creditCoef: NaN }, /"creditCoef" must be a finite number >= 0/],
    [{ negativeAdvantage: "flip" as "mirror" }, /"negativeAdvantage"/],
    [{ weightClip: { min: 1.5, max: 2 } }, /"weightClip.min" must be in \[0, 1\], got 1.5/],
    [{ weightClip: { min: 0.5, max: 0.9 } }, /"weightClip.max" must be a finite number >= 1/],
    [{ weightClip: 2 as unknown as PbsdConfig["weightClip"] }, /field "weightClip"/],
    [{ eps: -1 }, /pbsd config: field "eps"/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(() => validatePbsdConfig(cfg(patch)), re);
    assert.throws(() => pbsd.loss(cfg(patch)), re); // the family validates before every call
  }
  assert.equal(PBSD_PAPER.arxiv, "2606.09348");
});

Deno.test("pbsd: hand-worked group, default config (copy-model test double)", async () => {
  const batch = batchOf(goldenGroup());
  const scorer = new CopyScorer();
  const res = await run(batch, cfg(), scorer);
  // Copy model: P(y | c) = (1 + n_y) / (64 + |c|). Teacher context = prompt [15] + gold
  // [8, 10, 5, 9] (G = 4); student context = prompt. At target token t with L tokens before it
  // in the student's context: delta_t = ln((1 + n_y + g_y) / (1 + n_y)) - ln((68 + L) / (64 + L)).
  // Rows 0 and 1, round 1 [12, 9, 13] at L = 1, 2, 3 (only 9 is a gold id):
  //   c_1 = -ln(69/65) + (ln 2 - ln(70/66)) - ln(71/67)
  //       = -0.059719 + 0.693147 - 0.058841 - 0.057987 = 0.516600
  // round 2 [12, 6, 13] at L = 7, 8, 9 (12 and 13 seen once before: ln(2/2) = 0):
  //   c_2 = -ln(75/71) - ln(76/72) - ln(77/73) = -0.054808 - 0.054067 - 0.053346 = -0.162221
  // Row 3, round 1 [12, 6, 13] at L = 1, 2, 3: c = -(0.059719 + 0.058841 + 0.057987) = -0.176547
  // Weights w = 2 softmax(s c) over rounds 1, 2: c_1 - c_2 = 0.678821, e^-0.678821 = 0.507214
  //   row 0 (A > 0): [2 / 1.507214, 2 * 0.507214 / 1.507214] = [1.326951, 0.673049]
  //   row 1 (A < 0, mirrored): [0.673049, 1.326951]; row 3: one turn, w = 1
  const A = A_GOLDEN;
  const adv = res.advantages;
  expectRow(batch, adv, 0, A, [1.326951, 0.673049]);
  expectRow(batch, adv, 1, -A, [0.673049, 1.326951]);
  expectRow(batch, adv, 2, -A, []);
  expectRow(batch, adv, 3, A, [1]);
  const close = (got: readonly number[], want: number[]) =>
    want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-5, `${got} vs ${want}`));
  const rec = res.records!;
  close(rec[0]!.rounds.values, [0.5166, -0.162221]);
  close(rec[0]!.weights, [1.326951, 0.673049]);
  assert.deepEqual(rec[0]!.calls, { scorer: 2 });
  close(rec[1]!.weights, [0.673049, 1.326951]);
  assert.equal(rec[2], undefined);
  close(rec[3]!.rounds.values, [-0.176547]);
  assert.equal(rec[3]!.rounds.label, "turn credit");
  // The requests: row 0's teacher = ([15, 8, 10, 5, 9], 9 targets), student = ([15], same).
  assert.equal(scorer.calls.length, 1);
  const [teacher, student] = scorer.calls[0]!;
  assert.deepEqual(Array.from(teacher!.context), [15, 8, 10, 5, 9]);
  assert.deepEqual(Array.from(teacher!.target), [12, 9, 13, 17, 7, 18, 12, 6, 13]);
  assert.deepEqual(Array.from(student!.context), [15]);
  const m = res.metrics;
  // 5 scored turns: credits 0.5166, -0.162221 (rows 0, 1), -0.176547 (row 3): mean 0.106442;
  // positive: 2 of 5; largest weights 1.326951, 1.326951, 1: mean 1.217967
  assert.equal(m["pbsd/scored_trajectories"], 3);
  assert.equal(m["pbsd/scored_turns"], 5);
  assert.ok(Math.abs(m["pbsd/credit_mean"]! - 0.106442) < 1e-5);
  assert.equal(m["pbsd/positive_credit_share"], 0.4);
  assert.ok(Math.abs(m["pbsd/weight_max_mean"]! - 1.217967) < 1e-5);
  // scorer growth: 6 requests; tokens: rows 0, 1 (1 + 9) + (5 + 9) = 24 each, row 3
  // (1 + 3) + (5 + 3) = 12: 60
  assert.equal(m["pbsd/scorer_requests"], 6);
  assert.equal(m["pbsd/calls/scorer_forward_passes"], 6);
  assert.equal(m["pbsd/scorer_tokens"], 60);
  for (const k of Object.keys(m)) assert.ok(k.startsWith("pbsd/"), k);
  // a second step reports only its own growth of the scorer's counters
  const again = await run(batch, cfg(), scorer);
  assert.equal(again.metrics["pbsd/scorer_requests"], 6);
  assert.equal(scorer.stats.requests, 12);
});

Deno.test("pbsd: equals GRPO when the teacher ignores the gold answer (random batches)", async () => {
  const grpo = getMethod("grpo");
  let scored = 0;
  for (let seed = 0; seed < 12; seed++) {
    const rng = new Rng(300 + seed);
    const batch = batchOf(randomTrajectories(rng, {}, { maxSearches: 4 }), { padTo: 80 });
    const config = cfg({
      normalizeStd: rng.next() < 0.5,
      granularity: rng.next() < 0.5 ? "turn" : "token",
      scoredRounds: rng.next() < 0.5 ? "non-final" : "all",
      creditCoef: 0.5 + 2 * rng.next(),
    });
    const scorer = new CopyScorer({ context: "ignored" });
    const res = await run(batch, config, scorer);
    const want = (await grpo.step(batch, contextOf(config))).advantages;
    assert.deepEqual(res.advantages, want, `seed ${seed}`);
    // the scorer was asked (credit 0 everywhere), unlike with creditCoef 0 below
    for (const r of res.records!) if (r) assert.ok(r.rounds.values.every((c) => c === 0));
    scored += res.records!.filter((r) => r !== undefined).length;
  }
  assert.ok(scored > 12, `only ${scored} scored rows: the check would be vacuous`);
});

Deno.test("pbsd: creditCoef 0 is exactly GRPO, with no scorer at all", async () => {
  const grpo = getMethod("grpo");
  for (let seed = 0; seed < 6; seed++) {
    const batch = batchOf(randomTrajectories(new Rng(500 + seed), {}, { maxSearches: 3 }));
    const config = cfg({ creditCoef: 0 });
    const res = await run(batch, config, null);
    assert.deepEqual(res.advantages, (await grpo.step(batch, contextOf(config))).advantages);
    assert.ok(res.records!.every((r) => r === undefined));
    assert.equal(res.metrics["pbsd/scorer_requests"], 0);
  }
});

Deno.test("pbsd: missing scorer, question, golden answer or sampled log-probs, and bad scorer output are errors", async () => {
  const batch = batchOf(goldenGroup());
  await assert.rejects(() => run(batch, cfg(), null), /no "policy-scorer" resource was granted/);
  await assert.rejects(
    () => run(batch, cfg(), new CopyScorer(), [question("other")]),
    /no question with id q0 in the step's context \(row 0\)/,
  );
  await assert.rejects(
    () => run(batch, cfg(), new CopyScorer(), [question("q0", { goldenAnswers: [] })]),
    /question q0 has no golden answer/,
  );
  await assert.rejects(
    () => run(batch, cfg({ studentLogProbs: "sampled" })),
    /needs Turn.sampledLogProbs on every policy turn; row 0 round 1 has none for 3 tokens/,
  );
  const copy = new CopyScorer();
  const short: PolicyScorer = {
    encode: (t) => copy.encode(t),
    logProbs: (rs) => Promise.resolve(rs.map((r) => new Float32Array(r.target.length - 1))),
    stats: copy.stats,
  };
  await assert.rejects(
    () => run(batch, cfg(), short),
    /returned 8 log-probs for row 0's 9 target tokens/,
  );
  const few: PolicyScorer = { ...short, logProbs: () => Promise.resolve([]) };
  await assert.rejects(() => run(batch, cfg(), few), /returned 0 arrays for 6 requests/);
  const nan: PolicyScorer = {
    ...short,
    logProbs: (rs) => Promise.resolve(rs.map((r) => new Float32Array(r.target.length).fill(NaN))),
  };
  await assert.rejects(() => run(batch, cfg(), nan), /row 0 token 1: teacher log-prob NaN/);
});

Deno.test("pbsd: the credit service refuses it (no policy weights) unless creditCoef is 0", async () => {
  const rec = (id: string, answer: string) =>
    handRecord(id, answer, {
      turns: [
        { role: "policy", round: 1, text: "<search> ann </search>", ids: [7, 8] },
        { role: "observation", round: 1, text: "<information> d </information>", ids: [9] },
        { role: "policy", round: 2, text: `<answer> ${answer} </answer>`, ids: [10] },
      ],
    });
  const records = [rec("a", "ann"), rec("b", "bob")];
  const method = pbsd as unknown as Parameters<typeof creditRecords>[1];
  await assert.rejects(
    () => creditRecords(records, method, { judgedRounds }),
    /method pbsd: .*"policy-scorer"/,
  );
  const grpoLike = await creditRecords(records, method, {
    judgedRounds,
    config: cfg({ creditCoef: 0 }),
  });
  assert.ok(grpoLike.records[0]!.advantages![0]! > 0);
});
