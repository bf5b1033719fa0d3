/**
 * Benchmark ingest: every file of an input directory -> the canonical `questions` table in a
 * DuckDB file, one Parquet file per benchmark, and dataset cards.
 *
 * Transactional: phase 1 ({@link parseBenchmarkDir}) reads and validates every file in memory
 * and never opens the DuckDB file, so any bad input (malformed line, missing or mistyped field,
 * empty answer list, duplicate id, unknown format) leaves the file byte for byte as it was.
 * Phase 2 ({@link writeBenchmarks}) writes in one DuckDB transaction: it replaces the rows of the
 * (benchmark, split, variant) groups being ingested (or all rows with `replaceAll`), writes the
 * Parquet files to temporary names, commits, then renames them into place and writes the cards.
 * A failure before the commit rolls the transaction back and removes the temporary files; one
 * after it (a rename, a card) throws {@link IngestCommittedError}, which lists what was
 * committed and written and what was not.
 *
 * @module
 */
import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { withDuckDb } from "../duckdb.ts";
import type { SkippedFile } from "./discover.ts";
import { IngestCommittedError } from "./errors.ts";
import { DEFAULT_CARDS_DIR, DEFAULT_DB, DEFAULT_PARQUET_DIR, DEFAULT_QA_DIR } from "./paths.ts";
import { ensureSchema } from "./store.ts";
import { writeCards } from "./card.ts";
import { parseBenchmarkDir, type ParsedInput, type SplitSource } from "./parse.ts";

export {
  type FileStats,
  parseBenchmarkDir,
  parseBenchmarkFile,
  type ParsedFile,
  type ParsedInput,
  type SplitSource,
} from "./parse.ts";

/** Options of {@link writeBenchmarks} and {@link ingestBenchmarks}. */
export interface WriteOptions {
  /** DuckDB file (created if missing). Default {@link DEFAULT_DB}. */
  db?: string;
  /** Folder of the per-benchmark Parquet files. Default {@link DEFAULT_PARQUET_DIR}. */
  parquetDir?: string;
  /** Folder of the dataset cards, or null for none. Default {@link DEFAULT_CARDS_DIR}. */
  cardsDir?: string | null;
  /** Delete every existing row first (default: replace only the ingested groups). */
  replaceAll?: boolean;
}

/** What an ingest did. */
export interface IngestReport {
  db: string;
  files: {
    relPath: string;
    benchmark: string;
    split: string;
    splitSource: SplitSource;
    variant: string;
    format: string;
    container: string;
    rows: number;
    sha256: string;
    contentSha256: string;
  }[];
  skipped: SkippedFile[];
  rows: number;
  parquetFiles: string[];
  cards: string[];
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * Phase 2: write parsed files into the DuckDB store (one transaction), the Parquet files and
 * the cards.
 */
export async function writeBenchmarks(
  parsed: ParsedInput,
  opts: WriteOptions = {},
): Promise<IngestReport> {
  const db = opts.db ?? DEFAULT_DB;
  const parquetDir = opts.parquetDir ?? DEFAULT_PARQUET_DIR;
  const cardsDir = opts.cardsDir === undefined ? DEFAULT_CARDS_DIR : opts.cardsDir;
  await Deno.mkdir(join(db, ".."), { recursive: true });
  await Deno.mkdir(parquetDir, { recursive: true });
  const benchmarks = [...new Set(parsed.files.map((f) => f.benchmark))].sort();
  const tag = `${Deno.pid}-${Date.now()}`;
  const temps = benchmarks.map((b) => ({
    tmp: join(parquetDir, `.${b}.parquet.tmp-${tag}`),
    final: join(parquetDir, `${b}.parquet`),
    benchmark: b,
  }));
  return await withDuckDb(db, async (conn) => {
    await conn.run(
      `CREATE TEMP TABLE staging_files (file_idx INTEGER, benchmark VARCHAR, split VARCHAR,
         variant VARCHAR, source_file VARCHAR, format VARCHAR, container VARCHAR, rows INTEGER,
         sha256 VARCHAR, content_sha256 VARCHAR, answers_hist VARCHAR, words_hist VARCHAR,
         chars_hist VARCHAR)`,
    );
    await conn.run(
      `CREATE TEMP TABLE staging (file_idx INTEGER, id VARCHAR, question VARCHAR,
         golden_answers VARCHAR, metadata VARCHAR, row_number INTEGER)`,
    );
    const fapp = await conn.createAppender("staging_files");
    const app = await conn.createAppender("staging");
    for (const [i, f] of parsed.files.entries()) {
      fapp.appendInteger(i);
      for (
        const v of [f.benchmark, f.split, f.variant, f.relPath, f.format, f.container]
      ) fapp.appendVarchar(v);
      fapp.appendInteger(f.rows.length);
      fapp.appendVarchar(f.sha256);
      fapp.appendVarchar(f.contentSha256);
      fapp.appendVarchar(JSON.stringify(f.stats.answers));
      fapp.appendVarchar(JSON.stringify(f.stats.words));
      fapp.appendVarchar(JSON.stringify(f.stats.chars));
      fapp.endRow();
      for (const r of f.rows) {
        app.appendInteger(i);
        app.appendVarchar(r.id);
        app.appendVarchar(r.question);
        app.appendVarchar(JSON.stringify(r.goldenAnswers));
        app.appendVarchar(JSON.stringify(r.metadata));
        app.appendInteger(r.rowNumber);
        app.endRow();
      }
    }
    fapp.flushSync();
    fapp.closeSync();
    app.flushSync();
    app.closeSync();
    await conn.run("BEGIN TRANSACTION");
    try {
      await ensureSchema(conn, { reset: opts.replaceAll === true });
      if (opts.replaceAll) {
        await conn.run("DELETE FROM questions");
        await conn.run("DELETE FROM benchmark_files");
      } else {
        const groups = "(SELECT DISTINCT benchmark, split, variant FROM temp.staging_files)";
        await conn.run(`DELETE FROM questions WHERE (benchmark, split, variant) IN ${groups}`);
        await conn.run(
          `DELETE FROM benchmark_files WHERE (benchmark, split, variant) IN ${groups}`,
        );
      }
      await conn.run(
        `INSERT INTO questions SELECT f.benchmark, f.split, f.variant, s.id, s.question,
           from_json(s.golden_answers, '["VARCHAR"]'), s.metadata::JSON, f.source_file,
           s.row_number, f.format
         FROM temp.staging s JOIN temp.staging_files f USING (file_idx)`,
      );
      const dup = await conn.runAndReadAll(
        `SELECT benchmark, split, variant, id FROM questions GROUP BY ALL HAVING count(*) > 1 LIMIT 1`,
      );
      const d = dup.getRowObjectsJS()[0];
      if (d) throw new Error(`internal: duplicate key ${JSON.stringify(d)} after insert`);
      await conn.run(
        `INSERT INTO benchmark_files SELECT benchmark, split, variant, source_file, format,
           container, rows, sha256, content_sha256, answers_hist::JSON, words_hist::JSON,
           chars_hist::JSON
         FROM temp.staging_files ORDER BY file_idx`,
      );
      for (const t of temps) {
        await conn.run(
          `COPY (SELECT * FROM questions WHERE benchmark = ${sqlString(t.benchmark)}
                 ORDER BY split, variant, source_file, row_number)
           TO ${sqlString(t.tmp)} (FORMAT parquet)`,
        );
      }
      await conn.run("COMMIT");
    } catch (e) {
      await conn.run("ROLLBACK").catch(() => {});
      for (const t of temps) await rm(t.tmp, { force: true });
      throw e;
    }
    const parquetWritten: string[] = [];
    const cards: string[] = [];
    let cardsDone = 0;
    try {
      for (const t of temps) {
        await rename(t.tmp, t.final);
        parquetWritten.push(t.final);
      }
      if (cardsDir !== null) {
        for (const b of benchmarks) {
          cards.push(...await writeCards(conn, cardsDir, { benchmarks: [b] }));
          cardsDone++;
        }
      }
    } catch (e) {
      const renaming = parquetWritten.length < temps.length;
      const failedAt = renaming
        ? `renaming ${temps[parquetWritten.length]!.tmp} to ${temps[parquetWritten.length]!.final}`
        : `writing the dataset card of ${benchmarks[cardsDone]}`;
      for (const t of temps.slice(parquetWritten.length)) await rm(t.tmp, { force: true });
      const groups = new Map<string, number>();
      for (const f of parsed.files) {
        const g = `${f.benchmark}/${f.split}/${f.variant}`;
        groups.set(g, (groups.get(g) ?? 0) + f.rows.length);
      }
      throw new IngestCommittedError({
        db,
        rows: parsed.files.reduce((n, f) => n + f.rows.length, 0),
        groups: [...groups].map(([group, rows]) => ({ group, rows })),
        replaceAll: opts.replaceAll === true,
        parquetWritten,
        parquetNotWritten: temps.slice(parquetWritten.length).map((t) => t.final),
        cardsWritten: cards,
        cardsNotWritten: cardsDir === null ? [] : benchmarks.slice(cardsDone),
        cardsDir,
        failedAt,
      }, e);
    }
    return {
      db,
      files: parsed.files.map((f) => ({
        relPath: f.relPath,
        benchmark: f.benchmark,
        split: f.split,
        splitSource: f.splitSource,
        variant: f.variant,
        format: f.format,
        container: f.container,
        rows: f.rows.length,
        sha256: f.sha256,
        contentSha256: f.contentSha256,
      })),
      skipped: parsed.skipped,
      rows: parsed.files.reduce((n, f) => n + f.rows.length, 0),
      parquetFiles: temps.map((t) => t.final),
      cards,
    };
  });
}

/**
 * Ingest every benchmark file under `input` (default: ../shared/data/qa from the repo root):
 * phase 1 validation, then the transactional write.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { DEFAULT_QA_DIR } from "./paths.ts";
 * const tmp = await Deno.makeTempDir();
 * const report = await ingestBenchmarks({
 *   input: join(DEFAULT_QA_DIR, "bamboogle"), // default: all shipped samples (31750 rows)
 *   db: join(tmp, "x.duckdb"),
 *   parquetDir: tmp,
 *   cardsDir: null,
 * });
 * assert.equal(report.rows, 125);
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function ingestBenchmarks(
  opts: WriteOptions & { input?: string } = {},
): Promise<IngestReport> {
  const parsed = await parseBenchmarkDir(opts.input ?? DEFAULT_QA_DIR);
  return await writeBenchmarks(parsed, opts);
}
