/**
 * BM25 over an in-memory inverted index of typed arrays (the search tool of every rollout).
 *
 * Scoring is Lucene's BM25 (the one Pyserini, and through it Search-R1/FlashRAG, use):
 *
 *     score(q, d) = sum_{t in q} idf(t) * tf(t,d) / (tf(t,d) + k1 * (1 - b + b * |d| / avgdl))
 *     idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
 *
 * (Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework: BM25 and Beyond"; Lucene
 * >= 8 drops the constant (k1 + 1) numerator factor, which does not change the ranking.) A
 * query term that occurs twice counts twice, as in Lucene's boolean query. Unlike Lucene we
 * keep exact document lengths (Lucene stores them lossily in one byte) and do not stem (see
 * tokenize.ts), so scores are close to, not identical with, Pyserini's.
 *
 * Defaults k1 = 0.9, b = 0.4: Pyserini's defaults (Lin et al. 2021), hence what "BM25" means
 * in Search-R1/FlashRAG results. k1 = 1.2, b = 0.75 (Robertson's classic values, Lucene's own
 * defaults) is one option away.
 *
 * Indexed text is the title and the text of each passage (as Pyserini indexes FlashRAG
 * `contents` = `"Title"\ntext`).
 *
 * Layout: postings in CSR form by term (`offsets[t]..offsets[t+1]` index `postDocs`, ascending
 * doc index, and `impacts` = the per-posting tf-normalisation factor precomputed for k1, b).
 * Search is term-at-a-time with exact top-k pruning (Moffat & Zobel's "continue" strategy):
 * terms go in decreasing order of their score upper bound idf * max impact; once the sum of the
 * remaining terms' bounds is below the current k-th best partial score, no unseen document can
 * reach the top k, and the remaining (long, low-idf) posting lists are only probed, by galloping
 * search, for the documents still in contention. The result is exactly the brute-force top k.
 * Ties are broken by document order (lower index first).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const index = Bm25Index.build([
 *   { id: "0", title: "Lilu (mythology)", text: "Lilu is a demon." },
 *   { id: "1", title: "Gallu", text: "Gallu is a demon of the underworld." },
 * ]);
 * const [top] = index.search("lilu demon", 1); // { id: "0", title: "Lilu (mythology)", ... }
 * assert.equal(top?.id, "0");
 * ```
 * @module
 */

import { fnv1a, FNV_OFFSET, FNV_PRIME, TermTable } from "./term_table.ts";
import { type StopWords, stopWordSet, tokenize } from "./tokenize.ts";
import type { Doc, Passage, SearchTool } from "@creditlab/core";

/** BM25 parameters (all optional in {@link Bm25Index.build}). */
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

/** Top-k result as parallel arrays (doc indices into the index, scores descending). */
export interface TopK {
  docs: Int32Array;
  scores: Float64Array;
}

/** The raw arrays of an index (what {@link Bm25Index.save} writes). */
export interface Bm25Arrays {
  vocab: string[];
  docLens: Uint32Array;
  offsets: Uint32Array;
  postDocs: Uint32Array;
  postTf: Uint16Array;
}

const MAX_TF = 65535;
/**
 * Memory the search may spend on dense per-document impact arrays of frequent terms
 * (df >= N/16), built on first use: probing such a term is then one array read per candidate
 * instead of a search in a long posting list.
 */
const DENSE_BUDGET_BYTES = 256 * 1024 * 1024;
// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

function resolveParams(opts: Bm25Options): Bm25Params {
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

/** Grow a typed array to at least `need` elements (doubling). */
function grow<T extends Uint32Array | Uint16Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = make(n);
  b.set(a);
  return b;
}

/** Insert (doc, score) into a best-first list of size <= k, ties by lower doc index. */
function offer(
  bestDocs: Int32Array,
  bestScores: Float64Array,
  size: number,
  k: number,
  d: number,
  s: number,
): number {
  if (size === k) {
    const ws = bestScores[k - 1]!;
    if (s < ws || (s === ws && d > bestDocs[k - 1]!)) return size;
  } else {
    size++;
  }
  let i = size - 1;
  while (i > 0) {
    const ps = bestScores[i - 1]!;
    if (ps > s || (ps === s && bestDocs[i - 1]! < d)) break;
    bestScores[i] = ps;
    bestDocs[i] = bestDocs[i - 1]!;
    i--;
  }
  bestScores[i] = s;
  bestDocs[i] = d;
  return size;
}

/** k-th largest of `acc[list[0..n)]` (n >= k >= 1), by a size-k min-heap. */
function kthLargest(
  acc: Float64Array,
  list: Uint32Array,
  n: number,
  heap: Float64Array,
  k: number,
): number {
  let size = 0;
  for (let q = 0; q < n; q++) {
    const v = acc[list[q]!]!;
    if (size < k) {
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p]! <= v) break;
        heap[i] = heap[p]!;
        i = p;
      }
      heap[i] = v;
    } else if (v > heap[0]!) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= k) break;
        const r = l + 1;
        const c = r < k && heap[r]! < heap[l]! ? r : l;
        if (heap[c]! >= v) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = v;
    }
  }
  return heap[0]!;
}

/** Relative safety margin on pruning bounds (float rounding of sums in different orders). */
const BOUND_SLACK = 1 + 1e-9;

/** An immutable BM25 index over a fixed list of passages. */
export class Bm25Index {
  /** The resolved parameters. */
  readonly params: Readonly<Bm25Params>;
  /** Number of indexed passages N. */
  readonly numDocs: number;
  /** Mean indexed length (tokens after stop-word removal). */
  readonly avgDocLength: number;
  /** Number of postings (distinct (term, doc) pairs). */
  readonly numPostings: number;

  readonly #ids: string[];
  readonly #titles: string[];
  readonly #texts: string[];
  readonly #stop: ReadonlySet<string>;
  readonly #vocab: Map<string, number>;
  readonly #terms: string[];
  readonly #docLens: Uint32Array;
  readonly #offsets: Uint32Array;
  readonly #postDocs: Uint32Array;
  readonly #postTf: Uint16Array;
  readonly #impacts: Float32Array;
  readonly #idf: Float64Array;
  readonly #maxImpact: Float32Array;
  readonly #acc: Float64Array;
  readonly #touched: Uint32Array;
  readonly #candA: Uint32Array;
  readonly #candB: Uint32Array;
  readonly #dense = new Map<number, Float32Array>();
  readonly #denseMinDf: number;
  readonly #denseBudget: number;
  #denseUsed = 0;

  private constructor(
    docs: { ids: string[]; titles: string[]; texts: string[] },
    arrays: Bm25Arrays,
    params: Bm25Params,
  ) {
    this.params = Object.freeze({ ...params });
    this.#ids = docs.ids;
    this.#titles = docs.titles;
    this.#texts = docs.texts;
    this.#stop = stopWordSet(params.stopWords);
    this.#terms = arrays.vocab;
    this.#vocab = new Map(arrays.vocab.map((t, i) => [t, i]));
    this.#docLens = arrays.docLens;
    this.#offsets = arrays.offsets;
    this.#postDocs = arrays.postDocs;
    this.#postTf = arrays.postTf;
    const n = docs.ids.length;
    const v = arrays.vocab.length;
    this.numDocs = n;
    this.numPostings = arrays.postDocs.length;
    let total = 0;
    for (let d = 0; d < n; d++) total += arrays.docLens[d]!;
    this.avgDocLength = n > 0 ? total / n : 0;
    const avgdl = this.avgDocLength > 0 ? this.avgDocLength : 1;
    const { k1, b } = params;
    this.#idf = new Float64Array(v);
    this.#maxImpact = new Float32Array(v);
    this.#impacts = new Float32Array(this.numPostings);
    // Per-document normaliser k1 * (1 - b + b * |d| / avgdl), computed once.
    const norm = new Float64Array(n);
    for (let d = 0; d < n; d++) norm[d] = k1 * (1 - b + (b * arrays.docLens[d]!) / avgdl);
    const offsets = arrays.offsets, postDocs = arrays.postDocs, postTf = arrays.postTf;
    const impacts = this.#impacts, maxImpact = this.#maxImpact;
    for (let t = 0; t < v; t++) {
      const lo = offsets[t]!, hi = offsets[t + 1]!;
      this.#idf[t] = bm25Idf(hi - lo, n);
      let m = 0;
      for (let p = lo; p < hi; p++) {
        const tf = postTf[p]!;
        const imp = Math.fround(tf / (tf + norm[postDocs[p]!]!));
        impacts[p] = imp;
        if (imp > m) m = imp;
      }
      maxImpact[t] = m;
    }
    this.#acc = new Float64Array(n);
    this.#touched = new Uint32Array(n);
    this.#candA = new Uint32Array(n);
    this.#candB = new Uint32Array(n);
    this.#denseMinDf = Math.max(64, Math.ceil(n / 16));
    this.#denseBudget = DENSE_BUDGET_BYTES;
  }

  /**
   * Build an index over `docs` (indexed text: title + text).
   *
   * @example
   * ```ts
   * const docs = [{ id: "0", title: "Hamlet", text: "A tragedy by William Shakespeare." }];
   * const index = Bm25Index.build(docs, { k1: 1.2, b: 0.75 }); // Lucene's classic parameters
   * index.numDocs; // 1
   * ```
   */
  static build(docs: readonly Doc[], opts: Bm25Options = {}): Bm25Index {
    const params = resolveParams(opts);
    const stop = stopWordSet(params.stopWords);
    const n = docs.length;
    const ids = new Array<string>(n), titles = new Array<string>(n), texts = new Array<string>(n);
    const table = new TermTable();
    const stopTable = new TermTable();
    for (const w of stop) stopTable.insert(w, 0, w.length, fnv1a(w, 0, w.length));
    const df: number[] = [];
    const lastDoc: number[] = [];
    const cnt: number[] = [];
    const uniq: number[] = [];
    const docLens = new Uint32Array(n);
    const docStart = new Uint32Array(n + 1);
    let fwdTerms = new Uint32Array(1 << 16);
    let fwdTf = new Uint16Array(1 << 16);
    let nnz = 0;
    let len = 0;
    let d = 0;
    // One token s[start, end) with hash h: count it for document d.
    const add = (s: string, start: number, end: number, h: number): void => {
      if (stopTable.size > 0 && stopTable.find(s, start, end, h) >= 0) return;
      const t = table.insert(s, start, end, h);
      if (t === df.length) {
        df.push(0);
        lastDoc.push(-1);
        cnt.push(0);
      }
      len++;
      if (lastDoc[t] !== d) {
        lastDoc[t] = d;
        cnt[t] = 0;
        uniq.push(t);
      }
      cnt[t]!++;
    };
    for (d = 0; d < n; d++) {
      const doc = docs[d]!;
      if (
        typeof doc.id !== "string" || typeof doc.title !== "string" || typeof doc.text !== "string"
      ) {
        throw new TypeError(`Bm25Index.build: docs[${d}] must have string id, title and text`);
      }
      ids[d] = doc.id;
      titles[d] = doc.title;
      texts[d] = doc.text;
      uniq.length = 0;
      len = 0;
      const lower = (doc.title + "\n" + doc.text).toLowerCase();
      if (NON_ASCII.test(lower)) {
        // Unicode path: the reference tokenizer (folding), then hash each token.
        for (const tok of tokenize(lower, {})) add(tok, 0, tok.length, fnv1a(tok, 0, tok.length));
      } else {
        // ASCII fast path, identical to tokenize(): maximal runs of [a-z0-9], no allocation.
        let start = -1;
        let h = FNV_OFFSET;
        const m = lower.length;
        for (let i = 0; i < m; i++) {
          const c = lower.charCodeAt(i);
          if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
            if (start < 0) {
              start = i;
              h = FNV_OFFSET;
            }
            h = Math.imul(h ^ c, FNV_PRIME);
          } else if (start >= 0) {
            add(lower, start, i, h >>> 0);
            start = -1;
          }
        }
        if (start >= 0) add(lower, start, m, h >>> 0);
      }
      docLens[d] = len;
      const need = nnz + uniq.length;
      fwdTerms = grow(fwdTerms, need, (m) => new Uint32Array(m));
      fwdTf = grow(fwdTf, need, (m) => new Uint16Array(m));
      for (const t of uniq) {
        fwdTerms[nnz] = t;
        fwdTf[nnz] = Math.min(cnt[t]!, MAX_TF);
        nnz++;
        df[t]!++;
      }
      docStart[d + 1] = nnz;
    }
    const terms = table.terms;
    const v = terms.length;
    const offsets = new Uint32Array(v + 1);
    for (let t = 0; t < v; t++) offsets[t + 1] = offsets[t]! + df[t]!;
    const cursor = offsets.slice(0, v);
    const postDocs = new Uint32Array(nnz);
    const postTf = new Uint16Array(nnz);
    for (let d = 0; d < n; d++) {
      for (let j = docStart[d]!, e = docStart[d + 1]!; j < e; j++) {
        const t = fwdTerms[j]!;
        const p = cursor[t]!++;
        postDocs[p] = d;
        postTf[p] = fwdTf[j]!;
      }
    }
    return new Bm25Index({ ids, titles, texts }, {
      vocab: terms,
      docLens,
      offsets,
      postDocs,
      postTf,
    }, params);
  }

  /**
   * Rebuild an index from saved arrays (see persist.ts); checks the arrays are consistent.
   * `opts` may override k1 and b (the impacts are recomputed); stop words must match the
   * ones the postings were built with, so they are taken from `saved`.
   */
  static fromArrays(
    docs: { ids: string[]; titles: string[]; texts: string[] },
    arrays: Bm25Arrays,
    saved: Bm25Params,
    opts: { k1?: number; b?: number } = {},
  ): Bm25Index {
    const n = docs.ids.length;
    const v = arrays.vocab.length;
    const bad = (what: string) => {
      throw new Error(`Bm25Index.fromArrays: inconsistent index arrays: ${what}`);
    };
    if (docs.titles.length !== n || docs.texts.length !== n) bad("ids/titles/texts lengths differ");
    if (arrays.docLens.length !== n) {
      bad(`docLens has ${arrays.docLens.length} entries, expected ${n}`);
    }
    if (arrays.offsets.length !== v + 1) {
      bad(`offsets has ${arrays.offsets.length} entries, expected ${v + 1}`);
    }
    if (arrays.offsets[v] !== arrays.postDocs.length) bad("offsets[V] != number of postings");
    if (arrays.postTf.length !== arrays.postDocs.length) bad("postTf and postDocs lengths differ");
    for (let t = 0; t < v; t++) {
      if (arrays.offsets[t]! > arrays.offsets[t + 1]!) bad(`offsets decrease at term ${t}`);
    }
    for (let p = 0; p < arrays.postDocs.length; p++) {
      if (arrays.postDocs[p]! >= n) bad(`posting ${p} names doc ${arrays.postDocs[p]} >= N`);
    }
    const params = resolveParams({
      k1: opts.k1 ?? saved.k1,
      b: opts.b ?? saved.b,
      stopWords: saved.stopWords,
    });
    return new Bm25Index(docs, arrays, params);
  }

  /** Dense impacts of term t (cached, within the memory budget), or null. */
  #denseImpacts(t: number): Float32Array | null {
    const cached = this.#dense.get(t);
    if (cached !== undefined) return cached;
    const bytes = 4 * this.numDocs;
    if (this.#denseUsed + bytes > this.#denseBudget) return null;
    const dense = new Float32Array(this.numDocs);
    for (let p = this.#offsets[t]!, hi = this.#offsets[t + 1]!; p < hi; p++) {
      dense[this.#postDocs[p]!] = this.#impacts[p]!;
    }
    this.#dense.set(t, dense);
    this.#denseUsed += bytes;
    return dense;
  }

  /** The raw arrays (shared, do not mutate) and the passages, for persistence. */
  toArrays(): { docs: { ids: string[]; titles: string[]; texts: string[] }; arrays: Bm25Arrays } {
    return {
      docs: { ids: this.#ids, titles: this.#titles, texts: this.#texts },
      arrays: {
        vocab: this.#terms,
        docLens: this.#docLens,
        offsets: this.#offsets,
        postDocs: this.#postDocs,
        postTf: this.#postTf,
      },
    };
  }

  /** Number of distinct indexed terms. */
  get vocabSize(): number {
    return this.#terms.length;
  }

  /** Approximate bytes held by the index arrays (not counting the passage strings). */
  get arrayBytes(): number {
    return this.#docLens.byteLength + this.#offsets.byteLength + this.#postDocs.byteLength +
      this.#postTf.byteLength + this.#impacts.byteLength + this.#idf.byteLength +
      this.#maxImpact.byteLength + this.#acc.byteLength + this.#touched.byteLength;
  }

  /** The passage at doc index `i` (0-based build order). */
  doc(i: number): Doc {
    if (!Number.isInteger(i) || i < 0 || i >= this.numDocs) {
      throw new RangeError(`Bm25Index.doc: index ${i} out of range [0, ${this.numDocs})`);
    }
    return { id: this.#ids[i]!, title: this.#titles[i]!, text: this.#texts[i]! };
  }

  /** Tokens of `text` under this index's tokenizer. */
  tokenize(text: string): string[] {
    return tokenize(text, { stopWords: this.#stop });
  }

  /** Term statistics for a token: its idf and document frequency (undefined if unseen). */
  termStats(token: string): { df: number; idf: number } | undefined {
    const t = this.#vocab.get(token);
    if (t === undefined) return undefined;
    return { df: this.#offsets[t + 1]! - this.#offsets[t]!, idf: this.#idf[t]! };
  }

  /**
   * Top-k (doc index, score), best first, ties by doc index. Only documents sharing at least
   * one query term are returned, so the result may be shorter than k.
   */
  topK(query: string, k: number): TopK {
    if (!Number.isInteger(k) || k < 0) {
      throw new RangeError(`Bm25Index.search: k must be an integer >= 0, got ${k}`);
    }
    if (typeof query !== "string") throw new TypeError(`Bm25Index.search: query must be a string`);
    const empty = { docs: new Int32Array(0), scores: new Float64Array(0) };
    if (k === 0 || this.numDocs === 0) return empty;
    const qTerms: number[] = [];
    const qW: number[] = [];
    for (const tok of tokenize(query, { stopWords: this.#stop })) {
      const t = this.#vocab.get(tok);
      if (t === undefined) continue;
      const at = qTerms.indexOf(t);
      if (at >= 0) qW[at]! += this.#idf[t]!;
      else {
        qTerms.push(t);
        qW.push(this.#idf[t]!);
      }
    }
    const m = qTerms.length;
    if (m === 0) return empty;
    const ub = qTerms.map((t, i) => qW[i]! * this.#maxImpact[t]!);
    const order = qTerms.map((_, i) => i).sort((a, b) =>
      ub[b]! - ub[a]! || qTerms[a]! - qTerms[b]!
    );
    const rem = new Float64Array(m + 1);
    for (let i = m - 1; i >= 0; i--) rem[i] = rem[i + 1]! + ub[order[i]!]!;

    const acc = this.#acc, touched = this.#touched;
    const offsets = this.#offsets, postDocs = this.#postDocs, impacts = this.#impacts;
    const heap = new Float64Array(k);
    let nTouched = 0;
    let theta = 0;
    let i = 0;
    // Each phase-1 term appends one run of new documents to `touched`, ascending (postings
    // are in doc order); phase 2 merges the runs instead of sorting.
    const runStarts: number[] = [];
    // Phase 1: accumulate full posting lists while an unseen document could still reach the top k.
    for (; i < m; i++) {
      if (nTouched >= k && rem[i]! * BOUND_SLACK < theta) break;
      runStarts.push(nTouched);
      const t = qTerms[order[i]!]!, w = qW[order[i]!]!;
      for (let p = offsets[t]!, hi = offsets[t + 1]!; p < hi; p++) {
        const d = postDocs[p]!;
        if (acc[d] === 0) touched[nTouched++] = d;
        acc[d]! += w * impacts[p]!;
      }
      // theta <= the best partial score <= the sum of the processed bounds, so the break test
      // at the next term cannot pass unless that sum exceeds the remaining bounds: skip the
      // O(touched) selection until it can.
      if (nTouched >= k && (rem[0]! - rem[i + 1]!) > rem[i + 1]! * BOUND_SLACK) {
        theta = kthLargest(acc, touched, nTouched, heap, k);
      }
    }
    let cand: Uint32Array;
    let nCand: number;
    if (i < m) {
      // Phase 2: only documents that can still reach theta; probe the remaining lists.
      let src = this.#candA, dst = this.#candB;
      nCand = 0;
      const bounds: number[] = [];
      const r0 = rem[i]!;
      for (let ri = 0; ri < runStarts.length; ri++) {
        bounds.push(nCand);
        const e = ri + 1 < runStarts.length ? runStarts[ri + 1]! : nTouched;
        for (let q = runStarts[ri]!; q < e; q++) {
          const d = touched[q]!;
          if ((acc[d]! + r0) * BOUND_SLACK >= theta) src[nCand++] = d;
        }
      }
      // Merge the (disjoint, each ascending) runs one after another into doc order.
      let mergedEnd = bounds.length > 1 ? bounds[1]! : nCand;
      for (let ri = 1; ri < bounds.length; ri++) {
        const bEnd = ri + 1 < bounds.length ? bounds[ri + 1]! : nCand;
        let a = 0, b = mergedEnd, o = 0;
        while (a < mergedEnd && b < bEnd) dst[o++] = src[a]! < src[b]! ? src[a++]! : src[b++]!;
        while (a < mergedEnd) dst[o++] = src[a++]!;
        while (b < bEnd) dst[o++] = src[b++]!;
        for (let q = bEnd; q < nCand; q++) dst[q] = src[q]!;
        mergedEnd = bEnd;
        const t = src;
        src = dst;
        dst = t;
      }
      cand = src;
      for (; i < m; i++) {
        const t = qTerms[order[i]!]!, w = qW[order[i]!]!;
        const hi = offsets[t + 1]!;
        let p = offsets[t]!;
        const dense = hi - p >= this.#denseMinDf ? this.#denseImpacts(t) : null;
        if (dense !== null) {
          // Frequent term: direct lookup instead of a search in its long posting list.
          for (let q = 0; q < nCand; q++) {
            const d = cand[q]!;
            const v = dense[d]!;
            if (v > 0) acc[d]! += w * v;
          }
          p = hi;
        }
        for (let q = 0; q < nCand && p < hi; q++) {
          const d = cand[q]!;
          if (postDocs[p]! < d) {
            // Gallop: find the first p with postDocs[p] >= d.
            let step = 1;
            let lo = p;
            let up = p + 1;
            while (up < hi && postDocs[up]! < d) {
              lo = up;
              step *= 2;
              up = p + step;
            }
            if (up > hi) up = hi;
            // invariant: postDocs[lo] < d, and up == hi or postDocs[up] >= d
            while (up - lo > 1) {
              const mid = (lo + up) >>> 1;
              if (postDocs[mid]! < d) lo = mid;
              else up = mid;
            }
            p = up;
          }
          if (p < hi && postDocs[p] === d) acc[d]! += w * impacts[p]!;
        }
        // Drop candidates that can no longer reach the (raised) k-th best score.
        if (i + 1 < m && nCand > k) {
          theta = kthLargest(acc, cand, nCand, heap, k);
          const r = rem[i + 1]!;
          let kept = 0;
          for (let q = 0; q < nCand; q++) {
            const c = cand[q]!;
            if ((acc[c]! + r) * BOUND_SLACK >= theta) cand[kept++] = c;
          }
          nCand = kept;
        }
      }
    } else {
      cand = touched;
      nCand = nTouched;
    }
    const kk = Math.min(k, nCand);
    const bestDocs = new Int32Array(kk);
    const bestScores = new Float64Array(kk);
    let size = 0;
    for (let q = 0; q < nCand; q++) {
      const d = cand[q]!;
      size = offer(bestDocs, bestScores, size, kk, d, acc[d]!);
    }
    for (let q = 0; q < nTouched; q++) acc[touched[q]!] = 0;
    return { docs: bestDocs, scores: bestScores };
  }

  /**
   * Top-k passages for `query`, best first (ties by corpus order).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const index = Bm25Index.build([
   *   { id: "0", title: "Hamlet", text: "A tragedy written by William Shakespeare." },
   *   { id: "1", title: "Faust", text: "A tragedy written by Goethe." },
   * ]);
   * assert.deepEqual(index.search("who wrote hamlet", 3).map((p) => p.title), ["Hamlet"]);
   * ```
   */
  search(query: string, k: number): Passage[] {
    const { docs, scores } = this.topK(query, k);
    const out: Passage[] = [];
    for (let j = 0; j < docs.length; j++) {
      const d = docs[j]!;
      out.push({
        id: this.#ids[d]!,
        title: this.#titles[d]!,
        text: this.#texts[d]!,
        score: scores[j]!,
      });
    }
    return out;
  }
}

/**
 * Wrap an index as the agent's asynchronous `SearchTool`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tool = bm25SearchTool(Bm25Index.build([{ id: "0", title: "Lilu", text: "a demon" }]));
 * const passages = await tool.search("lilu", 3);
 * assert.equal(passages[0]?.id, "0");
 * ```
 */
export function bm25SearchTool(index: Bm25Index): SearchTool {
  return {
    search(query: string, k: number): Promise<Passage[]> {
      try {
        return Promise.resolve(index.search(query, k));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}
