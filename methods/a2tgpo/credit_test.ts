import assert from "node:assert/strict";
import type { RoundScore, Trajectory } from "@creditlab/core";
import { Rng } from "@creditlab/kernels";
import { grpoTokenAdvantages } from "../grpo/mod.ts";
import { assertPerToken, batchOf, groupOf, r4, randomTrajectories } from "../testing.ts";
import {
  a2tgpoTokenAdvantages,
  normalizeGains,
  tokenClipScales,
  turnClipScale,
  turnTerms,
} from "./mod.ts";

const std = { normalizeStd: true, eps: 0 };

// One prompt group whose trajectories took 2, 3 and 4 rounds: gains of their 1, 2, 3 non-final
// turns.
const GAINS = [Float64Array.of(0.2), Float64Array.of(0.4, 0.1), Float64Array.of(0, 0.3, -0.2)];
const ONE_GROUP = Int32Array.of(0, 0, 0);

Deno.test("a2tgpo credit: golden z-scores per turn index vs jointly, variable turn counts", () => {
  // Per turn index (the paper's): turn 1 = {0.2, 0.4, 0}: mean 0.2, unbiased std
  // sqrt((0 + 0.04 + 0.04) / 2) = 0.2, z = [0, 1, -1]; turn 2 = {0.1, 0.3}: mean 0.2,
  // std sqrt(0.02 / 1) = 0.1414, z = [-0.7071, 0.7071]; turn 3 = {-0.2} alone: z = 0.
  const perIndex = normalizeGains(GAINS, ONE_GROUP, { normalization: "per-turn-index", ...std });
  assert.deepEqual(perIndex.map((z) => r4(z!)), [[0], [1, -0.7071], [-1, 0.7071, 0]]);
  // Jointly (the unbiased variant): all six gains, mean 0.8 / 6 = 0.1333, squared deviations
  // 0.00444 + 0.07111 + 0.00111 + 0.01778 + 0.02778 + 0.11111 = 0.23333, std sqrt(0.23333 / 5)
  // = 0.2160; z = (g - 0.1333) / 0.2160.
  const joint = normalizeGains(GAINS, ONE_GROUP, { normalization: "group-joint", ...std });
  assert.deepEqual(joint.map((z) => r4(z!)), [[0.3086], [1.2344, -0.1543], [
    -0.6172,
    0.7715,
    -1.543,
  ]]);
  // Groups are separate; a row without gains stays null; without std only the mean is removed.
  const two = normalizeGains(
    [Float64Array.of(1), Float64Array.of(3), null],
    Int32Array.of(0, 1, 0),
    {
      normalization: "per-turn-index",
      ...std,
    },
  );
  assert.deepEqual(two.map((z) => z && r4(z)), [[0], [0], null]);
  const centred = normalizeGains(GAINS, ONE_GROUP, {
    normalization: "per-turn-index",
    normalizeStd: false,
    eps: 0,
  });
  assert.deepEqual(centred.map((z) => r4(z!)), [[0], [0.2, -0.1], [-0.2, 0.1, 0]]);
});

Deno.test("a2tgpo credit: golden turn terms (discounted sum / sqrt(#terms)) and clip scales", () => {
  // The 4-round trajectory's per-index z = [-1, 0.7071, 0]. gamma 1: S = [-0.2929, 0.7071, 0],
  // n = [3, 2, 1], T = [-0.2929 / 1.7321, 0.7071 / 1.4142, 0] = [-0.1691, 0.5, 0].
  const z = [-1, Math.SQRT1_2, 0];
  assert.deepEqual(r4(turnTerms(z, { gamma: 1, rescale: "sqrt-count" })), [-0.1691, 0.5, 0]);
  assert.deepEqual(r4(turnTerms(z, { gamma: 1, rescale: "none" })), [-0.2929, 0.7071, 0]);
  // gamma 0.5: S_3 = 0, S_2 = 0.7071, S_1 = -1 + 0.3536 = -0.6464; / sqrt(3): -0.3732.
  assert.deepEqual(r4(turnTerms(z, { gamma: 0.5, rescale: "sqrt-count" })), [-0.3732, 0.5, 0]);
  // gamma 0: each turn its own z, divided by sqrt(#terms counted) all the same.
  assert.deepEqual(r4(turnTerms(z, { gamma: 0, rescale: "sqrt-count" })), [-0.5774, 0.5, 0]);
  // s = 1 + 0.3 (2 sigma(z) - 1): sigma(0.7071) = 0.6698, 2 sigma - 1 = 0.3395, s = 1.1019;
  // symmetric below 1 for -z; 1 at z = 0; bounded by 1 +- beta.
  assert.equal(turnClipScale(Math.SQRT1_2, 0.3).toFixed(4), "1.1019");
  assert.equal(turnClipScale(-Math.SQRT1_2, 0.3).toFixed(4), "0.8981");
  assert.equal(turnClipScale(0, 0.3), 1);
  assert.equal(turnClipScale(3, 0), 1);
  assert.ok(turnClipScale(50, 0.3) <= 1.3 && turnClipScale(-50, 0.3) >= 0.7);
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  for (const x of [-2, -0.3, 0.1, 1.7]) {
    assert.ok(Math.abs(turnClipScale(x, 0.3) - (1 + 0.3 * (2 * sigmoid(x) - 1))) < 1e-12);
  }
});

Deno.test("a2tgpo credit: golden token advantages and clip scales of a 3-round trajectory", () => {
  // Rounds: prompt (3 tokens), round 1 search (3) + observation (3), round 2 search (3) + obs
  // (3), round 3 answer (3). A = 0.5, T = [-0.1691, 0.5], lambda = 1: round 1 tokens
  // 0.5 - 0.1691 = 0.3309, round 2 tokens 1.0, answer round 0.5; scales s = [0.9, 1.2] on the
  // tokens of rounds 1 and 2, 1 elsewhere.
  const t = groupOf(0, [{
    reward: 1,
    rounds: [
      { policy: "<search> a </search>", obs: "<information> x </information>" },
      { policy: "<search> b </search>", obs: "<information> y </information>" },
      { policy: "<answer> c </answer>" },
    ],
  }]);
  const batch = batchOf(t, { padTo: 20 });
  const adv = a2tgpoTokenAdvantages(
    Float32Array.of(0.5),
    [Float64Array.of(-0.1691, 0.5)],
    batch,
    1,
  );
  const round = (k: number) => (k === 1 ? 0.3309 : k === 2 ? 1 : 0.5);
  assertPerToken(adv, t, batch.length, () => (u) => round(u.round), { tol: 1e-6, label: "adv" });
  const s = tokenClipScales([Float64Array.of(0.9, 1.2)], batch);
  const row = Array.from(s, (v) => +v.toFixed(4));
  assert.deepEqual(row, [
    ...[1, 1, 1],
    ...[0.9, 0.9, 0.9, 1, 1, 1],
    ...[1.2, 1.2, 1.2, 1, 1, 1],
    ...[1, 1, 1],
    ...[1, 1],
  ]);
  assert.throws(
    () => tokenClipScales([Float64Array.of(0.9, 0)], batch),
    /tokenClipScales: row 0 turn 2 has clip scale 0; expected a finite number > 0/,
  );
  assert.throws(() => tokenClipScales([], batch), /scales has 0 rows, expected n = 1/);
});

/** Random trajectories of variable turn counts, and random gains for their non-final turns. */
function randomCase(seed: number) {
  const rng = new Rng(seed);
  const trajs = randomTrajectories(rng, {} as Record<string, RoundScore>, { maxSearches: 4 });
  const batch = batchOf(trajs, { padTo: 60 });
  const gains = trajs.map((_, r) => {
    const m = batch.numRounds[r]! - 1;
    // Some ties, so equal values and one-member sets occur.
    return m === 0 ? null : Float64Array.from({ length: m }, () => rng.int(4) * 0.25 - 0.3);
  });
  return { rng, trajs, batch, gains };
}

/** Plain reference of the z-score of gain k (0-based) of trajectory r. */
function plainZ(
  trajs: Trajectory[],
  gains: (Float64Array | null)[],
  r: number,
  k: number,
  joint: boolean,
): number {
  const set: number[] = [];
  trajs.forEach((u, j) => {
    if (u.groupId !== trajs[r]!.groupId || gains[j] === null) return;
    gains[j]!.forEach((g, i) => {
      if (joint || i === k) set.push(Math.fround(g));
    });
  });
  if (set.length === 1) return 0;
  const mean = set.reduce((a, b) => a + b, 0) / set.length;
  const sd = Math.sqrt(set.reduce((a, b) => a + (b - mean) ** 2, 0) / (set.length - 1));
  const d = Math.fround(gains[r]![k]!) - Math.fround(mean);
  return d === 0 ? 0 : d / (sd + 1e-6);
}

Deno.test("a2tgpo credit: the kernels equal a plain turn-by-turn loop (seeds, options)", () => {
  for (let seed = 0; seed < 16; seed++) {
    const { trajs, batch, gains } = randomCase(seed);
    const joint = seed % 2 === 1;
    const gamma = [1, 0.5, 0.9, 0][seed % 4]!;
    const rescale = seed % 3 === 0 ? "none" : "sqrt-count";
    const beta = 0.1 + 0.05 * (seed % 5), coef = 0.5 + (seed % 3);
    const z = normalizeGains(gains, batch.groupIds, {
      normalization: joint ? "group-joint" : "per-turn-index",
      normalizeStd: true,
      eps: 1e-6,
    });
    const terms = z.map((x) => x && turnTerms(x, { gamma, rescale }));
    const scales = z.map((x) => x && Float64Array.from(x, (v) => turnClipScale(v, beta)));
    const rowAdv = Float32Array.from(trajs, (_, r) => r * 0.1 - 0.2);
    const adv = a2tgpoTokenAdvantages(rowAdv, terms, batch, coef);
    const clip = tokenClipScales(scales, batch);
    // The reference walks each trajectory's turns: T_k from the plain z-scores by direct sums.
    const plainT = (r: number, k: number) => {
      const m = gains[r]!.length;
      let s = 0;
      for (let j = k; j < m; j++) s += gamma ** (j - k) * plainZ(trajs, gains, r, j, joint);
      return rescale === "none" ? s : s / Math.sqrt(m - k);
    };
    const label = `seed ${seed}`;
    assertPerToken(adv, trajs, batch.length, (_t, r) => (u) => {
      const m = gains[r]?.length ?? 0;
      return u.round <= m ? rowAdv[r]! + coef * plainT(r, u.round - 1) : rowAdv[r]!;
    }, { tol: 1e-4, label });
    let i = 0;
    trajs.forEach((t, r) => {
      const m = gains[r]?.length ?? 0;
      for (const u of t.turns) {
        for (let j = 0; j < u.tokens.length; j++, i++) {
          const want = u.role === "policy" && u.round >= 1 && u.round <= m
            ? 1 + beta * (2 / (1 + Math.exp(-plainZ(trajs, gains, r, u.round - 1, joint))) - 1)
            : 1;
          assert.ok(Math.abs(clip[i]! - want) < 1e-5, `${label} row ${r}: ${clip[i]} vs ${want}`);
        }
      }
      for (; i < (r + 1) * batch.length; i++) assert.equal(clip[i], 1, `${label} padding`);
    });
  }
});

Deno.test("a2tgpo credit: zero normalised gains give GRPO's advantages and clip scales of 1", () => {
  for (let seed = 0; seed < 6; seed++) {
    const { batch, gains } = randomCase(seed);
    // Equal gains within each (group, turn index): every z is exactly 0.
    const flat = gains.map((g) => g && g.map((_, k) => 0.1 * k));
    const z = normalizeGains(flat, batch.groupIds, {
      normalization: "per-turn-index",
      normalizeStd: true,
      eps: 1e-6,
    });
    assert.ok(z.every((x) => x === null || x.every((v) => v === 0)));
    const terms = z.map((x) => x && turnTerms(x, { gamma: 0.7, rescale: "sqrt-count" }));
    const cfg = { normalizeStd: true, eps: 1e-6, singletonGroup: "verl" } as const;
    const grpo = grpoTokenAdvantages(batch, cfg);
    const rowAdv = Float32Array.from(batch.trajectories, (_, r) => grpo[r * batch.length + 3]!);
    const scales = z.map((x) => x && Float64Array.from(x, (v) => turnClipScale(v, 0.3)));
    // Row advantages read off the GRPO tokens (every row's 4th token is a policy token).
    assert.deepEqual(a2tgpoTokenAdvantages(rowAdv, terms, batch, 1), grpo);
    assert.ok(tokenClipScales(scales, batch).every((s) => s === 1));
  }
});
