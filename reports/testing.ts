/**
 * Test fixture for the report tests: writes a small store through the public RunStore API.
 * Its numbers are SYNTHETIC (drawn from a seeded Rng) and exist only to exercise the report
 * code paths; they are never shown as results.
 *
 * @module
 */

import { Rng } from "../kernels/rng.ts";
import { RunStore, type TrajectoryRow } from "@creditlab/runstore";
import { METRIC } from "@creditlab/core";

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

function fakeRow(rng: Rng, i: number, group: number, withWeights: boolean): TrajectoryRow {
  // withWeights: the method's rows (round weights vary); else uniform credit (every round alike).
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
    const w = withWeights && k < rounds ? a * (0.5 + rng.next()) : a;
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
      texts.push(
        `<information> Doc 1(Title: t${k}) passage\nDoc 2(Title: u${k}) other </information>`,
      );
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
    answer: `x${i}`,
  };
  if (withWeights && rounds > 1) {
    const values = Array.from({ length: rounds - 1 }, () => (rng.next() < 0.5 ? 1 : 0));
    row.methodRecord = {
      rounds: { label: "weight", values },
      calls: { judge: values.length },
    };
  }
  return row;
}

/**
 * Write a fixture store: experiment "beta" (baseline grpo and method beta, `seeds` seeds each,
 * full evals, curves, trajectories with a per-round "weight" series) and experiment "alpha"
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
    for (const [arm, method] of [["baseline", "grpo"], ["method", "beta"]] as const) {
      for (let seed = 1; seed <= seeds; seed++) {
        const rng = new Rng(seed * 100 + (arm === "baseline" ? 1 : 2));
        const id = await store.startRun({
          method,
          arm,
          experiment: "beta",
          config: {
            groupSize: 4,
            questionsPerStep: 2,
            lr: 1e-3,
            loss: { klCoef: 0.001, aggregation: "token-mean" },
            resources: method === "beta" ? [{ kind: "round-judge" }] : [],
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
            [METRIC.kl]: 0.001 * s,
            [METRIC.clipFraction]: 0.02 * rng.next(),
            "tool_calls/mean": 1 + rng.next(),
            ...(method === "beta" ? { "beta/calls/judged_rounds": 4 + rng.int(3) } : {}),
          });
          const rows = Array.from(
            { length: 8 },
            (_, i) => fakeRow(rng, i, i >> 2, method === "beta"),
          );
          await store.writeTrajectories(id, s, rows);
        }
        for (const [b, split] of BENCHMARKS) {
          const em = 0.2 + 0.3 * rng.next() + (method === "beta" ? 0.05 : 0);
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
      method: "alpha",
      arm: "method",
      experiment: "alpha",
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

/** Options of {@link writePairedStore}: who answers which question right. */
export interface PairedStoreOptions {
  /** Experiment name (and the method arm's method unless `method` is given). */
  experiment: string;
  method?: string;
  seeds?: number;
  /** Held-out questions per world (q = 0 .. questions − 1). */
  questions?: number;
  /** RL steps logged per run. */
  steps?: number;
  /** `config.regime` of the runs (omitted when undefined). */
  regime?: string;
  /** EM (0 or 1) of the warm start on question q. */
  start: (q: number) => number;
  /** EM of the baseline arm's seed s on question q. */
  baseline: (seed: number, q: number) => number;
  /** EM of the method arm's seed s on question q. */
  methodEm: (seed: number, q: number) => number;
  /** Value of `groups/no_success_share` at a step of an arm's seed (default 0.6 then 0.3). */
  noSuccess?: (arm: string, seed: number, step: number) => number;
  /** `reward/mean` at a step (default 0.3 + 0.01 step + 0.01 seed, + 0.05 for the method). */
  reward?: (arm: string, seed: number, step: number) => number;
  preset?: string;
}

/**
 * Write a store of one experiment in the current layout, with answers chosen by the test so
 * the verdict is known: a `start` arm (method sft, seed 1), `baseline` (grpo) and `method` arms
 * with `seeds` seeds each, SearchWorld and SearchWorld-OOD evaluations with per-question
 * outcomes (the same outcomes on both worlds, question ids `sw-<q>` and `ood-<q>`), and no
 * QA-benchmark evaluation. Steps log reward/mean, groups/no_success_share, tool_calls/mean and a
 * clip fraction that is identically 0. Every run lasts 90 s (wall time).
 */
export async function writePairedStore(path: string, opts: PairedStoreOptions): Promise<void> {
  const seeds = opts.seeds ?? 3;
  const nq = opts.questions ?? 50;
  const steps = opts.steps ?? 10;
  const preset = opts.preset ?? "smoke";
  const regime = opts.regime === undefined ? {} : { regime: opts.regime };
  const store = await RunStore.open(path);
  const t0 = Date.UTC(2026, 10, 21, 0, 0, 0);
  let minute = 0;
  const times = () => {
    const s = new Date(t0 + 60_000 * minute++);
    return { startedAt: s, endedAt: new Date(s.getTime() + 90_000) };
  };
  const logWorlds = async (id: string, step: number, em: (q: number) => number) => {
    for (const [benchmark, prefix] of [["searchworld", "sw"], ["searchworld-ood", "ood"]]) {
      const items = Array.from({ length: nq }, (_, q) => {
        const v = em(q);
        return {
          questionId: `${prefix}-${String(q).padStart(3, "0")}`,
          em: v,
          f1: v,
          toolCalls: 2,
          hops: 1 + (q % 4),
          answer: v ? "right" : "wrong",
        };
      });
      const mean = items.reduce((a, i) => a + i.em, 0) / nq;
      await store.logEval(id, {
        benchmark: benchmark!,
        split: "test",
        n: nq,
        em: mean,
        f1: mean,
        step,
        extra: { toolCalls: 2 },
        items,
      });
    }
  };
  try {
    {
      const t = times();
      const id = await store.startRun({
        method: "sft",
        arm: "start",
        experiment: opts.experiment,
        config: { ...regime, sftCheckpoint: "fixture" },
        seed: 1,
        backend: "wasm",
        commit: "fixture",
        preset,
        startedAt: t.startedAt,
      });
      await logWorlds(id, 0, opts.start);
      await store.endRun(id, "completed", t.endedAt);
    }
    const arms = [
      ["baseline", "grpo", opts.baseline],
      ["method", opts.method ?? opts.experiment, opts.methodEm],
    ] as const;
    for (const [arm, method, em] of arms) {
      for (let seed = 1; seed <= seeds; seed++) {
        const t = times();
        const id = await store.startRun({
          method,
          arm,
          experiment: opts.experiment,
          config: { ...regime, rl: { steps, groupSize: 4 } },
          seed,
          backend: "wasm",
          commit: "fixture",
          preset,
          startedAt: t.startedAt,
        });
        for (let s = 1; s <= steps; s++) {
          await store.logStep(id, s, {
            "reward/mean": opts.reward?.(arm, seed, s) ??
              0.3 + 0.01 * s + 0.01 * seed + (arm === "method" ? 0.05 : 0),
            "groups/no_success_share": opts.noSuccess?.(arm, seed, s) ?? (s <= 2 ? 0.6 : 0.3),
            "tool_calls/mean": 1.5 + 0.01 * s,
            [METRIC.clipFraction]: 0,
          });
        }
        await logWorlds(id, steps, (q) => em(seed, q));
        await store.endRun(id, "completed", t.endedAt);
      }
    }
  } finally {
    store.close();
  }
}
