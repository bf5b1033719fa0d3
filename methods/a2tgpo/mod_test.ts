import assert from "node:assert/strict";
import type { RoundScore, Trajectory } from "@creditlab/core";
import { getMethod } from "@creditlab/train";
import { initBackend, policyLoss, Rng, tf } from "@creditlab/kernels";
import "../grpo/mod.ts";
import {
  assertPerToken,
  batchOf,
  contextOf,
  question,
  r4,
  randomTrajectories,
  referenceAdvantage,
  rowsOf,
} from "../testing.ts";
import { a2tgpo, A2TGPO_DEFAULTS, A2TGPO_PAPER, type A2tgpoConfig } from "./mod.ts";
import { TableScorer, wordIds } from "./test_scorer.ts";
import { cfg, ladder, pair } from "./test_fixtures.ts";

const ctxOf = (c: A2tgpoConfig, scorer: TableScorer, golden = ["paris"]) =>
  contextOf(c, {
    questions: [question("q0", { goldenAnswers: golden })],
    resources: { "policy-scorer": scorer },
  });

Deno.test("a2tgpo: registered, with its card, regime, resources and paper", () => {
  assert.equal(getMethod("a2tgpo"), a2tgpo);
  assert.equal(a2tgpo.regime, "long-chains");
  assert.deepEqual(a2tgpo.resources!(A2TGPO_DEFAULTS), [{ kind: "policy-scorer" }]);
  assert.deepEqual(a2tgpo.resources!(cfg({ gainCoef: 0 })), [{ kind: "policy-scorer" }]);
  assert.deepEqual(a2tgpo.resources!(cfg({ gainCoef: 0, clipBeta: 0 })), []);
  assert.deepEqual(a2tgpo.groupLocal, { rewards: true, step: false });
  assert.deepEqual(a2tgpo.loss(A2TGPO_DEFAULTS).clipLow, 0.2);
  assert.equal(A2TGPO_PAPER.arxiv, "2605.06200");
});

Deno.test("a2tgpo: golden step on two 2-round trajectories (hand-worked)", async () => {
  // scoring_test: p = [1/68, 1/37] (A) and [1/68, 1/74] (B); gains 0.012321 and -0.0011924.
  // Two gains at turn 1 (eps 0): z = +-(d/2) / (|d|/sqrt 2) = +-0.7071; T = z / sqrt(1).
  // GRPO (rewards 1, 0; eps 0): A_i = +-0.5 / 0.7071 = +-0.7071.
  // Round 1 tokens: +-(0.7071 + 0.7071) = +-1.4142; answer round +-0.7071.
  // Clip scale round 1: 1 + 0.3 tanh(0.7071 / 2) = 1.1019 (A), 0.8981 (B); 1 elsewhere.
  const scorer = new TableScorer();
  const trajs = pair();
  const batch = batchOf(trajs, { padTo: 16 });
  const res = await a2tgpo.step(batch, ctxOf(cfg({ eps: 0 }), scorer));
  const sign = [1, -1];
  assertPerToken(
    res.advantages,
    trajs,
    batch.length,
    (_t, r) => (u) => sign[r]! * (u.round === 1 ? 1.4142 : 0.7071),
    { tol: 1e-4, label: "golden" },
  );
  const policy = (
    r: number,
    k: number,
  ) => (r === 0 ? (k === 1 ? 1.1019 : 1) : k === 1 ? 0.8981 : 1);
  // Per row: prompt 3, round-1 search 3 + result 3, answer 3, padding 4.
  assert.deepEqual(
    rowsOf(res.clipScale!, batch).map(r4),
    [0, 1].map((r) => [
      ...[1, 1, 1],
      ...[policy(r, 1), policy(r, 1), policy(r, 1), 1, 1, 1],
      ...[1, 1, 1],
    ]),
  );
  assert.deepEqual(Array.from(res.clipScale!.subarray(12, 16)), [1, 1, 1, 1]);
  const rec = res.records!;
  assert.deepEqual(r4(rec[0]!.rounds.values), [0.0123]);
  assert.deepEqual(r4(rec[1]!.rounds.values), [-0.0012]);
  assert.deepEqual([rec[0]!.normalized, rec[0]!.terms, rec[0]!.clipScales].map(r4), [
    [0.7071],
    [0.7071],
    [1.1019],
  ]);
  assert.deepEqual(r4(rec[0]!.goldProbs), r4([1 / 68, 1 / 37]));
  assert.deepEqual(rec[1]!.calls, { scorer: 2 });
  // Metrics: mean gain (0.012321 - 0.0011924) / 2 = 0.005564; clip scales 1.1019 and 0.8981
  // (mean 1); 4 requests of contexts 3 + 9 + 3 + 9 and targets of 2 = 32 tokens.
  const m = res.metrics;
  assert.equal(m["a2tgpo/scored_trajectories"], 2);
  assert.equal(m["a2tgpo/scored_turns"], 2);
  assert.equal(m["a2tgpo/gain_mean"]!.toFixed(6), "0.005564");
  assert.equal(m["a2tgpo/clip_scale_mean"]!.toFixed(6), "1.000000");
  assert.deepEqual(r4([m["a2tgpo/clip_scale_min"]!, m["a2tgpo/clip_scale_max"]!]), [
    0.8981,
    1.1019,
  ]);
  assert.equal(m["a2tgpo/scorer_requests"], 4);
  assert.equal(m["a2tgpo/calls/scorer_forward_passes"], 4);
  assert.equal(m["a2tgpo/scorer_tokens"], 32);
});

/** Trajectories of variable turn counts in groups 0..2 (testing.ts), asking about "q0". */
function randomBatch(seed: number) {
  const trajs = randomTrajectories(new Rng(seed), {} as Record<string, RoundScore>, {
    maxSearches: 4,
  });
  return { trajs, batch: batchOf(trajs, { padTo: 60 }) };
}

Deno.test("a2tgpo: no information gain => exactly GRPO (getMethod('grpo')), clip scales 1", async () => {
  await initBackend({ backend: "cpu" });
  const grpo = getMethod("grpo");
  for (let seed = 0; seed < 8; seed++) {
    const { batch } = randomBatch(seed);
    const c = cfg({ turnNormalization: seed % 2 ? "group-joint" : "per-turn-index", gamma: 0.8 });
    const want = (await grpo.step(batch, contextOf(c))).advantages;
    // A scorer that ignores the context: the gold's probability is the same after every turn.
    const scorer = new TableScorer({ seed, context: "ignored" });
    const res = await a2tgpo.step(batch, ctxOf(c, scorer));
    assert.deepEqual(res.advantages, want, `seed ${seed}`);
    assert.ok(res.clipScale!.every((s) => s === 1), `seed ${seed}`);
    assert.ok(res.metrics["a2tgpo/scored_turns"]! > 0, "turns were scored");
    // So the loss is GRPO's, bit for bit.
    if (seed === 0) {
      const shape: [number, number] = [batch.n, batch.length];
      const lp = tf.tensor2d(Float32Array.from(batch.tokens, (t) => -0.1 * (t % 7)), shape);
      const old = tf.tensor2d(Float32Array.from(batch.tokens, (t) => -0.12 * (t % 5)), shape);
      const args = { logProbs: lp, oldLogProbs: old, mask: tf.tensor2d(batch.lossMask, shape) };
      const loss = (adv: Float32Array, clipScale?: Float32Array) =>
        policyLoss({
          ...args,
          advantages: tf.tensor2d(adv, shape),
          ...(clipScale ? { clipScale: tf.tensor2d(clipScale, shape) } : {}),
        }, { ...a2tgpo.loss(c), klCoef: 0 }).loss.dataSync()[0];
      assert.equal(loss(res.advantages, res.clipScale), loss(want));
    }
    // gainCoef 0 and clipBeta 0: GRPO without asking for the scorer (none is granted here).
    const off = await a2tgpo.step(batch, contextOf(cfg({ gainCoef: 0, clipBeta: 0 })));
    assert.deepEqual(off.advantages, want);
    assert.equal(off.clipScale, undefined);
  }
});

Deno.test("a2tgpo: per-turn-index and group-joint normalisation differ on 2, 3, 4 rounds", async () => {
  const trajs = ladder();
  const batch = batchOf(trajs);
  const run = async (turnNormalization: A2tgpoConfig["turnNormalization"]) =>
    await a2tgpo.step(batch, ctxOf(cfg({ turnNormalization }), new TableScorer()));
  const idx = await run("per-turn-index"), joint = await run("group-joint");
  // Same gains; per index, turn 3 is reached by one trajectory only: its z is 0.
  assert.deepEqual(idx.records![2]!.rounds, joint.records![2]!.rounds);
  assert.equal(idx.records![2]!.normalized[2], 0);
  assert.notEqual(joint.records![2]!.normalized[2], 0);
  assert.notDeepEqual(idx.advantages, joint.advantages);
  assert.notDeepEqual(idx.clipScale, joint.clipScale);
});

/** The whole step by plain loops: p_t from the model's log-probs, z, T, A and s by hand. */
function plainStep(trajs: Trajectory[], scorer: TableScorer, c: A2tgpoConfig, gold: string) {
  const open = wordIds("<answer>"), body = wordIds(gold);
  const target = [...open, ...body];
  const gains = trajs.map((t) => {
    const K = t.turns.reduce((a, u) => (u.role === "policy" ? Math.max(a, u.round) : a), 0);
    const v = Array.from({ length: K }, (_, s) => {
      const ctx = t.turns.filter((u) => u.round <= s).flatMap((u) => Array.from(u.tokens));
      let sum = 0;
      for (let j = open.length; j < target.length; j++) {
        sum += scorer.logProb(target[j]!, [...ctx, ...target.slice(0, j)]);
      }
      return Math.fround(sum / body.length);
    });
    return v.slice(1).map((x, k) =>
      c.infoGain === "prob-diff" ? Math.exp(x) - Math.exp(v[k]!) : x - v[k]!
    );
  });
  const z = (r: number, k: number) => {
    const set = trajs.flatMap((u, j) =>
      u.groupId !== trajs[r]!.groupId
        ? []
        : gains[j]!.filter((_, i) => c.turnNormalization === "group-joint" || i === k)
    );
    if (set.length === 1) return 0;
    const mean = set.reduce((a, b) => a + b, 0) / set.length;
    const sd = Math.sqrt(set.reduce((a, b) => a + (b - mean) ** 2, 0) / (set.length - 1));
    return (gains[r]![k]! - mean) / (sd + c.eps);
  };
  const term = (r: number, k: number) => {
    const m = gains[r]!.length;
    let s = 0;
    for (let j = k; j < m; j++) s += c.gamma ** (j - k) * z(r, j);
    return c.rescale === "none" ? s : s / Math.sqrt(m - k);
  };
  return {
    adv: (t: Trajectory, r: number) => (k: number) => {
      const a = referenceAdvantage(trajs, t, c);
      return k <= gains[r]!.length ? a + c.gainCoef * term(r, k - 1) : a;
    },
    scale: (r: number, k: number) =>
      k >= 1 && k <= gains[r]!.length ? 1 + c.clipBeta * (2 / (1 + Math.exp(-z(r, k - 1))) - 1) : 1,
  };
}

Deno.test("a2tgpo: the step equals a plain end-to-end loop (seeds, options)", async () => {
  for (let seed = 0; seed < 12; seed++) {
    const { trajs, batch } = randomBatch(100 + seed);
    const c = cfg({
      infoGain: seed % 2 ? "log-prob-diff" : "prob-diff",
      turnNormalization: seed % 3 ? "per-turn-index" : "group-joint",
      rescale: seed % 4 === 3 ? "none" : "sqrt-count",
      gamma: [1, 0.6, 0.9][seed % 3]!,
      gainCoef: [1, 0.5, 2][seed % 3]!,
      clipBeta: [0.3, 0.1, 0.5][(seed >> 1) % 3]!,
    });
    const scorer = new TableScorer({ seed });
    const res = await a2tgpo.step(batch, ctxOf(c, scorer, ["r1"]));
    const ref = plainStep(trajs, new TableScorer({ seed }), c, "r1");
    const label = `seed ${seed}`;
    assertPerToken(res.advantages, trajs, batch.length, (t, r) => (u) => ref.adv(t, r)(u.round), {
      tol: 2e-4,
      label,
    });
    let i = 0;
    trajs.forEach((t, r) => {
      for (const u of t.turns) {
        for (let j = 0; j < u.tokens.length; j++, i++) {
          const want = u.role === "policy" ? ref.scale(r, u.round) : 1;
          assert.ok(Math.abs(res.clipScale![i]! - want) < 1e-4, `${label} row ${r} token ${i}`);
        }
      }
      i = (r + 1) * batch.length;
    });
  }
});

Deno.test("a2tgpo: config validation names the field", async () => {
  const bad: [Partial<A2tgpoConfig>, RegExp][] = [
    [{ infoGain: "kl" as "prob-diff" }, /field "infoGain" must be "prob-diff" \| "log-prob-diff"/],
    [{ turnNormalization: "x" as "group-joint" }, /field "turnNormalization"/],
    [{ rescale: "sqrt" as "none" }, /field "rescale"/],
    [{ gamma: 1.5 }, /field "gamma" must be in \[0, 1\], got 1.5/],
    [{ gainCoef: -1 }, /field "gainCoef" must be a finite number >= 0, got -1/],
    [{ clipBeta: -0.1 }, /field "clipBeta" must be in \[0, 1\)/],
    [
      { clipBeta: 0.9, clipLow: 0.6 },
      /field "clipBeta" must be a value with clipLow \* \(1 \+ clipBeta\) < 1/,
    ],
    [{ gold: "all" as "max" }, /field "gold"/],
    [{ answerSpan: "close" as "answer" }, /field "answerSpan"/],
    [{ goldEpisode: "none" as "full" }, /field "goldEpisode"/],
    [{ eps: -1 }, /a2tgpo config: field "eps"/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(() => a2tgpo.loss(cfg(patch)), re);
    await assert.rejects(async () => await a2tgpo.step(batchOf(pair()), contextOf(cfg(patch))), re);
  }
});
