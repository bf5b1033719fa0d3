import assert from "node:assert/strict";
import { detach, initBackend, policyLoss, Rng, tf, Transformer } from "@creditlab/kernels";
import { AdamW } from "./optim.ts";
import { buildBatch } from "./batch.ts";
import { TINY_MODEL } from "./_test_utils.ts";
import {
  behaviourLogProbs,
  checkStepResult,
  gradientStep,
  noSuccessShare,
  scoreTrajectories,
  stepRng,
  updatePlan,
} from "./trainer.ts";
import { type Aggregation, METRIC, type Trajectory } from "@creditlab/core";

/** Clipping and KL settings of the loss in these tests (the aggregation varies). */
const LOSS_BASE = {
  clipLow: 0.2,
  clipHigh: 0.28,
  dualClip: null,
  klCoef: 0,
  klEstimator: "k3" as const,
};

/** AdamW of these tests (no gradient clipping, so updates are comparable). */
const TEST_ADAM = {
  lr: 0.01,
  beta1: 0.9,
  beta2: 0.99,
  eps: 1e-8,
  weightDecay: 0,
  maxGradNorm: null,
} as const;

function randomTrajectories(rng: Rng, n: number): Trajectory[] {
  return Array.from({ length: n }, (_, i) => {
    const prompt = Int32Array.from({ length: 2 + rng.int(3) }, () => 4 + rng.int(20));
    const policy = Int32Array.from({ length: 1 + rng.int(6) }, () => 4 + rng.int(20));
    return {
      questionId: `q${i >> 1}`,
      groupId: i >> 1,
      reward: rng.int(2),
      meta: {},
      turns: [
        { role: "observation" as const, tokens: prompt, text: "", round: 0 },
        { role: "policy" as const, tokens: policy, text: "", round: 1 },
      ],
    };
  });
}

for (
  const aggregation of ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"] as const
) {
  Deno.test(`gradientStep: micro-batches give the whole-batch update (${aggregation})`, async () => {
    await initBackend({ backend: "cpu" });
    const rng = new Rng(5);
    const batch = buildBatch(randomTrajectories(rng, 7));
    const adv = Float32Array.from(batch.lossMask, (m) => (m ? rng.normal() : 0));
    const loss = {
      ...LOSS_BASE,
      aggregation: aggregation as Aggregation,
    };
    const run = (rows: number) => {
      const model = new Transformer(TINY_MODEL, { rng: new Rng(1) });
      const opt = new AdamW(model.variables(), TEST_ADAM);
      const res = gradientStep({
        model,
        refModel: undefined,
        optimizer: opt,
        batch,
        advantages: adv,
        weights: undefined,
        loss,
        microBatchRows: rows,
      });
      const w = model.variables().map((v) => Array.from(v.dataSync()));
      opt.dispose();
      model.dispose();
      return { res, w };
    };
    const whole = run(64), split = run(2);
    assert.equal(whole.res.metrics[METRIC.microBatches], 1);
    assert.equal(split.res.metrics[METRIC.microBatches], 4);
    assert.ok(Math.abs(whole.res.metrics[METRIC.loss]! - split.res.metrics[METRIC.loss]!) < 1e-5);
    assert.ok(
      Math.abs(whole.res.metrics[METRIC.gradNorm]! - split.res.metrics[METRIC.gradNorm]!) < 1e-4,
    );
    whole.w.forEach((w, i) =>
      w.forEach((x, j) => assert.ok(Math.abs(x - split.w[i]![j]!) < 1e-5, `param ${i}[${j}]`))
    );
  });
}

Deno.test("trainer helpers: no-success share and per-step random streams", () => {
  const t = (groupId: number, outcome: number): Trajectory => ({
    questionId: "q",
    groupId,
    reward: outcome,
    turns: [],
    meta: { outcome },
  });
  assert.equal(noSuccessShare([t(0, 0), t(0, 1), t(1, 0), t(1, 0)]), 0.5);
  assert.equal(noSuccessShare([]), 0);
  assert.equal(stepRng(3, 7).next(), stepRng(3, 7).next());
  assert.notEqual(stepRng(3, 7).next(), stepRng(3, 8).next());
});

Deno.test("on-policy loss with detached old log-probs has the REINFORCE gradient", async () => {
  await initBackend({ backend: "cpu" });
  const rng = new Rng(9);
  const model = new Transformer(TINY_MODEL, { rng: new Rng(2), initStd: 0.3 });
  const b = 3, t = 6;
  const tokens = tf.tensor2d(
    Int32Array.from({ length: b * t }, () => rng.int(24)),
    [b, t],
    "int32",
  );
  const maskArr = Float32Array.from({ length: b * t }, (_, i) => (i % t >= 2 ? 1 : 0));
  const mask = tf.tensor2d(maskArr, [b, t]);
  const adv = tf.tensor2d(Float32Array.from({ length: b * t }, () => rng.normal()), [b, t]);
  const loss = {
    ...LOSS_BASE,
    aggregation: "token-mean" as const,
  };
  const vars = model.variables();
  const a = tf.variableGrads(() => {
    const lp = model.logProbs(tokens);
    return policyLoss({
      logProbs: lp,
      oldLogProbs: detach(lp),
      advantages: adv,
      mask,
      checkLogProbs: false,
    }, loss).loss as tf.Scalar;
  }, vars);
  // ratio = 1 and no clipping: d/dθ = -sum(A m dlogp) / sum(m)
  const n = maskArr.reduce((x, y) => x + y, 0);
  const r = tf.variableGrads(
    () => tf.div(tf.neg(tf.sum(tf.mul(tf.mul(adv, mask), model.logProbs(tokens)))), n) as tf.Scalar,
    vars,
  );
  for (const v of vars) {
    const ga = a.grads[v.name]!.dataSync(), gr = r.grads[v.name]!.dataSync();
    for (let i = 0; i < ga.length; i++) {
      assert.ok(Math.abs(ga[i]! - gr[i]!) < 1e-5, `${v.name}[${i}]: ${ga[i]} vs ${gr[i]}`);
    }
  }
  model.dispose();
});

Deno.test("updatePlan: whole groups per update, every row once per epoch, one update by default", () => {
  // Group ids interleaved on purpose: groups come from the ids, not from the row order.
  const ids = new Int32Array([7, 3, 7, 3, 9, 9, 5, 5]);
  const probe = new Rng(4);
  // No updates config, or one update covering every group: all rows, and no random draw.
  assert.deepEqual(updatePlan(ids, { updates: undefined, rng: probe }), [[0, 1, 2, 3, 4, 5, 6, 7]]);
  assert.deepEqual(
    updatePlan(ids, { updates: { groupsPerUpdate: 4, epochs: 1 }, rng: probe }),
    [[0, 1, 2, 3, 4, 5, 6, 7]],
  );
  assert.equal(probe.next(), new Rng(4).next(), "a single update draws nothing");
  const plan = updatePlan(ids, { updates: { groupsPerUpdate: 3, epochs: 2 }, rng: new Rng(1) });
  // 4 groups, 3 per update: updates of 3 and 1 groups, twice.
  assert.deepEqual(plan.map((rows) => rows.length), [6, 2, 6, 2]);
  for (const rows of plan) {
    for (const r of rows) {
      const mates = [...ids.keys()].filter((k) => ids[k] === ids[r]);
      assert.ok(mates.every((k) => rows.includes(k)), `update ${rows} splits group ${ids[r]}`);
    }
  }
  for (const epoch of [plan.slice(0, 2), plan.slice(2)]) {
    assert.deepEqual(epoch.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
  }
  // Seeded: the same stream gives the same plan.
  assert.deepEqual(
    updatePlan(ids, { updates: { groupsPerUpdate: 1, epochs: 3 }, rng: new Rng(8) }),
    updatePlan(ids, { updates: { groupsPerUpdate: 1, epochs: 3 }, rng: new Rng(8) }),
  );
  assert.throws(
    () => updatePlan(ids, { updates: { groupsPerUpdate: 0, epochs: 1 }, rng: new Rng(1) }),
    /RlConfig\.updates\.groupsPerUpdate: expected an integer >= 1, got 0/,
  );
  assert.throws(
    () => updatePlan(ids, { updates: { groupsPerUpdate: 2, epochs: 1.5 }, rng: new Rng(1) }),
    /RlConfig\.updates\.epochs: expected an integer >= 1, got 1\.5/,
  );
});

Deno.test("gradientStep on rows with fixed log-probs: the update of the sub-batch alone", async () => {
  await initBackend({ backend: "cpu" });
  const rng = new Rng(11);
  const trajs = randomTrajectories(rng, 8);
  const batch = buildBatch(trajs);
  const adv = Float32Array.from(batch.lossMask, (m) => (m ? rng.normal() : 0));
  const loss = { ...LOSS_BASE, klCoef: 0.1, aggregation: "seq-mean-token-mean" as const };
  const rows = [5, 0, 4, 1];
  const ref = new Transformer(TINY_MODEL, { rng: new Rng(3) });
  const update = (args: { sub: boolean }) => {
    const model = new Transformer(TINY_MODEL, { rng: new Rng(1) });
    const opt = new AdamW(model.variables(), TEST_ADAM);
    // The rows as a batch of their own, log-probs computed inside (on-policy, ratio 1); or the
    // rows of the whole batch with the behaviour and reference log-probs passed in.
    const b2 = buildBatch(rows.map((r) => trajs[r]!));
    const a2 = new Float32Array(b2.n * b2.length);
    rows.forEach((r, i) =>
      a2.set(adv.subarray(r * batch.length, r * batch.length + b2.length), i * b2.length)
    );
    const which = args.sub ? { batch: b2, advantages: a2, refModel: ref } : {
      batch,
      advantages: adv,
      refModel: undefined,
      rows,
      oldLogProbs: behaviourLogProbs(model, batch, { temperature: 0.7 }),
      refLogProbs: behaviourLogProbs(ref, batch, { temperature: 0.7 }),
    };
    const res = gradientStep({
      model,
      optimizer: opt,
      weights: undefined,
      loss,
      temperature: 0.7,
      ...which,
    });
    const w = model.variables().map((v) => Array.from(v.dataSync()));
    opt.dispose();
    model.dispose();
    return { res, w };
  };
  const a = update({ sub: true }), b = update({ sub: false });
  assert.ok(a.res.metrics[METRIC.kl]! > 0, "the KL term is on");
  assert.ok(Math.abs(a.res.metrics[METRIC.loss]! - b.res.metrics[METRIC.loss]!) < 1e-5);
  assert.ok(Math.abs(a.res.metrics[METRIC.kl]! - b.res.metrics[METRIC.kl]!) < 1e-5);
  a.w.forEach((w, i) =>
    w.forEach((x, j) => assert.ok(Math.abs(x - b.w[i]![j]!) < 1e-5, `param ${i}[${j}]`))
  );
  ref.dispose();
});

Deno.test("gradientStep: a second update on the same batch is off-policy and clipped", async () => {
  await initBackend({ backend: "cpu" });
  const rng = new Rng(12);
  const batch = buildBatch(randomTrajectories(rng, 8));
  const adv = Float32Array.from(batch.lossMask, (m) => (m ? rng.normal() : 0));
  const loss = { ...LOSS_BASE, aggregation: "token-mean" as const };
  const model = new Transformer(TINY_MODEL, { rng: new Rng(1), initStd: 0.3 });
  const opt = new AdamW(model.variables(), { ...TEST_ADAM, lr: 0.05 });
  const old = behaviourLogProbs(model, batch, { temperature: 1 });
  const step = () =>
    gradientStep({
      model,
      refModel: undefined,
      optimizer: opt,
      batch,
      advantages: adv,
      weights: undefined,
      loss,
      rows: [0, 1, 2, 3, 4, 5, 6, 7],
      oldLogProbs: old,
    });
  assert.equal(step().metrics[METRIC.clipFraction], 0, "first update: ratio 1");
  const second = step().metrics[METRIC.clipFraction]!;
  assert.ok(second > 0, `second update: some ratios leave [0.8, 1.28] (clip fraction ${second})`);
  opt.dispose();
  model.dispose();
});

Deno.test("scoreTrajectories: outcome, then the method's rewards, records and metrics", () => {
  const traj = (groupId: number, answer?: string): Trajectory => ({
    questionId: "q",
    groupId,
    reward: 0,
    turns: [],
    meta: {},
    ...(answer !== undefined ? { answer } : {}),
  });
  const questions = new Map([["q", {
    id: "q",
    question: "?",
    goldenAnswers: ["paris"],
    benchmark: "t",
    split: "train",
  }]]);
  const base = {
    name: "m",
    summary: "",
    defaults: null,
    step: () => ({ advantages: new Float32Array(0), metrics: {} }),
    loss: () => ({ ...LOSS_BASE, aggregation: "token-mean" as const }),
    dynamicSampling: () => ({ kind: "off" as const }),
  };
  const ctx = {
    config: null,
    questions,
    resources: { search: { search: () => Promise.resolve([]) }, get: () => undefined as never },
    rng: new Rng(1),
    step: 0,
  };
  const trajs = [traj(0, "Paris"), traj(0, "rome"), traj(1)];
  // Default: the exact-match outcome.
  const plain = scoreTrajectories(trajs, { questions, method: base, ctx });
  assert.deepEqual(trajs.map((t) => [t.meta.outcome, t.reward]), [[1, 1], [0, 0], [0, 0]]);
  assert.deepEqual(plain, { records: [undefined, undefined, undefined], metrics: {} });
  // A method's per-round rewards see the whole round (outcomes and group ids).
  const shaped = scoreTrajectories(trajs, {
    questions,
    ctx,
    method: {
      ...base,
      rewards: (input) => ({
        rewards: Float32Array.from(input.outcomes, (o, i) => o + input.groupIds[i]!),
        records: [{ calls: { x: 1 } }, undefined, undefined],
        metrics: { "m/count": input.trajectories.length },
      }),
    },
  });
  assert.deepEqual(trajs.map((t) => t.reward), [1, 0, 1]);
  assert.deepEqual(shaped.records, [{ calls: { x: 1 } }, undefined, undefined]);
  assert.deepEqual(shaped.metrics, { "m/count": 3 });
  // Metrics outside the method's namespace, non-finite rewards and wrong lengths are errors.
  const bad = (rewards: Float32Array, metrics: Record<string, number> = {}) => () =>
    scoreTrajectories(trajs, {
      questions,
      ctx,
      method: { ...base, rewards: () => ({ rewards, metrics }) },
    });
  assert.throws(bad(new Float32Array(3), { "reward/x": 1 }), /metrics are named "m\/<name>"/);
  assert.throws(bad(Float32Array.of(0, NaN, 0)), /reward of question q is NaN/);
  assert.throws(bad(new Float32Array(2)), /Float32Array of 3 rewards/);
});

Deno.test("checkStepResult: lengths, records and metric names against the batch", () => {
  const batch = buildBatch(randomTrajectories(new Rng(2), 2));
  const tokens = batch.n * batch.length;
  const ok = { advantages: new Float32Array(tokens), metrics: { "m/a": 1 } };
  assert.equal(checkStepResult("m", ok, batch), ok);
  assert.throws(
    () => checkStepResult("m", { ...ok, advantages: new Float32Array(1) }, batch),
    /advantages has 1 entries/,
  );
  assert.throws(
    () => checkStepResult("m", { ...ok, lossWeights: new Float32Array(1) }, batch),
    /lossWeights has 1 entries/,
  );
  assert.throws(() => checkStepResult("m", { ...ok, records: [] }, batch), /0 records for 2 rows/);
  assert.throws(() => checkStepResult("m", { ...ok, metrics: { loss: 1 } }, batch), /"m\/<name>"/);
});
