import assert from "node:assert/strict";
import { assertClose as close } from "@creditlab/core/testing";
import {
  groupMoments,
  policyRounds,
  pooledSlope,
  trainedMeanAdvantage,
  turnCountProfile,
  withinCellSlope,
} from "./turn_count.ts";
import { bootstrapSlope, stratumSlopes } from "./turn_count_bootstrap.ts";
import { credited, GOLD, type Spec } from "./turn_count_testing.ts";

// Two groups. Group 0: successes K = 2, 3, 3 with c = 0.5, 0.2, 0.2 (num −0.2, den 2/3, see
// withinCellSlope's example) and failures K = 2, 4 with c = −0.4, −0.8 (K̄ = 3, c̄ = −0.6:
// num = (−1)(0.2) + (1)(−0.2) = −0.4, den = 2). Group 1: two successes of one K and one failure,
// no informative cell. S = (−0.2 − 0.4) / (2/3 + 2) = −0.225.
const HAND = {
  credit: Float64Array.of(0.5, 0.2, 0.2, -0.4, -0.8, 0.9, 0.1, -1),
  turns: Int32Array.of(2, 3, 3, 2, 4, 3, 3, 5),
  ids: {
    outcomes: Uint8Array.of(1, 1, 1, 0, 0, 1, 1, 0),
    groupIds: Int32Array.of(4, 4, 4, 4, 4, 9, 9, 9),
    strata: Int32Array.of(0, 0, 0, 0, 0, 1, 1, 1),
  },
};

Deno.test("turn count: hand-worked slope over two groups and two outcomes", () => {
  close(withinCellSlope(HAND.credit, HAND.turns, HAND.ids), -0.225, 1e-12);
  const m = groupMoments(HAND.credit, HAND.turns, HAND.ids);
  assert.deepEqual([...m.groups], [4, 9]);
  assert.deepEqual([...m.strata], [0, 1]);
  close(m.num[0]!, -0.6, 1e-12);
  close(m.den[0]!, 8 / 3, 1e-12);
  assert.deepEqual([m.num[1], m.den[1]], [0, 0]);
  assert.deepEqual([m.informativeCells, m.informativeTrajectories], [2, 5]);
  const per = stratumSlopes(m);
  assert.equal(per.length, 2);
  close(per[0]!.slope, -0.225, 1e-12);
  assert.ok(Number.isNaN(per[1]!.slope)); // stratum 1 has no informative cell
});

Deno.test("turn count: credit by outcome and K, deviations from same-outcome group mates", () => {
  const p = turnCountProfile(HAND.credit, HAND.turns, HAND.ids);
  const row = (o: number, k: number) => p.find((c) => c.outcome === o && c.turns === k)!;
  assert.deepEqual(p.map((c) => [c.outcome, c.turns, c.trajectories, c.informative]), [
    [0, 2, 1, 1],
    [0, 4, 1, 1],
    [0, 5, 1, 0],
    [1, 2, 1, 1],
    [1, 3, 4, 2],
  ]);
  close(row(0, 2).meanDeviation, 0.2, 1e-12);
  close(row(0, 4).meanDeviation, -0.2, 1e-12);
  assert.ok(Number.isNaN(row(0, 5).meanDeviation));
  close(row(1, 3).meanDeviation, -0.1, 1e-12);
  close(row(1, 3).meanCredit, (0.2 + 0.2 + 0.9 + 0.1) / 4, 1e-12);
});

Deno.test("turn count: outcome-only GRPO gives S = 0 exactly on a constructed batch", async () => {
  const specs: Spec[] = [
    // group 0: successes with K = 1, 3, 4, a failure with K = 2 and one with K = 5
    { uid: "0", rounds: 1, answer: GOLD },
    { uid: "0", rounds: 3, answer: GOLD },
    { uid: "0", rounds: 4, answer: GOLD },
    { uid: "0", rounds: 2, answer: "bob" },
    { uid: "0", rounds: 5, answer: "eve" },
    // group 1: one success, failures with K = 1, 2, 2, 3
    { uid: "1", rounds: 2, answer: GOLD },
    { uid: "1", rounds: 1, answer: "bob" },
    { uid: "1", rounds: 2, answer: "bob" },
    { uid: "1", rounds: 2, answer: "eve" },
    { uid: "1", rounds: 3, answer: "bob" },
  ];
  const recs = await credited(specs, "grpo");
  const credit = Float64Array.from(
    recs,
    (r) => trainedMeanAdvantage(r.advantages!, r.response_mask),
  );
  const turns = Int32Array.from(specs, (s) => s.rounds);
  const ids = {
    outcomes: Uint8Array.from(specs, (s) => (s.answer === GOLD ? 1 : 0)),
    groupIds: Int32Array.from(specs, (s) => Number(s.uid)),
  };
  assert.ok(credit[0]! > 0 && credit[3]! < 0, "the groups' credit is not trivially 0");
  const m = groupMoments(credit, turns, ids);
  assert.equal(m.informativeCells, 3); // group 0's two cells and group 1's failures
  assert.equal(pooledSlope(m.num, m.den), 0);
  for (const c of turnCountProfile(credit, turns, ids)) {
    if (c.informative > 0) assert.equal(c.meanDeviation, 0, `outcome ${c.outcome} K ${c.turns}`);
  }
  // Summed per-round credit (c x K) would not be 0 under GRPO: it grows with K by construction.
  const summed = credit.map((c, i) => c * turns[i]!);
  assert.ok(Math.abs(withinCellSlope(summed, turns, ids)) > 0.1);
});

Deno.test("turn count: equal credit in a cell gives exactly 0 (no rounding residue)", () => {
  // A plain mean of 0.1, 0.1, 0.1 is 0.10000000000000002, which would leave S = 3e-33 here.
  const ids = { outcomes: Uint8Array.of(1, 1, 1), groupIds: Int32Array.of(0, 0, 0) };
  assert.equal(withinCellSlope(Float64Array.of(0.1, 0.1, 0.1), Int32Array.of(1, 1, 3), ids), 0);
  const p = turnCountProfile(Float64Array.of(0.1, 0.1, 0.1), Int32Array.of(1, 1, 3), ids);
  assert.deepEqual(p.map((c) => c.meanDeviation), [0, 0]);
});

Deno.test("turn count: per-trajectory credit and turn count", () => {
  const xs = [0.1, 0.1, 0.1];
  assert.notEqual(xs.reduce((a, b) => a + b, 0) / xs.length, 0.1); // a plain mean rounds
  assert.equal(trainedMeanAdvantage([9, ...xs, 9], [0, 1, 1, 1, 0]), 0.1);
  close(trainedMeanAdvantage([1, 2, 4], [1, 1, 1]), 7 / 3, 1e-12);
  assert.ok(Number.isNaN(trainedMeanAdvantage([1, 2], [0, 0])));
  // prompt (0), round 1 policy + observation, round 2 feedback only, round 3 policy
  assert.equal(policyRounds([0, 1, 2, 3, 1], [0, 1, 1, 2, 3]), 2);
  assert.throws(() => policyRounds([1], [1, 1]), /roundIds has 2 entries, roles 1/);
  assert.throws(() => trainedMeanAdvantage([1], [1, 1]), /lossMask has 2 entries/);
});

Deno.test("turn count: bad columns are refused naming the field", () => {
  const ids = { outcomes: Uint8Array.of(1, 1), groupIds: Int32Array.of(0, 0) };
  const c = Float64Array.of(0, 1);
  assert.throws(() => withinCellSlope(c, Int32Array.of(1), ids), /turns has 1 entries, credit 2/);
  assert.throws(
    () => withinCellSlope(Float64Array.of(0, NaN), Int32Array.of(1, 2), ids),
    /credit\[1\] is NaN/,
  );
  assert.throws(() => withinCellSlope(c, Int32Array.of(1, 0), ids), /turns\[1\] is 0/);
  assert.throws(
    () => withinCellSlope(c, Int32Array.of(1, 2), { ...ids, outcomes: Uint8Array.of(2, 1) }),
    /outcomes\[0\] is 2/,
  );
  assert.throws(
    () => withinCellSlope(c, Int32Array.of(1, 2), { ...ids, strata: Int32Array.of(0, 1) }),
    /strata\[1\] is 1, but group 0 is in stratum 0/,
  );
});

Deno.test("turn count bootstrap: the resampling distribution by hand", () => {
  // One stratum, groups (num, den) = (0, 1) and (2, 1): a resample's slope is 0, 1 or 2 with
  // probabilities 1/4, 1/2, 1/4, so the 2.5% and 97.5% percentiles are 0 and 2.
  const ci = bootstrapSlope(Float64Array.of(0, 2), Float64Array.of(1, 1), {
    strata: Int32Array.of(0, 0),
    resamples: 4000,
  });
  assert.deepEqual([ci.lo, ci.hi, ci.degenerate, ci.resamples], [0, 2, 0, 4000]);
  // Two strata of one group each: every resample keeps both, slope (1 + 3) / 2 = 2 exactly
  // (resampling across strata would give 1, 2 or 3).
  const strat = bootstrapSlope(Float64Array.of(1, 3), Float64Array.of(1, 1), {
    strata: Int32Array.of(0, 1),
  });
  assert.deepEqual([strat.lo, strat.hi], [2, 2]);
  // Same seed, same interval; groups without an informative cell only: all degenerate.
  const a = bootstrapSlope(HAND.credit.slice(0, 3), Float64Array.of(1, 2, 3), {
    strata: Int32Array.of(0, 0, 0),
    seed: 5,
  });
  const b = bootstrapSlope(HAND.credit.slice(0, 3), Float64Array.of(1, 2, 3), {
    strata: Int32Array.of(0, 0, 0),
    seed: 5,
  });
  assert.deepEqual(a, b);
  const none = bootstrapSlope(Float64Array.of(0), Float64Array.of(0), {
    strata: Int32Array.of(0),
    resamples: 10,
  });
  assert.equal(none.degenerate, 10);
  assert.ok(Number.isNaN(none.lo) && Number.isNaN(none.hi));
  assert.throws(
    () => bootstrapSlope(Float64Array.of(0), Float64Array.of(1), { strata: Int32Array.of() }),
    /one entry per group/,
  );
  assert.throws(
    () =>
      bootstrapSlope(Float64Array.of(0), Float64Array.of(1), {
        strata: Int32Array.of(0),
        resamples: 0,
      }),
    /resamples must be a positive integer/,
  );
});

Deno.test("turn count bootstrap: a paired difference is the slope of the numerators' difference", () => {
  const m = groupMoments(HAND.credit, HAND.turns, HAND.ids);
  const shifted = HAND.credit.map((c, i) => c + 0.1 * HAND.turns[i]!); // slope + 0.1 exactly
  const v = groupMoments(shifted, HAND.turns, HAND.ids);
  const diff = v.num.map((x, j) => x - m.num[j]!);
  close(pooledSlope(diff, m.den), 0.1, 1e-12);
  const ci = bootstrapSlope(diff, m.den, { strata: m.strata });
  close(ci.lo, 0.1, 1e-12);
  close(ci.hi, 0.1, 1e-12);
});
