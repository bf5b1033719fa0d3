/**
 * Plots as Vega-Lite specs, rendered headless to SVG by a Vega `View` (renderer "none",
 * `toSVG()`), and to PNG by resvg. Same data in, same bytes out.
 *
 * @module
 */

import * as vega from "vega";
import * as vl from "vega-lite";
import { Resvg } from "@resvg/resvg-js";
import type { TrajectoryRow } from "@creditlab/runstore";
import type { CurvePoint, HeatSample, ToolCallPoint } from "./experiment_data.ts";

/** A Vega-Lite spec (kept loose: vega-lite's own types are very wide). */
export type VlSpec = Record<string, unknown>;

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const FONT = "DejaVu Sans";

/**
 * A Vega-Lite spec with the reports' title, font, white background and axis style.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const spec = baseSpec("EM", { mark: "point", data: { values: [{ x: 1 }] } });
 * assert.equal(spec["background"], "white");
 * ```
 */
export function baseSpec(title: string, extra: VlSpec): VlSpec {
  return {
    $schema: SCHEMA,
    title,
    background: "white",
    config: {
      font: FONT,
      view: { stroke: "#ddd" },
      axis: { labelFontSize: 10, titleFontSize: 11 },
      legend: { labelFontSize: 10, titleFontSize: 11 },
    },
    ...extra,
  };
}

/**
 * Render a Vega-Lite spec to an SVG string (headless, no browser).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const points = [
 *   { run: "a", arm: "baseline", seed: 1, step: 1, value: 0.02 },
 *   { run: "a", arm: "baseline", seed: 1, step: 2, value: 0.03 },
 * ];
 * const svg = await renderSvg(curveSpec("kl", points));
 * assert.ok(svg.startsWith("<svg"));
 * ```
 */
export async function renderSvg(spec: VlSpec, opts: { idPrefix?: string } = {}): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any, { logger: quietLogger() }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  view.logLevel(vega.None);
  try {
    return normalizeSvgIds(await view.toSVG(), opts.idPrefix ?? "p");
  } finally {
    view.finalize();
  }
}

/**
 * Renumber every `id` of an SVG as `<prefix>-<n>` in order of appearance (and its `url(#id)` /
 * `href="#id"` references). Vega numbers gradients and clip paths with process-wide counters, so
 * without this the same plot rendered twice differs, and two inlined SVGs could share an id.
 */
export function normalizeSvgIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) {
    const id = m[1]!;
    if (!ids.has(id)) ids.set(id, `${prefix}-${ids.size}`);
  }
  if (ids.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (all, pre: string, id: string) => {
    const n = ids.get(id);
    return n === undefined ? all : `${pre}${n}`;
  });
}

function quietLogger() {
  // deno-lint-ignore no-explicit-any
  const l: any = {
    level: () => l,
    error: () => l,
    warn: () => l,
    info: () => l,
    debug: () => l,
  };
  return l;
}

/** Rasterise an SVG to PNG (2x zoom) with resvg, using the system fonts. */
export function svgToPng(svg: string): Uint8Array {
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: FONT },
    background: "white",
  });
  return r.render().asPng();
}

/** One step of an arm's learning curve, summarised over seeds. */
export interface BandPoint {
  arm: string;
  step: number;
  /** Mean over the seeds that logged this step. */
  mean: number;
  /** Smallest and largest value over those seeds (the band). */
  lo: number;
  hi: number;
  seeds: number;
  /** Centred moving average of `mean` (null when smoothing is off). */
  smooth: number | null;
}

/**
 * The moving-average window of a curve with `steps` steps: off (0) below 20 steps, else the odd
 * number nearest steps / 10 (at least 3), e.g. 40 steps -> 5, 200 steps -> 21.
 */
export function smoothingWindow(steps: number): number {
  if (steps < 20) return 0;
  const w = Math.max(3, Math.round(steps / 10));
  return w % 2 === 1 ? w : w + 1;
}

/**
 * Learning curve over seeds: per arm and step, the mean over the seeds that logged it and the
 * min–max band; with `smooth` = W > 1, also the centred moving average of the mean over W steps
 * (fewer at the ends). Rows sorted by arm, then step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bands = curveBands([
 *   { run: "a", arm: "baseline", seed: 1, step: 1, value: 0.25 },
 *   { run: "b", arm: "baseline", seed: 2, step: 1, value: 0.75 },
 * ]);
 * assert.deepEqual(bands, [
 *   { arm: "baseline", step: 1, mean: 0.5, lo: 0.25, hi: 0.75, seeds: 2, smooth: null },
 * ]);
 * ```
 */
export function curveBands(
  points: readonly CurvePoint[],
  opts: { smooth?: number } = {},
): BandPoint[] {
  const by = new Map<string, Map<number, number[]>>();
  for (const p of points) {
    const arm = by.get(p.arm) ?? new Map<number, number[]>();
    by.set(p.arm, arm);
    const l = arm.get(p.step) ?? [];
    l.push(p.value);
    arm.set(p.step, l);
  }
  const w = opts.smooth ?? 0;
  const out: BandPoint[] = [];
  for (const arm of [...by.keys()].sort()) {
    const steps = [...by.get(arm)!.entries()].sort((a, b) => a[0] - b[0]);
    const means = steps.map(([, v]) => v.reduce((a, b) => a + b, 0) / v.length);
    steps.forEach(([step, v], i) => {
      let smooth: number | null = null;
      if (w > 1) {
        const h = Math.floor(w / 2);
        const win = means.slice(Math.max(0, i - h), Math.min(means.length, i + h + 1));
        smooth = win.reduce((a, b) => a + b, 0) / win.length;
      }
      out.push({
        arm,
        step,
        mean: means[i]!,
        lo: Math.min(...v),
        hi: Math.max(...v),
        seeds: v.length,
        smooth,
      });
    });
  }
  return out;
}

/** What a learning-curve plot draws, for its caption. */
export function curveCaption(smooth: number): string {
  return "line: mean over seeds; band: min–max over seeds" +
    (smooth > 1 ? `; thick line: moving average of the mean over ${smooth} steps` : "");
}

/**
 * Learning curve of one metric: per arm, the mean over seeds (line) with the min–max range
 * over seeds (band), and optionally a moving average of the mean (thick line); not one raw line
 * per seed. `smooth` defaults to {@link smoothingWindow} of the longest arm's step count.
 */
export function curveSpec(
  metric: string,
  points: readonly CurvePoint[],
  opts: { smooth?: number } = {},
): VlSpec {
  const steps = new Map<string, Set<number>>();
  for (const p of points) {
    const s = steps.get(p.arm) ?? new Set<number>();
    s.add(p.step);
    steps.set(p.arm, s);
  }
  const longest = Math.max(0, ...[...steps.values()].map((s) => s.size));
  const smooth = opts.smooth ?? smoothingWindow(longest);
  const values = curveBands(points, { smooth });
  const color = { field: "arm", type: "nominal", title: "arm", sort: "ascending" };
  const x = { field: "step", type: "quantitative", title: "step" };
  const layer: VlSpec[] = [
    {
      mark: { type: "area", opacity: 0.18 },
      encoding: {
        x,
        y: { field: "lo", type: "quantitative", title: metric, scale: { zero: false } },
        y2: { field: "hi" },
        color,
      },
    },
    {
      mark: {
        type: "line",
        point: longest <= 20,
        strokeWidth: smooth > 1 ? 1 : 1.8,
        opacity: smooth > 1 ? 0.5 : 1,
      },
      encoding: { x, y: { field: "mean", type: "quantitative" }, color },
    },
  ];
  if (smooth > 1) {
    layer.push({
      mark: { type: "line", strokeWidth: 2.6 },
      encoding: { x, y: { field: "smooth", type: "quantitative" }, color },
    });
  }
  return baseSpec(metric, {
    title: { text: metric, subtitle: curveCaption(smooth), subtitleFontSize: 9 },
    width: 300,
    height: 170,
    data: { values },
    layer,
  });
}

/** Mean search calls per trajectory vs step (all and successful), one line per run. */
export function toolCallSpec(points: ToolCallPoint[]): VlSpec {
  const values = points.flatMap((p) => [
    { run: p.run, arm: p.arm, seed: p.seed, step: p.step, which: "all", value: p.all },
    ...(Number.isFinite(p.success)
      ? [{
        run: p.run,
        arm: p.arm,
        seed: p.seed,
        step: p.step,
        which: "successful",
        value: p.success,
      }]
      : []),
  ]);
  return baseSpec("search calls per trajectory", {
    width: 300,
    height: 170,
    data: { values },
    mark: { type: "line", point: values.length <= 60, strokeWidth: 1.5 },
    encoding: {
      x: { field: "step", type: "quantitative" },
      y: { field: "value", type: "quantitative", title: "search calls / trajectory" },
      color: { field: "arm", type: "nominal", sort: "ascending" },
      strokeDash: { field: "which", type: "nominal", title: "trajectories" },
      detail: { field: "run", type: "nominal" },
    },
  });
}

/**
 * A per-round quantity by rank of the round (how concentrated it is), bars per arm: a method's
 * recorded per-round series, or the share of credit in the stored advantages.
 */
export function contributionSpec(
  sums: readonly { arm: string; byRank: number[] }[],
  opts: { title?: string; yTitle?: string } = {},
): VlSpec {
  const values = sums.flatMap((s) =>
    s.byRank.map((w, i) => ({ arm: s.arm, rank: i + 1, weight: w }))
  );
  return baseSpec(opts.title ?? "value by round rank (successful trajectories)", {
    width: 300,
    height: 170,
    data: { values },
    mark: "bar",
    encoding: {
      x: { field: "rank", type: "ordinal", title: "round rank (1 = largest weight)" },
      xOffset: { field: "arm", type: "nominal" },
      y: { field: "weight", type: "quantitative", title: opts.yTitle ?? "mean normalised value" },
      color: { field: "arm", type: "nominal", sort: "ascending" },
    },
  });
}

/** Runs of equal (role, round, advantage) tokens of one trajectory. */
export interface Segment {
  row: number;
  start: number;
  end: number;
  role: number;
  round: number;
  advantage: number | null;
}

/** Compress a trajectory's per-token credit into segments (policy tokens carry advantages). */
export function segments(r: TrajectoryRow): Segment[] {
  const out: Segment[] = [];
  for (let t = 0; t < r.tokens.length; t++) {
    const role = r.roles[t] ?? 0;
    const round = r.roundIds[t] ?? 0;
    const adv = (r.lossMask[t] ?? 0) > 0 ? (r.advantages[t] ?? 0) : null;
    const last = out[out.length - 1];
    if (last && last.role === role && last.round === round && last.advantage === adv) {
      last.end = t + 1;
    } else out.push({ row: r.row, start: t, end: t + 1, role, round, advantage: adv });
  }
  return out;
}

/** Per-token credit heat map of one sampled group: x = token position, colour = advantage. */
export function heatSpec(sample: HeatSample): VlSpec {
  const label = (r: TrajectoryRow) =>
    `row ${r.row}: EM ${r.outcome} · r ${r.reward.toFixed(2)} · ${r.toolCalls} search`;
  const values = sample.rows.flatMap((r) =>
    segments(r).map((s) => ({
      ...s,
      label: label(r),
      kind: s.advantage === null ? (s.role === 3 ? "feedback" : "not trained") : "policy",
    }))
  );
  let maxAbs = 0;
  for (const v of values) {
    if (v.advantage !== null) maxAbs = Math.max(maxAbs, Math.abs(v.advantage));
  }
  if (maxAbs === 0) maxAbs = 1;
  return baseSpec(
    `${sample.arm} (${sample.method}): group ${sample.groupId}, step ${sample.step}`,
    {
      width: 520,
      height: { step: 16 },
      data: { values },
      layer: [
        {
          transform: [{ filter: "datum.advantage === null" }],
          mark: { type: "rect" },
          encoding: {
            x: { field: "start", type: "quantitative", title: "token position" },
            x2: { field: "end" },
            y: {
              field: "label",
              type: "nominal",
              title: null,
              sort: null,
              axis: { labelLimit: 400 },
            },
            fill: {
              field: "kind",
              type: "nominal",
              title: "untrained",
              scale: { domain: ["not trained", "feedback"], range: ["#e6e6e6", "#c9b3e6"] },
            },
          },
        },
        {
          transform: [{ filter: "datum.advantage !== null" }],
          mark: { type: "rect" },
          encoding: {
            x: { field: "start", type: "quantitative" },
            x2: { field: "end" },
            y: { field: "label", type: "nominal", sort: null },
            color: {
              field: "advantage",
              type: "quantitative",
              title: "advantage",
              scale: { scheme: "redblue", domain: [-maxAbs, maxAbs], domainMid: 0 },
            },
          },
        },
      ],
      resolve: { scale: { color: "independent", fill: "independent" } },
    },
  );
}
