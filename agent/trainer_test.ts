import assert from "node:assert/strict";
import { detach, initBackend, policyLoss, Rng, tf, Transformer } from "@creditlab/kernels";
import { AdamW } from "./optim.ts";
import { buildBatch } from "./batch.ts";
import { TINY_MODEL } from "./_test_utils.ts";
import { gradientStep, noSuccessShare, stepRng } from "./trainer.ts";
import type { Aggregation, Trajectory } from "./types.ts";

/** Clipping and KL settings of the loss in these tests (the aggregation varies). */
const LOSS_BASE = {
  clipLow: 0.2,
  clipHigh: 0.28,
  dualClip: null,
  klCoef: 0,
  klEstimator: "k3" as const,
};

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
      const opt = new AdamW(model.variables(), {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.99,
        eps: 1e-8,
        weightDecay: 0,
        maxGradNorm: null,
      });
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
    assert.equal(whole.res.metrics["micro_batches"], 1);
    assert.equal(split.res.metrics["micro_batches"], 4);
    assert.ok(Math.abs(whole.res.metrics["loss"]! - split.res.metrics["loss"]!) < 1e-5);
    assert.ok(Math.abs(whole.res.metrics["grad_norm"]! - split.res.metrics["grad_norm"]!) < 1e-4);
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
