/**
 * BM25 parameters: the options of `Bm25Index.build()` (./bm25.ts), their resolved form and
 * defaults (Pyserini's k1 = 0.9, b = 0.4), and Lucene's idf.
 * @module
 */
import type { StopWords } from "./tokenize.ts";

/** BM25 parameters (all optional in `Bm25Index.build()`). */
export interface Bm25Options {
  /** Term-frequency saturation k1 >= 0 (default 0.9, Pyserini). */
  k1?: number;
  /** Length normalisation b in [0, 1] (default 0.4, Pyserini). */
  b?: number;
  /** Stop words dropped by the tokenizer (default `{ kind: "lucene" }`, Pyserini's set). */
  stopWords?: StopWords;
}

/** Resolved BM25 parameters. */
export interface Bm25Params {
  k1: number;
  b: number;
  stopWords: StopWords;
}

/** Defaults: Pyserini's k1 = 0.9, b = 0.4 and Lucene's English stop set. */
export const BM25_DEFAULTS: Readonly<Bm25Params> = Object.freeze({
  k1: 0.9,
  b: 0.4,
  stopWords: { kind: "lucene" } as StopWords,
});

/** Check and complete BM25 options (the `Bm25Index` errors name the bad value). */
export function resolveParams(opts: Bm25Options): Bm25Params {
  const k1 = opts.k1 ?? BM25_DEFAULTS.k1;
  const b = opts.b ?? BM25_DEFAULTS.b;
  if (!Number.isFinite(k1) || k1 < 0) {
    throw new RangeError(`Bm25Index: k1 must be a finite number >= 0, got ${k1}`);
  }
  if (!Number.isFinite(b) || b < 0 || b > 1) {
    throw new RangeError(`Bm25Index: b must be in [0, 1], got ${b}`);
  }
  return { k1, b, stopWords: opts.stopWords ?? BM25_DEFAULTS.stopWords };
}

/**
 * Lucene's BM25 idf: ln(1 + (N - df + 0.5) / (df + 0.5)) (always > 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(bm25Idf(1, 2), Math.log(2)); // ln(1 + 1.5 / 1.5)
 * ```
 */
export function bm25Idf(df: number, numDocs: number): number {
  return Math.log(1 + (numDocs - df + 0.5) / (df + 0.5));
}
