import assert from "node:assert/strict";
import { Rng } from "@creditlab/kernels";
import { greedyMatching, hungarian, type Matrix, matrix, sinkhorn } from "./matching.ts";

const at = (s: Matrix, i: number, j: number) => s.values[i * s.cols + j]!;

/** A random n x m matrix; `levels` > 0 draws from {0, 1/levels, ..., 1} (many ties). */
function randomMatrix(rng: Rng, n: number, m: number, levels = 0): Matrix {
  const values = new Float64Array(n * m);
  for (let k = 0; k < values.length; k++) {
    values[k] = levels > 0 ? rng.int(levels + 1) / levels : rng.next();
  }
  return { rows: n, cols: m, values };
}

/** Plain reference: the best total over every one-to-one assignment (brute force). */
function bruteForceBest(s: Matrix): number {
  const { rows: n, cols: m } = s;
  const used = new Uint8Array(m);
  // Each row takes a free column or stays out. Similarities are >= 0, so the best partial
  // assignment is as good as the best one with min(n, m) pairs.
  const go = (i: number): number => {
    if (i === n) return 0;
    let best = go(i + 1);
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = 1;
      best = Math.max(best, at(s, i, j) + go(i + 1));
      used[j] = 0;
    }
    return best;
  };
  return go(0);
}

function checkAssignment(s: Matrix, a: Int32Array, label: string): number {
  assert.equal(a.length, s.rows, label);
  const seen = new Set<number>();
  let total = 0;
  a.forEach((j, i) => {
    if (j === -1) return;
    assert.ok(j >= 0 && j < s.cols, `${label}: row ${i} -> ${j}`);
    assert.ok(!seen.has(j), `${label}: column ${j} used twice`);
    seen.add(j);
    total += at(s, i, j);
  });
  return total;
}

Deno.test("hungarian: equals brute force over all assignments, random matrices up to 6 x 6, 12 seeds", () => {
  for (let seed = 1; seed <= 12; seed++) {
    const rng = new Rng(seed);
    for (let t = 0; t < 60; t++) {
      const n = rng.int(7), m = rng.int(7);
      // continuous values, and coarse values {0, 0.5, 1} full of ties
      const s = randomMatrix(rng, n, m, t % 2 === 0 ? 0 : 2);
      const a = hungarian(s);
      const label = `seed ${seed} case ${t} (${n} x ${m})`;
      const total = checkAssignment(s, a, label);
      // n <= m: every row assigned; n >= m: every column
      const assigned = Array.from(a).filter((j) => j >= 0).length;
      assert.equal(assigned, Math.min(n, m), label);
      assert.ok(Math.abs(total - bruteForceBest(s)) < 1e-9, `${label}: ${total}`);
    }
  }
});

Deno.test("hungarian: hand-checked assignments and the greedy counter-example", () => {
  // [[0.9, 0.8], [0.8, 0.1]]: cross assignment 0.8 + 0.8 = 1.6 beats 0.9 + 0.1 = 1.0
  const s = matrix([[0.9, 0.8], [0.8, 0.1]]);
  assert.deepEqual(Array.from(hungarian(s)), [1, 0]);
  assert.deepEqual(Array.from(greedyMatching(s)), [0, 1]);
  // 3 predicted x 2 gold: p1 -> g0 (0.9), p2 -> g1 (0.7); p0 left out
  const tall = matrix([[0.3, 0.2], [0.9, 0.6], [0.1, 0.7]]);
  assert.deepEqual(Array.from(hungarian(tall)), [-1, 0, 1]);
  // 1 predicted x 3 gold: its best column
  assert.deepEqual(Array.from(hungarian(matrix([[0.2, 0.9, 0.4]]))), [1]);
  assert.deepEqual(Array.from(hungarian({ rows: 2, cols: 0, values: new Float64Array(0) })), [
    -1,
    -1,
  ]);
  assert.throws(() => hungarian(matrix([[NaN]])), /hungarian: entry \(0, 0\) is NaN/);
});

Deno.test("hungarian: a repeated query leaves the match with its earlier round (both orientations)", () => {
  // identical rows: the first keeps the column
  assert.deepEqual(Array.from(hungarian(matrix([[1], [1]]))), [0, -1]);
  assert.deepEqual(Array.from(hungarian(matrix([[1, 0], [1, 0]]))), [0, 1]);
  assert.deepEqual(Array.from(hungarian(matrix([[0.5, 0], [1, 0], [1, 0]])))[1], 0);
  assert.deepEqual(Array.from(hungarian(matrix([[1, 0, 0], [1, 0, 0]])))[0], 0);
});

Deno.test("greedyMatching: the released rule (descending, row-major ties, similarity > 0), random checks", () => {
  // ties in row-major order: (0, 0) and (1, 0) both 1 -> row 0 takes column 0
  assert.deepEqual(Array.from(greedyMatching(matrix([[1, 0.2], [1, 0.3]]))), [0, 1]);
  // zero similarities are never matched
  assert.deepEqual(Array.from(greedyMatching(matrix([[0, 0], [0, 0.4]]))), [-1, 1]);
  for (let seed = 1; seed <= 6; seed++) {
    const rng = new Rng(seed);
    for (let t = 0; t < 40; t++) {
      const s = randomMatrix(rng, rng.int(7), rng.int(7), 4);
      const a = greedyMatching(s);
      const total = checkAssignment(s, a, `seed ${seed} case ${t}`);
      assert.ok(total <= bruteForceBest(s) + 1e-12);
      // maximal: no free row and free column with similarity > 0 remain
      const usedCols = new Set(Array.from(a).filter((j) => j >= 0));
      a.forEach((j, i) => {
        if (j !== -1) return;
        for (let c = 0; c < s.cols; c++) {
          if (!usedCols.has(c)) assert.equal(at(s, i, c), 0, `seed ${seed} case ${t}`);
        }
      });
    }
  }
});

/** Plain Sinkhorn-Knopp, as POT's `sinkhorn_knopp` writes it (u, v scalings, not logs). */
function referenceSinkhorn(cost: Matrix, reg: number, iters: number): Float64Array {
  const { rows: n, cols: m } = cost;
  const K = cost.values.map((c) => Math.exp(-c / reg));
  // One half-iteration: the scaling of one side (`size` entries against a uniform marginal)
  // from the other's, x_a = (1 / size) / sum_b k(a, b) y_b.
  const scale = (size: number, k: (a: number, b: number) => number, y: Float64Array) =>
    Float64Array.from({ length: size }, (_, a) => {
      let s = 0;
      for (let b = 0; b < y.length; b++) s += k(a, b) * y[b]!;
      return 1 / size / s;
    });
  let u = new Float64Array(n).fill(1 / n);
  let v = new Float64Array(m).fill(1 / m);
  for (let it = 0; it < iters; it++) {
    v = scale(m, (j, i) => K[i * m + j]!, u);
    u = scale(n, (i, j) => K[i * m + j]!, v);
  }
  return K.map((k, idx) => u[Math.floor(idx / m)]! * k * v[idx % m]!);
}

Deno.test("sinkhorn: golden plans worked out by hand", () => {
  const opts = { reg: 1, maxIters: 1000, tol: 1e-9 };
  // POT's example: x / (1/2 - x) = e, x = e / (2 (1 + e)) = 0.3655293
  const pot = sinkhorn(matrix([[0, 1], [1, 0]]), opts);
  assert.ok(pot.converged);
  assert.deepEqual(Array.from(pot.plan.values, (x) => +x.toFixed(7)), [
    0.3655293,
    0.1344707,
    0.1344707,
    0.3655293,
  ]);
  // cost -I at reg 0.1: (x / (1/2 - x))^2 = e^20, x = (1/2) e^10 / (1 + e^10) = 0.4999773
  const id = sinkhorn(matrix([[-1, 0], [0, -1]]), { ...opts, reg: 0.1 });
  assert.deepEqual(Array.from(id.plan.values, (x) => +x.toFixed(7)), [
    0.4999773,
    0.0000227,
    0.0000227,
    0.4999773,
  ]);
  // 1 x 2 and 2 x 1: the marginals alone fix the plan, whatever the cost
  const row = sinkhorn(matrix([[-1, 0]]), opts).plan.values;
  assert.deepEqual(Array.from(row, (x) => +x.toFixed(12)), [0.5, 0.5]);
  const col = sinkhorn(matrix([[-1], [0]]), opts).plan.values;
  assert.deepEqual(Array.from(col, (x) => +x.toFixed(12)), [0.5, 0.5]);
  // a constant shift of the cost does not change the plan (C = -S and C = 1 - S agree)
  const shifted = sinkhorn(matrix([[0, -1], [-1, 0]].map((r) => r.map((c) => c + 1))), opts);
  const plain = sinkhorn(matrix([[0, -1], [-1, 0]]), opts);
  shifted.plan.values.forEach((x, k) => assert.ok(Math.abs(x - plain.plan.values[k]!) < 1e-12));
});

Deno.test("sinkhorn: marginals and the plain Sinkhorn-Knopp reference, random rectangular costs, 8 seeds", () => {
  let unconverged = 0;
  for (let seed = 1; seed <= 8; seed++) {
    const rng = new Rng(100 + seed);
    for (let t = 0; t < 25; t++) {
      const n = 1 + rng.int(6), m = 1 + rng.int(6);
      const s = randomMatrix(rng, n, m);
      const cost: Matrix = { rows: n, cols: m, values: s.values.map((x) => -x) };
      const res = sinkhorn(cost, { reg: 0.1, maxIters: 1000, tol: 1e-9 });
      const label = `seed ${seed} case ${t} (${n} x ${m})`;
      // POT's stopping rule: converged means a column error < tol; a near-permutation plan can
      // take longer than 1000 iterations (1 case in 200 here), then the error is still small.
      if (!res.converged) {
        assert.equal(res.iterations, 1000, label);
        unconverged++;
      }
      for (let i = 0; i < n; i++) {
        let row = 0;
        for (let j = 0; j < m; j++) row += at(res.plan, i, j);
        assert.ok(Math.abs(row - 1 / n) < 1e-12, `${label} row ${i}: ${row}`);
      }
      for (let j = 0; j < m; j++) {
        let c = 0;
        for (let i = 0; i < n; i++) c += at(res.plan, i, j);
        assert.ok(
          Math.abs(c - 1 / m) < (res.converged ? 1e-9 : 1e-6),
          `${label} column ${j}: ${c}`,
        );
      }
      const ref = referenceSinkhorn(cost, 0.1, res.iterations);
      ref.forEach((x, k) => assert.ok(Math.abs(x - res.plan.values[k]!) < 1e-12, label));
    }
  }
  assert.ok(unconverged <= 2, `${unconverged} of 200 did not converge`);
});

Deno.test("sinkhorn: small reg concentrates on the Hungarian assignment; stopping rule", () => {
  const rng = new Rng(7);
  for (let t = 0; t < 20; t++) {
    const n = 2 + rng.int(4);
    const s = randomMatrix(rng, n, n);
    const a = hungarian(s);
    const cost: Matrix = { rows: n, cols: n, values: s.values.map((x) => -x) };
    const { plan } = sinkhorn(cost, { reg: 1e-3, maxIters: 20000, tol: 1e-9 });
    // each row's mass (1/n) sits on its Hungarian column, up to the entropic blur
    a.forEach((j, i) => assert.ok(at(plan, i, j) > 0.9 / n, `case ${t} row ${i}`));
  }
  const cost = matrix([[-0.3, -0.9, 0], [-0.8, -0.2, -0.5]]);
  // the error is checked at iteration 1, 11, 21, ...: a loose tol stops after the first
  const loose = sinkhorn(cost, { reg: 0.1, maxIters: 1000, tol: 1 });
  assert.equal(loose.iterations, 1);
  assert.ok(loose.converged);
  const capped = sinkhorn(cost, { reg: 0.1, maxIters: 5, tol: 1e-15 });
  assert.equal(capped.iterations, 5);
  assert.equal(capped.converged, false);
  assert.throws(() => sinkhorn(cost, { reg: 0, maxIters: 5, tol: 1e-9 }), /sinkhorn: reg 0/);
  assert.throws(() => sinkhorn(cost, { reg: 0.1, maxIters: 0, tol: 1e-9 }), /maxIters 0/);
});
