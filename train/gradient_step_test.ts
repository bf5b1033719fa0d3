import assert from "node:assert/strict";
import { detach, initBackend, policyLoss, Rng, tf, Transformer } from "@creditlab/kernels";
import { buildBatch } from "@creditlab/agent";
import { type Aggregation, METRIC } from "@creditlab/core";
import { AdamW } from "./optim.ts";
import { LOSS_BASE, randomTrajectories, TEST_ADAM, TINY_MODEL } from "./_test_utils.ts";
import { behaviourLogProbs, gradientStep } from "./gradient_step.ts";

type StepArgs = Parameters<typeof gradientStep>[0];

/**
 * One gradientStep on a fresh TINY_MODEL (seed 1) under TEST_ADAM; `args` gets the model
 * before the step. Returns the step's result and the updated weights.
 */
function freshStep(args: (model: Transformer) => Omit<StepArgs, "model" | "optimizer">) {
  const model = new Transformer(TINY_MODEL, { rng: new Rng(1) });
  const opt = new AdamW(model.variables(), TEST_ADAM);
  const res = gradientStep({ model, optimizer: opt, ...args(model) });
  const w = model.variables().map((v) => Array.from(v.dataSync()));
  opt.dispose();
  model.dispose();
  return { res, w };
}

function assertSameWeights(a: number[][], b: number[][]): void {
  a.forEach((w, i) =>
    w.forEach((x, j) => assert.ok(Math.abs(x - b[i]![j]!) < 1e-5, `param ${i}[${j}]`))
  );
}

/**
 * `n` random trajectories (drawn from `new Rng(seed)`) and their batch, with random advantages
 * on its policy tokens (drawn next from the same generator).
 */
function randomBatch(seed: number, n: number) {
  const rng = new Rng(seed);
  const trajs = randomTrajectories(rng, n);
  const batch = buildBatch(trajs);
  const adv = Float32Array.from(batch.lossMask, (m) => (m ? rng.normal() : 0));
  return { trajs, batch, adv };
}

for (
  const aggregation of ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"] as const
) {
  Deno.test(`gradientStep: micro-batches give the whole-batch update (${aggregation})`, async () => {
    await initBackend({ backend: "cpu" });
    const { batch, adv } = randomBatch(5, 7);
    const loss = {
      ...LOSS_BASE,
      aggregation: aggregation as Aggregation,
    };
    const run = (rows: number) =>
      freshStep(() => ({
        refModel: undefined,
        batch,
        advantages: adv,
        weights: undefined,
        loss,
        microBatchRows: rows,
      }));
    const whole = run(64), split = run(2);
    assert.equal(whole.res.metrics[METRIC.microBatches], 1);
    assert.equal(split.res.metrics[METRIC.microBatches], 4);
    assert.ok(Math.abs(whole.res.metrics[METRIC.loss]! - split.res.metrics[METRIC.loss]!) < 1e-5);
    assert.ok(
      Math.abs(whole.res.metrics[METRIC.gradNorm]! - split.res.metrics[METRIC.gradNorm]!) < 1e-4,
    );
    assertSameWeights(whole.w, split.w);
  });
}

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

Deno.test("gradientStep on rows with fixed log-probs: the update of the sub-batch alone", async () => {
  await initBackend({ backend: "cpu" });
  const { trajs, batch, adv } = randomBatch(11, 8);
  const loss = { ...LOSS_BASE, klCoef: 0.1, aggregation: "seq-mean-token-mean" as const };
  const rows = [5, 0, 4, 1];
  const ref = new Transformer(TINY_MODEL, { rng: new Rng(3) });
  const update = (args: { sub: boolean }) =>
    freshStep((model) => {
      // The rows as a batch of their own, log-probs computed inside (on-policy, ratio 1); or
      // the rows of the whole batch with the behaviour and reference log-probs passed in.
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
      return { weights: undefined, loss, temperature: 0.7, ...which };
    });
  const a = update({ sub: true }), b = update({ sub: false });
  assert.ok(a.res.metrics[METRIC.kl]! > 0, "the KL term is on");
  assert.ok(Math.abs(a.res.metrics[METRIC.loss]! - b.res.metrics[METRIC.loss]!) < 1e-5);
  assert.ok(Math.abs(a.res.metrics[METRIC.kl]! - b.res.metrics[METRIC.kl]!) < 1e-5);
  assertSameWeights(a.w, b.w);
  ref.dispose();
});

/**
 * Two updates of a fresh model (seed 1, init std 0.3; AdamW at lr 0.05) on all rows of
 * `batch`, both against the log-probs of before the first, so that the second is off-policy;
 * `extra` adds clip scales or micro-batches. Returns each update's metrics and the weights.
 */
function twoUpdates(
  { batch, adv }: ReturnType<typeof randomBatch>,
  extra: Pick<StepArgs, "clipScale" | "microBatchRows">,
) {
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
      ...extra,
      loss: { ...LOSS_BASE, aggregation: "token-mean" },
      rows: [0, 1, 2, 3, 4, 5, 6, 7],
      oldLogProbs: old,
    });
  const first = step().metrics;
  const second = step().metrics;
  const w = model.variables().map((v) => Array.from(v.dataSync()));
  opt.dispose();
  model.dispose();
  return { first, second, w };
}

Deno.test("gradientStep: a second update on the same batch is off-policy and clipped", async () => {
  await initBackend({ backend: "cpu" });
  const { first, second } = twoUpdates(randomBatch(12, 8), {});
  assert.equal(first[METRIC.clipFraction], 0, "first update: ratio 1");
  const clipped = second[METRIC.clipFraction]!;
  assert.ok(clipped > 0, `second update: some ratios leave [0.8, 1.28] (clip fraction ${clipped})`);
});

Deno.test("gradientStep: clip scales reach the loss (1 = no scale, bit for bit; wide = unclipped)", async () => {
  await initBackend({ backend: "cpu" });
  const fixture = randomBatch(12, 8);
  const { batch } = fixture;
  const run = (clipScale: Float32Array | undefined) =>
    twoUpdates(fixture, { ...(clipScale ? { clipScale } : {}), microBatchRows: 3 });
  const none = run(undefined);
  const ones = run(new Float32Array(batch.n * batch.length).fill(1));
  assert.deepEqual(ones, none);
  assert.ok(none.second[METRIC.clipFraction]! > 0, "the unscaled second update clips");
  // A range 1000 times wider: nothing is clipped, and the update differs.
  const wide = run(new Float32Array(batch.n * batch.length).fill(1000));
  assert.equal(wide.second[METRIC.clipFraction], 0, `${none.second[METRIC.clipFraction]}`);
  assert.notDeepEqual(wide.w, none.w);
});
