/**
 * `reports/<experiment>.json`: every number of an experiment's tables, machine-readable, so that
 * other tools can check them — and what `index.html` is built from ({@link experimentJson}).
 * Schema {@link REPORT_SCHEMA}, described field by field on {@link ReportJson} (json_schema.ts).
 *
 * Units: EM, F1, Δ, interval ends, half-widths and MDEs are fractions in [0, 1] (the markdown
 * shows them x 100, in points); a number that cannot be computed (NaN) is `null`. Nothing in the
 * file depends on when it was written: the same store gives the same bytes.
 *
 * @module
 */

import {
  baselineArm,
  type Cell,
  columnsWithData,
  elapsedSeconds,
  methodArm,
  SEARCHWORLD_COLUMNS,
  wallSeconds,
} from "./experiment_data.ts";
import { type Comparison, type EstimateNumbers, LEVEL, POWER } from "./compare.ts";
import { type Decided, worldOf } from "./decide.ts";
import {
  type CellJson,
  type ComparisonJson,
  REPORT_SCHEMA,
  type ReportJson,
  type WorldJson,
} from "./json_schema.ts";
import type { RenderInput } from "./render.ts";
import { collapsedColumnsNote, keyLabel } from "./render_scores.ts";
import { sweepsJson } from "./render_sweeps.ts";
import { TREND_SHARE } from "./trend.ts";

function num(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function cellJson(c: Cell): CellJson {
  if (c.kind === "missing") return { missing: c.text };
  const hw = num(c.interval.halfWidth);
  return {
    mean: c.interval.mean,
    halfWidth: hw,
    lo: hw === null ? null : c.interval.mean - hw,
    hi: hw === null ? null : c.interval.mean + hw,
    seeds: c.seedsWith,
    of: c.seeds,
  };
}

function comparisonJson(c: Comparison, decided: Decided | undefined): ComparisonJson {
  const e: EstimateNumbers | null = c.estimate;
  return {
    label: c.label,
    arm: c.arm,
    reference: c.reference,
    how: e?.how ?? null,
    delta: e ? num(e.delta) : null,
    lo: e ? num(e.lo) : null,
    hi: e ? num(e.hi) : null,
    halfWidth: e ? num(e.halfWidth) : null,
    se: e ? num(e.se) : null,
    mde: e ? num(e.mde) : null,
    df: e ? num(e.df) : null,
    level: e?.level ?? LEVEL,
    power: e?.power ?? POWER,
    seeds: e?.seeds ?? null,
    referenceSeeds: e?.referenceSeeds ?? null,
    questions: e?.questions ?? null,
    seedNoiseEstimated: e?.seedNoiseEstimated ?? null,
    components: e?.components ?? null,
    levers: e?.levers
      ? {
        target: e.levers.target,
        questions: leverJson(e.levers.questions),
        seeds: leverJson(e.levers.seeds),
      }
      : null,
    point: c.point === null ? null : num(c.point),
    pairedSeeds: c.pairedSeeds,
    sharedReference: c.sharedReference,
    droppedQuestions: c.droppedQuestions,
    note: c.note,
    verdict: decided?.verdict ? { kind: decided.verdict.kind, text: decided.verdict.text } : null,
    answer: decided?.answer ?? null,
  };
}

/**
 * The JSON of one experiment's report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { RunStore } from "@creditlab/runstore";
 * import { REPORT_SCHEMA } from "./json_schema.ts";
 * import { collectExperiment } from "./collect.ts";
 * import { decide } from "./decide.ts";
 * import { loadPaperCard } from "./paper.ts";
 * const tmp = await Deno.makeTempDir();
 * const store = await RunStore.open(join(tmp, "runs.duckdb")); // empty: no runs yet
 * const data = await collectExperiment(store, "alpha");
 * const card = await loadPaperCard("alpha"); // no methods/alpha/paper.ts: a "missing" card
 * const decisions = decide(data.comparisons, { card });
 * const inp = { data, card, cardMethod: "alpha", plots: [], storeName: "runs.duckdb", decisions };
 * const j = experimentJson(inp, { anchor: "exp-alpha", markdown: "alpha.md", html: "alpha.html" });
 * assert.equal(j.schema, REPORT_SCHEMA);
 * j.headline?.kind; // e.g. "inconclusive" once the store has runs
 * store.close();
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export function experimentJson(
  inp: RenderInput,
  opts: { anchor: string; markdown: string; html: string },
): ReportJson {
  const { data: d, decisions: dec } = inp;
  const base = baselineArm(d);
  const meth = methodArm(d);
  const rows = [...(d.start ? [d.start] : []), ...d.arms];
  const keys = columnsWithData(d);
  const worlds: WorldJson[] = SEARCHWORLD_COLUMNS.map((key) => {
    const w = dec.worlds.find((x) => x.column === key);
    const decidedOf = (c: Comparison) =>
      w?.claim?.comparison === c ? w.claim : w?.gains.find((g) => g.comparison === c);
    const learn = w?.gains.find((g) => g.comparison.arm === "baseline");
    return {
      key,
      ...worldOf(key),
      arms: rows.map((a) => ({
        arm: a.arm,
        method: a.method,
        runs: a.runs.length,
        em: cellJson(a.em[key]),
        f1: cellJson(a.f1[key]),
      })),
      comparisons: d.comparisons.filter((c) => c.column === key).map((c) =>
        comparisonJson(c, decidedOf(c))
      ),
      verdict: w?.claim?.verdict
        ? { kind: w.claim.verdict.kind, text: w.claim.verdict.text }
        : null,
      learns: learn?.verdict && learn.answer
        ? { kind: learn.verdict.kind, answer: learn.answer, text: learn.verdict.text }
        : null,
    };
  });
  const qaKeys = keys.filter((k) => !(SEARCHWORLD_COLUMNS as readonly string[]).includes(k));
  const byArm: Record<string, number> = {};
  let total = 0;
  for (const r of d.runs) {
    const s = wallSeconds(r);
    if (s === null) continue;
    total += s;
    byArm[r.arm] = (byArm[r.arm] ?? 0) + s;
  }
  const r = d.regime;
  return {
    schema: REPORT_SCHEMA,
    experiment: d.name,
    anchor: opts.anchor,
    store: inp.storeName,
    selection: d.selection,
    files: {
      markdown: opts.markdown,
      html: opts.html,
      plots: inp.plots.map((p) => p.svgPath),
    },
    units:
      "EM, F1, delta, lo, hi, halfWidth, se and mde are fractions in [0, 1] (x 100 = points in the markdown); trends are in the metric's own unit; null = not computable",
    method: meth?.method ?? null,
    baseline: base?.method ?? null,
    presets: [...new Set(d.runs.map((x) => x.preset))].sort(),
    paper: {
      card: inp.cardMethod || null,
      found: inp.card.kind === "card",
      direction: dec.direction.direction,
      directionSource: dec.direction.source,
    },
    headline: dec.headline
      ? {
        world: dec.headline.column,
        kind: dec.headline.verdict.kind,
        text: dec.headline.verdict.text,
      }
      : null,
    regime: r === null ? null : {
      name: r.name,
      source: r.source,
      summary: r.regime?.summary ?? null,
      measure: r.regime ? { ...r.regime.measure } : null,
      holds: r.holds,
      arms: r.arms.map((a) => ({
        arm: a.arm,
        value: a.value === null ? null : num(a.value),
        holds: a.holds,
        perSeed: a.perSeed,
      })),
    },
    worlds,
    qaBenchmarks: {
      columns: qaKeys.map((k) => ({
        key: k,
        label: keyLabel(k),
        arms: rows.map((a) => ({ arm: a.arm, em: cellJson(a.em[k]), f1: cellJson(a.f1[k]) })),
        delta: d.delta ? cellJson(d.delta.em[k]) : null,
      })),
      note: collapsedColumnsNote(d),
    },
    trends: d.trends.map((t) => ({
      arm: t.arm,
      metric: t.metric,
      share: TREND_SHARE,
      first: t.estimate ? num(t.estimate.first) : null,
      last: t.estimate ? num(t.estimate.last) : null,
      delta: t.estimate ? num(t.estimate.delta) : null,
      lo: t.estimate ? num(t.estimate.lo) : null,
      hi: t.estimate ? num(t.estimate.hi) : null,
      halfWidth: t.estimate ? num(t.estimate.halfWidth) : null,
      seeds: t.estimate?.seeds ?? null,
      stepsPerWindow: t.estimate?.stepsPerWindow ?? null,
      seedNoiseEstimated: t.estimate?.seedNoiseEstimated ?? null,
      note: t.note,
    })),
    curves: {
      drawn: d.curves.map((c) => c.metric),
      omitted: d.omittedCurves,
      notLogged: d.missingMetrics,
      band: "mean over seeds with the min-max range over seeds",
    },
    runs: d.runs.map((x) => ({
      id: x.id,
      arm: x.arm,
      method: x.method,
      seed: x.seed,
      preset: x.preset,
      backend: x.backend,
      commit: x.gitCommit,
      status: x.status,
      reason: x.reason ?? null,
      startedAt: x.startedAt,
      endedAt: x.endedAt,
      wallSeconds: wallSeconds(x),
    })),
    wallSeconds: { total, byArm, elapsed: elapsedSeconds(d.runs) },
    commits: [...new Set(d.runs.map((x) => x.gitCommit))].sort(),
    backends: [...new Set(d.runs.map((x) => x.backend))].sort(),
    sweeps: sweepsJson(inp.sweeps ?? null, inp.plots),
  };
}

/** The file text of a report JSON (2-space indent, trailing newline). */
export function jsonText(j: ReportJson): string {
  return `${JSON.stringify(j, null, 2)}\n`;
}

function leverJson(
  p: { seeds: number; questions: number; halfWidth: number } | null,
): { seeds: number; questions: number; halfWidth: number | null } | null {
  return p === null
    ? null
    : { seeds: p.seeds, questions: p.questions, halfWidth: num(p.halfWidth) };
}
