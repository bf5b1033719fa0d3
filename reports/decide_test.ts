import assert from "node:assert/strict";
import { assertClose as close } from "@creditlab/core/testing";
import type { RunRecord, StepRecord } from "@creditlab/runstore";
import { REGIMES } from "@creditlab/core";
import {
  type ArmOutcomes,
  compareArms,
  leversOf,
  TARGET_HALF_WIDTH,
  welchEstimate,
} from "./compare.ts";
import { comparisonVerdict, decide, paperDirection } from "./decide.ts";
import { constantValue } from "./collect_curves.ts";
import { duration } from "./format.ts";
import { regimeMeasure, regimeSummary } from "./regime.ts";
import { pairedDelta } from "./paired.ts";
import type { PaperCard } from "./paper.ts";
import { curveBands, smoothingWindow } from "./plots.ts";
import { tQuantile } from "./stats.ts";

/** An arm whose seed s answers question q with em(s, q), questions q0..q(n-1). */
function arm(
  name: string,
  seeds: number[],
  opts: {
    n: number;
    em: (s: number, q: number) => number;
    skip?: (s: number, q: number) => boolean;
  },
): ArmOutcomes {
  return {
    arm: name,
    runs: seeds.map((seed) => {
      const items = new Map<string, number>();
      for (let q = 0; q < opts.n; q++) {
        if (!opts.skip?.(seed, q)) items.set(`q${String(q).padStart(2, "0")}`, opts.em(seed, q));
      }
      const vals = [...items.values()];
      return {
        runId: `${name}-${seed}`,
        seed,
        items,
        score: vals.reduce((a, b) => a + b, 0) / vals.length,
      };
    }),
  };
}

Deno.test("compareArms: pairs seeds with seeds, and every seed with a single shared warm start", () => {
  const base = arm("baseline", [1, 2, 3], { n: 10, em: (s, q) => (q % 5 === s % 5 ? 0 : 1) });
  const start = arm("start", [1], { n: 10, em: (_s, q) => (q < 4 ? 0 : 1) });
  const gain = compareArms(base, start, {
    column: "searchworld",
    label: "baseline − start",
    shareReference: true,
  });
  assert.equal(gain.estimate?.how, "paired");
  assert.deepEqual(gain.pairedSeeds, [1, 2, 3]);
  assert.equal(gain.sharedReference, true);
  assert.equal(gain.estimate?.referenceSeeds, 1);
  // The same numbers as pairedDelta on the cells built by hand.
  const cells = [1, 2, 3].flatMap((s) =>
    Array.from({ length: 10 }, (_, q) => ({
      seed: s,
      questionId: `q${String(q).padStart(2, "0")}`,
      baseline: q < 4 ? 0 : 1,
      method: q % 5 === s % 5 ? 0 : 1,
    }))
  );
  const ref = pairedDelta(cells);
  close(gain.estimate!.delta, ref.delta, 1e-12, "delta");
  close(gain.estimate!.halfWidth, ref.halfWidth, 1e-12, "halfWidth");
  close(gain.estimate!.mde, ref.mde, 1e-12, "mde");
  close(gain.estimate!.delta, 0.8 - 0.6, 1e-12, "gain 0.8 − 0.6");

  // Without shareReference (method − baseline), a one-seed reference pairs with seed 1 only.
  const one = arm("baseline", [1], { n: 10, em: () => 0 });
  const c = compareArms(base, one, { column: "searchworld", label: "x − baseline" });
  assert.deepEqual(c.pairedSeeds, [1]);
  assert.equal(c.sharedReference, false);
  assert.equal(c.estimate?.seedNoiseEstimated, false);
});

Deno.test("compareArms: questions not evaluated by every run are left out, and counted", () => {
  const a = arm("method", [1, 2], {
    n: 6,
    em: () => 1,
    skip: (s, q) => s === 2 && q === 5,
  });
  const b = arm("baseline", [1, 2], { n: 6, em: (_s, q) => (q < 3 ? 0 : 1) });
  const c = compareArms(a, b, { column: "searchworld", label: "method − baseline" });
  assert.equal(c.estimate?.questions, 5);
  assert.equal(c.droppedQuestions, 1);
  close(c.estimate!.delta, 3 / 5, 1e-12, "delta over the 5 shared questions");
  assert.match(c.note, /1 question\(s\) not evaluated by every run left out/);
});

Deno.test("compareArms: without per-question outcomes, Welch over seeds, by hand", () => {
  const noItems = (name: string, scores: number[]): ArmOutcomes => ({
    arm: name,
    runs: scores.map((score, i) => ({ runId: `${name}${i}`, seed: i + 1, items: null, score })),
  });
  const c = compareArms(noItems("method", [0.3, 0.4, 0.5]), noItems("baseline", [0, 0, 0]), {
    column: "searchworld",
    label: "method − baseline",
  });
  assert.equal(c.estimate?.how, "welch");
  assert.equal(c.paired, null);
  assert.match(c.note, /^no per-question outcomes recorded: Welch over seeds \(3 vs 3/);
  // a has sd 0.1, b has sd 0: se = 0.1/sqrt(3), df = 2 (all of the variance is a's).
  const se = 0.1 / Math.sqrt(3);
  close(c.estimate!.delta, 0.4, 1e-12, "delta");
  close(c.estimate!.se, se, 1e-12, "se");
  close(c.estimate!.df, 2, 1e-9, "df");
  close(c.estimate!.halfWidth, tQuantile(0.975, 2) * se, 1e-9, "halfWidth");
  close(c.estimate!.mde, (tQuantile(0.975, 2) + tQuantile(0.8, 2)) * se, 1e-9, "mde");
  const v = comparisonVerdict(c, { direction: 1 })!;
  assert.equal(v.kind, "reproduces");
  assert.equal(
    v.text,
    "reproduces: Δ +40.0 points [+15.2, +64.8], MDE 31.0 points (Welch over 3 vs 3 seeds; no per-question outcomes)",
  );
  assert.equal(comparisonVerdict(c, { direction: -1 })!.kind, "contradicts");
  // One seed a side: no interval, but the point difference is kept.
  const one = compareArms(noItems("method", [0.5]), noItems("baseline", [0.25]), {
    column: "searchworld",
    label: "method − baseline",
  });
  assert.equal(one.estimate, null);
  assert.equal(one.point, 0.25);
  assert.equal(comparisonVerdict(one, { direction: 1 }), null);
  assert.equal(welchEstimate([1], [1, 2]), null);
});

function card(claims: { metric: string; setting: string; value: number }[]): PaperCard {
  return {
    kind: "card",
    papers: [{
      title: "P",
      arxiv: "",
      venue: "",
      year: null,
      code: null,
      claims: claims.map((c) => ({ ...c, source: "Table 1" })),
    }],
  };
}

Deno.test("paperDirection: read off the card's effects, its wording, else assumed +", () => {
  const gain = paperDirection(
    card([{ metric: "average EM gain over GRPO (points)", setting: "8B", value: 5 }]),
  );
  assert.equal(gain.direction, 1);
  assert.match(gain.source, /\+5\.0 points/);
  const down = paperDirection(card([
    { metric: "tool calls per question", setting: "GRPO", value: 4 },
    { metric: "tool calls per question", setting: "method", value: 3 },
  ]));
  assert.equal(down.direction, -1);
  const words = paperDirection(
    card([{ metric: "benchmarks on which X outperforms GRPO", setting: "all", value: 11 }]),
  );
  assert.equal(words.direction, 1);
  assert.match(words.source, /outperforms/);
  const none = paperDirection(card([{ metric: "best alpha", setting: "ablation", value: 0.3 }]));
  assert.equal(none.direction, 1);
  assert.match(none.source, /assumed/);
  const missing = paperDirection({ kind: "missing", reason: "no paper card (x)" });
  assert.equal(missing.direction, 1);
  assert.match(missing.source, /^no paper card \(x\): \+ .* assumed$/);
});

Deno.test("decide: in-domain claim is the headline; gains read 'does RL learn' in direction +", () => {
  const base = arm("baseline", [1, 2, 3], { n: 20, em: (s, q) => (q % 5 === s % 5 ? 0 : 1) });
  const meth = arm("method", [1, 2, 3], { n: 20, em: () => 1 });
  const start = arm("start", [1], { n: 20, em: () => 1 });
  const cs = ["searchworld", "searchworld-ood"].flatMap((column) => [
    compareArms(meth, base, { column, label: "method − baseline" }),
    compareArms(base, start, { column, label: "baseline − start", shareReference: true }),
  ]);
  const dec = decide(cs, {
    card: card([{ metric: "gain over GRPO (points)", setting: "x", value: -2 }]),
  });
  assert.equal(dec.direction.direction, -1);
  assert.equal(dec.headline?.column, "searchworld");
  // Δ = +0.2 with the paper claiming the method is lower: contradicts.
  assert.equal(dec.headline?.verdict.kind, "contradicts");
  const w = dec.worlds[0]!;
  assert.equal(w.domain, "in-domain");
  // Baseline below its warm start (0.8 vs 1): "no".
  assert.equal(w.gains[0]!.verdict?.kind, "contradicts");
  assert.equal(w.gains[0]!.answer, "no: below its warm start");
  assert.equal(dec.worlds[1]!.label, "SearchWorld-OOD");
});

function run(id: string, arm: string, seed: number, config: unknown): RunRecord {
  return {
    id,
    method: arm === "baseline" ? "grpo" : "m",
    arm,
    preset: "smoke",
    experiment: "x",
    config,
    seed,
    backend: "wasm",
    gitCommit: "c",
    status: "completed",
    startedAt: "2026-01-01T00:00:00.000Z",
    endedAt: "2026-01-01T01:02:03.000Z",
  };
}

Deno.test("regime: measure over the first 20% of each run's steps, holds against the target", () => {
  const steps = new Map<string, StepRecord[]>();
  const series = (id: string, values: number[]) =>
    steps.set(
      id,
      values.map((value, i) => ({
        runId: id,
        step: i + 1,
        metric: "groups/no_success_share",
        value,
      })),
    );
  // 10 steps: window ceil(0.2 · 10) = 2 steps.
  series("b1", [0.7, 0.5, 0, 0, 0, 0, 0, 0, 0, 0]);
  series("b2", [0.4, 0.4, 1, 1, 1, 1, 1, 1, 1, 1]);
  series("m1", [0.2, 0.2, 0.2]);
  const runs = [
    run("b1", "baseline", 1, { regime: "sparse-success" }),
    run("b2", "baseline", 2, { regime: "sparse-success" }),
    run("m1", "method", 1, { regime: "sparse-success" }),
  ];
  const r = regimeSummary(runs, { arms: ["baseline", "method"], stepsByRun: steps });
  assert.equal(r.name, "sparse-success");
  assert.equal(r.source, "runs.config.regime");
  const b = r.arms[0]!;
  assert.deepEqual(b.perSeed.map((p) => [p.seed, p.steps]), [[1, 2], [2, 2]]);
  close(b.value!, (0.6 + 0.4) / 2, 1e-12, "baseline measure");
  assert.equal(b.holds, true);
  assert.equal(r.holds, true);
  // 3 steps: window ceil(0.6) = 1 step.
  close(r.arms[1]!.value!, 0.2, 1e-12, "method measure");
  assert.equal(r.arms[1]!.holds, false);
  // No regime recorded: mixed, which has no target.
  const mixed = regimeSummary([run("b1", "baseline", 1, {})], {
    arms: ["baseline"],
    stepsByRun: steps,
  });
  assert.equal(mixed.name, "mixed");
  assert.match(mixed.source, /^default/);
  assert.equal(mixed.holds, null);
  // A measure with a target the value misses.
  const longChains = regimeMeasure([run("b1", "baseline", 1, {})], {
    measure: REGIMES["long-chains"].measure,
    stepsByRun: new Map([["b1", [{ runId: "b1", step: 1, metric: "tool_calls/mean", value: 2 }]]]),
    arm: "baseline",
  });
  assert.equal(longChains.value, 2);
  assert.equal(longChains.holds, false);
});

Deno.test("curves: mean and min–max band over seeds, moving average, constant curves", () => {
  const pts = [
    { run: "a", arm: "baseline", seed: 1, step: 1, value: 0.2 },
    { run: "b", arm: "baseline", seed: 2, step: 1, value: 0.4 },
    { run: "a", arm: "baseline", seed: 1, step: 2, value: 0.6 },
    { run: "b", arm: "baseline", seed: 2, step: 2, value: 0.8 },
    { run: "a", arm: "baseline", seed: 1, step: 3, value: 1.0 },
  ];
  const bands = curveBands(pts, { smooth: 3 });
  assert.deepEqual(bands.map((b) => [b.step, b.seeds, b.lo, b.hi]), [
    [1, 2, 0.2, 0.4],
    [2, 2, 0.6, 0.8],
    [3, 1, 1.0, 1.0],
  ]);
  close(bands[0]!.mean, 0.3, 1e-12, "mean step 1");
  // Centred window of 3, fewer at the ends: (0.3 + 0.7) / 2, (0.3 + 0.7 + 1) / 3, (0.7 + 1) / 2.
  close(bands[0]!.smooth!, 0.5, 1e-12, "smooth 1");
  close(bands[1]!.smooth!, 2 / 3, 1e-12, "smooth 2");
  close(bands[2]!.smooth!, 0.85, 1e-12, "smooth 3");
  assert.equal(curveBands(pts)[0]!.smooth, null);
  assert.deepEqual([10, 19, 20, 40, 200].map(smoothingWindow), [0, 0, 3, 5, 21]);
  assert.equal(constantValue([0, 0, 0]), 0);
  assert.equal(constantValue([0, 0.01]), null);
  assert.equal(constantValue([]), null);
});

Deno.test("duration: wall time in words", () => {
  assert.deepEqual([null, 45, 123, 3723.4].map(duration), ["n/a", "45s", "2m 03s", "1h 02m 03s"]);
});

Deno.test("leversOf: none under the target; otherwise the projected designs that meet it", () => {
  // A real estimate, its precision fields replaced by the cases under test.
  const base = pairedDelta([
    { seed: 1, questionId: "a", baseline: 0, method: 1 },
    { seed: 1, questionId: "b", baseline: 0, method: 0 },
  ]);
  const est = (
    components: { seed: number; question: number; residual: number },
    halfWidth: number,
  ) => ({ ...base, components, halfWidth, seeds: 4, questions: 300 });
  assert.equal(leversOf(est({ seed: 0, question: 0, residual: 0 }, 0.02)), null);
  // Question-dominated (a shared warm start): more questions reach 3 points, seeds cannot.
  const q = leversOf(est({ seed: 0, question: 0.19, residual: 0.13 }, 0.05))!;
  assert.equal(q.target, TARGET_HALF_WIDTH);
  assert.ok(q.questions !== null && q.questions.questions > 900 && q.questions.seeds === 4);
  assert.equal(q.seeds, null);
  // Seed-dominated: more seeds reach it, questions cannot.
  const s = leversOf(est({ seed: 0.0024, question: 0.007, residual: 0.156 }, 0.08))!;
  assert.equal(s.questions, null);
  assert.ok(s.seeds !== null && s.seeds.seeds > 4 && s.seeds.questions === 300);
});
