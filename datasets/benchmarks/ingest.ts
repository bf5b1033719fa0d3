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

import { createHash } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type DiscoveredFile, discoverFiles, type SkippedFile } from "./discover.ts";
import { describeValue, IngestCommittedError, IngestError } from "./errors.ts";
import { detectFormat, type FormatName } from "./formats.ts";
import { DEFAULT_CARDS_DIR, DEFAULT_DB, DEFAULT_PARQUET_DIR, DEFAULT_QA_DIR } from "./paths.ts";
import { type Split, splitFromToken, type StoredQuestion } from "./schema.ts";
import { type Container, readRawFile } from "./sources.ts";
import { ensureSchema } from "./store.ts";
import { writeCards } from "./card.ts";

/** How a file's split was decided. */
export type SplitSource = "file name" | "ids" | "evaluation split";

/** One parsed, validated file. */
export interface ParsedFile {
  relPath: string;
  benchmark: string;
  split: Split;
  splitSource: SplitSource;
  variant: string;
  format: FormatName;
  container: Container;
  sha256: string;
  /** SHA-256 over `JSON.stringify([id, question, goldenAnswers]) + "\n"` per row, in file order. */
  contentSha256: string;
  rows: StoredQuestion[];
  /** 1-based line (Parquet: row + 1) of each row, aligned with `rows`. */
  lines: number[];
  /** Value-count histograms for the dataset card. */
  stats: FileStats;
}

/**
 * Per-file histograms as sorted (value, rows) pairs: golden answers per question, question
 * length in whitespace-separated words (`question.trim().split(/\s+/)`), and in Unicode code
 * points.
 */
export interface FileStats {
  answers: [number, number][];
  words: [number, number][];
  chars: [number, number][];
}

function histogram(xs: Iterable<number>): [number, number][] {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

function fileStats(rows: readonly StoredQuestion[]): FileStats {
  return {
    answers: histogram(rows.map((r) => r.goldenAnswers.length)),
    words: histogram(rows.map((r) => {
      const t = r.question.trim();
      return t === "" ? 0 : t.split(/\s+/).length;
    })),
    chars: histogram(rows.map((r) => [...r.question].length)),
  };
}

/** SHA-256 over the canonical content of rows (independent of the source format). */
function contentHash(rows: readonly StoredQuestion[]): string {
  const h = createHash("sha256");
  for (const r of rows) h.update(JSON.stringify([r.id, r.question, r.goldenAnswers]) + "\n");
  return h.digest("hex");
}

/** Parse and validate one discovered file (no database access). */
export async function parseBenchmarkFile(f: DiscoveredFile): Promise<ParsedFile> {
  const raw = await readRawFile(f.path, f.relPath);
  const first = raw.records[0];
  if (!first) throw new IngestError({ file: f.relPath }, "empty file: no records");
  const reader = detectFormat(first.value, { file: f.relPath, line: first.line });
  const idsNeedSplit = reader.name === "qa-pairs" || reader.name === "qa-test-id";
  let split: Split | undefined = f.split;
  let splitSource: SplitSource = "file name";
  if (split === undefined && idsNeedSplit) {
    split = f.benchmark.evalSplit;
    splitSource = "evaluation split";
  }
  const provisional = split ?? f.benchmark.evalSplit;
  const parsed = raw.records.map((r, index) => {
    const v = r.value;
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new IngestError(
        { file: f.relPath, line: r.line },
        `expected a JSON object record, got ${describeValue(v)}`,
      );
    }
    const rec = reader.read(v as Record<string, unknown>, {
      file: f.relPath,
      line: r.line,
      index,
      split: provisional,
    });
    return { rec, line: r.line, index };
  });
  if (split === undefined) {
    // All ids "<split>_<n>" with one split: use it (FlashRAG ids are "test_17", "dev_3", ...).
    const prefixes = new Set(parsed.map((p) => /^([a-z]+)_\d+$/.exec(p.rec.id)?.[1]));
    const only = prefixes.size === 1 ? [...prefixes][0] : undefined;
    const fromIds = only === undefined ? undefined : splitFromToken(only);
    split = fromIds ?? f.benchmark.evalSplit;
    splitSource = fromIds ? "ids" : "evaluation split";
  }
  const seen = new Map<string, number>();
  const rows: StoredQuestion[] = [];
  const lines: number[] = [];
  for (const { rec, line, index } of parsed) {
    lines.push(line);
    const prev = seen.get(rec.id);
    if (prev !== undefined) {
      throw new IngestError(
        { file: f.relPath, line, field: "id" },
        `duplicate id "${rec.id}" (first seen on line ${prev})`,
      );
    }
    seen.set(rec.id, line);
    rows.push({
      benchmark: f.benchmark.name,
      split,
      variant: f.variant,
      id: rec.id,
      question: rec.question,
      goldenAnswers: rec.goldenAnswers,
      metadata: rec.metadata,
      sourceFile: f.relPath,
      rowNumber: index,
      format: reader.name,
    });
  }
  return {
    relPath: f.relPath,
    benchmark: f.benchmark.name,
    split,
    splitSource,
    variant: f.variant,
    format: reader.name,
    container: raw.container,
    sha256: raw.sha256,
    contentSha256: contentHash(rows),
    rows,
    lines,
    stats: fileStats(rows),
  };
}

/** Result of phase 1. */
export interface ParsedInput {
  files: ParsedFile[];
  skipped: SkippedFile[];
}

/**
 * Phase 1: discover, parse and validate every benchmark file under `input`; checks that ids
 * are unique per (benchmark, split, variant) across files. Throws {@link IngestError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { DEFAULT_QA_DIR } from "./paths.ts";
 * const { files } = await parseBenchmarkDir(join(DEFAULT_QA_DIR, "bamboogle"));
 * assert.equal(files.reduce((n, f) => n + f.rows.length, 0), 125); // 31750 for all shipped samples
 * ```
 */
export async function parseBenchmarkDir(input: string): Promise<ParsedInput> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(input);
  } catch {
    throw new IngestError({ file: input }, "input directory does not exist");
  }
  if (!stat.isDirectory) throw new IngestError({ file: input }, "input is not a directory");
  const { files: found, skipped } = await discoverFiles(input);
  if (found.length === 0) {
    throw new IngestError(
      { file: input },
      `no benchmark files found (expected folders named after a benchmark, e.g. nq/, hotpotqa/; skipped ${skipped.length} files)`,
    );
  }
  // Sequential, in sorted path order: the first bad file in that order is the one reported.
  const files: ParsedFile[] = [];
  for (const f of found) files.push(await parseBenchmarkFile(f));
  const owner = new Map<string, { file: string; line: number }>();
  for (const f of files) {
    for (const [i, r] of f.rows.entries()) {
      const key = `${r.benchmark}\u0000${r.split}\u0000${r.variant}\u0000${r.id}`;
      const prev = owner.get(key);
      const line = f.lines[i]!;
      if (prev && prev.file !== f.relPath) {
        throw new IngestError(
          { file: f.relPath, line, field: "id" },
          `duplicate id "${r.id}" in ${r.benchmark}/${r.split}/${r.variant} (also in ${prev.file}:${prev.line})`,
        );
      }
      owner.set(key, { file: f.relPath, line });
    }
  }
  return { files, skipped };
}

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
  const inst = await DuckDBInstance.create(db);
  const conn = await inst.connect();
  try {
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
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
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
