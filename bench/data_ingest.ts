/**
 * Benchmark of the QA benchmark ingest (issue 3 target: all shipped files in under 3 s).
 *
 * `benchIngest()` ingests every shipped file (../shared/data/qa) into a fresh DuckDB file in a
 * temporary folder, `repeats` times, and reports wall-clock seconds of the full ingest (parse +
 * validate + DuckDB transaction + Parquet + cards) and of its two phases. bench/data.ts calls it
 * and writes bench/results/data.json.
 *
 * Run alone: `deno run -A bench/data_ingest.ts`.
 *
 * @module
 */

import { join } from "node:path";
import process from "node:process";
import { DEFAULT_QA_DIR, parseBenchmarkDir, writeBenchmarks } from "@creditlab/datasets";
import { median } from "../reports/stats.ts";

/** Result of {@link benchIngest}. */
export interface IngestBenchResult {
  name: "ingest-shipped-benchmarks";
  input: string;
  files: number;
  rows: number;
  repeats: number;
  /** Per repeat: full ingest seconds (fresh DuckDB file each time). */
  seconds: number[];
  /** Median of `seconds`. */
  medianSeconds: number;
  /**
   * Median CPU seconds (user + system, all threads of this process) per full ingest. On a
   * shared, oversubscribed machine wall-clock inflates; CPU time shows the work itself.
   */
  cpuSeconds: number;
  /** Phase 1 (read + validate, no DuckDB file) median seconds. */
  parseSeconds: number;
  /** Phase 2 (DuckDB transaction, Parquet, cards) median seconds. */
  writeSeconds: number;
  rowsPerSecond: number;
  targetSeconds: 3;
  pass: boolean;
}

/**
 * Time the ingest of all shipped benchmark files.
 *
 * @example
 * ```ts
 * import { join } from "node:path";
 * import { DEFAULT_QA_DIR } from "@creditlab/datasets";
 * // The benchmark itself: `await benchIngest({ repeats: 3 })` over all shipped files (~6 s).
 * const r = await benchIngest({ repeats: 1, input: join(DEFAULT_QA_DIR, "bamboogle") });
 * r.pass; // true when the median full ingest is under 3 s
 * ```
 */
export async function benchIngest(
  opts: { repeats?: number; input?: string } = {},
): Promise<IngestBenchResult> {
  const repeats = opts.repeats ?? 3;
  const input = opts.input ?? DEFAULT_QA_DIR;
  const dir = await Deno.makeTempDir({ prefix: "bench-ingest-" });
  const seconds: number[] = [];
  const parse: number[] = [];
  const write: number[] = [];
  const cpu: number[] = [];
  let rows = 0;
  let files = 0;
  try {
    for (let i = 0; i < repeats; i++) {
      const out = join(dir, `run-${i}`);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const parsed = await parseBenchmarkDir(input);
      const t1 = performance.now();
      const report = await writeBenchmarks(parsed, {
        db: join(out, "data.duckdb"),
        parquetDir: join(out, "parquet"),
        cardsDir: join(out, "cards"),
      });
      const t2 = performance.now();
      const c1 = process.cpuUsage(c0);
      cpu.push((c1.user + c1.system) / 1e6);
      seconds.push((t2 - t0) / 1000);
      parse.push((t1 - t0) / 1000);
      write.push((t2 - t1) / 1000);
      rows = report.rows;
      files = report.files.length;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const medianSeconds = median(seconds);
  return {
    name: "ingest-shipped-benchmarks",
    input,
    files,
    rows,
    repeats,
    seconds: seconds.map((s) => Math.round(s * 1000) / 1000),
    medianSeconds: Math.round(medianSeconds * 1000) / 1000,
    cpuSeconds: Math.round(median(cpu) * 1000) / 1000,
    parseSeconds: Math.round(median(parse) * 1000) / 1000,
    writeSeconds: Math.round(median(write) * 1000) / 1000,
    rowsPerSecond: Math.round(rows / medianSeconds),
    targetSeconds: 3,
    pass: medianSeconds < 3,
  };
}

if (import.meta.main) console.log(JSON.stringify(await benchIngest(), null, 2));
