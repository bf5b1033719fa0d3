/**
 * A seeded synthetic passage corpus with a Zipf-like word distribution, for retrieval
 * benchmarks at scale (1M passages) where no real corpus of that size ships.
 *
 * Word rank r has probability proportional to 1 / r^s (Zipf's law; s = 1 by default, close to
 * English word frequencies). Words are random lower-case letter strings; no word is a Lucene
 * stop word, so the most frequent words appear in almost every passage (the hard case for BM25
 * posting lists).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@creditlab/kernels";
 * const rng = new Rng(7);
 * const { docs, queries } = syntheticCorpus({ numDocs: 1000, numQueries: 100 }, { rng });
 * assert.deepEqual([docs.length, queries.length], [1000, 100]);
 * ```
 * @module
 */

import type { Rng } from "@creditlab/kernels";
import { LUCENE_STOP_WORDS } from "./tokenize.ts";
import type { Doc } from "@creditlab/core";

/** Size knobs of {@link syntheticCorpus}. */
export interface SyntheticCorpusConfig {
  numDocs: number;
  /** Queries to draw (each from one random passage's words plus one random word). */
  numQueries: number;
  /** Vocabulary size (default 50,000). */
  vocabSize?: number;
  /** Mean passage length in words (default 60; lengths uniform in [mean/2, 3 mean/2]). */
  meanWords?: number;
  /** Zipf exponent s (default 1). */
  zipfExponent?: number;
  /** Words per query (default 5). */
  queryWords?: number;
}

/** Draw a corpus and queries; same rng state gives the same output. */
export function syntheticCorpus(
  config: SyntheticCorpusConfig,
  opts: { rng: Rng },
): { docs: Doc[]; queries: string[]; vocab: string[] } {
  const { rng } = opts;
  const v = config.vocabSize ?? 50_000;
  const mean = config.meanWords ?? 60;
  const s = config.zipfExponent ?? 1;
  const qWords = config.queryWords ?? 5;
  if (!Number.isInteger(config.numDocs) || config.numDocs < 0) {
    throw new RangeError(`syntheticCorpus: numDocs must be an integer >= 0, got ${config.numDocs}`);
  }
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`syntheticCorpus: vocabSize must be >= 1, got ${v}`);
  }
  const seen = new Set<string>();
  const vocab: string[] = [];
  const letters = "abcdefghijklmnopqrstuvwxyz";
  while (vocab.length < v) {
    const len = 3 + rng.int(8);
    let w = "";
    for (let i = 0; i < len; i++) w += letters[rng.int(26)];
    if (seen.has(w) || LUCENE_STOP_WORDS.has(w)) continue;
    seen.add(w);
    vocab.push(w);
  }
  const cdf = new Float64Array(v);
  let acc = 0;
  for (let r = 0; r < v; r++) {
    acc += 1 / Math.pow(r + 1, s);
    cdf[r] = acc;
  }
  const draw = (): string => {
    const u = rng.next() * acc;
    let lo = 0, hi = v - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo]!;
  };
  const docs: Doc[] = new Array(config.numDocs);
  const lo = Math.max(1, Math.floor(mean / 2));
  const span = Math.max(1, mean + 1);
  for (let d = 0; d < config.numDocs; d++) {
    const len = lo + rng.int(span);
    const words = new Array<string>(len);
    for (let i = 0; i < len; i++) words[i] = draw();
    docs[d] = { id: String(d), title: `${draw()} ${draw()}`, text: words.join(" ") };
  }
  const queries: string[] = [];
  for (let q = 0; q < config.numQueries && config.numDocs > 0; q++) {
    const words = docs[rng.int(config.numDocs)]!.text.split(" ");
    const picked: string[] = [];
    for (let i = 0; i < qWords - 1; i++) picked.push(words[rng.int(words.length)]!);
    picked.push(draw());
    queries.push(picked.join(" "));
  }
  return { docs, queries, vocab };
}
