import assert from "node:assert/strict";
import { initBackend, tf } from "../backend.ts";
import { Rng } from "../rng.ts";
import { AGGREGATION_MODES } from "./aggregate.ts";
import { type ClipOptions, clippedSurrogate, clippedSurrogateRef } from "./surrogate.ts";
import { allclose, close, randn, randomMask } from "./test_util.ts";

await initBackend({ backend: "wasm" });

const t2 = (v: number[]) => tf.tensor2d(v, [1, v.length]);

Deno.test("clippedSurrogate: golden values (clip high, clip low, dual clip)", () => {
  const cfg = { clipLow: 0.2, clipHigh: 0.28, dualClip: null, aggregation: "token-mean" } as const;
  /** One token at ratio ρ with advantage A. */
  const oneToken = (ratio: number, advantage: number) =>
    clippedSurrogate({
      logProbs: t2([Math.log(ratio)]),
      oldLogProbs: t2([0]),
      advantages: t2([advantage]),
      mask: t2([1]),
    }, cfg);
  // ρ = 1.5, A = +1: clipped at 1.28.
  let r = oneToken(1.5, 1);
  close(r.loss.dataSync()[0]!, -1.28);
  assert.equal(r.metrics.clipFraction, 1);
  close(r.metrics.approxKl, -Math.log(1.5));
  // ρ = 0.5, A = −2: max(−A·ρ, −A·0.8) = max(1, 1.6) = 1.6, clipped.
  r = oneToken(0.5, -2);
  close(r.loss.dataSync()[0]!, 1.6);
  assert.equal(r.metrics.clipFraction, 1);
  // ρ = 1.1 inside the range: unclipped, loss −A·ρ.
  r = oneToken(1.1, 0.5);
  close(r.loss.dataSync()[0]!, -0.55);
  assert.equal(r.metrics.clipFraction, 0);
  // Dual clip c = 3: ρ = 10, A = −1: PPO loss max(10, 0.8·... ) = 10 → min(10, 3) = 3.
  r = clippedSurrogate(
    {
      logProbs: t2([Math.log(10), 0]),
      oldLogProbs: t2([0, 0]),
      advantages: t2([-1, 1]),
      mask: t2([1, 1]),
    },
    { ...cfg, dualClip: 3 },
  );
  close(r.loss.dataSync()[0]!, (3 + -1) / 2);
  close(r.metrics.clipFractionDual, 0.5);
  close(r.metrics.ratioMax, 10, { rtol: 1e-5 });
  close(r.metrics.ratioMean, 5.5, { rtol: 1e-5 });
  // Masked-out tokens do not count.
  r = clippedSurrogate({
    logProbs: t2([0, 5]),
    oldLogProbs: t2([0, 0]),
    advantages: t2([1, 100]),
    mask: t2([1, 0]),
  }, cfg);
  close(r.loss.dataSync()[0]!, -1);
  assert.equal(r.metrics.clipFraction, 0);
});

/** The aggregation-carrying clip config of the random comparisons. */
type RandomConfig = ClipOptions & { aggregation: (typeof AGGREGATION_MODES)[number] };

/** A random [B, T] batch and clip config of the comparisons with the plain loop. */
interface RandomCase {
  shape: [number, number];
  logProbs: Float32Array;
  oldLogProbs: Float32Array;
  advantages: Float32Array;
  mask: Float32Array;
  clipScale?: Float32Array;
  cfg: RandomConfig;
}

/**
 * Draw a {@link RandomCase} from `rng`, in a fixed order (shape, old log-probs, log-probs off
 * them by `noise`, advantages, mask, clip scales when `clipScales`, config), so that a seed
 * always gives the same case.
 */
function randomCase(rng: Rng, seed: number, opts: { noise: number; clipScales: boolean }) {
  const B = 1 + rng.int(4), T = 1 + rng.int(8);
  const oldLogProbs = randn(rng, B * T, 1);
  const logProbs = oldLogProbs.map((v) => v + opts.noise * rng.normal());
  const advantages = randn(rng, B * T);
  const mask = randomMask(rng, B, T);
  const clipScale = opts.clipScales
    ? Float32Array.from({ length: B * T }, () => 0.2 + 2 * rng.next())
    : undefined;
  const cfg: RandomConfig = {
    clipLow: 0.1 + 0.2 * rng.next(),
    clipHigh: 0.1 + 0.3 * rng.next(),
    dualClip: seed % 2 === 0 ? null : 1.5 + 2 * rng.next(),
    aggregation: AGGREGATION_MODES[seed % 3]!,
  };
  const c: RandomCase = { shape: [B, T], logProbs, oldLogProbs, advantages, mask, cfg };
  return clipScale ? { ...c, clipScale } : c;
}

/** The plain loop's inputs of `c` (its clip scales too, when it has them and `scaled`). */
function refArgs(c: RandomCase, scaled = true) {
  const { logProbs, oldLogProbs, advantages, mask, clipScale } = c;
  const args = { logProbs, oldLogProbs, advantages, mask, rowLength: c.shape[1] };
  return clipScale && scaled ? { ...args, clipScale } : args;
}

/** Assert that the tf kernel equals the plain loop on `c`; returns the plain loop's result. */
function assertTfEqualsRef(c: RandomCase, seed: number) {
  const t = (v: Float32Array) => tf.tensor2d(v, c.shape);
  const got = clippedSurrogate({
    logProbs: t(c.logProbs),
    oldLogProbs: t(c.oldLogProbs),
    advantages: t(c.advantages),
    mask: t(c.mask),
    ...(c.clipScale ? { clipScale: t(c.clipScale) } : {}),
  }, c.cfg);
  const want = clippedSurrogateRef(refArgs(c), c.cfg);
  const tol = { rtol: 1e-4, atol: 1e-5 };
  close(got.loss.dataSync()[0]!, want.loss, { ...tol, what: `loss seed ${seed}` });
  allclose(got.perToken.dataSync(), want.perToken, { ...tol, what: "perToken" });
  for (const k of Object.keys(want.metrics) as (keyof typeof want.metrics)[]) {
    close(got.metrics[k], want.metrics[k], { ...tol, what: `${k} seed ${seed}` });
  }
  return want;
}

Deno.test("clippedSurrogate: tf equals the plain loop (random shapes, seeds, configs)", () => {
  for (let seed = 0; seed < 12; seed++) {
    assertTfEqualsRef(randomCase(new Rng(seed), seed, { noise: 0.4, clipScales: false }), seed);
  }
});

Deno.test("clippedSurrogate: golden values of a per-token clip scale", () => {
  const cfg = { clipLow: 0.2, clipHigh: 0.2, dualClip: null, aggregation: "token-mean" } as const;
  /** One token at ratio ρ with advantage A and clip scale s. */
  const oneToken = (ratio: number, advantage: number, scale: number) =>
    clippedSurrogate({
      logProbs: t2([Math.log(ratio)]),
      oldLogProbs: t2([0]),
      advantages: t2([advantage]),
      mask: t2([1]),
      clipScale: t2([scale]),
    }, cfg);
  // ρ = 1.25, A = +1. s = 1: ceiling 1 + 0.2 = 1.2 < 1.25, loss −1.2, clipped.
  let r = oneToken(1.25, 1, 1);
  close(r.loss.dataSync()[0]!, -1.2);
  assert.equal(r.metrics.clipFraction, 1);
  // s = 2: ceiling 1 + 0.2·2 = 1.4 > 1.25, loss −A·ρ = −1.25, free.
  r = oneToken(1.25, 1, 2);
  close(r.loss.dataSync()[0]!, -1.25);
  assert.equal(r.metrics.clipFraction, 0);
  // ρ = 0.7, A = −1. s = 1: floor 0.8, max(0.7, 0.8) = 0.8, clipped; s = 2: floor 0.6, loss 0.7.
  close(oneToken(0.7, -1, 1).loss.dataSync()[0]!, 0.8);
  r = oneToken(0.7, -1, 2);
  close(r.loss.dataSync()[0]!, 0.7);
  assert.equal(r.metrics.clipFraction, 0);
  // Narrowing: ρ = 1.15, A = 1, s = 0.5: ceiling 1 + 0.2·0.5 = 1.1, loss −1.1, clipped.
  r = oneToken(1.15, 1, 0.5);
  close(r.loss.dataSync()[0]!, -1.1);
  assert.equal(r.metrics.clipFraction, 1);
  // A floor 1 − 0.2·6 = −0.2 never binds: ρ = 0.1, A = −1, loss 0.1, free.
  r = oneToken(0.1, -1, 6);
  close(r.loss.dataSync()[0]!, 0.1, { rtol: 1e-4 });
  assert.equal(r.metrics.clipFraction, 0);
  // The dual clip is unchanged: ρ = 10, A = −1, c = 3, s = 2: min(max(10, 0.6), 3) = 3.
  r = clippedSurrogate({
    logProbs: t2([Math.log(10)]),
    oldLogProbs: t2([0]),
    advantages: t2([-1]),
    mask: t2([1]),
    clipScale: t2([2]),
  }, { ...cfg, dualClip: 3 });
  close(r.loss.dataSync()[0]!, 3);
  assert.equal(r.metrics.clipFractionDual, 1);
});

Deno.test("clippedSurrogate: clip scale 1 everywhere is bit for bit no clip scale", () => {
  for (let seed = 0; seed < 12; seed++) {
    const rng = new Rng(100 + seed);
    const B = 1 + rng.int(4), T = 1 + rng.int(8);
    const old = randn(rng, B * T, 1);
    const lp = old.map((v) => v + 0.4 * rng.normal());
    const s = [B, T] as [number, number];
    const cfg = {
      clipLow: 0.05 + 0.3 * rng.next(),
      clipHigh: 0.05 + 0.4 * rng.next(),
      dualClip: seed % 2 === 0 ? null : 1.5 + 2 * rng.next(),
      aggregation: AGGREGATION_MODES[seed % 3]!,
    };
    const args = {
      oldLogProbs: tf.tensor2d(old, s),
      advantages: tf.tensor2d(randn(rng, B * T), s),
      mask: tf.tensor2d(randomMask(rng, B, T), s),
    };
    const run = (clipScale?: tf.Tensor) => {
      const f = (x: tf.Tensor) =>
        clippedSurrogate({ ...args, logProbs: x, ...(clipScale ? { clipScale } : {}) }, cfg).loss;
      const { value, grad } = tf.valueAndGrad(f)(tf.tensor2d(lp, s));
      const r = clippedSurrogate({ ...args, logProbs: tf.tensor2d(lp, s), clipScale }, cfg);
      return {
        loss: value.dataSync()[0],
        grad: Array.from(grad.dataSync()),
        perToken: Array.from(r.perToken.dataSync()),
        metrics: r.metrics,
      };
    };
    assert.deepEqual(run(tf.ones(s)), run(), `seed ${seed}`);
  }
});

Deno.test("clippedSurrogate: with clip scales, tf equals the plain loop (seeds, configs)", () => {
  let changed = 0;
  for (let seed = 0; seed < 12; seed++) {
    const c = randomCase(new Rng(200 + seed), seed, { noise: 0.5, clipScales: true });
    const want = assertTfEqualsRef(c, seed);
    const plain = clippedSurrogateRef(refArgs(c, false), c.cfg);
    if (want.perToken.some((v, i) => Math.abs(v - plain.perToken[i]!) > 1e-6)) changed++;
  }
  // The scales matter: in most cases some token's term differs from the unscaled reference.
  assert.ok(changed >= 6, `${changed} of 12 cases changed by the clip scales`);
});

Deno.test("clippedSurrogate: the gradient is zero exactly where the clip is active", () => {
  const old = t2([0, 0, 0, 0]);
  const adv = t2([1, -1, 1, -1]);
  const mask = t2([1, 1, 1, 1]);
  const cfg = { clipLow: 0.2, clipHigh: 0.2, dualClip: null, aggregation: "token-mean" } as const;
  // ρ = [1.5 (A>0, clipped), 0.5 (A<0, clipped), 0.5 (A>0, free), 1.5 (A<0, free)]
  const lp = t2([1.5, 0.5, 0.5, 1.5].map(Math.log));
  const g = tf.grad((x: tf.Tensor) =>
    clippedSurrogate({ logProbs: x, oldLogProbs: old, advantages: adv, mask }, cfg).loss
  )(lp);
  // d/dlogp of −A·ρ = −A·ρ, divided by 4 tokens.
  allclose(g.dataSync(), [0, 0, -0.5 / 4, 1.5 / 4], { atol: 1e-6 });
});

Deno.test("clippedSurrogate: bad input names the op and the argument", () => {
  const a = t2([0, 0]);
  const cfg = { clipLow: 0.2, clipHigh: 0.2, dualClip: null, aggregation: "token-mean" } as const;
  const args = { logProbs: a, oldLogProbs: a, advantages: a, mask: t2([1, 1]) };
  assert.throws(
    () => clippedSurrogate(args, { ...cfg, clipLow: 1 }),
    /clippedSurrogate: clipLow must be < 1/,
  );
  assert.throws(
    () => clippedSurrogate(args, { ...cfg, clipHigh: -0.1 }),
    /clippedSurrogate: clipHigh must be >= 0/,
  );
  assert.throws(
    () => clippedSurrogate(args, { ...cfg, dualClip: 1 }),
    /clippedSurrogate: dualClip must be > 1, got 1/,
  );
  assert.throws(
    () => clippedSurrogate({ ...args, advantages: t2([0, NaN]) }, cfg),
    /clippedSurrogate: advantages contains NaN or Inf/,
  );
  assert.throws(
    () => clippedSurrogate({ ...args, oldLogProbs: t2([0, 0, 0]) }, cfg),
    /clippedSurrogate: oldLogProbs must have shape \[1,2\], got \[1,3\]/,
  );
  assert.throws(
    () => clippedSurrogate({ ...args, mask: t2([0, 0]) }, cfg),
    /clippedSurrogate: mask selects no tokens/,
  );
  assert.throws(
    () => clippedSurrogate({ ...args, clipScale: t2([1, -1]) }, cfg),
    /clippedSurrogate: clipScale must be > 0 everywhere/,
  );
  assert.throws(
    () => clippedSurrogate({ ...args, clipScale: t2([NaN, 1]) }, cfg),
    /clippedSurrogate: clipScale contains NaN or Inf/,
  );
  assert.throws(
    () =>
      clippedSurrogateRef({
        logProbs: [0, 0],
        oldLogProbs: [0, 0],
        advantages: [0, 0],
        mask: [1, 1],
        clipScale: [1, 0],
        rowLength: 2,
      }, cfg),
    /surrogateTermsRef: clipScale must be > 0 everywhere, got 0 at index 1/,
  );
  assert.throws(
    () => clippedSurrogate(args, { ...cfg, aggregation: "mean" as "token-mean" }),
    /clippedSurrogate: aggregation must be one of/,
  );
});
