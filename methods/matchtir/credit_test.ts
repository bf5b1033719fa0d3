import assert from "node:assert/strict";
import { Rng } from "@creditlab/kernels";
import { assertPerToken, batchOf, groupOf, r4 } from "../testing.ts";
import {
  callRewards,
  discountedReturns,
  matchtirTokenAdvantages,
  matrix,
  similarityMatrix,
  SINKHORN_DEFAULTS,
  turnAdvantages,
  turnRewards,
} from "./mod.ts";

Deno.test("matchtir credit: call rewards of hard and soft matchings (hand-worked)", () => {
  // gold g0 = "a b c d", g1 = "a b x y"; predicted p0 = "a b c", p1 = "c d"
  // p0: vs g0 P = 1, R = 3/4, F1 = 6/7 = 0.8571; vs g1 common {a, b}: P = 2/3, R = 1/2, F1 = 4/7
  // p1: vs g0 P = 1, R = 1/2, F1 = 2/3; vs g1 0
  const s = similarityMatrix(["a b c", "c d"], ["a b c d", "a b x y"], {
    similarity: "token-f1",
    schemaTerms: false,
  });
  assert.deepEqual(r4(s.values), [0.8571, 0.5714, 0.6667, 0]);
  // Hungarian: p0 -> g1, p1 -> g0 (4/7 + 2/3 = 1.2381 > 6/7 + 0)
  const hard = callRewards(s, { kind: "hungarian" }, 0);
  assert.deepEqual(r4(hard.rewards), [0.5714, 0.6667]);
  assert.deepEqual(Array.from(hard.matched), [1, 0]);
  // greedy (released): p0 -> g0 (6/7), then only the 0 pair is left: p1 unmatched
  const greedy = callRewards(s, { kind: "greedy" }, -0.5);
  assert.deepEqual(r4(greedy.rewards), [0.8571, -0.5]);
  assert.deepEqual(Array.from(greedy.matched), [0, -1]);
  // 3 predicted x 1 gold: the two left out get unmatchedReward
  const tall = callRewards(matrix([[0.2], [1], [0.5]]), { kind: "hungarian" }, -0.25);
  assert.deepEqual(Array.from(tall.rewards), [-0.25, 1, -0.25]);
  // soft, one predicted x two gold: the marginals force T = [[1/2, 1/2]], reward
  // 1/2 * 1 + 1/2 * 0 = 0.5 (with n = 1, "mass" and "per-call" agree)
  const one = callRewards(matrix([[1, 0]]), SINKHORN_DEFAULTS, 0);
  assert.deepEqual(r4(one.rewards), [0.5]);
  assert.equal(one.matched[0], -1);
  // soft, two predicted x one gold: T = [[1/2], [1/2]]: mass [0.5, 0], per-call [1, 0]
  const two = matrix([[1], [0]]);
  assert.deepEqual(r4(callRewards(two, SINKHORN_DEFAULTS, 0).rewards), [0.5, 0]);
  const perCall = { ...SINKHORN_DEFAULTS, rewardScale: "per-call" } as const;
  assert.deepEqual(r4(callRewards(two, perCall, 0).rewards), [1, 0]);
  // identity at reg 0.1: x = (1/2) e^10 / (1 + e^10) = 0.4999773 (mass), 0.9999546 (per-call)
  const id = matrix([[1, 0], [0, 1]]);
  const soft = callRewards(id, perCall, 0);
  assert.deepEqual(Array.from(soft.rewards, (x) => +x.toFixed(7)), [0.9999546, 0.9999546]);
  assert.ok(soft.converged && soft.iterations >= 1);
  assert.throws(
    () => callRewards({ rows: 1, cols: 0, values: new Float64Array(0) }, { kind: "hungarian" }, 0),
    /no gold calls/,
  );
});

Deno.test("matchtir credit: turn rewards and discounted returns (hand-worked)", () => {
  // calls in rounds 1, 2, 4 of K = 5, answer in round 5 with outcome 1; round 3 invalid
  const r = turnRewards(5, [1, 2, 4], Float64Array.of(0.8, 0, 1), { round: 5, reward: 1 });
  assert.deepEqual(Array.from(r), [0.8, 0, 0, 1, 1]);
  // two calls in one round are averaged (the released code's per-turn mean)
  assert.deepEqual(Array.from(turnRewards(2, [1, 1], Float64Array.of(1, 0), null)), [0.5, 0]);
  assert.throws(() => turnRewards(2, [3], Float64Array.of(1), null), /call 0 is in round 3/);
  // gamma 0.9: R_5 = 1, R_4 = 1 + 0.9 = 1.9, R_3 = 0 + 1.71 = 1.71, R_2 = 1.539,
  // R_1 = 0.8 + 0.9 * 1.539 = 2.1851
  assert.deepEqual(r4(discountedReturns(r, 0.9)), [2.1851, 1.539, 1.71, 1.9, 1]);
  // gamma 1: suffix sums; gamma 0: the rewards themselves
  assert.deepEqual(r4(discountedReturns(r, 1)), [2.8, 2, 2, 2, 1]);
  assert.deepEqual(Array.from(discountedReturns(r, 0)), Array.from(r));
});

Deno.test("matchtir credit: per-turn-index and group-joint normalisation differ with variable turn counts", () => {
  // one group: row 0 returns [2, 1, 1] (3 rounds), row 1 [0] (1 round), row 2 [1, 0] (2 rounds)
  const R = [Float64Array.of(2, 1, 1), Float64Array.of(0), Float64Array.of(1, 0)];
  const g = Int32Array.of(5, 5, 5);
  const opts = { normalizeStd: true, eps: 0, singleton: "verl" } as const;
  // per turn index: k = 1 {2, 0, 1}: mean 1, std 1 -> [1, -1, 0]; k = 2 {1, 0}: mean 0.5,
  // std 0.7071 -> [0.7071, -0.7071]; k = 3 {1} alone: verl rule, 1 / (1 + 0) = 1
  const per = turnAdvantages(R, g, { ...opts, normalization: "per-turn-index" });
  assert.deepEqual(per.map((a) => r4(a!)), [[1, 0.7071, 1], [-1], [0, -0.7071]]);
  // jointly over {2, 1, 1, 0, 1, 0}: mean 5/6, deviations 7/6, 1/6, 1/6, -5/6, 1/6, -5/6;
  // squares sum (49 + 1 + 1 + 25 + 1 + 25) / 36 = 102 / 36, unbiased var 102 / 180 = 0.5667,
  // std 0.7528: A = [1.5498, 0.2214, 0.2214], [-1.1070], [0.2214, -1.1070]
  const joint = turnAdvantages(R, g, { ...opts, normalization: "group-joint" });
  assert.deepEqual(joint.map((a) => r4(a!)), [[1.5498, 0.2214, 0.2214], [-1.107], [
    0.2214,
    -1.107,
  ]]);
  // the singleton rule "zero" gives the lone round 3 nothing; rows without credit stay null
  const zero = turnAdvantages([...R, null], Int32Array.of(5, 5, 5, 5), {
    ...opts,
    singleton: "zero",
    normalization: "per-turn-index",
  });
  assert.equal(zero[0]![2], 0);
  assert.equal(zero[3], null);
  // groups are kept apart: the same returns in another group do not change group 5's values
  const two = turnAdvantages([...R, Float64Array.of(9, 9)], Int32Array.of(5, 5, 5, 6), {
    ...opts,
    normalization: "per-turn-index",
  });
  assert.deepEqual(two.slice(0, 3).map((a) => r4(a!)), per.map((a) => r4(a!)));
});

/** Plain reference of turnAdvantages: statistics per key by direct loops over the rows. */
function referenceTurnAdvantages(
  R: (number[] | null)[],
  groups: number[],
  perIndex: boolean,
  eps: number,
): (number[] | null)[] {
  const members = (r: number, k: number) => {
    const xs: number[] = [];
    R.forEach((row, q) => {
      if (row === null || groups[q] !== groups[r]) return;
      if (perIndex) {
        if (k < row.length) xs.push(row[k]!);
      } else xs.push(...row);
    });
    return xs;
  };
  return R.map((row, r) =>
    row === null ? null : row.map((x, k) => {
      const xs = members(r, k);
      if (xs.length === 1) return x / (1 + eps);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
      return x === mean ? 0 : (x - mean) / (sd + eps);
    })
  );
}

Deno.test("matchtir credit: turnAdvantages matches a plain-loop reference, random groups, 10 seeds", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const rng = new Rng(seed);
    const n = 2 + rng.int(10);
    const groups = Array.from({ length: n }, () => rng.int(3));
    const R = Array.from(
      { length: n },
      () =>
        rng.int(5) === 0 ? null : Array.from({ length: 1 + rng.int(5) }, () => rng.int(4) * 0.5),
    );
    for (const perIndex of [true, false]) {
      const got = turnAdvantages(
        R.map((x) => (x === null ? null : Float64Array.from(x))),
        Int32Array.from(groups),
        {
          normalization: perIndex ? "per-turn-index" : "group-joint",
          normalizeStd: true,
          eps: 1e-6,
          singleton: "verl",
        },
      );
      const want = referenceTurnAdvantages(R, groups, perIndex, 1e-6);
      want.forEach((w, r) => {
        if (w === null) return assert.equal(got[r], null);
        w.forEach((x, k) =>
          assert.ok(Math.abs(got[r]![k]! - x) < 1e-5, `seed ${seed} row ${r} k ${k}`)
        );
      });
    }
  }
});

Deno.test("matchtir credit: token advantages follow each turn's round (plain reference per turn)", () => {
  const trajs = groupOf(0, [
    {
      reward: 1,
      rounds: [
        { policy: "<search> a b </search>", obs: "<information> x y </information>" },
        { policy: "<search> c </search>", obs: "<information> z </information>" },
        { policy: "<answer> d </answer>" },
      ],
    },
    { reward: 0, rounds: [{ policy: "<answer> e f </answer>" }] },
  ]);
  const batch = batchOf(trajs, { padTo: 40 });
  const trajAdv = Float32Array.of(0.7, -0.7);
  const turnAdv = [Float32Array.of(1, -1, 0.5), null];
  for (const w of [0, 0.5, 1]) {
    const got = matchtirTokenAdvantages(trajAdv, turnAdv, batch, w);
    assertPerToken(got, trajs, batch.length, (_t, r) => (turn) => {
      const l = turnAdv[r];
      return l ? (1 - w) * trajAdv[r]! + w * l[turn.round - 1]! : trajAdv[r]!;
    }, { tol: 1e-6, label: `w ${w}` });
  }
  assert.throws(
    () => matchtirTokenAdvantages(Float32Array.of(1), turnAdv, batch, 0.5),
    /need n = 2 entries/,
  );
});
