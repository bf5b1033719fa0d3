/**
 * The "Recorded sweeps" section of a report ({@link sweepBlocks}): per design of
 * {@link sweepSection}, its settings, a table of its rows (config fields that differ, seeds,
 * per-seed Δ EM, mean Δ with 95% t-interval, paired Δ against the reference baseline row, notes)
 * and, where the method's rows differ in one numeric field, the dose-response plot
 * ({@link sweepPlotSpecs}); and the same numbers for `<experiment>.json` ({@link sweepsJson}).
 *
 * @module
 */

import { pointsText } from "./format.ts";
import type { SweepDesignJson, SweepEstimateJson, SweepsJson } from "./json_schema.ts";
import { baseSpec, type VlSpec } from "./plots.ts";
import { type Block, para, type RenderedPlot } from "./render_blocks.ts";
import { canonicalJson } from "@creditlab/core";
import { flattenConfig } from "./sweep_configs.ts";
import type { SweepDesign, SweepEstimate, SweepRow, SweepSection } from "./sweeps_section.ts";

/** The folder of the sweep lines, relative to the output folder. */
export const SWEEPS_FOLDER = "sweeps";

/**
 * Id of a design's dose-response plot (file `plots/<experiment>-sweep-<id>.svg`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(sweepPlotId({ id: 2 }), "sweep-2");
 * ```
 */
export function sweepPlotId(d: Pick<SweepDesign, "id">): string {
  return `sweep-${d.id}`;
}

const signed = (x: number) => pointsText(100 * x, { signed: true });

function estimateText(e: SweepEstimate): string {
  if (e.seeds === 0) return "n/a";
  if (!Number.isFinite(e.halfWidth)) return `${signed(e.mean)} (1 seed)`;
  return `${signed(e.mean)} ± ${pointsText(100 * e.halfWidth, { signed: false })}`;
}

function fieldText(v: unknown): string {
  if (v === undefined) return "—";
  return typeof v === "string" ? v : canonicalJson(v);
}

function settingsText(o: Record<string, unknown>): string {
  return [...flattenConfig(o)].map(([k, v]) => `${k} ${fieldText(v)}`).join(", ");
}

function designText(d: SweepDesign, s: SweepSection): string {
  const st = d.settings;
  const warm = st.sftSeed === null
    ? "each seed's own warm start (SFT seed = RL seed)"
    : `the warm start of SFT seed ${st.sftSeed}, shared by every seed`;
  const ref = d.reference === null
    ? (s.baseline === null || s.method === s.baseline
      ? ""
      : ` No ${s.baseline} row in this design: no paired Δ.`)
    : ` Paired Δ against the ${s.baseline} row "${d.reference}", over the seeds both have.`;
  return `${d.lines} line(s) from ${d.files.map((f) => `\`${SWEEPS_FOLDER}/${f}\``).join(", ")}; ` +
    `${warm}. SFT: ${settingsText(st.sft)}. RL: ${settingsText(st.rl)}.${ref}`;
}

function rowCells(r: SweepRow, d: SweepDesign): string[] {
  const per = (w: "in" | "ood") => r.perSeed.map((s) => signed(s[w])).join(", ");
  const vs = r.vsReference;
  const pairedText = (w: "in" | "ood") =>
    vs ? `${estimateText(vs[w])} (${vs.seeds.length} seed${vs.seeds.length > 1 ? "s" : ""})` : "—";
  const notes = [...(r.label === d.reference ? ["reference"] : []), ...r.flags];
  return [
    r.label,
    r.method,
    ...d.columns.map((c) => fieldText(r.fields[c])),
    r.perSeed.map((s) => s.seed).join(", "),
    per("in"),
    per("ood"),
    estimateText(r.in),
    estimateText(r.ood),
    ...(d.reference === null ? [] : [pairedText("in"), pairedText("ood")]),
    notes.join("; ") || "—",
  ];
}

/** The rows of a design's dose-response, in order of the field's values. */
function doseRows(d: SweepDesign): SweepRow[] {
  const byLabel = new Map(d.rows.map((r) => [r.label, r] as const));
  return (d.doseResponse?.rows ?? []).map((l) => byLabel.get(l)!);
}

function doseText(d: SweepDesign, s: SweepSection): string {
  const dr = d.doseResponse!;
  const rows = doseRows(d);
  const means = (w: "in" | "ood") => rows.map((r) => signed(r[w].mean)).join(", ");
  const which = rows.length === d.rows.filter((r) => r.method === s.method).length
    ? `the ${s.method} rows of this design`
    : `the ${s.method} rows ${rows.map((r) => `"${r.label}"`).join(", ")}`;
  return `Dose-response: ${which} differ only in \`${dr.field}\` ` +
    `(${dr.values.join(", ")}); mean Δ EM in-domain ${means("in")}, OOD ${means("ood")} points, ` +
    `plotted with their 95% t-intervals over seeds` +
    (d.reference === null ? "." : ` (dashed: the ${s.baseline} reference's mean Δ).`);
}

/**
 * The section's blocks: nothing when the section has no design (no sweeps folder, or no line of
 * the method).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(sweepBlocks(null, []), []);
 * assert.deepEqual(sweepBlocks({ method: "alpha", baseline: "grpo", files: [], designs: [] }, []), []);
 * ```
 */
export function sweepBlocks(s: SweepSection | null, plots: readonly RenderedPlot[]): Block[] {
  if (s === null || s.designs.length === 0) return [];
  const blocks: Block[] = [
    { kind: "h", text: "Recorded sweeps" },
    para(
      `From the sweep lines in \`${SWEEPS_FOLDER}/*.jsonl\` (\`deno task sweep\`; ` +
        `${s.files.join(", ")}) of ${s.method}` +
        (s.baseline === null || s.method === s.baseline ? "" : ` and its baseline ${s.baseline}`) +
        `, grouped by design (preset, regime, held-out questions, warm start, SFT and RL ` +
        `settings). They are sweep lines, not the reproduction's paired design: each is one ` +
        `seed's Δ EM (after RL − the warm start, the same held-out questions, in points), and ` +
        `seeds are the unit of every 95% t-interval (mean ± half-width).`,
    ),
  ];
  for (const d of s.designs) {
    const st = d.settings;
    blocks.push({
      kind: "h",
      sub: true,
      text: `Design ${d.id}: preset ${st.preset}, regime ${st.regime}, ${st.n} questions per world`,
    });
    blocks.push(para(designText(d, s), "note"));
    const head = [
      "setting",
      "method",
      ...d.columns,
      "seeds",
      "Δ in-domain per seed",
      "Δ OOD per seed",
      "mean Δ in-domain",
      "mean Δ OOD",
      ...(d.reference === null
        ? []
        : [`Δ − ${s.baseline} in-domain (paired)`, `Δ − ${s.baseline} OOD (paired)`]),
      "notes",
    ];
    blocks.push({ kind: "table", head, rows: d.rows.map((r) => rowCells(r, d)) });
    if (d.doseResponse) {
      blocks.push(para(doseText(d, s)));
      const p = plots.filter((x) => x.id === sweepPlotId(d));
      if (p.length) blocks.push({ kind: "plots", plots: p });
    }
  }
  return blocks;
}

/**
 * The dose-response plots of a section: per design with a dose-response field, mean Δ EM
 * (points) of the method's rows against the field's value, one panel per world, with the 95%
 * t-interval as a bar, and the reference row's mean Δ in that world as a dashed line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSweepLines } from "./sweep_lines.ts";
 * import { sweepSection } from "./sweeps_section.ts";
 * import { goldenSweepLines } from "./sweeps_testing.ts";
 * const lines = parseSweepLines(goldenSweepLines().join("\n"), { file: "alpha.jsonl" });
 * const [plot] = sweepPlotSpecs(sweepSection(lines, { method: "alpha", baseline: "grpo" }));
 * assert.equal(plot!.id, "sweep-1"); // render with renderSvg(plot.spec) (plots.ts)
 * ```
 */
export function sweepPlotSpecs(s: SweepSection): { id: string; title: string; spec: VlSpec }[] {
  return s.designs.flatMap((d) => {
    if (!d.doseResponse) return [];
    const field = d.doseResponse.field;
    const worlds = [["in", "in-domain"], ["ood", "OOD"]] as const;
    const ref = d.rows.find((r) => r.label === d.reference);
    const values = doseRows(d).flatMap((r, i) =>
      worlds.map(([w, world]) => {
        const e = r[w];
        const hw = Number.isFinite(e.halfWidth) ? e.halfWidth : null;
        return {
          x: d.doseResponse!.values[i]!,
          world,
          mean: 100 * e.mean,
          lo: hw === null ? null : 100 * (e.mean - hw),
          hi: hw === null ? null : 100 * (e.mean + hw),
          ref: ref ? 100 * ref[w].mean : null,
        };
      })
    );
    const color = {
      field: "world",
      type: "nominal",
      legend: null,
      scale: { domain: worlds.map((w) => w[1]) },
    };
    const x = {
      field: "x",
      type: "quantitative",
      title: field,
      scale: { zero: false, padding: 14 },
    };
    const y = { field: "mean", type: "quantitative", title: "mean Δ EM over warm start (points)" };
    const layer: VlSpec[] = [
      {
        transform: [{ filter: "datum.lo !== null" }],
        mark: { type: "rule", strokeWidth: 1.5 },
        encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color },
      },
      { mark: { type: "line", point: true, strokeWidth: 1.8 }, encoding: { x, y, color } },
    ];
    if (ref) {
      layer.push({
        transform: [{ filter: "datum.ref !== null" }],
        mark: { type: "rule", strokeDash: [4, 3], strokeWidth: 1.2, color: "#666" },
        encoding: { y: { aggregate: "mean", field: "ref", type: "quantitative" } },
      });
    }
    const title = `${field}: mean Δ EM over the warm start (design ${d.id})`;
    return [{
      id: sweepPlotId(d),
      title,
      spec: baseSpec(title, {
        title: {
          text: title,
          subtitle: "sweep lines; bars: 95% t-interval over seeds" +
            (ref ? `; dashed: ${s.baseline} reference` : ""),
          subtitleFontSize: 9,
        },
        data: { values },
        facet: {
          column: { field: "world", type: "nominal", title: null, sort: worlds.map((w) => w[1]) },
        },
        spec: { width: 220, height: 170, layer },
      }),
    }];
  });
}

function num(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function estimateJson(e: SweepEstimate): SweepEstimateJson {
  const hw = num(e.halfWidth);
  return {
    mean: num(e.mean),
    halfWidth: hw,
    lo: hw === null ? null : e.mean - hw,
    hi: hw === null ? null : e.mean + hw,
    seeds: e.seeds,
  };
}

/**
 * The section for `<experiment>.json` (fractions; null where not computable); null when the
 * output folder has no sweeps folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(sweepsJson(null, []), null);
 * const empty = { method: "alpha", baseline: "grpo", files: ["alpha.jsonl"], designs: [] };
 * assert.deepEqual(sweepsJson(empty, [])?.designs, []);
 * ```
 */
export function sweepsJson(
  s: SweepSection | null,
  plots: readonly RenderedPlot[],
): SweepsJson | null {
  if (s === null) return null;
  const designs: SweepDesignJson[] = s.designs.map((d) => ({
    id: d.id,
    settings: { ...d.settings },
    files: d.files,
    lines: d.lines,
    columns: d.columns,
    reference: d.reference,
    doseResponse: d.doseResponse,
    plot: plots.find((p) => p.id === sweepPlotId(d))?.svgPath ?? null,
    rows: d.rows.map((r) => ({
      label: r.label,
      labelSource: r.labelSource,
      method: r.method,
      fields: r.fields,
      perSeed: r.perSeed.map((p) => ({ ...p })),
      in: estimateJson(r.in),
      ood: estimateJson(r.ood),
      vsReference: r.vsReference
        ? {
          seeds: r.vsReference.seeds,
          in: estimateJson(r.vsReference.in),
          ood: estimateJson(r.vsReference.ood),
        }
        : null,
      commits: r.commits,
      backends: r.backends,
      flags: r.flags,
      sources: r.sources,
    })),
  }));
  return {
    folder: SWEEPS_FOLDER,
    files: s.files,
    method: s.method,
    baseline: s.baseline,
    note:
      "sweep lines (deno task sweep): per seed, delta = EM after RL - EM of the warm start on the same held-out questions; means with 95% t-intervals over seeds; vsReference: paired over the seeds both rows have. Not the reproduction's paired seed x question design.",
    designs,
  };
}
