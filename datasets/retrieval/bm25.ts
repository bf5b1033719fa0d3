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
import { stopWordSet, tokenize } from "./tokenize.ts";
import type { Doc, Passage } from "@creditlab/core";
import { bm25Idf, type Bm25Options, type Bm25Params, resolveParams } from "./bm25_params.ts";
import { type Bm25Arrays, buildPostings, checkArrays } from "./bm25_build.ts";
import { BOUND_SLACK, kthLargest, offer, type TopK } from "./bm25_topk.ts";

export { BM25_DEFAULTS, bm25Idf, type Bm25Options, type Bm25Params } from "./bm25_params.ts";
export { type Bm25Arrays } from "./bm25_build.ts";
export { type TopK } from "./bm25_topk.ts";
export { bm25SearchTool } from "./bm25_tool.ts";

/**
 * Memory the search may spend on dense per-document impact arrays of frequent terms
 * (df >= N/16), built on first use: probing such a term is then one array read per candidate
 * instead of a search in a long posting list.
 */
const DENSE_BUDGET_BYTES = 256 * 1024 * 1024;

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
    const built = buildPostings(docs, params);
    return new Bm25Index(built.docs, built.arrays, params);
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
    checkArrays(docs, arrays);
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
