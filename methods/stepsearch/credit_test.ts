import assert from "node:assert/strict";
import type { Question, Trajectory } from "@creditlab/core";
import { normalizeAnswer } from "@creditlab/datasets";
import { Rng } from "@creditlab/kernels";
import { formatPassages } from "@creditlab/agent";
import { grpo } from "../grpo/mod.ts";
import {
  assertPerToken,
  batchOf,
  contextOf,
  question,
  r4,
  referenceAdvantage,
  type RoundSpec,
  trajectory,
} from "../testing.ts";
import {
  normalizeSteps,
  roundCredit,
  stepsearch,
  STEPSEARCH_DEFAULTS,
  type StepSearchConfig,
  tfidfCosines,
  tfidfReferences,
} from "./mod.ts";

Deno.test("credit: golden normalisation and round credit, variable round counts", () => {
  // group 0: rows with 2, 3 and 0 scored rounds; group 1: a single scored round.
  // group 0 rewards {0.5, 0 | 0, -1, 0.5}: mean 0; squares 0.25 + 0 + 0 + 1 + 0.25 = 1.5;
  // unbiased var 0.375, std 0.612372: z = 0.8165, 0, 0, -1.633, 0.8165
  const steps = [
    { rounds: Int32Array.of(1, 2), rewards: Float64Array.of(0.5, 0) },
    { rounds: Int32Array.of(1, 3, 4), rewards: Float64Array.of(0, -1, 0.5) },
    { rounds: new Int32Array(0), rewards: new Float64Array(0) },
    { rounds: Int32Array.of(2), rewards: Float64Array.of(0.7) },
    null,
  ];
  const g = Int32Array.of(0, 0, 0, 1, 1);
  const z = normalizeSteps(steps, g, { normalization: "group", normalizeStd: true, eps: 0 });
  assert.deepEqual(z.map((x) => x && r4(x)), [[0.8165, 0], [0, -1.633, 0.8165], [], [0], null]);
  // without std: centred only; "none": raw
  const c = normalizeSteps(steps, g, { normalization: "group", normalizeStd: false, eps: 0 });
  assert.deepEqual(c.map((x) => x && r4(x)), [[0.5, 0], [0, -1, 0.5], [], [0], null]);
  const n = normalizeSteps(steps, g, { normalization: "none", normalizeStd: true, eps: 0 });
  assert.deepEqual(n.map((x) => x && r4(x)), [[0.5, 0], [0, -1, 0.5], [], [0.7], null]);
  // row 1 has K = 5 rounds (round 2 an invalid action, round 5 the answer):
  // return: V_5 = 0, V_4 = 0.5, V_3 = -0.5, V_2 = -0.5 (nothing scored in round 2), V_1 = -0.5
  assert.deepEqual(r4(roundCredit(steps[1]!.rounds, [0, -1, 0.5], 5, "return")), [
    -0.5,
    -0.5,
    -0.5,
    0.5,
    0,
  ]);
  assert.deepEqual(r4(roundCredit(steps[1]!.rounds, [0, -1, 0.5], 5, "round")), [0, 0, -1, 0.5, 0]);
  assert.deepEqual(Array.from(roundCredit(new Int32Array(0), [], 2, "return")), [0, 0]);
  assert.throws(
    () => roundCredit(Int32Array.of(3), [1], 2, "return"),
    /scored round 3 outside 1..2/,
  );
  assert.throws(
    () => roundCredit(Int32Array.of(1), [], 2, "return"),
    /0 values for 1 scored rounds/,
  );
  assert.throws(
    () =>
      normalizeSteps(steps, Int32Array.of(0), {
        normalization: "none",
        normalizeStd: true,
        eps: 0,
      }),
    /5 rows of step rewards but 1 group ids/,
  );
});

const POOL = [
  "alpha beta",
  "beta gamma.",
  "Gamma delta",
  "delta alpha zeta",
  "eta theta",
  "alpha alpha",
  "the iota",
];

/** What a random trajectory retrieved: its scored rounds and their passages. */
interface Truth {
  rounds: number[];
  passages: string[][];
}

/**
 * Random groups (ids 0..2, question q<g>), each question with 0-3 gold documents from the pool;
 * trajectories of 0-4 rounds of searches (0-3 pool passages), invalid actions and searches the
 * episode ended on, then an answer (or none).
 */
function randomCase(rng: Rng): { trajs: Trajectory[]; truth: Truth[]; questions: Question[] } {
  const pick = () => POOL[rng.int(POOL.length)]!;
  const questions = [0, 1, 2].map((g): Question => ({
    ...question(`q${g}`),
    metadata: { support_docs: Array.from({ length: rng.int(4) }, pick) },
  }));
  const truth: Truth[] = [];
  const trajs = Array.from({ length: 2 + rng.int(8) }, () => {
    const g = rng.int(3);
    const t: Truth = { rounds: [], passages: [] };
    const rounds: RoundSpec[] = [];
    const n = rng.int(5);
    for (let k = 1; k <= n; k++) {
      const u = rng.next();
      if (u < 0.7) {
        const ps = Array.from({ length: rng.int(4) }, pick);
        const obs = formatPassages(
          ps.map((text, i) => ({ id: `${i}`, title: "t", text, score: 1 })),
        );
        rounds.push({ policy: `<search> w${k} </search>`, obs });
        t.rounds.push(k);
        t.passages.push(ps);
      } else if (u < 0.85) rounds.push({ policy: "oops", obs: "Invalid action." });
      else rounds.push({ policy: `<search> end </search>` }); // not scored
    }
    if (rng.next() < 0.8) rounds.push({ policy: "<answer> a </answer>" });
    truth.push(t);
    return trajectory({ groupId: g, questionId: `q${g}`, reward: rng.int(2), rounds });
  });
  return { trajs, truth, questions };
}

/** Plain step rewards s_t of one trajectory (cumulative best match by brute force). */
function plainSteps(t: Truth, gold: string[], w: number): number[] {
  const refs = tfidfReferences(gold.map(normalizeAnswer));
  const best = (upTo: number, i: number) => {
    let c = 0;
    for (let u = 0; u <= upTo; u++) {
      for (const p of t.passages[u]!) c = Math.max(c, tfidfCosines(normalizeAnswer(p), refs)[i]!);
    }
    return c;
  };
  return t.passages.map((ps, u) => {
    let g = 0;
    for (let i = 0; i < gold.length; i++) g += best(u, i) - (u === 0 ? 0 : best(u - 1, i));
    const before = t.passages.slice(0, u).flat();
    const rep = ps.filter((p, j) => before.includes(p) || ps.slice(0, j).includes(p)).length;
    return g / gold.length - w * (ps.length === 0 ? 0 : rep / ps.length);
  });
}

Deno.test("credit: the method's advantages equal a plain per-token loop across seeds", async () => {
  for (let seed = 0; seed < 40; seed++) {
    const rng = new Rng(900 + seed);
    const { trajs, truth, questions } = randomCase(rng);
    const batch = batchOf(trajs, { padTo: 60 });
    const credits = ["return", "round", "trajectory"] as const;
    const c: StepSearchConfig = {
      ...structuredClone(STEPSEARCH_DEFAULTS),
      credit: credits[rng.int(3)]!,
      stepNormalization: rng.next() < 0.6 ? "group" : "none",
      stepScale: rng.next() * 2,
      redundancyWeight: rng.next() * 2,
      normalizeStd: rng.next() < 0.7,
    };
    const fast = (await stepsearch.step(batch, contextOf(c, { questions }))).advantages;
    const gold = (t: Trajectory) =>
      questions.find((q) => q.id === t.questionId)!.metadata!["support_docs"] as string[];
    const S = trajs.map((t, i) =>
      gold(t).length === 0 ? null : plainSteps(truth[i]!, gold(t), c.redundancyWeight)
    );
    // normalised step rewards, by hand over the group's scored rounds
    const Z = S.map((s, i) =>
      s?.map((x) => {
        if (c.stepNormalization === "none") return x;
        const all = S.flatMap((u, j) => (u && trajs[j]!.groupId === trajs[i]!.groupId ? u : []));
        if (all.length === 1) return 0;
        const mean = all.reduce((a, b) => a + b, 0) / all.length;
        const sd = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / (all.length - 1));
        return Math.abs(x - mean) < 1e-12 ? 0 : (x - mean) / (c.normalizeStd ? sd + c.eps : 1);
      }) ?? null
    );
    const shaped = trajs.map((t, i) => ({
      ...t,
      reward: t.reward + c.stepScale * (S[i]?.reduce((a, b) => a + b, 0) ?? 0),
    }));
    assertPerToken(fast, trajs, batch.length, (t, r) => {
      if (c.credit === "trajectory") {
        const a = referenceAdvantage(shaped, shaped[r]!, c);
        return () => a;
      }
      const a = referenceAdvantage(trajs, t, c);
      return (turn) => {
        const z = Z[r];
        if (!z) return a;
        let v = 0;
        truth[r]!.rounds.forEach((k, u) => {
          if (c.credit === "return" ? k >= turn.round : k === turn.round) v += z[u]!;
        });
        return a + c.stepScale * v;
      };
    }, { tol: 1e-4, label: `seed ${seed} ${c.credit}/${c.stepNormalization}` });
    // stepScale 0 is GRPO, bit for bit
    const zero = await stepsearch.step(batch, contextOf({ ...c, stepScale: 0 }, { questions }));
    assert.deepEqual(
      zero.advantages,
      (await grpo.step(batch, contextOf(c))).advantages,
      `seed ${seed}`,
    );
  }
});
