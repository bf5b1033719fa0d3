import assert from "node:assert/strict";
import { initBackend, tf } from "@creditlab/kernels";
import { AdamW, addGradients, learningRateAt } from "./optim.ts";

const cfg = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: null };

Deno.test("AdamW: first step moves each weight by lr * sign(g) (hand-checked)", async () => {
  await tf.setBackend("cpu");
  const w = tf.variable(tf.tensor1d([1, -2, 3]));
  const opt = new AdamW([w], cfg);
  const rep = opt.apply([tf.tensor1d([0.5, -4, 0])]);
  assert.equal(rep.applied, true);
  assert.ok(Math.abs(rep.gradNorm - Math.sqrt(0.25 + 16)) < 1e-6);
  const got = Array.from(w.dataSync());
  // m_hat = g, v_hat = g^2 -> update = g / (|g| + eps) = sign(g); zero gradient -> no move
  [0.9, -1.9, 3].forEach((x, i) => assert.ok(Math.abs(got[i]! - x) < 1e-6, `w[${i}] = ${got[i]}`));
  opt.dispose();
  w.dispose();
});

Deno.test("AdamW: global-norm clipping, weight decay, and non-finite gradients skip", async () => {
  await tf.setBackend("cpu");
  const w = tf.variable(tf.tensor1d([1, 1]));
  const opt = new AdamW([w], { ...cfg, lr: 0.01, weightDecay: 0.5, maxGradNorm: 1 });
  const rep = opt.apply([tf.tensor1d([3, 4])]);
  assert.equal(rep.gradNorm, 5);
  // clipped g = (0.6, 0.8); first step update = sign + wd * w = 1 + 0.5
  for (const x of w.dataSync()) assert.ok(Math.abs(x - (1 - 0.01 * 1.5)) < 1e-6);
  const before = Array.from(w.dataSync());
  const bad = opt.apply([tf.tensor1d([Number.NaN, 1])]);
  assert.equal(bad.applied, false);
  assert.deepEqual(Array.from(w.dataSync()), before);
  assert.equal(opt.step, 1);
  opt.dispose();
  w.dispose();
});

Deno.test("learningRateAt: linear warm-up to lr, then constant (hand-checked)", () => {
  const w = { ...cfg, lr: 0.1, warmupSteps: 4 };
  assert.deepEqual([1, 2, 3, 4, 5, 100].map((t) => learningRateAt(w, t)), [
    0.025,
    0.05,
    0.07500000000000001,
    0.1,
    0.1,
    0.1,
  ]);
  assert.equal(learningRateAt(cfg, 1), 0.1);
  assert.equal(learningRateAt({ ...cfg, warmupSteps: 0 }, 1), 0.1);
  assert.throws(
    () => new AdamW([], { ...cfg, warmupSteps: 1.5 }),
    /warmupSteps must be an integer/,
  );
  assert.throws(() => new AdamW([], { ...cfg, warmupSteps: -1 }), /warmupSteps must be an integer/);
});

Deno.test("learningRateAt: cosine decay after the warm-up (hand-checked)", () => {
  const c = { ...cfg, lr: 0.1, warmupSteps: 2, decay: { totalSteps: 6, minLrRatio: 0.2 } };
  // Warm-up 0.05, 0.1; then over 4 steps cos(pi * k / 4): 1, 0.7071, 0, -0.7071, -1.
  const want = [
    0.05,
    0.1,
    0.1 * (0.2 + 0.8 * 0.5 * (1 + Math.SQRT1_2)),
    0.06,
    0.1 * (0.2 + 0.8 * 0.5 * (1 - Math.SQRT1_2)),
    0.02,
    0.02,
  ];
  [1, 2, 3, 4, 5, 6, 50].forEach((t, i) =>
    assert.ok(Math.abs(learningRateAt(c, t) - want[i]!) < 1e-12, `t=${t}: ${learningRateAt(c, t)}`)
  );
  const noWarm = { ...cfg, lr: 1, decay: { totalSteps: 4, minLrRatio: 0 } };
  assert.equal(learningRateAt(noWarm, 2), 0.5);
  assert.equal(learningRateAt(noWarm, 4), 0);
  assert.throws(
    () => new AdamW([], { ...cfg, warmupSteps: 4, decay: { totalSteps: 4, minLrRatio: 0.1 } }),
    /decay.totalSteps must be an integer > warmupSteps \(4\), got 4/,
  );
  assert.throws(
    () => new AdamW([], { ...cfg, decay: { totalSteps: 10, minLrRatio: 1.5 } }),
    /decay.minLrRatio must be in \[0, 1\], got 1.5/,
  );
});

Deno.test("AdamW: warm-up scales each step's move; a restored optimizer continues the schedule", async () => {
  await tf.setBackend("cpu");
  const wcfg = { ...cfg, lr: 0.1, warmupSteps: 4 };
  const a = tf.variable(tf.tensor1d([0]));
  const oa = new AdamW([a], wcfg);
  // Constant gradient: m_hat = g, v_hat = g^2, so each step moves by lr_t * sign(g).
  const moves: number[] = [];
  for (let t = 0; t < 2; t++) {
    const before = a.dataSync()[0]!;
    oa.apply([tf.tensor1d([2])]);
    moves.push(before - a.dataSync()[0]!);
  }
  const b = tf.variable(a.clone());
  const ob = new AdamW([b], wcfg);
  ob.load(oa.state());
  for (let t = 0; t < 3; t++) {
    const before = a.dataSync()[0]!;
    oa.apply([tf.tensor1d([2])]);
    ob.apply([tf.tensor1d([2])]);
    moves.push(before - a.dataSync()[0]!);
  }
  [0.025, 0.05, 0.075, 0.1, 0.1].forEach((x, i) =>
    assert.ok(Math.abs(moves[i]! - x) < 1e-6, `step ${i + 1} moved ${moves[i]}`)
  );
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  for (const x of [oa, ob]) x.dispose();
  a.dispose();
  b.dispose();
});

Deno.test("AdamW: state round-trips, so two optimizers continue identically", async () => {
  await tf.setBackend("cpu");
  const g = () => [tf.tensor2d([[0.1, -0.3], [0.2, 0.05]])];
  const a = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
  const oa = new AdamW([a], cfg);
  oa.apply(g());
  const b = tf.variable(a.clone());
  const ob = new AdamW([b], cfg);
  ob.load(oa.state());
  oa.apply(g());
  ob.apply(g());
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  assert.throws(() => ob.load({ step: 1, tensors: new Map() }), /no tensor "m.0"/);
  for (const x of [oa, ob]) x.dispose();
  a.dispose();
  b.dispose();
});

Deno.test("addGradients: element-wise sums, disposes its inputs, refuses mismatched lists", async () => {
  await initBackend({ backend: "cpu" });
  const a = [tf.tensor1d([1, 2]), tf.scalar(3)];
  const first = addGradients(null, a);
  assert.equal(first, a);
  const b = [tf.tensor1d([10, 20]), tf.scalar(30)];
  const sum = addGradients(first, b);
  assert.deepEqual(Array.from(sum[0]!.dataSync()), [11, 22]);
  assert.deepEqual(Array.from(sum[1]!.dataSync()), [33]);
  assert.ok(a.every((t) => t.isDisposed) && b.every((t) => t.isDisposed));
  assert.throws(() => addGradients(sum, [tf.scalar(1)]), /2 accumulated tensors, 1 new ones/);
  tf.dispose(sum);
});
