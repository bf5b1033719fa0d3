/**
 * The training sections of a report: the training regime (groups with no successful rollout)
 * and the training-reward trend ({@link trainingBlocks}), the learning curves
 * ({@link curveBlocks}) and the tool calls per trajectory in training and at evaluation
 * ({@link toolBlocks}).
 *
 * @module
 */

import { type Cell, columnsWithData, type ExperimentData } from "./experiment_data.ts";
import { curveCaption } from "./plots.ts";
import { type Block, type Inline, para, type RenderedPlot } from "./render_blocks.ts";
import { keyLabel } from "./render_scores.ts";
import { TREND_SHARE } from "./trend.ts";

/** The plots whose id starts with `prefix` (e.g. "curve-"). */
export function plotsOf(plots: readonly RenderedPlot[], prefix: string): RenderedPlot[] {
  return plots.filter((p) => p.id.startsWith(prefix));
}

/**
 * The regime the methods target: share of training groups in which no sampled rollout
 * succeeded (metric `groups/no_success_share`), per arm: mean over every logged step of every
 * seed, and the range of the per-seed means.
 */
function regimeRows(d: ExperimentData): string[][] {
  const curve = d.curves.find((c) => c.metric === "groups/no_success_share");
  if (!curve || curve.points.length === 0) return [];
  const arms = [...new Set(curve.points.map((p) => p.arm))].sort();
  return arms.map((arm) => {
    const pts = curve.points.filter((p) => p.arm === arm);
    const seeds = [...new Set(pts.map((p) => p.seed))].sort((a, b) => a - b);
    const perSeed = seeds.map((s) => {
      const xs = pts.filter((p) => p.seed === s).map((p) => p.value);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    });
    const all = pts.reduce((a, p) => a + p.value, 0) / pts.length;
    return [
      arm,
      `${(100 * all).toFixed(1)}%`,
      `${(100 * Math.min(...perSeed)).toFixed(1)}% – ${(100 * Math.max(...perSeed)).toFixed(1)}%`,
      String(seeds.length),
      String(pts.length),
    ];
  });
}

const REGIME_HEAD = [
  "arm",
  "training groups with no successful rollout",
  "range of per-seed means",
  "seeds",
  "steps logged",
];

const TREND_HEAD = [
  "arm",
  "metric",
  `first ${Math.round(TREND_SHARE * 100)}% of steps`,
  `last ${Math.round(TREND_SHARE * 100)}% of steps`,
  "Δ (last − first)",
  "95% interval",
  "seeds",
  "steps per window",
];

function trendRows(d: ExperimentData): string[][] {
  const f = (x: number, sign = false) =>
    Number.isFinite(x) ? `${sign && x > 0 ? "+" : ""}${x.toFixed(3)}` : "n/a";
  return d.trends.map((t) => {
    const e = t.estimate;
    if (e === null) return [t.arm, t.metric, `n/a (${t.note})`, "", "", "", "", ""];
    return [
      t.arm,
      t.metric,
      f(e.first),
      f(e.last),
      f(e.delta, true),
      `[${f(e.lo, true)}, ${f(e.hi, true)}]${e.seedNoiseEstimated ? "" : " (one seed)"}`,
      String(e.seeds),
      String(e.stepsPerWindow),
    ];
  });
}

/** Notes for the curves left out and how the drawn ones are drawn. */
function curveNotes(d: ExperimentData, smoothing: number): Inline[] {
  const out: Inline[] = [];
  if (d.curves.length) {
    out.push({
      text: `Each plot: ${
        curveCaption(smoothing)
      } (the smoothing window grows with the number of steps: none below 20).`,
    });
  }
  for (const o of d.omittedCurves) {
    out.push({
      text:
        `Not drawn: ${o.metric} is identically ${o.value} at every logged step of every run (${o.points} points), a plot that says nothing.`,
    });
  }
  return out;
}

/** The training regime and training-reward sections. */
export function trainingBlocks(d: ExperimentData): Block[] {
  const rows = regimeRows(d);
  return [
    { kind: "h", text: "Training regime" },
    rows.length === 0
      ? {
        kind: "p",
        cls: "missing",
        inline: { text: "n/a: no run logged groups/no_success_share." },
      }
      : { kind: "table", head: REGIME_HEAD, rows },
    {
      kind: "p",
      cls: "note",
      inline: {
        text:
          "Outcome-only RL learns nothing from a group in which every rollout failed (all advantages are 0); this is the regime that methods adding a signal to failed groups (privileged feedback, partial rewards) target. The table averages over every logged step; the regime measure (Verdict, above) over the first steps only.",
      },
    },
    { kind: "h", text: "Training reward: first vs last steps" },
    d.trends.length
      ? { kind: "table", head: TREND_HEAD, rows: trendRows(d) }
      : { kind: "p", cls: "missing", inline: { text: "n/a: no RL arm." } },
    {
      kind: "p",
      cls: "note",
      inline: {
        text:
          "Per seed, the mean of the metric over the first and over the last 20% of its logged RL steps; Δ is the mean over seeds of last − first, with a 95% Student-t interval over the per-seed differences (one seed: Welch between the two windows' steps, which ignores run-to-run noise). reports/trend.ts, trainingTrend.",
      },
    },
  ];
}

function toolRows(d: ExperimentData): string[][] {
  return d.arms.map((a) => {
    const last = new Map<string, { all: number; success: number; step: number }>();
    for (const p of d.toolCalls) {
      if (p.arm !== a.arm) continue;
      const prev = last.get(p.run);
      if (!prev || p.step > prev.step) last.set(p.run, p);
    }
    const xs = [...last.values()];
    if (xs.length === 0) return [a.arm, "n/a (no trajectory files)", "", ""];
    const m = (v: number[]) => {
      const f = v.filter(Number.isFinite);
      return f.length
        ? (f.reduce((x, y) => x + y, 0) / f.length).toFixed(2)
        : "n/a (none successful)";
    };
    return [
      a.arm,
      m(xs.map((x) => x.all)),
      m(xs.map((x) => x.success)),
      String(xs.length),
    ];
  });
}

/** Search calls per question at evaluation, per benchmark (plain numbers, not percent). */
function evalToolRows(d: ExperimentData): string[][] {
  const txt = (c: Cell) => {
    if (c.kind === "missing") return `n/a (${c.text})`;
    const hw = c.interval.halfWidth;
    return `${c.interval.mean.toFixed(2)}${Number.isFinite(hw) ? ` ± ${hw.toFixed(2)}` : ""}`;
  };
  const keys = columnsWithData(d).filter((k) => k !== "avg");
  return [...(d.start ? [d.start] : []), ...d.arms].map((a) => [
    a.arm,
    ...keys.map((k) => txt(a.evalToolCalls[k])),
  ]);
}

function evalToolHead(d: ExperimentData): string[] {
  return ["arm", ...columnsWithData(d).filter((k) => k !== "avg").map(keyLabel)];
}

const TOOL_HEAD = [
  "arm",
  "search calls / trajectory (last stored step)",
  "… successful trajectories",
  "runs",
];

/** The learning curves: the plots, how they are drawn, and the curves left out or not logged. */
export function curveBlocks(
  d: ExperimentData,
  plots: readonly RenderedPlot[],
  smoothing: number,
): Block[] {
  const curves = plotsOf(plots, "curve-");
  return [
    { kind: "h", text: "Learning curves" },
    ...(curves.length === 0 ? [para("No step metrics logged.", "missing")] : []),
    { kind: "plots", plots: curves },
    ...curveNotes(d, smoothing).map((inline): Block => ({ kind: "p", cls: "note", inline })),
    ...(d.missingMetrics.length
      ? [para(`Not logged (no curve): ${d.missingMetrics.join(", ")}.`, "missing")]
      : []),
    ...(d.otherMetrics.length
      ? [para(`Other logged metrics: ${d.otherMetrics.join(", ")}.`, "note")]
      : []),
  ];
}

/** Search calls per trajectory in training and per question at evaluation. */
export function toolBlocks(d: ExperimentData, plots: readonly RenderedPlot[]): Block[] {
  return [
    { kind: "h", text: "Tool calls per trajectory" },
    para("Training rollouts:"),
    { kind: "table", head: TOOL_HEAD, rows: toolRows(d) },
    para("At evaluation (search calls per question, mean ± 95% t-interval over seeds):"),
    { kind: "table", head: evalToolHead(d), rows: evalToolRows(d) },
    { kind: "plots", plots: plotsOf(plots, "tools") },
  ];
}
