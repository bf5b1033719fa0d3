import assert from "node:assert/strict";
import { assertClose as close } from "@creditlab/core/testing";
import {
  designFor,
  type PairedCell,
  pairedDelta,
  type PairedEstimate,
  projectDesign,
  trainingTrend,
  verdict,
} from "./paired.ts";
import { tInterval, tQuantile } from "./stats.ts";

/** Cells from a table of differences d[s][q] in {-1, 0, 1} (binary outcomes). */
function cellsFromD(d: readonly (readonly number[])[], seedIds?: readonly number[]): PairedCell[] {
  const cells: PairedCell[] = [];
  d.forEach((row, s) =>
    row.forEach((v, q) => {
      const baseline = v < 0 ? 1 : 0;
      cells.push({ seed: seedIds?.[s] ?? s, questionId: `q${q}`, baseline, method: baseline + v });
    })
  );
  return cells;
}

// t_{0.975, 2} from the table; t_{0.8, 2} in closed form: with df = 2, F(t) = 1/2 + t/(2 sqrt(2+t²))
// = 0.8 gives t/sqrt(2+t²) = 0.6, t² = 0.72/0.64 = 1.125, t = 1.06066.
const T975_2 = 4.3027;
const T80_2 = Math.sqrt(1.125);

Deno.test("paired: 2 seeds x 3 questions by hand, both components positive", () => {
  // d = [[1, 1, 0], [0, 1, -1]]. Row means 2/3, 0; column means 1/2, 1, -1/2; d̄ = 1/3.
  // MS_s = Q Σ (d̄_s - d̄)² / (S-1) = 3 (1/9 + 1/9) / 1 = 2/3.
  // MS_q = S Σ (d̄_q - d̄)² / (Q-1) = 2 (1/36 + 16/36 + 25/36) / 2 = 7/6.
  // Residuals d - d̄_s - d̄_q + d̄: seed 0: 1/6, -1/3, 1/6; seed 1: -1/6, 1/3, -1/6;
  // SS_e = 2 (1/36 + 4/36 + 1/36) = 1/3, MS_e = (1/3) / ((S-1)(Q-1)) = 1/6.
  // (Check: total SS = 1 + 7/3 = 10/3 = 2/3 + 7/3 + 1/3.)
  // Components: σ²_s = (2/3 - 1/6)/3 = 1/6, σ²_q = (7/6 - 1/6)/2 = 1/2, σ²_e = 1/6.
  // Var(d̄) = (MS_s + MS_q - MS_e)/(SQ) = (4/6 + 7/6 - 1/6)/6 = 10/36 = 5/18
  //        = σ²_s/2 + σ²_q/3 + σ²_e/6 = 3/36 + 6/36 + 1/36.
  // Satterthwaite: df = (10/6)² / ((2/3)²/1 + (7/6)²/2 + (1/6)²/2) = (100/36) / (82/72) = 100/41.
  const est = pairedDelta(cellsFromD([[1, 1, 0], [0, 1, -1]]));
  close(est.delta, 1 / 3, 1e-12, "delta");
  close(est.se, Math.sqrt(5 / 18), 1e-12, "se");
  close(est.df, 100 / 41, 1e-12, "df");
  close(est.components.seed, 1 / 6, 1e-12, "seed component");
  close(est.components.question, 1 / 2, 1e-12, "question component");
  close(est.components.residual, 1 / 6, 1e-12, "residual component");
  assert.equal(est.seeds, 2);
  assert.equal(est.questions, 3);
  assert.equal(est.seedNoiseEstimated, true);
  assert.equal(est.level, 0.95);
  assert.equal(est.power, 0.8);
  // df = 2.44 lies between 2 and 3, so the critical value lies between 3.1824 and 4.3027.
  const t = est.halfWidth / est.se;
  assert.ok(t > 3.1824 && t < T975_2, `critical value ${t}`);
  close(t, tQuantile(0.975, 100 / 41), 1e-9, "critical value");
  close(est.lo, 1 / 3 - est.halfWidth, 1e-12, "lo");
  close(est.hi, 1 / 3 + est.halfWidth, 1e-12, "hi");
  close(est.mde, (t + tQuantile(0.8, 100 / 41)) * est.se, 1e-9, "mde");
  // Seed ids and cell order do not matter.
  const shuffled = cellsFromD([[0, 1, -1], [1, 1, 0]], [9, 4]).reverse();
  const again = pairedDelta(shuffled);
  close(again.se, est.se, 1e-12, "shuffled se");
  close(again.df, est.df, 1e-12, "shuffled df");
});

Deno.test("paired: seed component truncated at zero by hand", () => {
  // d = [[1, 0, 0], [1, 1, -1]]. Row means 1/3, 1/3 (so MS_s = 0); column means 1, 1/2, -1/2;
  // d̄ = 1/3. MS_q = 2 (4/9 + 1/36 + 25/36) / 2 = 7/6. Residuals seed 0: 0, -1/2, 1/2 (seed 1:
  // the negatives): SS_e = 1, MS_e = 1/2. (Check: total SS = 6/9 + 24/9 = 10/3 = 0 + 7/3 + 1.)
  // MS_s = 0 < MS_e = 1/2 <= MS_q: σ²_s = max(0, -1/6) = 0, σ²_q = (7/6 - 1/2)/2 = 1/3,
  // σ²_e = 1/2. Var(d̄) = max(MS_s, MS_e) + max(MS_q, MS_e) - MS_e, over SQ, = MS_q/6 = 7/36
  // (= 0/2 + (1/3)/3 + (1/2)/6 = 4/36 + 3/36), df = Q - 1 = 2. Untruncated it would be
  // (0 + 7/6 - 1/2)/6 = 4/36.
  const est = pairedDelta(cellsFromD([[1, 0, 0], [1, 1, -1]]));
  close(est.delta, 1 / 3, 1e-12, "delta");
  close(est.se, Math.sqrt(7 / 36), 1e-12, "se");
  close(est.df, 2, 1e-12, "df");
  assert.equal(est.components.seed, 0);
  close(est.components.question, 1 / 3, 1e-12, "question component");
  close(est.components.residual, 1 / 2, 1e-12, "residual component");
  // halfWidth = 4.3027 sqrt(7/36) = 1.8973; mde = (4.3027 + 1.06066) sqrt(7/36) = 2.3650.
  close(est.halfWidth, T975_2 * Math.sqrt(7 / 36), 1e-4, "halfWidth");
  close(est.mde, (T975_2 + T80_2) * Math.sqrt(7 / 36), 1e-4, "mde");
});

Deno.test("paired: both components truncated by hand", () => {
  // d = [[1, 0, 0], [0, 0, 1]]. Row means 1/3, 1/3: MS_s = 0. Column means 1/2, 0, 1/2; d̄ = 1/3.
  // MS_q = 2 (1/36 + 4/36 + 1/36) / 2 = 1/6. Residuals seed 0: 1/2, 0, -1/2: SS_e = 1,
  // MS_e = 1/2. (Check: total SS = 6/9 + 6/9 = 4/3 = 0 + 1/3 + 1.)
  // Untruncated: (0 + 1/6 - 1/2)/6 < 0 (impossible). Truncated: both MS below MS_e, so
  // Var(d̄) = MS_e/(SQ) = 1/12 and df = (S-1)(Q-1) = 2; components 0, 0, 1/2.
  const est = pairedDelta(cellsFromD([[1, 0, 0], [0, 0, 1]]));
  close(est.delta, 1 / 3, 1e-12, "delta");
  close(est.se, Math.sqrt(1 / 12), 1e-12, "se");
  close(est.df, 2, 1e-12, "df");
  assert.equal(est.components.seed, 0);
  assert.equal(est.components.question, 0);
  close(est.components.residual, 1 / 2, 1e-12, "residual component");
  // halfWidth = 4.3027 / sqrt(12) = 1.2421.
  close(est.halfWidth, T975_2 / Math.sqrt(12), 1e-4, "halfWidth");
  // A 90% interval uses t_{0.95, 2} = 2.9200.
  close(
    pairedDelta(cellsFromD([[1, 0, 0], [0, 0, 1]]), { level: 0.9 }).halfWidth,
    2.92 / Math.sqrt(12),
    1e-4,
    "90%",
  );
});

Deno.test("paired: one seed reduces to the paired t-interval over questions", () => {
  const baseline = [0, 1, 1, 0, 0.5, 0.25, 1, 0];
  const method = [1, 1, 0, 1, 0.75, 0.25, 1, 1];
  const cells = baseline.map((b, q) => ({
    seed: 3,
    questionId: `q${q}`,
    baseline: b,
    method: method[q]!,
  }));
  const est = pairedDelta(cells);
  const t = tInterval(method.map((m, q) => m - baseline[q]!));
  close(est.delta, t.mean, 1e-12, "delta");
  close(est.se, t.std / Math.sqrt(8), 1e-12, "se");
  assert.equal(est.df, 7);
  close(est.halfWidth, t.halfWidth, 1e-12, "halfWidth");
  close(est.lo, t.mean - t.halfWidth, 1e-12, "lo");
  close(est.hi, t.mean + t.halfWidth, 1e-12, "hi");
  assert.equal(est.seedNoiseEstimated, false);
  assert.equal(est.seeds, 1);
  assert.equal(est.components.seed, 0);
  close(est.components.question, t.std ** 2, 1e-12, "question component");
  assert.equal(est.components.residual, 0);
  assert.match(
    verdict(est, { direction: 1 }).text,
    /1 seed x 8 questions; seed noise not estimated/,
  );
});

Deno.test("paired: zero variance gives a point interval and MDE 0", () => {
  const cells: PairedCell[] = [];
  for (const seed of [0, 1, 2]) {
    for (const q of ["a", "b", "c", "d"]) {
      cells.push({ seed, questionId: q, baseline: 0.1, method: 0.4 });
    }
  }
  const est = pairedDelta(cells);
  close(est.delta, 0.3, 1e-15, "delta");
  assert.equal(est.se, 0);
  assert.equal(est.lo, est.delta);
  assert.equal(est.hi, est.delta);
  assert.equal(est.halfWidth, 0);
  assert.equal(est.mde, 0);
  assert.ok(Number.isNaN(est.df));
  assert.equal(verdict(est, { direction: 1 }).kind, "reproduces");
});

Deno.test("paired: errors name what is wrong", () => {
  const full = cellsFromD([[1, 0, 0], [0, 0, 1]], [5, 8]);
  const missing = full.filter((c) => !(c.seed === 8 && c.questionId === "q2"));
  assert.throws(
    () => pairedDelta(missing),
    /incomplete design: seed 8 has no cell for question "q2" \(seed 5 has it\)/,
  );
  // A question only the second seed has: the first seed is the one missing it.
  const extra = [...full, { seed: 8, questionId: "q9", baseline: 0, method: 1 }];
  assert.throws(() => pairedDelta(extra), /seed 5 has no cell for question "q9"/);
  assert.throws(
    () => pairedDelta([...full, { seed: 5, questionId: "q1", baseline: 1, method: 1 }]),
    /duplicate cell for seed 5, question "q1"/,
  );
  assert.throws(
    () => pairedDelta([...full.slice(1), { seed: 5, questionId: "q0", baseline: NaN, method: 1 }]),
    /non-finite outcome at seed 5, question "q0"/,
  );
  assert.throws(
    () => pairedDelta(cellsFromD([[1], [0]])),
    /at least 2 questions, got 1/,
  );
  assert.throws(() => pairedDelta([]), /no cells/);
  assert.throws(() => pairedDelta(full, { level: 95 }), /level must be in \(0, 1\)/);
  assert.throws(() => pairedDelta(full, { power: 0 }), /power must be in \(0, 1\)/);
});

function fakeEstimate(delta: number, lo: number, hi: number, mde: number): PairedEstimate {
  return {
    delta,
    se: (hi - lo) / 4,
    df: 100,
    lo,
    hi,
    halfWidth: (hi - lo) / 2,
    mde,
    seeds: 3,
    questions: 200,
    components: { seed: 0, question: 0, residual: 0 },
    seedNoiseEstimated: true,
    level: 0.95,
    power: 0.8,
  };
}

Deno.test("verdict: golden texts for the three kinds", () => {
  const up = fakeEstimate(0.042, 0.011, 0.073, 0.044);
  assert.deepEqual(verdict(up, { direction: 1 }), {
    kind: "reproduces",
    text: "reproduces: Δ +4.2 points [+1.1, +7.3], MDE 4.4 points (3 seeds x 200 questions)",
  });
  assert.deepEqual(verdict(up, { direction: -1 }), {
    kind: "contradicts",
    text: "contradicts: Δ +4.2 points [+1.1, +7.3], MDE 4.4 points (3 seeds x 200 questions)",
  });
  const down = fakeEstimate(-0.042, -0.073, -0.011, 0.044);
  assert.deepEqual(verdict(down, { direction: 1, label: "EM" }), {
    kind: "contradicts",
    text: "contradicts: Δ EM -4.2 points [-7.3, -1.1], MDE 4.4 points (3 seeds x 200 questions)",
  });
  // direction -1 (the paper claims the method is lower): the same interval reproduces.
  assert.deepEqual(verdict(down, { direction: -1 }), {
    kind: "reproduces",
    text: "reproduces: Δ -4.2 points [-7.3, -1.1], MDE 4.4 points (3 seeds x 200 questions)",
  });
  const flat = fakeEstimate(0.01, -0.021, 0.041, 0.044);
  assert.deepEqual(verdict(flat, { direction: 1 }), {
    kind: "inconclusive",
    text: "inconclusive at MDE 4.4 points: Δ +1.0 points [-2.1, +4.1] (3 seeds x 200 questions)",
  });
  assert.equal(verdict(flat, { direction: -1 }).kind, "inconclusive");
  // unit = 1 prints the raw outcome unit; an interval touching 0 is inconclusive.
  assert.equal(
    verdict(fakeEstimate(2, 0, 4, 3.25), { direction: 1, unit: 1 }).text,
    "inconclusive at MDE 3.3 points: Δ +2.0 points [0.0, +4.0] (3 seeds x 200 questions)",
  );
  assert.throws(() => verdict(up, { direction: 0 as 1 }), /direction must be 1 or -1/);
});

Deno.test("trainingTrend: two seeds by hand", () => {
  // Seed 0: value = step, steps 0..9; seed 1: value = 2 step. share 0.2 of 10 steps: windows of 2.
  // Seed 0: first = (0+1)/2 = 0.5, last = (8+9)/2 = 8.5, D = 8. Seed 1: first 1, last 17, D = 16.
  // delta = 12; sd(8, 16) = sqrt(32) = 5.657; t_{0.975, 1} = 12.706: halfWidth = 12.706 * 4.
  const series: { seed: number; step: number; value: number }[] = [];
  for (let step = 9; step >= 0; step--) {
    series.push({ seed: 1, step, value: 2 * step });
    series.push({ seed: 0, step, value: step });
  }
  const tr = trainingTrend(series);
  assert.equal(tr.first, 0.75);
  assert.equal(tr.last, 12.75);
  assert.equal(tr.delta, 12);
  assert.equal(tr.seeds, 2);
  assert.equal(tr.stepsPerWindow, 2);
  assert.equal(tr.seedNoiseEstimated, true);
  close(tr.halfWidth, 12.7062 * 4, 2e-3, "halfWidth");
  close(tr.lo, 12 - tr.halfWidth, 1e-12, "lo");
  close(tr.hi, 12 + tr.halfWidth, 1e-12, "hi");
});

Deno.test("trainingTrend: three seeds use the t-interval over per-seed deltas", () => {
  // 5 steps, share 0.2: ceil(1) = 1 step per window. D = 1, 2, 3: delta 2, sd 1,
  // halfWidth = 4.3027 / sqrt(3).
  const series = [0, 1, 2].flatMap((seed) =>
    [0, 10, 20, 30, 40].map((step) => ({ seed, step, value: step === 40 ? seed + 1 : 0 }))
  );
  const tr = trainingTrend(series);
  assert.equal(tr.delta, 2);
  assert.equal(tr.stepsPerWindow, 1);
  close(tr.halfWidth, T975_2 / Math.sqrt(3), 1e-4, "halfWidth");
});

Deno.test("trainingTrend: one seed uses Welch between the windows", () => {
  // 10 steps, share 0.3: windows of 3. First window 1, 2, 3 (mean 2, var 1); last 5, 7, 9
  // (mean 7, var 4). Welch: se² = 1/3 + 4/3 = 5/3, df = (5/3)² / ((1/9)/2 + (16/9)/2) = 2.941.
  const values = [1, 2, 3, 0, 0, 0, 0, 5, 7, 9];
  const tr = trainingTrend(values.map((value, step) => ({ seed: 0, step, value })), {
    share: 0.3,
  });
  assert.equal(tr.first, 2);
  assert.equal(tr.last, 7);
  assert.equal(tr.delta, 5);
  assert.equal(tr.stepsPerWindow, 3);
  assert.equal(tr.seedNoiseEstimated, false);
  const df = (25 / 9) / (17 / 18);
  close(tr.halfWidth, tQuantile(0.975, df) * Math.sqrt(5 / 3), 1e-9, "halfWidth");
  assert.ok(tr.halfWidth > 3.1824 * Math.sqrt(5 / 3), "df < 3");
});

Deno.test("trainingTrend: errors", () => {
  assert.throws(
    () =>
      trainingTrend([{ seed: 1, step: 0, value: 1 }, { seed: 1, step: 0, value: 2 }, {
        seed: 1,
        step: 1,
        value: 2,
      }]),
    /duplicate point for seed 1, step 0/,
  );
  assert.throws(() => trainingTrend([{ seed: 4, step: 0, value: 1 }]), /seed 4 has 1 step/);
  assert.throws(() => trainingTrend([]), /empty series/);
  assert.throws(
    () =>
      trainingTrend([{ seed: 0, step: 0, value: 0 }, { seed: 0, step: 1, value: 1 }], {
        share: 0.6,
      }),
    /share must be in \(0, 0.5\]/,
  );
  assert.throws(
    () => trainingTrend([{ seed: 0, step: 0, value: NaN }, { seed: 0, step: 1, value: 1 }]),
    /non-finite point at seed 0, step 0/,
  );
});

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

Deno.test("projectDesign: the recorded design reproduces its own se; more questions or seeds shrink it", () => {
  // Components worked by hand: Var = 0.002/4 + 0.01/300 + 0.12/1200 = 5e-4 + 3.333e-5 + 1e-4.
  const c = { seed: 0.002, question: 0.01, residual: 0.12 };
  const p = projectDesign(c, { seeds: 4, questions: 300 });
  assert.ok(Math.abs(p.se ** 2 - (5e-4 + 0.01 / 300 + 1e-4)) < 1e-15);
  // Satterthwaite on E[MS]: MS_s = 0.12 + 300*0.002 = 0.72 (3 df), MS_q = 0.12 + 4*0.01 = 0.16
  // (299 df), MS_e = 0.12 (897 df); V*SQ = 0.76; df = 0.76^2 / (0.72^2/3 + 0.16^2/299 + 0.12^2/897).
  const df = 0.76 ** 2 / (0.72 ** 2 / 3 + 0.16 ** 2 / 299 + 0.12 ** 2 / 897);
  assert.ok(Math.abs(p.df - df) < 1e-9);
  // The seed component is not averaged away by questions: 16x the questions barely helps.
  const moreQ = projectDesign(c, { seeds: 4, questions: 4800 });
  assert.ok(moreQ.se > Math.sqrt(0.002 / 4) && moreQ.se < p.se);
  // With no seed component, four times the questions halve the se.
  const noSeed = { seed: 0, question: 0.01, residual: 0.12 };
  const a = projectDesign(noSeed, { seeds: 4, questions: 300 });
  const b = projectDesign(noSeed, { seeds: 4, questions: 1200 });
  assert.ok(Math.abs(b.se / a.se - 0.5) < 1e-12);
  assert.throws(() => projectDesign(c, { seeds: 0, questions: 300 }), /seeds >= 1/);
  assert.throws(
    () => projectDesign({ ...c, seed: -1 }, { seeds: 2, questions: 3 }),
    /seed must be/,
  );
});

Deno.test("designFor: the smallest design meeting a half-width, or null", () => {
  const c = { seed: 0, question: 0.19, residual: 0.13 };
  const d = designFor(c, { halfWidth: 0.03, seeds: 4 })!;
  assert.ok(d.halfWidth <= 0.03);
  assert.ok(projectDesign(c, { seeds: 4, questions: d.questions - 1 }).halfWidth > 0.03);
  // Var ~ (0.19 + 0.13/4)/Q <= (0.03/1.96)^2 gives Q ~ 950.
  assert.ok(d.questions > 900 && d.questions < 1000, `${d.questions}`);
  // A seed component sets a floor that questions cannot pass: seeds must grow instead.
  const seedy = { seed: 0.0024, question: 0.007, residual: 0.156 };
  assert.equal(designFor(seedy, { halfWidth: 0.03, seeds: 4, max: 100_000 }), null);
  const s = designFor(seedy, { halfWidth: 0.03, questions: 300 })!;
  assert.ok(s.seeds > 4 && s.halfWidth <= 0.03);
  assert.throws(() => designFor(c, { halfWidth: 0.03 }), /exactly one of seeds and questions/);
});
