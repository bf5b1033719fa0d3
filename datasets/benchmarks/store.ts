/**
 * The canonical benchmark store in DuckDB, and its readers (canonical rows, Apache Arrow).
 *
 * Tables and views (created by {@link ensureSchema}):
 * - `questions(benchmark, split, variant, id, question, golden_answers VARCHAR[], metadata JSON,
 *   source_file, row_number, format)`: one row per question; unique key
 *   (benchmark, split, variant, id).
 * - `benchmark_files(benchmark, split, variant, source_file, format, container, rows, sha256,
 *   content_sha256, answers_hist, words_hist, chars_hist)`: sha256 of the file bytes and of the
 *   canonical rows; value-count histograms (JSON `[[value, rows], ...]`) for the cards.
 * - view `default_variants(benchmark, split, variant, rows)`: per (benchmark, split) the variant
 *   with the most rows (ties: the smallest variant name) — the set we evaluate on by default.
 * - view `eval_questions`: the default variant of each benchmark's evaluation split; here
 *   (benchmark, split, id) alone is unique.
 *
 * @module
 */

import type { DuckDBConnection } from "@duckdb/node-api";
import { Field, Int32, List, Table, Utf8, vectorFromArray } from "apache-arrow";
import type { Question } from "@creditlab/core";
import { withDuckDb } from "../duckdb.ts";
import { BENCHMARKS, canonicalQuestion, type StoredQuestion } from "./schema.ts";

/** DDL of the store. Idempotent. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS questions (
  benchmark VARCHAR NOT NULL,
  split VARCHAR NOT NULL,
  variant VARCHAR NOT NULL,
  id VARCHAR NOT NULL,
  question VARCHAR NOT NULL,
  golden_answers VARCHAR[] NOT NULL,
  metadata JSON NOT NULL,
  source_file VARCHAR NOT NULL,
  row_number INTEGER NOT NULL,
  format VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS benchmark_files (
  benchmark VARCHAR NOT NULL,
  split VARCHAR NOT NULL,
  variant VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  format VARCHAR NOT NULL,
  container VARCHAR NOT NULL,
  rows INTEGER NOT NULL,
  sha256 VARCHAR NOT NULL,
  content_sha256 VARCHAR NOT NULL,
  answers_hist JSON NOT NULL,
  words_hist JSON NOT NULL,
  chars_hist JSON NOT NULL
);
CREATE OR REPLACE VIEW default_variants AS
SELECT benchmark, split, variant, n AS rows FROM (
  SELECT benchmark, split, variant, count(*) AS n,
         row_number() OVER (PARTITION BY benchmark, split ORDER BY count(*) DESC, variant ASC) AS r
  FROM questions GROUP BY benchmark, split, variant
) WHERE r = 1;
CREATE OR REPLACE VIEW eval_questions AS
SELECT q.* FROM questions q
JOIN default_variants d USING (benchmark, split, variant)
JOIN (VALUES ${BENCHMARKS.map((b) => `('${b.name}', '${b.evalSplit}')`).join(", ")})
  AS e(benchmark, split) USING (benchmark, split);
`;

/** Columns every current store has (a store written by an older version lacks some). */
const REQUIRED_COLUMNS: readonly [string, string][] = [
  ["questions", "format"],
  ["benchmark_files", "content_sha256"],
  ["benchmark_files", "chars_hist"],
];

/**
 * Create the tables and views if missing. A store whose tables lack current columns is
 * rebuilt when `reset` is set (the caller is replacing every row anyway), else rejected with
 * a hint to re-ingest with `--replace-all`.
 */
export async function ensureSchema(
  conn: DuckDBConnection,
  opts: { reset?: boolean } = {},
): Promise<void> {
  const have = new Set(
    (await conn.runAndReadAll(
      `SELECT table_name || '.' || column_name AS c FROM information_schema.columns
       WHERE table_name IN ('questions', 'benchmark_files')`,
    )).getRowObjectsJS().map((r) => r.c as string),
  );
  const tables = new Set([...have].map((c) => c.split(".")[0]));
  const missing = REQUIRED_COLUMNS.filter(([t, c]) => tables.has(t) && !have.has(`${t}.${c}`));
  if (missing.length > 0) {
    if (!opts.reset) {
      throw new Error(
        `the benchmark store was written by an older version (missing ${
          missing.map(([t, c]) => `${t}.${c}`).join(", ")
        }); re-ingest with \`deno task data ingest --replace-all\``,
      );
    }
    await conn.run("DROP VIEW IF EXISTS eval_questions");
    await conn.run("DROP VIEW IF EXISTS default_variants");
    await conn.run("DROP TABLE IF EXISTS questions");
    await conn.run("DROP TABLE IF EXISTS benchmark_files");
  }
  await conn.run(SCHEMA_SQL);
}

/** A store to read from: an open connection, or the path of a DuckDB file (opened read-only). */
export type StoreSource = DuckDBConnection | string;

/** Run `f` on the store `src`: its open connection, or its file opened read-only. */
async function withConnection<T>(
  src: StoreSource,
  f: (c: DuckDBConnection) => Promise<T>,
): Promise<T> {
  if (typeof src !== "string") return await f(src);
  try {
    await Deno.stat(src);
  } catch {
    throw new Error(`no benchmark store at ${src} (run \`deno task data ingest\`)`);
  }
  return await withDuckDb(src, f, { config: { access_mode: "READ_ONLY" } });
}

/** Which rows to read. */
export interface QuestionQuery {
  benchmark: string;
  /** Default: the benchmark's evaluation split. */
  split?: string;
  /** Default: the default variant of (benchmark, split) (see `default_variants`). */
  variant?: string;
  /** At most this many rows, in file order. */
  limit?: number;
}

async function resolveVariant(
  conn: DuckDBConnection,
  q: QuestionQuery,
): Promise<{ benchmark: string; split: string; variant: string }> {
  const spec = BENCHMARKS.find((b) => b.name === q.benchmark);
  if (!spec) {
    throw new Error(
      `loadQuestions: unknown benchmark "${q.benchmark}"; expected one of ${
        BENCHMARKS.map((b) => b.name).join(", ")
      }`,
    );
  }
  const split = q.split ?? spec.evalSplit;
  if (q.variant !== undefined) return { benchmark: spec.name, split, variant: q.variant };
  const r = await conn.runAndReadAll(
    "SELECT variant FROM default_variants WHERE benchmark = $1 AND split = $2",
    [spec.name, split],
  ).catch((e: unknown) => {
    throw new Error(
      `loadQuestions: the store has no benchmark tables (run \`deno task data ingest\`): ${
        e instanceof Error ? e.message : String(e)
      }`,
    );
  });
  const variant = r.getRowObjectsJS()[0]?.variant;
  if (typeof variant !== "string") {
    throw new Error(
      `loadQuestions: no rows for benchmark "${spec.name}" split "${split}" (run \`deno task data ingest\`)`,
    );
  }
  return { benchmark: spec.name, split, variant };
}

const SELECT_COLS =
  "benchmark, split, variant, id, question, golden_answers, CAST(metadata AS VARCHAR) AS metadata, source_file, row_number, format";

async function selectRows(conn: DuckDBConnection, q: QuestionQuery) {
  const key = await resolveVariant(conn, q);
  const limit = q.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(q.limit))}`;
  const reader = await conn.runAndReadAll(
    `SELECT ${SELECT_COLS} FROM questions WHERE benchmark = $1 AND split = $2 AND variant = $3
     ORDER BY source_file, row_number${limit}`,
    [key.benchmark, key.split, key.variant],
  );
  return { key, reader };
}

/**
 * Load canonical questions (`Question` of @creditlab/core) of one benchmark split,
 * from the default variant unless one is named.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { ingestBenchmarks } from "./ingest.ts";
 * import { DEFAULT_QA_DIR } from "./paths.ts";
 * const tmp = await Deno.makeTempDir(); // in the project: DEFAULT_DB, written by `data ingest`
 * const db = join(tmp, "data.duckdb");
 * const input = join(DEFAULT_QA_DIR, "bamboogle");
 * await ingestBenchmarks({ input, db, parquetDir: tmp, cardsDir: null });
 * const qs = await loadQuestions(db, { benchmark: "bamboogle", limit: 5 });
 * assert.equal(qs.length, 5);
 * qs[0]?.goldenAnswers; // ["..."]
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function loadQuestions(src: StoreSource, q: QuestionQuery): Promise<Question[]> {
  const rows = await loadStoredQuestions(src, q);
  return rows.map(canonicalQuestion);
}

/** Like {@link loadQuestions} but with provenance (variant, source file, row, format). */
export async function loadStoredQuestions(
  src: StoreSource,
  q: QuestionQuery,
): Promise<StoredQuestion[]> {
  return await withConnection(src, async (conn) => {
    const { reader } = await selectRows(conn, q);
    return reader.getRowObjectsJS().map((r) => ({
      benchmark: r.benchmark as string,
      split: r.split as string,
      variant: r.variant as string,
      id: r.id as string,
      question: r.question as string,
      goldenAnswers: r.golden_answers as string[],
      metadata: JSON.parse(r.metadata as string) as Record<string, unknown>,
      sourceFile: r.source_file as string,
      rowNumber: r.row_number as number,
      format: r.format as string,
    }));
  });
}

/** Arrow schema types of the canonical columns (metadata is JSON text). */
function columnsToArrow(cols: Record<string, unknown[]>): Table {
  const utf8 = (name: string) => vectorFromArray(cols[name] as string[], new Utf8());
  return new Table({
    benchmark: utf8("benchmark"),
    split: utf8("split"),
    variant: utf8("variant"),
    id: utf8("id"),
    question: utf8("question"),
    golden_answers: vectorFromArray(
      cols.golden_answers as string[][],
      new List(new Field("item", new Utf8(), false)),
    ),
    metadata: utf8("metadata"),
    source_file: utf8("source_file"),
    row_number: vectorFromArray(cols.row_number as number[], new Int32()),
    format: utf8("format"),
  });
}

/**
 * Load one benchmark split as an Apache Arrow table (columns as in `questions`; `metadata` is
 * JSON text, `golden_answers` is `List<Utf8>`), built from DuckDB's `getColumnsObjectJS()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { ingestBenchmarks } from "./ingest.ts";
 * import { DEFAULT_QA_DIR } from "./paths.ts";
 * const tmp = await Deno.makeTempDir();
 * const db = join(tmp, "data.duckdb");
 * const input = join(DEFAULT_QA_DIR, "bamboogle");
 * await ingestBenchmarks({ input, db, parquetDir: tmp, cardsDir: null });
 * const t = await loadBenchmarkArrow(db, { benchmark: "bamboogle" });
 * assert.equal(t.numRows, 125);
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function loadBenchmarkArrow(src: StoreSource, q: QuestionQuery): Promise<Table> {
  return await withConnection(src, async (conn) => {
    const { reader } = await selectRows(conn, q);
    return columnsToArrow(reader.getColumnsObjectJS() as Record<string, unknown[]>);
  });
}

/**
 * Load a canonical Parquet file written by the ingest (one benchmark, all splits and variants)
 * as an Apache Arrow table with the same columns as {@link loadBenchmarkArrow}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { ingestBenchmarks } from "./ingest.ts";
 * import { DEFAULT_QA_DIR } from "./paths.ts";
 * const tmp = await Deno.makeTempDir(); // in the project: DEFAULT_PARQUET_DIR
 * const { parquetFiles } = await ingestBenchmarks({
 *   input: join(DEFAULT_QA_DIR, "bamboogle"),
 *   db: join(tmp, "data.duckdb"),
 *   parquetDir: tmp,
 *   cardsDir: null,
 * });
 * const t = await loadParquetArrow(parquetFiles[0]!); // <tmp>/bamboogle.parquet
 * assert.equal(t.numRows, 125);
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function loadParquetArrow(path: string): Promise<Table> {
  return await withDuckDb(":memory:", async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT ${SELECT_COLS} FROM read_parquet($1) ORDER BY split, variant, source_file, row_number`,
      [path],
    );
    return columnsToArrow(reader.getColumnsObjectJS() as Record<string, unknown[]>);
  });
}
