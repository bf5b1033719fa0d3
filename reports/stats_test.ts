import assert from "node:assert/strict";
import { assertClose as close } from "@creditlab/core/testing";
import {
  incompleteBeta,
  mean,
  median,
  sampleStd,
  studentTCdf,
  tInterval,
  tQuantile,
  welchInterval,
} from "./stats.ts";

Deno.test("stats: mean and sample std by hand", () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  close(sampleStd([1, 2, 3, 6]), Math.sqrt(14 / 3), 1e-12);
  assert.ok(Number.isNaN(sampleStd([1])));
  assert.ok(Number.isNaN(mean([])));
});

Deno.test("stats: t quantiles match the printed table", () => {
  // Two-sided 95% critical values (any statistics table).
  const table: [number, number][] = [
    [1, 12.7062],
    [2, 4.3027],
    [3, 3.1824],
    [4, 2.7764],
    [9, 2.2622],
    [29, 2.0452],
    [120, 1.9799],
  ];
  for (const [df, t] of table) close(tQuantile(0.975, df), t, 5e-4, `df=${df}`);
  close(tQuantile(0.025, 4), -2.7764, 5e-4, "lower tail");
  close(tQuantile(0.975, 1e6), 1.95996, 1e-4, "normal limit");
});

Deno.test("stats: t CDF and incomplete beta reduce to closed forms", () => {
  // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/pi.
  for (const t of [-3, -0.5, 0, 0.7, 4]) {
    close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-10);
  }
  // df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
  for (const t of [-2, 0.3, 5]) {
    close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-10);
  }
  // I_x(1, 1) = x; I_x(a, 1) = x^a.
  close(incompleteBeta(0.3, 1, 1), 0.3, 1e-12);
  close(incompleteBeta(0.6, 3, 1), 0.216, 1e-12);
});

Deno.test("stats: t interval by hand and single-seed case", () => {
  const iv = tInterval([1, 2, 3]);
  assert.equal(iv.mean, 2);
  assert.equal(iv.std, 1);
  close(iv.halfWidth, 4.3027 / Math.sqrt(3), 1e-3);
  const one = tInterval([0.4]);
  assert.equal(one.mean, 0.4);
  assert.ok(Number.isNaN(one.halfWidth));
});

Deno.test("stats: Welch interval equals pooled interval for equal sizes and variances", () => {
  const a = [1, 2, 3];
  const b = [2, 3, 4];
  const w = welchInterval(a, b);
  assert.equal(w.mean, -1);
  // Equal n and s: df = 2n - 2 = 4, se = s * sqrt(2/n).
  close(w.halfWidth, 2.7764 * Math.sqrt(2 / 3), 1e-3);
  assert.ok(Number.isNaN(welchInterval([1], [1, 2]).halfWidth));
  assert.equal(welchInterval([1, 1], [2, 2]).halfWidth, 0);
});

Deno.test("median: middle value, mean of the two middle ones, NaN for none", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
