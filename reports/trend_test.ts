import assert from "node:assert/strict";
import { assertClose as close } from "@creditlab/core/testing";
import { tQuantile } from "./stats.ts";
import { trainingTrend } from "./trend.ts";

const T975_2 = 4.3027; // t_{0.975, 2}, from the table

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
