/**
 * Calibration of {@link pairedDelta} by simulation: coverage of its 95% interval and the power
 * of its MDE on binary outcomes from a logistic model with seed, question, seed x arm and
 * question x arm effects (the numbers quoted in paired.ts).
 */
import assert from "node:assert/strict";
import { assertClose as close } from "@creditlab/core/testing";
import { type PairedCell, pairedDelta, type PairedEstimate } from "./paired.ts";

// ---------------------------------------------------------------------------------------------
// Coverage simulation.
//
// Generative model (logit scale), one experiment = S fresh seeds x Q fresh questions:
//   question difficulty  b_q ~ N(0, 1.5²)          (shared by both arms)
//   seed shift           u_s ~ N(0, 0.15²)         (shared by both arms on that seed)
//   arm effect           β = 0.15                  (method arm only)
//   seed x arm           v_s ~ N(0, 0.1²)          (method arm only)
//   question x arm       w_q ~ N(0, 0.5²)          (method arm only)
//   y0[s,q] ~ Bernoulli(σ(b_q + u_s)),  y1[s,q] ~ Bernoulli(σ(b_q + u_s + β + v_s + w_q)),
// independent given the effects.
//
// True Δ (population estimand: expectation over new seeds and new questions):
//   Δ(β) = E σ(β + Z·sqrt(1.5² + 0.15² + 0.1² + 0.5²)) - E σ(Z·sqrt(1.5² + 0.15²)),  Z ~ N(0, 1),
// because the sum of independent normals is normal and E[y] = E[σ(logit)]. The second term is
// exactly 1/2 (σ(-x) = 1 - σ(x), symmetric logit). The first is a 1-D integral, computed by
// composite Simpson's rule on z in [-12, 12] with 4000 intervals (error far below 1e-10); a
// Monte-Carlo check with 400,000 draws is asserted below.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box-Muller (one of the pair). */
function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const SD_METHOD = Math.sqrt(1.5 ** 2 + 0.15 ** 2 + 0.1 ** 2 + 0.5 ** 2);

function trueDelta(beta: number): number {
  const n = 4000;
  const a = -12;
  const h = 24 / n;
  let acc = 0;
  for (let i = 0; i <= n; i++) {
    const z = a + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    acc += w * Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI) * sigmoid(beta + SD_METHOD * z);
  }
  return acc * h / 3 - 0.5;
}

const QUESTION_IDS = Array.from({ length: 400 }, (_, q) => `q${q}`);

function simulate(u: () => number, S: number, Q: number, beta: number): PairedEstimate {
  const b = Array.from({ length: Q }, () => 1.5 * normal(u));
  const w = Array.from({ length: Q }, () => 0.5 * normal(u));
  const cells: PairedCell[] = [];
  for (let s = 0; s < S; s++) {
    const shift = 0.15 * normal(u);
    const armShift = beta + 0.1 * normal(u);
    for (let q = 0; q < Q; q++) {
      const p0 = sigmoid(b[q]! + shift);
      const p1 = sigmoid(b[q]! + shift + armShift + w[q]!);
      cells.push({
        seed: s,
        questionId: QUESTION_IDS[q]!,
        baseline: u() < p0 ? 1 : 0,
        method: u() < p1 ? 1 : 0,
      });
    }
  }
  return pairedDelta(cells);
}

Deno.test("paired simulation: the true Δ integral agrees with Monte Carlo", () => {
  const u = mulberry32(99);
  const n = 400_000;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += sigmoid(0.15 + SD_METHOD * normal(u)) -
      sigmoid(Math.sqrt(1.5 ** 2 + 0.15 ** 2) * normal(u));
  }
  // Each term has sd < 0.5, so the difference has sd < 0.71 and the MC se is < 0.0012.
  close(acc / n, trueDelta(0.15), 0.0035, "Monte Carlo vs Simpson");
  close(trueDelta(0), 0, 1e-12, "no effect");
});

const EXPERIMENTS = 2000;

for (const [S, Q] of [[3, 200], [3, 400], [5, 200], [5, 400]] as const) {
  Deno.test(`paired simulation: 95% coverage, ${S} seeds x ${Q} questions`, () => {
    const truth = trueDelta(0.15); // 0.02574
    const u = mulberry32(1000 * S + Q);
    let covered = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      const est = simulate(u, S, Q, 0.15);
      if (est.lo <= truth && truth <= est.hi) covered++;
    }
    const coverage = covered / EXPERIMENTS;
    assert.ok(coverage >= 0.93 && coverage <= 0.97, `coverage ${coverage}`);
  });
}

Deno.test("paired simulation: at an effect equal to the MDE, power is about 0.8", () => {
  const S = 5;
  const Q = 400;
  // Pilot: the design's typical MDE at the project's effect size.
  const pilot = mulberry32(7);
  let mdeSum = 0;
  const pilots = 300;
  for (let e = 0; e < pilots; e++) mdeSum += simulate(pilot, S, Q, 0.15).mde;
  const mde = mdeSum / pilots; // about 0.054
  // Logit effect β with true Δ(β) = MDE, by bisection (Δ is increasing in β).
  let lo = 0;
  let hi = 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (trueDelta(mid) < mde) lo = mid;
    else hi = mid;
  }
  const beta = (lo + hi) / 2;
  const u = mulberry32(8);
  let rejected = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    const est = simulate(u, S, Q, beta);
    if (est.lo > 0 || est.hi < 0) rejected++;
  }
  const power = rejected / EXPERIMENTS;
  assert.ok(power >= 0.7 && power <= 0.9, `power ${power} at Δ = ${mde} (β = ${beta})`);
});
