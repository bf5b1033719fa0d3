/**
 * `reports/<experiment>.json`: every number of an experiment's tables, machine-readable, so that
 * other tools can check them — and what `index.html` is built from. Schema
 * {@link REPORT_SCHEMA}; described field by field on {@link ReportJson}.
 *
 * Units: EM, F1, Δ, interval ends, half-widths and MDEs are fractions in [0, 1] (the markdown
 * shows them x 100, in points); a number that cannot be computed (NaN) is `null`. Nothing in the
 * file depends on when it was written: the same store gives the same bytes.
 *
 * @module
 */

import type { RunStatus } from "@creditlab/runstore";
import { COLUMNS } from "./benchmarks.ts";
import {
  baselineArm,
  type Cell,
  type CellKey,
  columnsWithData,
  methodArm,
  SEARCHWORLD_COLUMNS,
} from "./experiment_data.ts";
import {
  type Comparison,
  type Decided,
  type EstimateNumbers,
  LEVEL,
  POWER,
  TREND_SHARE,
  wallSeconds,
  worldOf,
} from "./decide.ts";
import { collapsedColumnsNote, type IndexEntry, type RenderInput } from "./render.ts";

/** Marker of a report file: the index reads only JSON files that carry it. */
export const REPORT_SCHEMA = "creditlab.report/1";

/** A table cell: mean and 95% t-interval over seeds, or why it is missing. */
export type CellJson =
  | {
    mean: number;
    /** Half-width of the 95% Student-t interval over seeds (null for one seed). */
    halfWidth: number | null;
    lo: number | null;
    hi: number | null;
    /** Seeds with this evaluation, of `of` runs. */
    seeds: number;
    of: number;
  }
  | { missing: string };

/** One comparison A − B with its numbers (fractions) and verdict. */
export interface ComparisonJson {
  /** "method − baseline", "baseline − start", "method − start". */
  label: string;
  arm: string;
  reference: string;
  /** "paired" (crossed seed x question, reports/paired.ts), "welch" (over seeds), or null. */
  how: "paired" | "welch" | null;
  delta: number | null;
  lo: number | null;
  hi: number | null;
  halfWidth: number | null;
  se: number | null;
  mde: number | null;
  df: number | null;
  level: number;
  power: number;
  /** Paired: seeds S; Welch: seeds of `arm`. */
  seeds: number | null;
  /** Runs of `reference` used (1: the warm start shared by every seed). */
  referenceSeeds: number | null;
  /** Paired: questions Q; Welch: null. */
  questions: number | null;
  seedNoiseEstimated: boolean | null;
  components: { seed: number; question: number; residual: number } | null;
  /**
   * Paired comparisons wider than the 3-point target: the smallest projected design that would
   * meet it, with more questions at the recorded seeds or more seeds at the recorded questions
   * (null: none within the search bound).
   */
  levers: {
    target: number;
    questions: { seeds: number; questions: number; halfWidth: number | null } | null;
    seeds: { seeds: number; questions: number; halfWidth: number | null } | null;
  } | null;
  /** mean(arm) − mean(reference) of the seeds' aggregate EM, even without interval. */
  point: number | null;
  pairedSeeds: number[];
  sharedReference: boolean;
  droppedQuestions: number;
  note: string;
  /** Claim: in the paper's direction; gain over the warm start: direction +. */
  verdict: { kind: string; text: string } | null;
  /** Gains over the warm start: "yes", "no: below its warm start", "inconclusive at MDE x ...". */
  answer: string | null;
}

/** One SearchWorld world: the arms' scores and the comparisons. */
export interface WorldJson {
  /** "searchworld" or "searchworld-ood". */
  key: string;
  label: string;
  domain: "in-domain" | "out-of-domain";
  arms: { arm: string; method: string; runs: number; em: CellJson; f1: CellJson }[];
  comparisons: ComparisonJson[];
  /** The verdict on the paper's claim (Δ method − baseline) on this world. */
  verdict: { kind: string; text: string } | null;
  /** Does RL learn: the baseline's gain over its warm start on this world. */
  learns: { kind: string; answer: string; text: string } | null;
}

/** The whole file. */
export interface ReportJson {
  schema: typeof REPORT_SCHEMA;
  experiment: string;
  /** Anchor of the experiment's section in index.html. */
  anchor: string;
  /** File name of the run store it was generated from. */
  store: string;
  selection: string;
  /** Files of this experiment, relative to the output folder. */
  files: { markdown: string; section: string; plots: string[] };
  units: string;
  method: string | null;
  baseline: string | null;
  presets: string[];
  paper: { card: string | null; found: boolean; direction: 1 | -1; directionSource: string };
  /** The in-domain verdict on the paper's claim. */
  headline: { world: string; kind: string; text: string } | null;
  regime: {
    name: string;
    source: string;
    summary: string | null;
    measure: { metric: string; label: string; atLeast: number | null; window: number } | null;
    holds: boolean | null;
    arms: {
      arm: string;
      value: number | null;
      holds: boolean | null;
      perSeed: { seed: number; value: number; steps: number }[];
    }[];
  } | null;
  worlds: WorldJson[];
  /** The other table columns (QA benchmarks, Avg (7)) with data, and the note for the others. */
  qaBenchmarks: {
    columns: {
      key: string;
      label: string;
      arms: { arm: string; em: CellJson; f1: CellJson }[];
      /** Δ method − baseline, Welch over seeds. */
      delta: CellJson | null;
    }[];
    note: string | null;
  };
  trends: {
    arm: string;
    metric: string;
    share: number;
    first: number | null;
    last: number | null;
    delta: number | null;
    lo: number | null;
    hi: number | null;
    halfWidth: number | null;
    seeds: number | null;
    stepsPerWindow: number | null;
    seedNoiseEstimated: boolean | null;
    note: string;
  }[];
  curves: {
    drawn: string[];
    omitted: { metric: string; value: number; points: number }[];
    notLogged: string[];
    band: string;
  };
  runs: {
    id: string;
    arm: string;
    method: string;
    seed: number;
    preset: string;
    backend: string;
    commit: string;
    status: RunStatus;
    startedAt: string;
    endedAt: string | null;
    wallSeconds: number | null;
  }[];
  wallSeconds: { total: number; byArm: Record<string, number> };
  commits: string[];
  backends: string[];
}

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
 * import { collectExperiment } from "./collect.ts";
 * import { decide } from "./decide.ts";
 * import { loadPaperCard } from "./paper.ts";
 * const tmp = await Deno.makeTempDir();
 * const store = await RunStore.open(join(tmp, "runs.duckdb")); // empty: no runs yet
 * const data = await collectExperiment(store, "capf");
 * const card = await loadPaperCard("capf");
 * const decisions = decide(data.comparisons, { card });
 * const inp = { data, card, cardMethod: "capf", plots: [], storeName: "runs.duckdb", decisions };
 * const j = experimentJson(inp, { anchor: "exp-capf", markdown: "capf.md", section: "plots/sections/capf.html" });
 * assert.equal(j.schema, REPORT_SCHEMA);
 * j.headline?.kind; // e.g. "inconclusive" once the store has runs
 * store.close();
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export function experimentJson(
  inp: RenderInput,
  opts: { anchor: string; markdown: string; section: string },
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
      section: opts.section,
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
      columns: qaKeys.map((k: CellKey) => ({
        key: k,
        label: k === "avg" ? "Avg (7)" : COLUMNS.find((c) => c.key === k)?.label ?? k,
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
      startedAt: x.startedAt,
      endedAt: x.endedAt,
      wallSeconds: wallSeconds(x),
    })),
    wallSeconds: { total, byArm },
    commits: [...new Set(d.runs.map((x) => x.gitCommit))].sort(),
    backends: [...new Set(d.runs.map((x) => x.backend))].sort(),
  };
}

/** The file text of a report JSON (2-space indent, trailing newline). */
export function jsonText(j: ReportJson): string {
  return `${JSON.stringify(j, null, 2)}\n`;
}

function escHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/**
 * The index entries of every experiment report in `dir`: each top-level `*.json` file that
 * carries {@link REPORT_SCHEMA}, sorted by experiment name, with its section HTML read from
 * `files.section` (a short section from the JSON's headline when that file is missing). Other
 * JSON files (e.g. deno.json) are skipped; a report file that cannot be read is named in `notes`.
 */
export async function readIndexEntries(
  dir: string,
): Promise<{ entries: IndexEntry[]; notes: string[] }> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { entries: [], notes: [] };
    throw e;
  }
  names.sort();
  const entries: IndexEntry[] = [];
  const notes: string[] = [];
  for (const name of names) {
    let j: Partial<ReportJson>;
    try {
      j = JSON.parse(await Deno.readTextFile(`${dir}/${name}`));
    } catch (e) {
      notes.push(
        `${name}: not readable as JSON (${(e as Error).message.split("\n")[0]}); skipped.`,
      );
      continue;
    }
    if (typeof j !== "object" || j === null || j.schema !== REPORT_SCHEMA) continue;
    if (
      typeof j.experiment !== "string" || typeof j.anchor !== "string" ||
      typeof j.files?.section !== "string" || typeof j.store !== "string"
    ) {
      notes.push(
        `${name}: a ${REPORT_SCHEMA} file without experiment, anchor, store or files.section; skipped.`,
      );
      continue;
    }
    let html: string;
    try {
      html = await Deno.readTextFile(`${dir}/${j.files.section}`);
    } catch {
      notes.push(`${name}: its section ${j.files.section} is missing; showing the headline only.`);
      html = `<section id="${escHtml(j.anchor)}"><h2>${
        escHtml(j.experiment)
      }</h2><p class="missing">${
        escHtml(
          `Section file ${j.files.section} missing. Verdict: ${j.headline?.text ?? "none"}.`,
        )
      }</p></section>`;
    }
    entries.push({
      name: j.experiment,
      anchor: j.anchor,
      html,
      store: j.store,
      headline: j.headline?.kind ?? null,
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, notes };
}

function leverJson(
  p: { seeds: number; questions: number; halfWidth: number } | null,
): { seeds: number; questions: number; halfWidth: number | null } | null {
  return p === null
    ? null
    : { seeds: p.seeds, questions: p.questions, halfWidth: num(p.halfWidth) };
}
