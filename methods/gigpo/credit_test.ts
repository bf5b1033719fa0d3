import assert from "node:assert/strict";
import type { Trajectory } from "@creditlab/core";
import { Rng } from "@creditlab/kernels";
import { getMethod } from "@creditlab/train";
import "../grpo/mod.ts";
import {
  assertPerToken,
  batchOf,
  configWith,
  contextOf,
  r4,
  referenceAdvantage,
  trajectory,
} from "../testing.ts";
import {
  type AnchorKeyKind,
  discountedReturns,
  episodeAdvantages,
  type EpisodeStats,
  gigpo,
  GIGPO_DEFAULTS,
  type GigpoConfig,
  gigpoTokenAdvantages,
  outcomeStepReturns,
  stepAdvantages,
  type StepNormalization,
} from "./mod.ts";

const cfg = configWith(GIGPO_DEFAULTS);

Deno.test("gigpo credit: golden returns, episode and step advantages, token kernel", () => {
  // eq. 5 backwards: r = [0.5, 0, 1], gamma 0.9: G_3 = 1, G_2 = 0.9, G_1 = 0.5 + 0.81 = 1.31
  assert.deepEqual(r4(discountedReturns([0.5, 0, 1], 0.9)), [1.31, 0.9, 1]);
  assert.throws(() => discountedReturns([0, NaN], 0.9), /reward of round 2 is NaN/);
  // outcome only: G_{r,k} = 0.95^(K-k) R. Row 0: K = 3, R = 1 -> [0.9025, 0.95, 1];
  // row 1: K = 0 (no entry); row 2: K = 2, R = 0 -> [0, 0]
  const off = Int32Array.of(0, 3, 3, 5);
  assert.deepEqual(r4(outcomeStepReturns(Float32Array.of(1, 1, 0), off, 0.95)), [
    0.9025,
    0.95,
    1,
    0,
    0,
  ]);
  assert.throws(
    () => outcomeStepReturns(Float32Array.of(1), off, 0.95),
    /4 offsets for 1 rows; expected n \+ 1/,
  );
  // episode: rewards [1, 0, 1, 0], rounds [3, 3, 4, 2], one group.
  // trajectory: mean 0.5, unbiased std sqrt(1/3) = 0.57735: A = +-0.5 / 0.57735 = +-0.8660
  // step: 12 copies (seven 1s, five 0s): mean 7/12 = 0.58333; squares 7 * 0.41667^2 +
  // 5 * 0.58333^2 = 1.21528 + 1.70139 = 2.91667, / 11 = 0.26515, std 0.51493:
  // A = 0.41667 / 0.51493 = 0.8092 and -0.58333 / 0.51493 = -1.1328
  const b = {
    rewards: Float32Array.of(1, 0, 1, 0),
    groupIds: Int32Array.of(0, 0, 0, 0),
    numRounds: Int32Array.of(3, 3, 4, 2),
  };
  const g = { normalizeStd: true, eps: 1e-6, singletonGroup: "verl" } as const;
  assert.deepEqual(r4(episodeAdvantages(b, g, "trajectory")), [0.866, -0.866, 0.866, -0.866]);
  assert.deepEqual(r4(episodeAdvantages(b, g, "step")), [0.8092, -1.1328, 0.8092, -1.1328]);
  // without std, step-weighted: 1 - 7/12 = 0.41667, -7/12
  assert.deepEqual(r4(episodeAdvantages(b, { ...g, normalizeStd: false }, "step")), [
    0.4167,
    -0.5833,
    0.4167,
    -0.5833,
  ]);
  // one trajectory with one round is a singleton (verl: A = R / (1 + eps)); with 3 rounds its 3
  // copies are a group of equal values (A = 0); a row with no round gets 0
  const one = (K: number) => ({
    rewards: Float32Array.of(1),
    groupIds: Int32Array.of(0),
    numRounds: Int32Array.of(K),
  });
  assert.deepEqual(r4(episodeAdvantages(one(1), g, "step")), [1]);
  assert.deepEqual(Array.from(episodeAdvantages(one(3), g, "step")), [0]);
  assert.deepEqual(Array.from(episodeAdvantages(one(0), g, "step")), [0]);
  // step: anchor group 0 = {0.9025, 0, 0.95, 0}: mean 0.463125 -> [0.439375, -0.463125,
  // 0.486875, -0.463125]; group 1 = {0.95, 0, 1}: mean 0.65 -> [0.3, -0.65, 0.35]; group 2 alone
  const ret = Float32Array.of(0.9025, 0, 0.95, 0, 0.95, 0, 1, 0.7);
  const ids = Int32Array.of(0, 0, 0, 0, 1, 1, 1, 2);
  assert.deepEqual(r4(stepAdvantages(ret, ids, { normalization: "mean", eps: 1e-6 })), [
    0.4394,
    -0.4631,
    0.4869,
    -0.4631,
    0.3,
    -0.65,
    0.35,
    0,
  ]);
  // mean-std: group 0 squares 0.193050 + 2 * 0.214485 + 0.237047 = 0.859067, / 3 = 0.286356,
  // std 0.535122; group 1 squares 0.09 + 0.4225 + 0.1225 = 0.635, / 2, std 0.563471
  assert.deepEqual(r4(stepAdvantages(ret, ids, { normalization: "mean-std", eps: 1e-6 })), [
    0.8211,
    -0.8655,
    0.9098,
    -0.8655,
    0.5324,
    -1.1536,
    0.6211,
    0,
  ]);
  // kernel: row 0 = prompt 1 | round 1: 2 tokens | obs 1 | round 2: 1 token
  //         row 1 = prompt 1 | round 1: 1 token | pad 3
  const layout = {
    n: 2,
    length: 5,
    lossMask: Float32Array.of(0, 1, 1, 0, 1, 0, 1, 0, 0, 0),
    roundIds: Int32Array.of(0, 1, 1, 1, 2, 0, 1, 0, 0, 0),
  };
  const out = gigpoTokenAdvantages(
    Float32Array.of(1, -0.5),
    Float32Array.of(0.25, -1, 0.5),
    Int32Array.of(0, 2, 3),
    layout,
    2,
  );
  // row 0: 1 + 2 * 0.25 = 1.5 (round 1), 1 + 2 * -1 = -1 (round 2); row 1: -0.5 + 2 * 0.5 = 0.5
  assert.deepEqual(Array.from(out), [0, 1.5, 1.5, 0, -1, 0, 0.5, 0, 0, 0]);
  assert.throws(
    () => gigpoTokenAdvantages(Float32Array.of(1, 1), Float32Array.of(0), off, layout, 1),
    /4 offsets and 1 step advantages for n = 2 rows/,
  );
});

// ---- a random batch and a plain reference computed from the definitions ----

const POOL: [string, string][] = [
  ["alpha", "alpha is a city ."],
  ["beta (band)", "beta is a band ."],
  ["gamma", "gamma is a river ."],
];
const INVALID = "My previous action is invalid. Let me try again.";

/** What the generator knows of a row: per round k, the pool ids shown before it and the texts. */
interface Truth {
  shownBefore: number[][];
  textsBefore: string[][];
}

/**
 * 2..9 trajectories in groups 0..2, reward 0/1, 0..3 non-final rounds (a search showing 1-2
 * passages of a pool of 3 in random order, or an invalid action), then an answer. The small
 * pool makes states recur.
 */
function randomBatch(rng: Rng): { trajs: Trajectory[]; truth: Truth[] } {
  const trajs: Trajectory[] = [], truth: Truth[] = [];
  const n = 2 + rng.int(8);
  for (let i = 0; i < n; i++) {
    const rounds: { policy: string; obs?: string }[] = [];
    const shown = new Set<number>(), texts: string[] = [];
    const t: Truth = { shownBefore: [], textsBefore: [] };
    const m = rng.int(4);
    for (let k = 0; k <= m; k++) {
      t.shownBefore.push([...shown].sort());
      t.textsBefore.push([...texts]);
      if (k === m) break;
      let obs = INVALID;
      if (rng.next() < 0.8) {
        const docs = rng.shuffle([0, 1, 2]).slice(0, 1 + rng.int(2));
        docs.forEach((d) => shown.add(d));
        obs = `<information> ${
          docs.map((d, j) => `Doc ${j + 1}(Title: ${POOL[d]![0]}) ${POOL[d]![1]}`).join("\n")
        } </information>`;
      }
      texts.push(obs.replace(/\s+/g, " "));
      rounds.push({ policy: `<search> t${i} r${k} </search>`, obs });
    }
    rounds.push({ policy: "<answer> a </answer>" });
    trajs.push(trajectory({ groupId: rng.int(3), reward: rng.int(2), rounds }));
    truth.push(t);
  }
  return { trajs, truth };
}

/** The reference key of round k (1-based) of a row, from the generator's truth. */
function refKey(t: Truth, k: number, kind: AnchorKeyKind, keyRound: boolean): string {
  const state = kind === "retrieved-set"
    ? t.shownBefore[k - 1]!.join(",")
    : kind === "exact-history"
    ? t.textsBefore[k - 1]!.join("|")
    : t.textsBefore[k - 1]!.at(-1) ?? "PROMPT";
  return keyRound ? `${k}#${state}` : state;
}

/** A^E from the definition: per trajectory (testing's reference) or over K copies per row. */
function refEpisode(trajs: Trajectory[], r: number, c: GigpoConfig): number {
  const t = trajs[r]!;
  if (c.episodeStats === "trajectory") return referenceAdvantage(trajs, t, c);
  const K = (u: Trajectory) => u.turns.filter((x) => x.role === "policy").length;
  const copies = trajs.filter((u) => u.groupId === t.groupId).flatMap((u) =>
    Array<number>(K(u)).fill(u.reward)
  );
  if (copies.length === 1) return c.normalizeStd ? t.reward / (1 + c.eps) : t.reward;
  const mean = copies.reduce((a, x) => a + x, 0) / copies.length;
  const sd = Math.sqrt(copies.reduce((a, x) => a + (x - mean) ** 2, 0) / (copies.length - 1));
  const d = t.reward - mean;
  return d === 0 ? 0 : c.normalizeStd ? d / (sd + c.eps) : d;
}

/** A^S of every round of every row, by plain loops over all rounds of the batch. */
function refStep(trajs: Trajectory[], truth: Truth[], c: GigpoConfig): number[][] {
  const entries = trajs.flatMap((t, r) =>
    truth[r]!.shownBefore.map((_, j) => ({
      r,
      g: t.groupId,
      key: refKey(truth[r]!, j + 1, c.anchorKey, c.keyRound),
      ret: c.gamma ** (truth[r]!.shownBefore.length - 1 - j) * t.reward,
    }))
  );
  return trajs.map((_, r) =>
    entries.filter((e) => e.r === r).map((e) => {
      const mates = entries.filter((x) => x.g === e.g && x.key === e.key).map((x) => x.ret);
      if (mates.length === 1) return 0;
      const mean = mates.reduce((a, x) => a + x, 0) / mates.length;
      const sd = Math.sqrt(mates.reduce((a, x) => a + (x - mean) ** 2, 0) / (mates.length - 1));
      const d = e.ret - mean;
      return c.stepNormalization === "mean" || d === 0 ? d : d / (sd + c.eps);
    })
  );
}

Deno.test("gigpo credit: the method's per-token advantages equal a plain per-token loop across seeds and options", async () => {
  let repeatedLater = 0;
  for (let seed = 0; seed < 25; seed++) {
    const rng = new Rng(1000 + seed);
    const { trajs, truth } = randomBatch(rng);
    const batch = batchOf(trajs, { padTo: 60 });
    for (const anchorKey of ["retrieved-set", "exact-history", "last-observation"] as const) {
      for (const keyRound of [true, false]) {
        for (const stepNormalization of ["mean", "mean-std"] as StepNormalization[]) {
          for (const episodeStats of ["trajectory", "step"] as EpisodeStats[]) {
            const c = cfg({
              anchorKey,
              keyRound,
              stepNormalization,
              episodeStats,
              normalizeStd: rng.next() < 0.5,
              gamma: rng.next() < 0.5 ? 0.95 : 0.5 + 0.45 * rng.next(),
              stepWeight: rng.next() < 0.5 ? 1 : 2 * rng.next(),
            });
            const res = await gigpo.step(batch, contextOf(c));
            const step = refStep(trajs, truth, c);
            assertPerToken(
              res.advantages,
              trajs,
              batch.length,
              (_t, r) => (turn) =>
                refEpisode(trajs, r, c) + c.stepWeight * step[r]![turn.round - 1]!,
              { tol: 1e-4, label: `seed ${seed} ${JSON.stringify(c)}` },
            );
            repeatedLater += res.metrics["gigpo/repeated_share_later_rounds"]! > 0 ? 1 : 0;
          }
        }
      }
    }
  }
  // the random batches do repeat states after round 1 (the test exercises real anchor groups)
  assert.ok(repeatedLater > 100, `${repeatedLater}`);
});

Deno.test("gigpo credit: reduces to GRPO with omega 0, and when every anchor group has one member", async () => {
  const grpo = getMethod("grpo");
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Rng(2000 + seed);
    const { trajs } = randomBatch(rng);
    const batch = batchOf(trajs, { padTo: 60 });
    const want = (await grpo.step(batch, contextOf(cfg()))).advantages;
    for (const anchorKey of ["retrieved-set", "exact-history", "last-observation"] as const) {
      const c = cfg({ anchorKey, stepWeight: 0, gamma: rng.next() });
      assert.deepEqual((await gigpo.step(batch, contextOf(c))).advantages, want, `seed ${seed}`);
    }
    // every trajectory its own prompt group: every anchor group has one member, A^S = 0
    const alone = trajs.map((t, i) => ({ ...t, groupId: i }));
    const aloneBatch = batchOf(alone, { padTo: 60 });
    const res = await gigpo.step(aloneBatch, contextOf(cfg({ stepWeight: 1.5 })));
    assert.deepEqual(res.advantages, (await grpo.step(aloneBatch, contextOf(cfg()))).advantages);
    assert.equal(res.metrics["gigpo/repeated_round_share"], 0);
    assert.equal(res.metrics["gigpo/step_advantage_abs_mean"], 0);
    for (const rec of res.records!) assert.ok(rec!.rounds.values.every((v) => v === 0));
  }
});
