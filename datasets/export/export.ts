/**
 * `data export`: the benchmarks (the default variant of each split, as `loadQuestions` reads
 * them) and SearchWorld worlds as training/validation files of another trainer, one file per
 * data source and split: `<out>/<data source>/<split>.parquet`, SearchWorld under
 * `<out>/searchworld-<preset>/`. Format: Search-R1 / verl parquet (search_r1.ts).
 *
 * All or nothing: every input is read and every row built and checked in memory first; the
 * files are then written to temporary names and renamed into place only when all were written
 * (a failure removes the temporary files and leaves `out` as it was).
 *
 * @module
 */
import { join } from "node:path";
import { parseBenchmarkDir } from "../benchmarks/parse.ts";
import { BENCHMARKS } from "../benchmarks/schema.ts";
import { DEFAULT_QA_DIR } from "../benchmarks/paths.ts";
import type { StoredQuestion } from "../benchmarks/schema.ts";
import { defaultVariantRows } from "../benchmarks/variants.ts";
import { generateWorld } from "../searchworld/generate.ts";
import { WORLD_PRESETS, worldPreset, type WorldPresetName } from "../searchworld/presets.ts";
import {
  type ExportQuestion,
  type SearchR1Row,
  searchR1Rows,
  writeSearchR1Parquet,
} from "./search_r1.ts";

/** Export formats (one so far). */
export const EXPORT_FORMATS = ["search-r1"] as const;
/** An export format. */
export type ExportFormat = typeof EXPORT_FORMATS[number];

/** Default seed of an exported SearchWorld world (that of the `default` experiment preset). */
export const DEFAULT_WORLD_SEED = 7;

/** Options of {@link exportData}. */
export interface ExportOptions {
  /** Output folder (created if missing). */
  out: string;
  /** Default "search-r1". */
  format?: ExportFormat;
  /** Benchmarks by canonical name, "all", or none (default: "all" unless `searchworld` is set). */
  benchmarks?: readonly string[] | "all";
  /** Folder of the benchmark files (default: the shipped samples, ../shared/data/qa). */
  input?: string;
  /** SearchWorld presets to export. */
  searchworld?: readonly WorldPresetName[];
  /** Seed of the SearchWorld worlds (default {@link DEFAULT_WORLD_SEED}). */
  seed?: number;
  /** Only these splits (default: every split found). */
  splits?: readonly string[];
}

/** One written file. */
export interface ExportedFile {
  /** Path relative to `out`. */
  path: string;
  dataSource: string;
  split: string;
  rows: number;
  /** Where the rows came from: `<benchmark>/<split>/<variant>` files, or the world. */
  source: string;
}

/** What {@link exportData} wrote. */
export interface ExportReport {
  out: string;
  format: ExportFormat;
  files: ExportedFile[];
  /** Benchmarks of "all" with no rows in the requested splits. */
  skipped: string[];
}

interface Planned extends ExportedFile {
  rowsOut: SearchR1Row[];
}

async function benchmarkPlans(
  names: readonly string[],
  opts: { input: string; splits: readonly string[] | undefined; all: boolean },
): Promise<{ plans: Planned[]; skipped: string[] }> {
  const parsed = await parseBenchmarkDir(opts.input);
  const rows: StoredQuestion[] = [];
  const lineOf = new Map<StoredQuestion, number>();
  for (const f of parsed.files) {
    f.rows.forEach((r, i) => {
      rows.push(r);
      lineOf.set(r, f.lines[i]!);
    });
  }
  // Per split its default variant, in the store's order (by source file, then row).
  const variants = defaultVariantRows(rows);
  const plans: Planned[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    const splits = variants
      .filter((l) => l[0]!.benchmark === name)
      .filter((l) => opts.splits === undefined || opts.splits.includes(l[0]!.split));
    if (splits.length === 0) {
      if (opts.all) {
        skipped.push(name);
        continue;
      }
      throw new Error(
        `data export: no ${name} questions${
          opts.splits ? ` of split ${opts.splits.join(", ")}` : ""
        } under ${opts.input}`,
      );
    }
    for (const list of splits) {
      const { split, variant } = list[0]!;
      const qs: ExportQuestion[] = list.map((r) => ({
        id: r.id,
        question: r.question,
        goldenAnswers: r.goldenAnswers,
        where: `${r.sourceFile}:${lineOf.get(r)}`,
      }));
      plans.push({
        path: `${name}/${split}.parquet`,
        dataSource: name,
        split,
        rows: qs.length,
        source: `${name}/${split}/${variant}`,
        rowsOut: searchR1Rows(qs, { dataSource: name, split }),
      });
    }
  }
  return { plans, skipped };
}

function worldPlans(
  presets: readonly WorldPresetName[],
  opts: { seed: number; splits: readonly string[] | undefined },
): Planned[] {
  const plans: Planned[] = [];
  for (const preset of presets) {
    const world = generateWorld(worldPreset(preset), { seed: opts.seed });
    for (const split of ["train", "test"] as const) {
      if (opts.splits !== undefined && !opts.splits.includes(split)) continue;
      const source = `searchworld ${preset} seed ${opts.seed}`;
      const qs: ExportQuestion[] = world.questions(split).map((q, i) => ({
        id: q.id,
        question: q.question,
        goldenAnswers: q.goldenAnswers,
        where: `${source}, ${split}[${i}]`,
      }));
      plans.push({
        path: `searchworld-${preset}/${split}.parquet`,
        dataSource: world.benchmark,
        split,
        rows: qs.length,
        source,
        rowsOut: searchR1Rows(qs, { dataSource: world.benchmark, split }),
      });
    }
  }
  return plans;
}

/**
 * Export benchmarks and SearchWorld worlds (see the module doc). Bad input throws before
 * anything is written: an `IngestError` naming file, line and field for a benchmark file, an
 * `ExportError` for a question the format cannot hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const out = await Deno.makeTempDir();
 * const r = await exportData({ out, benchmarks: ["bamboogle"] });
 * assert.deepEqual(r.files.map((f) => [f.path, f.rows]), [["bamboogle/test.parquet", 125]]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function exportData(opts: ExportOptions): Promise<ExportReport> {
  const format = opts.format ?? "search-r1";
  if (!EXPORT_FORMATS.includes(format)) {
    throw new Error(
      `data export: unknown format ${JSON.stringify(format)}; expected ${
        EXPORT_FORMATS.join(", ")
      }`,
    );
  }
  const presets = opts.searchworld ?? [];
  for (const p of presets) {
    if (!WORLD_PRESETS.includes(p)) {
      throw new Error(
        `data export: unknown SearchWorld preset ${JSON.stringify(p)}; expected one of ${
          WORLD_PRESETS.join(", ")
        }`,
      );
    }
  }
  const seed = opts.seed ?? DEFAULT_WORLD_SEED;
  if (!Number.isInteger(seed)) throw new Error(`data export: seed must be an integer, got ${seed}`);
  const want = opts.benchmarks ?? (presets.length > 0 ? [] : "all");
  const all = want === "all";
  const names = all ? BENCHMARKS.map((b) => b.name) : [...want];
  for (const n of names) {
    if (!BENCHMARKS.some((b) => b.name === n)) {
      throw new Error(
        `data export: unknown benchmark ${JSON.stringify(n)}; expected "all" or some of ${
          BENCHMARKS.map((b) => b.name).join(", ")
        }`,
      );
    }
  }
  const splits = opts.splits;
  const { plans, skipped } = names.length === 0 ? { plans: [], skipped: [] } : await benchmarkPlans(
    names,
    { input: opts.input ?? DEFAULT_QA_DIR, splits, all },
  );
  plans.push(...worldPlans(presets, { seed, splits }));
  if (plans.length === 0) throw new Error("data export: nothing to export");

  const tag = `${Deno.pid}-${Date.now()}`;
  const temps: { tmp: string; final: string }[] = [];
  try {
    for (const p of plans) {
      const final = join(opts.out, p.path);
      const tmp = join(final, "..", `.${p.split}.parquet.tmp-${tag}`);
      await Deno.mkdir(join(final, ".."), { recursive: true });
      temps.push({ tmp, final });
      await writeSearchR1Parquet(final, p.rowsOut, { tmp, rename: false });
    }
  } catch (e) {
    for (const t of temps) await Deno.remove(t.tmp).catch(() => undefined);
    throw e;
  }
  for (const t of temps) await Deno.rename(t.tmp, t.final);
  return {
    out: opts.out,
    format,
    files: plans.map(({ rowsOut: _, ...f }) => f),
    skipped,
  };
}
