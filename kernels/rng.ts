/**
 * Seeded pseudo-random number generator (xoshiro128**, seeded through splitmix32).
 *
 * Randomness in creditlab is always passed in as an `Rng`, never taken from a global.
 * The state is four 32-bit words and can be saved and restored exactly, so a resumed
 * training run continues the same random stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * const rng = new Rng(42);
 * const u = rng.next(); // in [0, 1)
 * assert.ok(u >= 0 && u < 1);
 * const copy = Rng.fromState(rng.state());
 * assert.equal(copy.next(), rng.next());
 * ```
 * @module
 */

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A seeded xoshiro128** generator with a serialisable state. */
export class Rng {
  #s: Uint32Array;

  /** Create a generator from an integer seed (any 32-bit value). */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) {
      throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
    }
    const sm = splitmix32(seed);
    this.#s = new Uint32Array([sm(), sm(), sm(), sm()]);
    if (this.#s.every((x) => x === 0)) this.#s[0] = 1;
  }

  /** Restore a generator from `state()`. */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4) {
      throw new RangeError(`Rng.fromState: expected 4 words, got ${state.length}`);
    }
    const r = new Rng(0);
    r.#s = new Uint32Array(state);
    return r;
  }

  /** The four state words (a copy). */
  state(): number[] {
    return Array.from(this.#s);
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
    const m = Math.imul(s1, 5) >>> 0;
    const result = Math.imul(((m << 7) | (m >>> 25)) >>> 0, 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = (s2 ^ s0) >>> 0;
    const n3 = (s3 ^ s1) >>> 0;
    const n1 = (s1 ^ n2) >>> 0;
    const n0 = (s0 ^ n3) >>> 0;
    s[0] = n0;
    s[1] = n1;
    s[2] = (n2 ^ t) >>> 0;
    s[3] = ((n3 << 11) | (n3 >>> 21)) >>> 0;
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    }
    return Math.floor(this.next() * n);
  }

  /** Standard normal sample (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }

  /** A new independent generator derived from this one (consumes one draw). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}
