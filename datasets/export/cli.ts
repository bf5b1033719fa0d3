/**
 * `deno task data export --format search-r1 [--benchmarks all|name,...] [--searchworld PRESET]
 * [--seed N] [--split s,...] [--input DIR] --out DIR [--json]`: the benchmarks and SearchWorld
 * worlds as Search-R1 / verl training parquet (export.ts, search_r1.ts).
 *
 * @module
 */
import { HELP_OPTION, parseArgsOrHelp, stringOptions } from "@creditlab/core/cli";
import { resolve } from "node:path";
import { IngestError } from "../benchmarks/errors.ts";
import { DEFAULT_QA_DIR } from "../benchmarks/paths.ts";
import { WORLD_PRESETS, type WorldPresetName } from "../searchworld/presets.ts";
import { DEFAULT_WORLD_SEED, EXPORT_FORMATS, exportData, type ExportFormat } from "./export.ts";
import { ExportError } from "./search_r1.ts";
import { printFilesReport } from "../cli_report.ts";

/** Usage of the subcommand (options after `data export`). */
export const EXPORT_USAGE =
  `--format search-r1 --out DIR [--benchmarks all|NAME,...] [--searchworld ${
    WORLD_PRESETS.join("|")
  }[,...]] [--seed N (default ${DEFAULT_WORLD_SEED})] [--split train,dev,test] [--input DIR (default ${DEFAULT_QA_DIR})] [--json]`;

const HELP = `usage: deno task data export ${EXPORT_USAGE}

Writes <out>/<data source>/<split>.parquet (SearchWorld: <out>/searchworld-<preset>/<split>.parquet)
with Search-R1's columns (scripts/data_process/nq_search.py): id, question, golden_answers,
data_source, prompt [{role, content}], ability, reward_model {style, ground_truth {target}},
extra_info {split, index}. Benchmarks: the default variant of each split found under --input
(default: all seven unless --searchworld is given alone). verl: data.train_files=[...parquet].`;

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/**
 * The `data export` subcommand; returns the exit code (0, 1 for bad input, 2 for bad options).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const out = await Deno.makeTempDir();
 * assert.equal(await exportCli(["--format", "search-r1", "--benchmarks", "bamboogle", "--out", out]), 0);
 * await Deno.stat(`${out}/bamboogle/test.parquet`);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function exportCli(args: string[]): Promise<number> {
  const parsed = parseArgsOrHelp(HELP, {
    args,
    options: {
      ...stringOptions("format", "out", "benchmarks", "searchworld", "seed", "split", "input"),
      json: { type: "boolean", default: false },
      help: HELP_OPTION,
    },
    strict: true,
    allowPositionals: false,
  });
  if (parsed === 0) return 0;
  const { values } = parsed;
  const usage = (msg: string) => {
    console.error(`data export: ${msg}\nusage: deno task data export ${EXPORT_USAGE}`);
    return 2;
  };
  if (values.format === undefined) return usage("--format is required");
  if (!(EXPORT_FORMATS as readonly string[]).includes(values.format)) {
    return usage(`unknown --format ${values.format}; expected ${EXPORT_FORMATS.join(", ")}`);
  }
  if (values.out === undefined) return usage("--out is required");
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) {
    return usage(`--seed: expected an integer, got ${values.seed}`);
  }
  const presets = list(values.searchworld) ?? [];
  const bad = presets.find((p) => !(WORLD_PRESETS as readonly string[]).includes(p));
  if (bad !== undefined) {
    return usage(`unknown --searchworld preset ${bad}; expected ${WORLD_PRESETS.join(", ")}`);
  }
  const names = list(values.benchmarks);
  const splits = list(values.split);
  const t0 = performance.now();
  try {
    const report = await exportData({
      out: resolve(values.out),
      format: values.format as ExportFormat,
      ...(names !== undefined ? { benchmarks: names.includes("all") ? "all" : names } : {}),
      input: values.input ? resolve(values.input) : DEFAULT_QA_DIR,
      searchworld: presets as WorldPresetName[],
      ...(seed !== undefined ? { seed } : {}),
      ...(splits !== undefined ? { splits } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    return printFilesReport(report, {
      json: values.json,
      seconds,
      name: (f) => f.dataSource,
      detail: (f) => `${f.path.padEnd(34)} from ${f.source}`,
      footer: [
        ...(report.skipped.length > 0
          ? [`no questions of the requested splits: ${report.skipped.join(", ")}`]
          : []),
        `exported ${
          report.files.reduce((n, f) => n + f.rows, 0)
        } rows in ${report.files.length} ${report.format} files to ${report.out} in ${
          seconds.toFixed(2)
        } s`,
      ],
    });
  } catch (e) {
    if (e instanceof IngestError || e instanceof ExportError) {
      console.error(`data export: ${e.message}\n(nothing was written)`);
      return 1;
    }
    throw e;
  }
}
