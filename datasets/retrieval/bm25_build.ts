/**
 * Building a BM25 inverted index: tokenize every passage (title + text; an allocation-free
 * ASCII path identical to tokenize(), the reference tokenizer otherwise), count term
 * frequencies, and lay the postings out in CSR form by term. `Bm25Index.build()` (./bm25.ts)
 * wraps it.
 * @module
 */
import type { Doc } from "@creditlab/core";
import type { Bm25Params } from "./bm25_params.ts";
import { fnv1a, FNV_OFFSET, FNV_PRIME, TermTable } from "./term_table.ts";
import { stopWordSet, tokenize } from "./tokenize.ts";

/** The raw arrays of an index (what {@link Bm25Index.save} writes). */
export interface Bm25Arrays {
  vocab: string[];
  docLens: Uint32Array;
  offsets: Uint32Array;
  postDocs: Uint32Array;
  postTf: Uint16Array;
}

const MAX_TF = 65535;
// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Grow a typed array to at least `need` elements (doubling). */
function grow<T extends Uint32Array | Uint16Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = make(n);
  b.set(a);
  return b;
}

/**
 * The passages and postings arrays of an index over `docs` (indexed text: title + text), what
 * `Bm25Index.build()` constructs its index from.
 */
export function buildPostings(
  docs: readonly Doc[],
  params: Bm25Params,
): { docs: { ids: string[]; titles: string[]; texts: string[] }; arrays: Bm25Arrays } {
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
  return {
    docs: { ids, titles, texts },
    arrays: {
      vocab: terms,
      docLens,
      offsets,
      postDocs,
      postTf,
    },
  };
}

/**
 * Throw unless saved index arrays are consistent with their passages (what
 * `Bm25Index.fromArrays()` checks before it rebuilds an index).
 */
export function checkArrays(
  docs: { ids: string[]; titles: string[]; texts: string[] },
  arrays: Bm25Arrays,
): void {
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
}
