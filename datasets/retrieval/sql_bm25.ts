/**
 * BM25 in SQL over DuckDB: an independent brute-force reference for {@link Bm25Index} (same
 * Lucene formula, scored by a join and a GROUP BY instead of typed arrays), and the DuckDB
 * side of the retrieval benchmark.
 *
 * Tables (written by {@link exportPostings}): `bm25_terms(term, token, df)`,
 * `bm25_docs(doc, id, len)`, `bm25_postings(term, doc, tf)`; doc = 0-based index order.
 * Queries are tokenized in TypeScript with the index's tokenizer; everything else is SQL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DuckDBInstance } from "@duckdb/node-api";
 * import { Bm25Index } from "./bm25.ts";
 * const index = Bm25Index.build([
 *   { id: "0", title: "Lilu (mythology)", text: "Lilu is a demon." },
 *   { id: "1", title: "Gallu", text: "Gallu is a demon of the underworld." },
 * ]);
 * const inst = await DuckDBInstance.create(":memory:");
 * const conn = await inst.connect();
 * await exportPostings(conn, index);
 * const top = await sqlBm25TopK(conn, index.tokenize("lilu demon"), 3, { k1: 0.9, b: 0.4 });
 * assert.deepEqual(top.map((r) => r.id), index.search("lilu demon", 3).map((p) => p.id));
 * conn.closeSync();
 * inst.closeSync();
 * ```
 * @module
 */

import { type DuckDBConnection, listValue } from "@duckdb/node-api";
import type { Bm25Index } from "./bm25.ts";

/** Write the index's postings into DuckDB tables (replacing them). */
export async function exportPostings(conn: DuckDBConnection, index: Bm25Index): Promise<void> {
  const { docs, arrays } = index.toArrays();
  await conn.run("DROP TABLE IF EXISTS bm25_terms");
  await conn.run("DROP TABLE IF EXISTS bm25_docs");
  await conn.run("DROP TABLE IF EXISTS bm25_postings");
  await conn.run("CREATE TABLE bm25_terms (term INTEGER, token VARCHAR, df INTEGER)");
  await conn.run("CREATE TABLE bm25_docs (doc INTEGER, id VARCHAR, len INTEGER)");
  await conn.run("CREATE TABLE bm25_postings (term INTEGER, doc INTEGER, tf INTEGER)");
  const t = await conn.createAppender("bm25_terms");
  arrays.vocab.forEach((tok, i) => {
    t.appendInteger(i);
    t.appendVarchar(tok);
    t.appendInteger(arrays.offsets[i + 1]! - arrays.offsets[i]!);
    t.endRow();
  });
  t.closeSync();
  const d = await conn.createAppender("bm25_docs");
  for (let i = 0; i < docs.ids.length; i++) {
    d.appendInteger(i);
    d.appendVarchar(docs.ids[i]!);
    d.appendInteger(arrays.docLens[i]!);
    d.endRow();
  }
  d.closeSync();
  const p = await conn.createAppender("bm25_postings");
  for (let term = 0; term < arrays.vocab.length; term++) {
    for (let j = arrays.offsets[term]!, e = arrays.offsets[term + 1]!; j < e; j++) {
      p.appendInteger(term);
      p.appendInteger(arrays.postDocs[j]!);
      p.appendInteger(arrays.postTf[j]!);
      p.endRow();
    }
  }
  p.closeSync();
}

/**
 * Top-k (id, doc index, score) by BM25 computed in SQL, ties by doc index. `tokens` are the
 * query's tokens (repeats count, as in {@link Bm25Index}).
 */
export async function sqlBm25TopK(
  conn: DuckDBConnection,
  tokens: string[],
  k: number,
  params: { k1: number; b: number },
): Promise<{ id: string; doc: number; score: number }[]> {
  if (tokens.length === 0 || k <= 0) return [];
  const sql = `
    WITH stats AS (SELECT count(*)::DOUBLE AS n, CASE WHEN avg(len) > 0 THEN avg(len) ELSE 1 END AS avgdl FROM bm25_docs),
    q AS (SELECT unnest($1::VARCHAR[]) AS token),
    qt AS (SELECT t.term, t.df, count(*) AS qtf FROM q JOIN bm25_terms t ON t.token = q.token GROUP BY t.term, t.df)
    SELECT d.id, p.doc, sum(qt.qtf * ln(1 + (stats.n - qt.df + 0.5) / (qt.df + 0.5))
      * p.tf / (p.tf + $2 * (1 - $3 + $3 * d.len / stats.avgdl))) AS score
    FROM qt JOIN bm25_postings p ON p.term = qt.term JOIN bm25_docs d ON d.doc = p.doc, stats
    GROUP BY d.id, p.doc ORDER BY score DESC, p.doc ASC LIMIT ${Math.floor(k)}`;
  const r = await conn.runAndReadAll(sql, [listValue(tokens), params.k1, params.b]);
  return r.getRowObjectsJS().map((row) => ({
    id: String(row["id"]),
    doc: Number(row["doc"]),
    score: Number(row["score"]),
  }));
}
