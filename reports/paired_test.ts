import assert from "node:assert/strict";
import { assertClose as close } from "@creditlab/core/testing";
import { type PairedCell, pairedDelta } from "./paired.ts";
import { verdict } from "./verdict.ts";
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
