/**
 * An open-addressing hash table from terms to dense ids, keyed by a character range of a
 * source string, so the index build never allocates a string per token (only one per new
 * term). Hash: 32-bit FNV-1a over UTF-16 code units.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t = new TermTable();
 * const s = "alpha beta";
 * assert.equal(t.insert(s, 6, 10, fnv1a(s, 6, 10)), 0); // "beta" gets term id 0
 * assert.equal(t.find("beta", 0, 4, fnv1a("beta", 0, 4)), 0);
 * ```
 * @module
 */

/** FNV-1a offset basis. */
export const FNV_OFFSET = 0x811c9dc5;
/** FNV-1a prime. */
export const FNV_PRIME = 0x01000193;

/** FNV-1a hash of `s[start, end)` (UTF-16 code units), as an unsigned 32-bit integer. */
export function fnv1a(s: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** Terms to dense ids (0, 1, 2, ... in insertion order). */
export class TermTable {
  /** The terms, by id. */
  readonly terms: string[] = [];
  #hashes = new Uint32Array(1024);
  #slots = new Int32Array(2048); // term id + 1; 0 = empty
  #mask = 2047;

  /** Number of terms. */
  get size(): number {
    return this.terms.length;
  }

  /** Id of `s[start, end)` (whose FNV-1a hash is `h`), or -1. */
  find(s: string, start: number, end: number, h: number): number {
    const len = end - start;
    const terms = this.terms, hashes = this.#hashes, slots = this.#slots, mask = this.#mask;
    let i = h & mask;
    for (;;) {
      const v = slots[i]!;
      if (v === 0) return -1;
      const id = v - 1;
      if (hashes[id] === h) {
        const t = terms[id]!;
        if (t.length === len) {
          let j = 0;
          while (j < len && t.charCodeAt(j) === s.charCodeAt(start + j)) j++;
          if (j === len) return id;
        }
      }
      i = (i + 1) & mask;
    }
  }

  /** Id of `s[start, end)`, inserting it if new. */
  insert(s: string, start: number, end: number, h: number): number {
    const found = this.find(s, start, end, h);
    if (found >= 0) return found;
    const id = this.terms.length;
    this.terms.push(s.substring(start, end));
    if (id >= this.#hashes.length) {
      const bigger = new Uint32Array(this.#hashes.length * 2);
      bigger.set(this.#hashes);
      this.#hashes = bigger;
    }
    this.#hashes[id] = h;
    if ((id + 1) * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2);
    else this.#place(id, h);
    return id;
  }

  #place(id: number, h: number): void {
    let i = h & this.#mask;
    while (this.#slots[i] !== 0) i = (i + 1) & this.#mask;
    this.#slots[i] = id + 1;
  }

  #rehash(size: number): void {
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    for (let id = 0; id < this.terms.length; id++) this.#place(id, this.#hashes[id]!);
  }
}
