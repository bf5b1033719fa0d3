/**
 * Top-k selection for BM25 search (./bm25.ts): the result type, the best-first insertion list
 * and the k-th largest partial score that the exact pruning compares against.
 * @module
 */

/** Top-k result as parallel arrays (doc indices into the index, scores descending). */
export interface TopK {
  docs: Int32Array;
  scores: Float64Array;
}

/** Insert (doc, score) into a best-first list of size <= k, ties by lower doc index. */
export function offer(
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
export function kthLargest(
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
export const BOUND_SLACK = 1 + 1e-9;
