import assert from "node:assert/strict";
import type { RoundJudge, RoundScore, Trajectory } from "@creditlab/core";
import { Rng } from "@creditlab/kernels";
import { grpoTokenAdvantages } from "../grpo/mod.ts";
import {
  assertPerToken,
  batchOf,
  configWith,
  contextOf,
  r4,
  randomTrajectories,
  referenceAdvantage,
  TableJudge,
} from "../testing.ts";
import {
  type CreditForm,
  minFormReturns,
  processAdvantages,
  processRewards,
  pure,
  PURE_DEFAULTS,
  type PureConfig,
  pureTokenAdvantages,
  softMinWeights,
} from "./mod.ts";

const cfg = configWith(PURE_DEFAULTS);

Deno.test("pure credit: golden soft-min weights and returns, K - 1 = 3 rounds, T = 0.1", () => {
  // r = [0.5, 0.3, 0.4]; -r / T = [-5, -3, -4]; exp = 0.006738, 0.049787, 0.018316;
  // Z = 0.074841; w = [0.0900, 0.6652, 0.2447] (the minimum r_2 = 0.3 takes two thirds).
  const r = [0.5, 0.3, 0.4];
  assert.deepEqual(r4(softMinWeights(r, 0.1)), [0.09, 0.6652, 0.2447]);
  // trajectory (the paper's): w r = [0.0450, 0.1996, 0.0979]; backward sums
  // G_3 = 0.0979, G_2 = 0.0979 + 0.1996 = 0.2975, G_1 = 0.2975 + 0.0450 = 0.3425.
  const soft = (over: "trajectory" | "suffix"): CreditForm => ({
    kind: "soft-min",
    temperature: 0.1,
    over,
  });
  assert.deepEqual(r4(minFormReturns(r, soft("trajectory"))), [0.3425, 0.2975, 0.0979]);
  // suffix: G_3 = r_3 = 0.4; G_2 = softmin of [0.3, 0.4] = 0.3 + 0.1 * e^-1 / (1 + e^-1)
  // = 0.3 + 0.1 * 0.2689 = 0.3269; G_1 = 0.3 + 0.2 w_1 + 0.1 w_3 = 0.3 + 0.0180 + 0.0245.
  assert.deepEqual(r4(minFormReturns(r, soft("suffix"))), [0.3425, 0.3269, 0.4]);
  assert.deepEqual(r4(minFormReturns(r, { kind: "min" })), [0.3, 0.3, 0.4]);
  assert.deepEqual(r4(minFormReturns(r, { kind: "sum" })), [1.2, 0.7, 0.4]);
  // signed judge rewards [1, -1, 1]: w = [e^-10, e^10, e^-10] / Z, so the bad round holds all
  // the weight: trajectory G = [-1, -1, ~0] (round 3 comes after the minimum); suffix G = [-1, -1, 1]
  const pm = [1, -1, 1];
  assert.deepEqual(r4(minFormReturns(pm, soft("trajectory"))), [-1, -1, 0]);
  assert.deepEqual(r4(minFormReturns(pm, soft("suffix"))), [-1, -1, 1]);
  // ties at the minimum share the weight; equal rewards: trajectory G_k = r (K-k)/(K-1)
  assert.deepEqual(r4(softMinWeights([0, 1, 0], 0.1)), [0.5, 0, 0.5]);
  assert.deepEqual(r4(minFormReturns([1, 1, 1], soft("trajectory"))), [1, 0.6667, 0.3333]);
  assert.deepEqual(r4(minFormReturns([1, 1, 1], soft("suffix"))), [1, 1, 1]);
  assert.deepEqual(Array.from(minFormReturns([], { kind: "min" })), []);
});

Deno.test("pure credit: golden process rewards, process advantages and token kernel", () => {
  const s: RoundScore[] = [
    { retrieval: 1, thinking: 1 },
    { retrieval: 1, thinking: 0 },
    { retrieval: 0, thinking: 0 },
  ];
  const pr = (score: "product" | "mean", range: "signed" | "unit") =>
    Array.from(processRewards(s, { score, range }));
  assert.deepEqual(pr("product", "signed"), [1, -1, -1]);
  assert.deepEqual(pr("product", "unit"), [1, 0, 0]);
  assert.deepEqual(pr("mean", "signed"), [1, 0, -1]);
  assert.deepEqual(pr("mean", "unit"), [1, 0.5, 0]);
  // group 0: returns {1, 0.5} and {-1, 0}; group 1: a single judged round {1}.
  // group 0: mean 0.125, deviations 0.875, 0.375, -1.125, -0.125; sum of squares
  // 0.765625 + 0.140625 + 1.265625 + 0.015625 = 2.1875; unbiased var 0.729167, std 0.853913
  const returns = [Float64Array.of(1, 0.5), Float64Array.of(-1, 0), null, Float64Array.of(1)];
  const g = Int32Array.of(0, 0, 0, 1);
  const z = processAdvantages(returns, g, { normalization: "group", normalizeStd: true, eps: 0 });
  assert.deepEqual(z.map((x) => x && r4(x)), [
    [1.0247, 0.4392],
    [-1.3175, -0.1464],
    null,
    [0], // a group with one judged round has no baseline: 0
  ]);
  const centred = processAdvantages(returns, g, {
    normalization: "group",
    normalizeStd: false,
    eps: 0,
  });
  assert.deepEqual(centred.map((x) => x && r4(x)), [[0.875, 0.375], [-1.125, -0.125], null, [0]]);
  const raw = processAdvantages(returns, g, { normalization: "none", normalizeStd: true, eps: 0 });
  assert.deepEqual(raw.map((x) => x && Array.from(x)), [[1, 0.5], [-1, 0], null, [1]]);
  // kernel: row 0 = prompt 2 | round 1: 2 tokens | obs 1 | round 2 (answer): 1 | pad 1
  //         row 1 = prompt 2 | round 1 (answer): 2 | pad 3 (no judged round)
  const layout = {
    n: 2,
    length: 7,
    lossMask: Float32Array.of(0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0),
    roundIds: Int32Array.of(0, 0, 1, 1, 1, 2, 0, 0, 0, 1, 1, 0, 0, 0),
  };
  const out = pureTokenAdvantages(
    Float32Array.of(1, -0.5),
    [Float32Array.of(-2), null],
    layout,
    0.25,
  );
  // round 1 of row 0: 1 + 0.25 * -2 = 0.5; its answer round: 1; row 1: -0.5 on its policy tokens
  assert.deepEqual(Array.from(out), [0, 0, 0.5, 0.5, 0, 1, 0, 0, 0, -0.5, -0.5, 0, 0, 0]);
});

Deno.test("pure credit: bad inputs are errors naming what is wrong", () => {
  assert.throws(
    () =>
      processRewards([{ retrieval: 2, thinking: 1 } as unknown as RoundScore], {
        score: "product",
        range: "signed",
      }),
    /round 1 has retrieval = 2/,
  );
  assert.throws(() => minFormReturns([0, NaN], { kind: "min" }), /reward of round 2 is NaN/);
  assert.throws(() => softMinWeights([0], 0), /temperature 0/);
  assert.throws(
    () =>
      processAdvantages([null], Int32Array.of(0, 0), {
        normalization: "group",
        normalizeStd: true,
        eps: 1e-6,
      }),
    /1 rows of returns but 2 group ids/,
  );
});

Deno.test("pure credit: T -> 0 gives the exact min of future rewards (suffix: every round; trajectory: up to the worst)", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 50; trial++) {
    const m = 1 + rng.int(6);
    // distinct rewards at least 0.01 apart in [-1, 1]
    const pool = rng.shuffle(Array.from({ length: 201 }, (_, i) => (i - 100) / 100));
    const r = pool.slice(0, m);
    const futureMin = r.map((_, k) => Math.min(...r.slice(k)));
    const worst = r.indexOf(Math.min(...r));
    let prevSuffix = Infinity;
    for (const T of [1e-1, 1e-2, 1e-3, 1e-4]) {
      const suffix = minFormReturns(r, { kind: "soft-min", temperature: T, over: "suffix" });
      // soft-min is a weighted mean >= the min that falls as T falls
      const err = Math.max(...Array.from(suffix, (g, k) => g - futureMin[k]!));
      assert.ok(err >= -1e-15 && err <= prevSuffix + 1e-15, `trial ${trial} T ${T}: ${err}`);
      prevSuffix = err;
    }
    // at T = 1e-4 a gap of 0.01 weighs e^-100: the limits are exact to rounding
    const suffix = minFormReturns(r, { kind: "soft-min", temperature: 1e-4, over: "suffix" });
    const traj = minFormReturns(r, { kind: "soft-min", temperature: 1e-4, over: "trajectory" });
    const exact = minFormReturns(r, { kind: "min" });
    r.forEach((_, k) => {
      assert.ok(Math.abs(suffix[k]! - futureMin[k]!) < 1e-12, `suffix trial ${trial} k ${k}`);
      assert.equal(exact[k], futureMin[k]);
      const want = k <= worst ? futureMin[k]! : 0;
      assert.ok(Math.abs(traj[k]! - want) < 1e-12, `trajectory trial ${trial} k ${k}`);
    });
  }
});

Deno.test("pure credit: reduces to GRPO with processCoef 0, and with equal process rewards (suffix, min)", async () => {
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Rng(300 + seed);
    const table: Record<string, RoundScore> = {};
    const batch = batchOf(randomTrajectories(rng, table, { maxSearches: 4, tag: "x" }), {
      padTo: 40,
    });
    const judge = new TableJudge(table);
    const step = async (c: PureConfig, j: RoundJudge) =>
      (await pure.step(batch, contextOf(c, { resources: { "round-judge": j } }))).advantages;
    for (
      const credit of [
        PURE_DEFAULTS.credit,
        { kind: "soft-min", temperature: 0.5, over: "suffix" },
        { kind: "min" },
        { kind: "sum" },
      ] as CreditForm[]
    ) {
      const c = cfg({ credit, processCoef: 0 });
      assert.deepEqual(Array.from(await step(c, judge)), Array.from(grpoTokenAdvantages(batch, c)));
    }
    // every round scores the same: every return of the group is equal, A^proc = 0
    const scores: RoundScore[] = [{ retrieval: 1, thinking: 1 }, { retrieval: 0, thinking: 1 }];
    const score = scores[rng.int(2)]!;
    const constant: RoundJudge = { score: (_q, rs) => Promise.resolve(rs.map(() => score)) };
    for (
      const credit of [
        { kind: "soft-min", temperature: 0.1, over: "suffix" },
        { kind: "min" },
      ] as CreditForm[]
    ) {
      for (const processScore of ["product", "mean"] as const) {
        const c = cfg({ credit, processScore, processCoef: 1.5 });
        const got = await step(c, constant);
        const want = grpoTokenAdvantages(batch, c);
        got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `seed ${seed} token ${i}`));
      }
    }
  }
});

/** G_1..G_m straight from the definitions (O(m^2), no shifts). */
function plainReturns(r: number[], c: CreditForm): number[] {
  return r.map((_, k) => {
    const fut = r.slice(k);
    if (c.kind === "min") return Math.min(...fut);
    if (c.kind === "sum") return fut.reduce((a, b) => a + b, 0);
    const over = c.over === "trajectory" ? r : fut;
    const z = over.reduce((a, x) => a + Math.exp(-x / c.temperature), 0);
    return fut.reduce((a, x) => a + (Math.exp(-x / c.temperature) / z) * x, 0);
  });
}

Deno.test("pure credit: fast returns equal the O(m^2) definitions on random rewards", () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 300; trial++) {
    const m = rng.int(8);
    // rewards on a coarse grid (ties happen) in [-1, 1]
    const r = Array.from({ length: m }, () => (rng.int(9) - 4) / 4);
    const T = 0.05 + rng.next();
    for (
      const c of [
        { kind: "soft-min", temperature: T, over: "trajectory" },
        { kind: "soft-min", temperature: T, over: "suffix" },
        { kind: "min" },
        { kind: "sum" },
      ] as CreditForm[]
    ) {
      const fast = minFormReturns(r, c);
      plainReturns(r, c).forEach((want, k) =>
        assert.ok(Math.abs(fast[k]! - want) < 1e-9, `trial ${trial} ${c.kind} k ${k}`)
      );
    }
  }
});

Deno.test("pure credit: the method's per-token advantages equal a plain per-token loop across seeds", async () => {
  for (let seed = 0; seed < 30; seed++) {
    const rng = new Rng(seed);
    const table: Record<string, RoundScore> = {};
    const trajs = randomTrajectories(rng, table, { maxSearches: 4, tag: "y" });
    const batch = batchOf(trajs, { padTo: 50 });
    const credits: CreditForm[] = [
      { kind: "soft-min", temperature: 0.05 + rng.next(), over: "trajectory" },
      { kind: "soft-min", temperature: 0.05 + rng.next(), over: "suffix" },
      { kind: "min" },
      { kind: "sum" },
    ];
    const c = cfg({
      credit: credits[rng.int(4)]!,
      processScore: rng.next() < 0.5 ? "product" : "mean",
      processRange: rng.next() < 0.5 ? "signed" : "unit",
      processNormalization: rng.next() < 0.7 ? "group" : "none",
      processCoef: rng.next() * 2,
      normalizeStd: rng.next() < 0.7,
    });
    const fast = (await pure.step(
      batch,
      contextOf(c, { resources: { "round-judge": new TableJudge(table) } }),
    )).advantages;
    // plain: process rewards, returns, then group statistics over all judged rounds by hand
    const K = (t: Trajectory) =>
      Math.max(...t.turns.filter((u) => u.role === "policy").map((u) => u.round));
    const G = trajs.map((t) => {
      const r = t.turns.filter((u) => u.role === "policy" && u.round < K(t)).map((u) => {
        const s = table[u.text]!;
        const v = c.processScore === "product"
          ? s.retrieval * s.thinking
          : (s.retrieval + s.thinking) / 2;
        return c.processRange === "signed" ? 2 * v - 1 : v;
      });
      return plainReturns(r, c.credit);
    });
    const P = trajs.map((t, i) =>
      G[i]!.map((g) => {
        if (c.processNormalization === "none") return g;
        const all = trajs.flatMap((u, j) => (u.groupId === t.groupId ? G[j]! : []));
        if (all.length === 1) return 0;
        const mean = all.reduce((a, b) => a + b, 0) / all.length;
        const sd = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / (all.length - 1));
        return Math.abs(g - mean) < 1e-12 ? 0 : (g - mean) / (c.normalizeStd ? sd + c.eps : 1);
      })
    );
    assertPerToken(fast, trajs, batch.length, (t, row) => {
      const a = referenceAdvantage(trajs, t, c);
      return (turn) => (turn.round < K(t) ? a + c.processCoef * P[row]![turn.round - 1]! : a);
    }, { tol: 1e-4, label: `seed ${seed}` });
  }
});
