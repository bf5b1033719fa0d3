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

Deno.test("clippedSurrogate: tf equals the plain loop (random shapes, seeds, configs)", () => {
  for (let seed = 0; seed < 12; seed++) {
    const rng = new Rng(seed);
    const B = 1 + rng.int(4), T = 1 + rng.int(8);
    const old = randn(rng, B * T, 1);
    const lp = old.map((v) => v + 0.4 * rng.normal());
    const adv = randn(rng, B * T);
    const mask = randomMask(rng, B, T);
    const cfg: ClipOptions & { aggregation: (typeof AGGREGATION_MODES)[number] } = {
      clipLow: 0.1 + 0.2 * rng.next(),
      clipHigh: 0.1 + 0.3 * rng.next(),
      dualClip: seed % 2 === 0 ? null : 1.5 + 2 * rng.next(),
      aggregation: AGGREGATION_MODES[seed % 3]!,
    };
    const s = [B, T] as [number, number];
    const got = clippedSurrogate({
      logProbs: tf.tensor2d(lp, s),
      oldLogProbs: tf.tensor2d(old, s),
      advantages: tf.tensor2d(adv, s),
      mask: tf.tensor2d(mask, s),
    }, cfg);
    const want = clippedSurrogateRef({
      logProbs: lp,
      oldLogProbs: old,
      advantages: adv,
      mask,
      rowLength: T,
    }, cfg);
    close(got.loss.dataSync()[0]!, want.loss, {
      rtol: 1e-4,
      atol: 1e-5,
      what: `loss seed ${seed}`,
    });
    allclose(got.perToken.dataSync(), want.perToken, { rtol: 1e-4, atol: 1e-5, what: "perToken" });
    for (const k of Object.keys(want.metrics) as (keyof typeof want.metrics)[]) {
      close(got.metrics[k], want.metrics[k], { rtol: 1e-4, atol: 1e-5, what: `${k} seed ${seed}` });
    }
  }
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
    () => clippedSurrogate(args, { ...cfg, aggregation: "mean" as "token-mean" }),
    /clippedSurrogate: aggregation must be one of/,
  );
});
