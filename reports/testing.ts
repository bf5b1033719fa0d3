/**
 * Test fixture for the report tests: writes a small store through the public RunStore API.
 * Its numbers are SYNTHETIC (drawn from a seeded Rng) and exist only to exercise the report
 * code paths; they are never shown as results.
 *
 * @module
 */

import { Rng } from "../kernels/rng.ts";
import { RunStore, type TrajectoryRow } from "../agent/runstore.ts";

const BENCHMARKS: [string, string][] = [
  ["nq", "test"],
  ["triviaqa", "test"],
  ["popqa", "test"],
  ["hotpotqa", "dev"],
  ["2wikimultihopqa", "dev"],
  ["musique", "dev"],
  ["bamboogle", "test"],
  ["searchworld", "test"],
  ["searchworld-ood", "test"],
];

function fakeRow(rng: Rng, i: number, group: number, withContrib: boolean): TrajectoryRow {
  // withContrib: CW-GRPO-like rows (round weights vary); else GRPO-like (uniform credit).
  const rounds = 1 + rng.int(3);
  const tokens: number[] = [];
  const roles: number[] = [];
  const roundIds: number[] = [];
  const lossMask: number[] = [];
  const advantages: number[] = [];
  const texts: string[] = ["Question: who? <think>"];
  const turnRoles: string[] = ["observation"];
  const outcome = rng.next() < 0.5 ? 1 : 0;
  const a = outcome ? 0.5 : -0.5;
  for (let t = 0; t < 4; t++) {
    tokens.push(1 + t);
    roles.push(0);
    roundIds.push(0);
    lossMask.push(0);
    advantages.push(0);
  }
  for (let k = 1; k <= rounds; k++) {
    const w = withContrib && k < rounds ? a * (0.5 + rng.next()) : a;
    for (let t = 0; t < 3 + rng.int(3); t++) {
      tokens.push(10 + t);
      roles.push(1);
      roundIds.push(k);
      lossMask.push(1);
      advantages.push(Math.round(w * 1000) / 1000);
    }
    texts.push(k < rounds ? `<search> hop ${k} </search>` : `<answer> x${i} </answer>`);
    turnRoles.push("policy");
    if (k < rounds) {
      for (let t = 0; t < 5; t++) {
        tokens.push(20 + t);
        roles.push(2);
        roundIds.push(k);
        lossMask.push(0);
        advantages.push(0);
      }
      texts.push(`<information> Doc 1(Title: t${k}) passage </information>`);
      turnRoles.push("observation");
    }
  }
  const row: TrajectoryRow = {
    questionId: `q${group}`,
    groupId: group,
    row: i,
    tokens,
    roles,
    roundIds,
    lossMask,
    advantages,
    texts,
    turnRoles,
    reward: outcome,
    outcome,
    toolCalls: rounds - 1,
    feedbackCalls: 0,
    answer: `x${i}`,
  };
  if (withContrib && rounds > 1) {
    row.contributions = Array.from({ length: rounds - 1 }, () => (rng.next() < 0.5 ? 1 : 0));
  }
  return row;
}

/**
 * Write a fixture store: experiment "cw-grpo" (baseline grpo and method cw-grpo, `seeds`
 * seeds each, full evals, curves, trajectories with contributions) and experiment "capf"
 * (method arm only, one seed, SearchWorld eval only, no trajectories) — a partial case.
 */
export async function writeFixtureStore(
  path: string,
  opts: { seeds?: number; steps?: number } = {},
): Promise<void> {
  const seeds = opts.seeds ?? 2;
  const steps = opts.steps ?? 4;
  const store = await RunStore.open(path);
  const t0 = new Date(Date.UTC(2026, 10, 21, 0, 0, 0));
  try {
    for (let seed = 1; seed <= seeds; seed++) {
      const id = await store.startRun({
        method: "sft",
        experiment: "sft",
        config: { steps: 10 },
        seed,
        backend: "wasm",
        commit: "fixture",
        preset: "smoke",
        startedAt: t0,
      });
      await store.logStep(id, 1, { "sft/loss": 2.5 });
      await store.logEval(id, {
        benchmark: "searchworld",
        split: "test",
        n: 50,
        em: 0.1 * seed,
        f1: 0.2,
      });
      await store.endRun(id, "completed", t0);
    }
    for (const [arm, method] of [["baseline", "grpo"], ["method", "cw-grpo"]] as const) {
      for (let seed = 1; seed <= seeds; seed++) {
        const rng = new Rng(seed * 100 + (arm === "baseline" ? 1 : 2));
        const id = await store.startRun({
          method,
          arm,
          experiment: "cw-grpo",
          config: {
            groupSize: 4,
            questionsPerStep: 2,
            lr: 1e-3,
            loss: { klCoef: 0.001, aggregation: "token-mean" },
          },
          seed,
          backend: "wasm",
          commit: "fixture",
          preset: "smoke",
          startedAt: t0,
        });
        for (let s = 1; s <= steps; s++) {
          await store.logStep(id, s, {
            "reward/mean": 0.1 * s + 0.05 * rng.next(),
            "outcome/em": 0.08 * s + 0.05 * rng.next(),
            kl: 0.001 * s,
            clip_fraction: 0.02 * rng.next(),
            "tool_calls/mean": 1 + rng.next(),
            ...(method === "cw-grpo" ? { judge_calls: 4 + rng.int(3) } : {}),
          });
          const rows = Array.from(
            { length: 8 },
            (_, i) => fakeRow(rng, i, i >> 2, method === "cw-grpo"),
          );
          await store.writeTrajectories(id, s, rows);
        }
        for (const [b, split] of BENCHMARKS) {
          const em = 0.2 + 0.3 * rng.next() + (method === "cw-grpo" ? 0.05 : 0);
          await store.logEval(id, {
            benchmark: b,
            split,
            n: 50,
            em,
            f1: Math.min(1, em + 0.05),
            extra: {
              toolCalls: 1 + rng.int(3),
              // Two hop counts whose EMs average to the overall EM (25 questions each).
              ...(b === "searchworld"
                ? {
                  byHops: { "1": { n: 25, em: em + 0.1 }, "2": { n: 25, em: em - 0.1 } },
                  lookup: { accuracy: Math.min(1, em + 0.2), chance: 0.4, n: 75, missed: 0 },
                }
                : {}),
            },
          });
        }
        await store.endRun(id, "completed", new Date(t0.getTime() + 60_000));
      }
    }
    const id = await store.startRun({
      method: "capf",
      arm: "method",
      experiment: "capf",
      config: {},
      seed: 1,
      backend: "wasm",
      commit: "fixture",
      preset: "smoke",
      startedAt: t0,
    });
    await store.logStep(id, 1, { "reward/mean": 0.1, "feedback_calls/mean": 0.5 });
    await store.logEval(id, { benchmark: "searchworld", split: "test", n: 20, em: 0.25, f1: 0.3 });
  } finally {
    store.close();
  }
}
