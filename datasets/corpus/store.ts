/**
 * Passage corpora in DuckDB: table `passages(corpus, id, title, text, metadata, source_file,
 * source_row)`, written transactionally, read back in ingest order for the BM25 index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { Bm25Index } from "../retrieval/bm25.ts";
 * const tmp = await Deno.makeTempDir();
 * const db = join(tmp, "c.duckdb"); // default: DEFAULT_CORPUS_DB
 * const file = join(DEFAULT_CORPUS_DIR, "hotpotqa_train_100_corpus_hipporag.json");
 * await ingestCorpora({ db, files: [file] }); // default: every shipped corpus file
 * const docs = await loadPassages(db, { corpora: ["hotpotqa_train_100_corpus_hipporag"] });
 * const index = Bm25Index.build(docs);
 * assert.equal(index.numDocs, docs.length);
 * await Deno.remove(tmp, { recursive: true });
 * ```
 * @module
 */

import { listValue } from "@duckdb/node-api";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Doc } from "@creditlab/core";
import { withDuckDb } from "../duckdb.ts";
import { CorpusError, type CorpusFormat, parseCorpusFile, type ParsedCorpus } from "./parse.ts";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The shipped corpora: `<repo>/../shared/data/qa/corpus`. */
export const DEFAULT_CORPUS_DIR: string = resolve(REPO_ROOT, "../shared/data/qa/corpus");
/** The data DuckDB file shared with the benchmark ingest: `<repo>/runs/data/creditlab-data.duckdb`. */
export const DEFAULT_CORPUS_DB: string = join(REPO_ROOT, "runs", "data", "creditlab-data.duckdb");

const CREATE = `CREATE TABLE IF NOT EXISTS passages (
  corpus VARCHAR NOT NULL,
  id VARCHAR NOT NULL,
  title VARCHAR NOT NULL,
  text VARCHAR NOT NULL,
  metadata VARCHAR,
  source_file VARCHAR NOT NULL,
  source_row INTEGER NOT NULL
)`;

/** Corpus files (`.jsonl`, `.json`) directly in `dir`, sorted by name. */
export async function listCorpusFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && /\.(jsonl|json)$/i.test(e.name)) out.push(join(dir, e.name));
    }
  } catch (e) {
    throw new CorpusError(dir, "directory", null, `cannot list (${(e as Error).message})`);
  }
  return out.sort();
}

/** One ingested corpus. */
export interface CorpusIngestRow {
  corpus: string;
  format: CorpusFormat;
  file: string;
  rows: number;
}

/** Options of {@link ingestCorpora}. */
export interface IngestCorporaOptions {
  /** DuckDB file (created if missing). Default {@link DEFAULT_CORPUS_DB}. */
  db?: string;
  /** Files to ingest; default: every corpus file in `input`. */
  files?: string[];
  /** Folder of corpus files. Default {@link DEFAULT_CORPUS_DIR}. */
  input?: string;
}

/**
 * Parse every file first, then replace those corpora in `passages` in one transaction: a bad
 * file leaves the DuckDB file exactly as it was. Two files may not map to the same corpus name.
 */
export async function ingestCorpora(opts: IngestCorporaOptions = {}): Promise<CorpusIngestRow[]> {
  const db = opts.db ?? DEFAULT_CORPUS_DB;
  const files = opts.files ?? await listCorpusFiles(opts.input ?? DEFAULT_CORPUS_DIR);
  if (files.length === 0) {
    throw new CorpusError(
      opts.input ?? DEFAULT_CORPUS_DIR,
      "directory",
      null,
      "no .jsonl or .json corpus files",
    );
  }
  const parsed: ParsedCorpus[] = [];
  const byName = new Map<string, string>();
  for (const f of files) {
    const p = await parseCorpusFile(f);
    const other = byName.get(p.corpus);
    if (other !== undefined) {
      throw new CorpusError(f, "file", null, `corpus name "${p.corpus}" already used by ${other}`);
    }
    byName.set(p.corpus, f);
    parsed.push(p);
  }
  await Deno.mkdir(dirname(resolve(db)), { recursive: true });
  await withDuckDb(db, async (conn) => {
    await conn.run(CREATE);
    await conn.run("BEGIN TRANSACTION");
    try {
      for (const p of parsed) {
        await conn.run("DELETE FROM passages WHERE corpus = $1", [p.corpus]);
        const app = await conn.createAppender("passages");
        for (const row of p.passages) {
          app.appendVarchar(p.corpus);
          app.appendVarchar(row.id);
          app.appendVarchar(row.title);
          app.appendVarchar(row.text);
          if (row.metadata === null) app.appendNull();
          else app.appendVarchar(JSON.stringify(row.metadata));
          app.appendVarchar(p.file);
          app.appendInteger(row.sourceRow);
          app.endRow();
        }
        app.flushSync();
        app.closeSync();
      }
      await conn.run("COMMIT");
    } catch (e) {
      await conn.run("ROLLBACK");
      throw e;
    }
  });
  return parsed.map((p) => ({
    corpus: p.corpus,
    format: p.format,
    file: p.file,
    rows: p.passages.length,
  }));
}

/**
 * Passages of the given corpora (default: all), ordered by corpus name then source row — the
 * order the BM25 index breaks ties by. Ids are unique only within a corpus, so when more than
 * one corpus is loaded each id becomes `corpus/id`.
 */
export async function loadPassages(db: string, opts: { corpora?: string[] } = {}): Promise<Doc[]> {
  try {
    await Deno.stat(db);
  } catch {
    throw new Error(
      `loadPassages: DuckDB file ${db} does not exist (run \`deno task data corpus\` first)`,
    );
  }
  return await withDuckDb(db, async (conn) => {
    const tables = await conn.runAndReadAll(
      "SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_name = 'passages'",
    );
    if (Number(tables.getRowObjects()[0]?.["n"]) === 0) {
      throw new Error(
        `loadPassages: ${db} has no passages table (run \`deno task data corpus\` first)`,
      );
    }
    const filter = opts.corpora === undefined
      ? ""
      : `WHERE corpus IN (SELECT unnest($1::VARCHAR[]))`;
    // Ids are only unique within a corpus: qualify them as "corpus/id" when several are loaded.
    const nCorpora = opts.corpora === undefined
      ? Number(
        (await conn.runAndReadAll("SELECT count(DISTINCT corpus)::INTEGER AS n FROM passages"))
          .getRowObjects()[0]?.["n"],
      )
      : new Set(opts.corpora).size;
    const idExpr = nCorpora > 1 ? "corpus || '/' || id" : "id";
    const sql =
      `SELECT ${idExpr} AS id, title, text FROM passages ${filter} ORDER BY corpus, source_row`;
    const reader = opts.corpora === undefined
      ? await conn.runAndReadAll(sql)
      : await conn.runAndReadAll(sql, [listValue(opts.corpora)]);
    const cols = reader.getColumnsJS() as unknown as [string[], string[], string[]];
    const [ids, titles, texts] = cols.length === 3 ? cols : [[], [], []];
    const out: Doc[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      out[i] = { id: ids[i]!, title: titles[i]!, text: texts[i]! };
    }
    if (opts.corpora !== undefined) {
      const present = await conn.runAndReadAll("SELECT DISTINCT corpus FROM passages");
      const have = new Set(present.getRowObjectsJS().map((r) => String(r["corpus"])));
      const missing = opts.corpora.filter((c) => !have.has(c));
      if (missing.length > 0) {
        throw new Error(
          `loadPassages: corpus ${missing.map((m) => `"${m}"`).join(", ")} not in ${db} (have: ${
            [...have].join(", ")
          })`,
        );
      }
    }
    return out;
  }, { config: { access_mode: "READ_ONLY" } });
}
