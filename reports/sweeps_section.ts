/**
 * The "Recorded sweeps" of an experiment ({@link sweepSection}): the lines of `deno task sweep`
 * (sweep_lines.ts) of the experiment's method M and of its baseline, grouped by **design** —
 * (preset, regime, held-out questions n, warm-start seed, SFT settings, RL settings) — and within
 * a design by **row** (the sweep's label; same label with another method config: another row).
 *
 * Each line is one seed: Δ_s = EM after RL − EM of the warm start, on the same held-out questions
 * (per world). A row gets the mean of Δ_s over its seeds with the 95% Student-t interval
 * (mean ± t(0.975, S − 1)·sd/√S; seeds are the unit, the warm start being shared within a design)
 * and, against the design's reference baseline row, the paired Δ over the seeds both have:
 * d_s = Δ_s(row) − Δ_s(reference), mean ± t·sd(d)/√S. These are sweep lines, not the
 * reproduction's paired seed x question design. Two lines of one seed in a row are averaged
 * (said in the row's notes); a row whose lines come from more than one commit or backend is kept
 * and flagged.
 *
 * @module
 */

import { canonicalJson, isJsonObject, type JsonObject } from "@creditlab/core";
import { tInterval } from "./stats.ts";
import { differingFields, doseResponseSubset, flattenConfig } from "./sweep_configs.ts";
import type { SweepLine, SweepLineSettings } from "./sweep_lines.ts";

/** A mean over seeds with its 95% t-interval (fractions; NaN half-width below 2 seeds). */
export interface SweepEstimate {
  mean: number;
  halfWidth: number;
  seeds: number;
}

/** One seed of a row: Δ per world (fractions), and how many lines it averages. */
export interface SweepSeed {
  seed: number;
  lines: number;
  in: number;
  ood: number;
}

/** One row of a design: one label (and method config) over its seeds. */
export interface SweepRow {
  label: string;
  /** "line": the sweep's label; "config": made from the config (the line had none). */
  labelSource: "line" | "config";
  method: string;
  methodConfig: Record<string, unknown>;
  /** The row's value of each column of the design (dotted path -> value; absent: not set). */
  fields: Record<string, unknown>;
  perSeed: SweepSeed[];
  in: SweepEstimate;
  ood: SweepEstimate;
  /** Paired Δ against the design's reference row over the seeds both have; null: none. */
  vsReference: { seeds: number[]; in: SweepEstimate; ood: SweepEstimate } | null;
  commits: string[];
  backends: string[];
  /** What a reader must know: several commits or backends, repeated seeds. */
  flags: string[];
  /** Where its lines are: `file:line`. */
  sources: string[];
}

/** One design: the settings its rows share, its rows, and its dose-response, if any. */
export interface SweepDesign {
  /** 1-based, in order of first line. */
  id: number;
  settings: Omit<SweepLineSettings, "method" | "methodConfig">;
  files: string[];
  lines: number;
  /** Config fields (dotted paths) whose value differs between the rows that set them. */
  columns: string[];
  /** The baseline rows first (the reference first of them), then the method's rows. */
  rows: SweepRow[];
  /** Label of the reference row (a baseline row), or null when the design has none. */
  reference: string | null;
  /**
   * The method's rows that differ in one numeric config field only (≥ 2 rows; when the rows
   * differ in several fields, the largest such subset), with the field and their values in
   * increasing order, or null.
   */
  doseResponse: DoseResponse | null;
}

/** A dose-response: rows (by label) that differ only in `field`, in order of its `values`. */
export interface DoseResponse {
  field: string;
  values: number[];
  rows: string[];
}

/** The recorded sweeps of one experiment's method. */
export interface SweepSection {
  method: string;
  /** The baseline arm's method (its lines are the reference rows), or null without one. */
  baseline: string | null;
  /** Every `*.jsonl` file of the sweeps folder, by name. */
  files: string[];
  designs: SweepDesign[];
}

function estimate(xs: readonly number[]): SweepEstimate {
  const iv = tInterval(xs);
  return { mean: iv.mean, halfWidth: iv.halfWidth, seeds: xs.length };
}

function designKey(s: SweepLineSettings): string {
  return canonicalJson([s.preset, s.regime, s.n, s.sftSeed, s.sft, s.rl]);
}

function configLabel(method: string, config: JsonObject, defaults: JsonObject | undefined): string {
  if (!defaults) return `${method} (no label)`;
  const d = flattenConfig(defaults);
  const c = flattenConfig(config);
  const diffs = [...new Set([...c.keys(), ...d.keys()])].flatMap((p) =>
    canonicalJson(c.get(p)) === canonicalJson(d.get(p))
      ? []
      : [`${p}=${c.has(p) ? canonicalJson(c.get(p)) : "(absent)"}`]
  );
  return diffs.length ? `${method}: ${diffs.join(", ")}` : `${method} defaults`;
}

function buildRow(lines: readonly SweepLine[], label: string, fromLine: boolean): SweepRow {
  const first = lines[0]!;
  const bySeed = new Map<number, SweepLine[]>();
  for (const l of lines) bySeed.set(l.seed, [...(bySeed.get(l.seed) ?? []), l]);
  const perSeed: SweepSeed[] = [...bySeed.keys()].sort((a, b) => a - b).map((seed) => {
    const ls = bySeed.get(seed)!;
    const avg = (w: "in" | "ood") =>
      ls.reduce((a, l) => a + (l.worlds[w].after - l.worlds[w].before), 0) / ls.length;
    return { seed, lines: ls.length, in: avg("in"), ood: avg("ood") };
  });
  const commits = [...new Set(lines.map((l) => l.commit))].sort();
  const backends = [...new Set(lines.map((l) => l.backend))].sort();
  const flags: string[] = [];
  if (commits.length > 1) {
    flags.push(`lines from ${commits.length} commits (${commits.join(", ")})`);
  }
  if (backends.length > 1) {
    flags.push(`lines from ${backends.length} backends (${backends.join("; ")})`);
  }
  const repeated = perSeed.filter((s) => s.lines > 1).map((s) => s.seed);
  if (repeated.length) {
    flags.push(
      `seed${repeated.length > 1 ? "s" : ""} ${repeated.join(", ")} recorded more than once: ` +
        `the lines of a seed are averaged`,
    );
  }
  return {
    label,
    labelSource: fromLine ? "line" : "config",
    method: first.settings.method,
    methodConfig: first.settings.methodConfig,
    fields: {},
    perSeed,
    in: estimate(perSeed.map((s) => s.in)),
    ood: estimate(perSeed.map((s) => s.ood)),
    vsReference: null,
    commits,
    backends,
    flags,
    sources: lines.map((l) => `${l.file}:${l.line}`),
  };
}

function paired(row: SweepRow, ref: SweepRow): SweepRow["vsReference"] {
  const refBy = new Map(ref.perSeed.map((s) => [s.seed, s]));
  const both = row.perSeed.filter((s) => refBy.has(s.seed));
  if (both.length === 0) return null;
  return {
    seeds: both.map((s) => s.seed),
    in: estimate(both.map((s) => s.in - refBy.get(s.seed)!.in)),
    ood: estimate(both.map((s) => s.ood - refBy.get(s.seed)!.ood)),
  };
}

/**
 * The reference of a design's paired Δ: among the baseline rows, the one recorded in a file that
 * also holds the method's lines, then with the most seeds in common with the method's rows, then
 * the first.
 */
function pickReference(base: SweepRow[], method: SweepRow[]): SweepRow | null {
  const files = new Set(method.flatMap((r) => r.sources.map((s) => s.split(":")[0])));
  const seeds = new Set(method.flatMap((r) => r.perSeed.map((s) => s.seed)));
  const score = (r: SweepRow) => [
    r.sources.some((s) => files.has(s.split(":")[0])) ? 1 : 0,
    r.perSeed.filter((s) => seeds.has(s.seed)).length,
  ];
  let best: SweepRow | null = null;
  for (const r of base) {
    if (best === null) best = r;
    else {
      const [a, b] = [score(r), score(best)];
      if (a[0]! > b[0]! || (a[0] === b[0] && a[1]! > b[1]!)) best = r;
    }
  }
  return best;
}

/** Options of {@link sweepSection}. */
export interface SweepSectionOptions {
  /** The experiment's method M: designs with at least one line of M are shown. */
  method: string;
  /**
   * The method of the experiment's baseline arm, whose lines join M's designs as the reference
   * rows; null when the experiment has no baseline arm (then a design has no reference).
   */
  baseline: string | null;
  /** Per method, its default config: the label of a line without one names what differs. */
  defaults?: Record<string, Record<string, unknown>>;
  /** The files of the sweeps folder (default: those the lines come from). */
  files?: string[];
}

/**
 * Group sweep lines into the designs of one method (with its baseline's rows), each with its
 * rows, columns, per-seed Δ, means with t-intervals, paired Δ against the reference baseline row
 * and dose-response field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = (label: string, factor: number, seed: number, after: number) => ({
 *   file: "alpha.jsonl", line: seed, commit: "c", backend: "wasm", label, seed,
 *   settings: { preset: "smoke", regime: "mixed", sftSeed: 1, method: "alpha", n: 300,
 *     methodConfig: { shaping: { factor } }, sft: {}, rl: {} },
 *   worlds: { in: { before: 0.5, after }, ood: { before: 0.4, after: 0.4 } },
 * });
 * const s = sweepSection([line("factor 0.1", 0.1, 1, 0.52), line("factor 1", 1, 1, 0.5)], { method: "alpha", baseline: null });
 * assert.deepEqual(s.designs[0]!.doseResponse, {
 *   field: "shaping.factor",
 *   values: [0.1, 1],
 *   rows: ["factor 0.1", "factor 1"],
 * });
 * ```
 */
export function sweepSection(lines: readonly SweepLine[], opts: SweepSectionOptions): SweepSection {
  const method = opts.method;
  const baseline = opts.baseline;
  const byDesign = new Map<string, SweepLine[]>();
  for (const l of lines) {
    if (l.settings.method !== method && l.settings.method !== baseline) continue;
    const k = designKey(l.settings);
    byDesign.set(k, [...(byDesign.get(k) ?? []), l]);
  }
  const designs: SweepDesign[] = [];
  for (const ls of byDesign.values()) {
    if (!ls.some((l) => l.settings.method === method)) continue;
    const byRow = new Map<string, { lines: SweepLine[]; label: string; fromLine: boolean }>();
    for (const l of ls) {
      const cfg = canonicalJson(l.settings.methodConfig);
      const label = l.label ??
        configLabel(l.settings.method, l.settings.methodConfig, opts.defaults?.[l.settings.method]);
      const k = canonicalJson([l.settings.method, label, cfg]);
      const row = byRow.get(k) ?? { lines: [], label, fromLine: l.label !== null };
      row.lines.push(l);
      byRow.set(k, row);
    }
    const rows = [...byRow.values()].map((r) => buildRow(r.lines, r.label, r.fromLine));
    const seen = new Map<string, number>();
    for (const r of rows) {
      const n = (seen.get(r.label) ?? 0) + 1;
      seen.set(r.label, n);
      if (n > 1) r.label = `${r.label} [${n}]`;
    }
    const isBase = (r: SweepRow) => method !== baseline && r.method === baseline;
    let methodRows = rows.filter((r) => !isBase(r));
    const ref = pickReference(rows.filter(isBase), methodRows);
    const baseRows = ref ? [ref, ...rows.filter((r) => isBase(r) && r !== ref)] : [];
    const dose = doseResponseSubset(methodRows.map((r) => r.methodConfig));
    let doseResponse: DoseResponse | null = null;
    if (dose) {
      const inDose = dose.indices.map((i) => methodRows[i]!);
      doseResponse = {
        field: dose.field,
        values: inDose.map((r) => flattenConfig(r.methodConfig).get(dose.field) as number),
        rows: inDose.map((r) => r.label),
      };
      methodRows = [...inDose, ...methodRows.filter((r) => !inDose.includes(r))];
    }
    const ordered = [...baseRows, ...methodRows];
    const columns = differingFields(ordered.map((r) => r.methodConfig));
    for (const r of ordered) {
      const flat = flattenConfig(r.methodConfig);
      r.fields = Object.fromEntries(columns.flatMap((c) => flat.has(c) ? [[c, flat.get(c)]] : []));
      if (ref && r !== ref) r.vsReference = paired(r, ref);
    }
    const { method: _m, methodConfig: _c, ...settings } = ls[0]!.settings;
    designs.push({
      id: designs.length + 1,
      settings,
      files: [...new Set(ls.map((l) => l.file))],
      lines: ls.length,
      columns,
      rows: ordered,
      reference: ref?.label ?? null,
      doseResponse,
    });
  }
  const files = opts.files ?? [...new Set(lines.map((l) => l.file))];
  return { method, baseline, files, designs };
}

/**
 * Each method's config as an experiment's runs record it (`config.method` of every run of the
 * arm, when they all agree): the defaults {@link sweepSection} names a label-less line against.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const arm = { method: "alpha", runs: [{ config: { method: { factor: 0.1 } } }] };
 * assert.deepEqual(recordedMethodConfigs([arm]), { alpha: { factor: 0.1 } });
 * ```
 */
export function recordedMethodConfigs(
  arms: readonly { method: string; runs: readonly { config: unknown }[] }[],
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const a of arms) {
    const cfgs = a.runs.map((r) => (isJsonObject(r.config) ? r.config["method"] : undefined));
    const first = cfgs[0];
    if (!isJsonObject(first)) continue;
    if (cfgs.every((c) => canonicalJson(c) === canonicalJson(first))) out[a.method] = first;
  }
  return out;
}
