/**
 * `generateReport`: run store in, reports out — per experiment `<out>/<experiment>.md`,
 * `<out>/<experiment>.json` (every number of the tables, `ReportJson`) and
 * `<out>/<experiment>.html` (its standalone page: tables, inline SVG plots, run configs);
 * `<out>/plots/*.svg|png`; `<out>/index.html`, an overview with one row per experiment report
 * in the folder; and `<out>/report.css`, the stylesheet the pages link (copied from this package
 * unless `out` is the package folder itself, where the one copy already is).
 *
 * Each experiment's report also shows the recorded sweeps of its method, read from
 * `<out>/sweeps/*.jsonl` (the lines of `deno task sweep`; sweep_lines.ts, sweeps_section.ts): no
 * folder, no section; a malformed line stops the generation before anything is written.
 *
 * The index is built from every report JSON in `<out>` (not only the experiments of the store
 * just read), so regenerating from a store that holds one experiment keeps the others' rows.
 * Same store and folder in, same files out, byte for byte.
 *
 * An experiment whose method declares a `turnCountVariant` (the config change that removes a bias
 * of its credit in the number of turns), or every named experiment when `variant` is given (an
 * override of the method arm's recorded config, `--variant JSON`), also gets the "Credit by turn
 * count" section (turn_count_section.ts): the method's credit as recorded and replayed under the
 * variant, and the baseline's, on every stored step.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { DEFAULT_STORE_PATH, RunStore } from "@creditlab/runstore";
import { collectExperiment } from "./collect.ts";
import { baselineArm, type ExperimentData } from "./experiment_data.ts";
import { decide } from "./decide.ts";
import { indexHtml, readIndexEntries } from "./index_page.ts";
import { experimentJson, jsonText } from "./json.ts";
import { loadPaperCard, type PaperCard } from "./paper.ts";
import {
  contributionSpec,
  curveSpec,
  heatSpec,
  renderSvg,
  smoothingWindow,
  svgToPng,
  toolCallSpec,
  type VlSpec,
} from "./plots.ts";
import {
  CSS_FILE,
  experimentHtml,
  experimentMarkdown,
  type RenderedPlot,
  type RenderInput,
} from "./render.ts";
import { sweepPlotSpecs, SWEEPS_FOLDER } from "./render_sweeps.ts";
import { readSweepFolder } from "./sweep_lines.ts";
import { recordedMethodConfigs, type SweepSection, sweepSection } from "./sweeps_section.ts";
import type { TurnCountSection } from "./turn_count_types.ts";

/** The stylesheet of the pages, in this package (the only copy in the repository). */
const CSS_SOURCE = new URL(`./${CSS_FILE}`, import.meta.url);

/** Whether `out` is the folder this package lives in (then the stylesheet is already there). */
async function isPackageFolder(out: string): Promise<boolean> {
  if (CSS_SOURCE.protocol !== "file:") return false;
  const here = fileURLToPath(new URL(".", CSS_SOURCE));
  try {
    return (await Deno.realPath(out)) === (await Deno.realPath(here));
  } catch {
    return false;
  }
}

/** Options of {@link generateReport}. */
export interface GenerateOptions {
  /** Path of the DuckDB run store, or an open store. Default `runs/creditlab.duckdb`. */
  store?: string | RunStore;
  /** Output folder (default `reports`). */
  out?: string;
  /** Experiments (or methods) to report, or "all" (default): every experiment in the store. */
  methods?: string[] | "all";
  /** Where the method folders with their paper.ts live (default: this repository's methods/). */
  methodsDir?: URL;
  /** Also write PNGs of every plot (default true). */
  png?: boolean;
  /**
   * An override of the method arm's recorded config (e.g. its unbiased variant), in place of the
   * one the method declares: adds the "Credit by turn count" section. Needs the experiments named
   * (`methods` not "all").
   */
  variant?: Record<string, unknown>;
}

/** What {@link generateReport} wrote. */
export interface GenerateResult {
  /** The experiments reported from the store. */
  experiments: string[];
  /** Every experiment of index.html (these and the ones already reported in `out`). */
  indexed: string[];
  /** Written files, relative to `out`, sorted. */
  files: string[];
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "_");
}

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

async function plotsFor(
  d: ExperimentData,
  stem: string,
  sweeps: SweepSection | null,
): Promise<{ plot: RenderedPlot; spec: VlSpec }[]> {
  const specs: { id: string; title: string; spec: VlSpec }[] = [];
  for (const c of d.curves) {
    specs.push({
      id: `curve-${safe(c.metric.replaceAll("/", "_"))}`,
      title: c.metric,
      spec: curveSpec(c.metric, c.points),
    });
  }
  if (d.toolCalls.length) {
    specs.push({
      id: "tools",
      title: "search calls per trajectory",
      spec: toolCallSpec(d.toolCalls),
    });
  }
  for (const label of [...new Set(d.roundSeries.map((c) => c.label))].sort()) {
    specs.push({
      id: `rounds-${safe(label)}`,
      title: `${label} by round rank`,
      spec: contributionSpec(d.roundSeries.filter((c) => c.label === label), {
        title: `${label} by round rank (successful trajectories, method record)`,
        yTitle: `mean normalised ${label}`,
      }),
    });
  }
  if (d.creditShares.length) {
    specs.push({
      id: "credit-share",
      title: "credit share by round rank",
      spec: contributionSpec(d.creditShares, {
        title: "credit share by round rank (successful trajectories, stored advantages)",
        yTitle: "mean share of |advantage|",
      }),
    });
  }
  for (const h of d.heat) {
    specs.push({
      id: `heat-${safe(h.arm)}`,
      title: `per-token credit: ${h.arm}`,
      spec: heatSpec(h),
    });
  }
  if (sweeps) specs.push(...sweepPlotSpecs(sweeps));
  const out: { plot: RenderedPlot; spec: VlSpec }[] = [];
  for (const s of specs) {
    const svg = await renderSvg(s.spec, { idPrefix: `${stem}-${s.id}` });
    out.push({
      spec: s.spec,
      plot: {
        id: s.id,
        title: s.title,
        svgPath: `plots/${stem}-${s.id}.svg`,
        pngPath: `plots/${stem}-${s.id}.png`,
        svg,
      },
    });
  }
  return out;
}

/**
 * Write the reports of the given experiments (or all) from a run store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * const out = await Deno.makeTempDir(); // default: reports/ from runs/creditlab.duckdb
 * const store = join(out, "none.duckdb"); // missing: an empty report
 * const r = await generateReport({ store, out, methods: ["alpha"], png: false });
 * assert.deepEqual(r.files, ["alpha.html", "alpha.json", "alpha.md", "index.html", "report.css"]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function generateReport(opts: GenerateOptions = {}): Promise<GenerateResult> {
  const out = opts.out ?? "reports";
  const storeArg = opts.store ?? DEFAULT_STORE_PATH;
  const png = opts.png ?? true;
  let store: RunStore | null = null;
  let own = false;
  let storeName: string;
  if (typeof storeArg === "string") {
    storeName = basename(storeArg);
    try {
      await Deno.stat(storeArg);
      store = await RunStore.open(storeArg, { readOnly: true });
      own = true;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        const msg = (e as Error).message;
        if (!/no such store/.test(msg)) throw e;
      }
      store = null;
    }
  } else {
    store = storeArg;
    storeName = basename(storeArg.path);
  }
  const files: string[] = [];
  const write = async (rel: string, content: string | Uint8Array) => {
    const path = `${out}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
    files.push(rel);
  };
  try {
    // Read (and check) every sweep line before writing anything.
    const sweepLines = await readSweepFolder(`${out}/${SWEEPS_FOLDER}`);
    let names: string[];
    if (store === null) {
      names = opts.methods === "all" || opts.methods === undefined ? [] : opts.methods;
    } else if (opts.methods === undefined || opts.methods === "all") {
      const rows = await store.query(`SELECT DISTINCT experiment FROM runs ORDER BY experiment`);
      names = rows.map((r) => String(r["experiment"]));
    } else names = opts.methods;
    if (opts.variant !== undefined && (opts.methods === undefined || opts.methods === "all")) {
      throw new Error(
        "--variant: name the experiment(s) it is for (a variant overrides one method's config)",
      );
    }
    for (const name of names) {
      const stem = safe(name);
      let data: ExperimentData;
      if (store === null) {
        data = emptyExperiment(name, `no run store at ${storeName}`);
      } else data = await collectExperiment(store, name);
      let turnCount: TurnCountSection | null = null;
      if (store !== null) {
        const { declaredVariant, turnCountSection } = await import("./turn_count_section.ts");
        const variant = opts.variant ?? declaredVariant(data);
        if (variant !== undefined) turnCount = await turnCountSection(store, data, { variant });
      }
      const methodArm = data.arms.find((a) => a.arm !== "baseline") ?? data.arms[0];
      const cardMethod = methodArm?.method.split("+")[0] ?? name;
      const card: PaperCard = await loadPaperCard(
        cardMethod,
        opts.methodsDir ? { methodsDir: opts.methodsDir } : {},
      );
      const sweeps = sweepLines === null ? null : sweepSection(sweepLines.lines, {
        method: cardMethod,
        baseline: baselineArm(data)?.method ?? null,
        defaults: recordedMethodConfigs(data.arms),
        files: sweepLines.files,
      });
      const plots = await plotsFor(data, stem, sweeps);
      for (const { plot } of plots) {
        await write(plot.svgPath, plot.svg);
        if (png) await write(plot.pngPath, svgToPng(plot.svg));
      }
      const inp: RenderInput = {
        data,
        card,
        cardMethod,
        plots: plots.map((p) => p.plot),
        storeName,
        decisions: decide(data.comparisons, { card }),
        sweeps,
        turnCount,
        curveSmoothing: smoothingWindow(
          Math.max(0, ...data.curves.map((c) => new Set(c.points.map((p) => p.step)).size)),
        ),
      };
      const anchor = `exp-${stem}`;
      const html = `${stem}.html`;
      await write(`${stem}.md`, experimentMarkdown(inp));
      await write(html, experimentHtml(inp, { anchor, stem }));
      const json = experimentJson(inp, { anchor, markdown: `${stem}.md`, html });
      await write(`${stem}.json`, jsonText(turnCount ? { ...json, turnCount } : json));
    }
    const { entries, notes } = await readIndexEntries(out);
    if (store === null) notes.unshift(`No run store at ${storeName}.`);
    await write("index.html", indexHtml(entries, { storeName, notes }));
    if (!(await isPackageFolder(out))) await write(CSS_FILE, await Deno.readFile(CSS_SOURCE));
    return { experiments: names, indexed: entries.map((e) => e.name), files: files.sort() };
  } finally {
    if (own && store) store.close();
  }
}

function emptyExperiment(name: string, selection: string): ExperimentData {
  return {
    name,
    selection,
    runs: [],
    arms: [],
    start: null,
    startSource: null,
    itemsRecorded: false,
    comparisons: [],
    regime: null,
    trends: [],
    omittedCurves: [],
    delta: null,
    evals: [],
    otherEvals: [],
    curves: [],
    missingMetrics: [],
    otherMetrics: [],
    toolCalls: [],
    roundSeries: [],
    creditShares: [],
    heat: [],
    checklist: [],
  };
}
