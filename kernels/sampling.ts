/**
 * Next-token sampling from one row of logits: temperature scaling and nucleus (top-p)
 * truncation (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration",
 * arXiv:1904.09751), drawn with a seeded {@link Rng}.
 *
 * `p_i = softmax(z / T)_i`; with `topP < 1` the nucleus is the smallest set of most probable
 * tokens whose mass reaches `topP` (tokens tied with the last one admitted are all kept), and
 * the draw is from `p` renormalised on the nucleus. `T = 0` is greedy argmax (lowest id wins
 * ties) and consumes no randomness.
 *
 * @module
 */
import type { Rng } from "./rng.ts";

/** Options of {@link sampleToken}. */
export interface SampleOptions {
  /** Softmax temperature, >= 0; 0 = argmax. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 = no truncation. */
  topP: number;
  /** Seeded generator (one `next()` per non-greedy draw). */
  rng: Rng;
}

function checkLogits(logits: Float32Array, op: string): void {
  if (!(logits instanceof Float32Array)) {
    throw new TypeError(`${op}: logits must be a Float32Array`);
  }
  if (logits.length === 0) throw new RangeError(`${op}: logits is empty`);
  let finite = false;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i]!;
    if (Number.isNaN(z) || z === Infinity) {
      throw new RangeError(`${op}: logits[${i}] is ${z} (expected finite or -Infinity)`);
    }
    if (z !== -Infinity) finite = true;
  }
  if (!finite) throw new RangeError(`${op}: every logit is -Infinity`);
}

/** Index of the largest logit (lowest index on ties). */
export function argmax(logits: Float32Array): number {
  let best = 0, bv = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > bv) {
      bv = logits[i]!;
      best = i;
    }
  }
  return best;
}

/**
 * The probabilities `softmax(logits / temperature)` restricted to the top-p nucleus and
 * renormalised (zeros outside). Exposed for tests and for computing sampling distributions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = nucleusProbs(Float32Array.of(0, 0, Math.log(2)), { temperature: 1, topP: 0.5 });
 * assert.deepEqual(Array.from(p), [0, 0, 1]);
 * ```
 */
export function nucleusProbs(
  logits: Float32Array,
  opts: { temperature: number; topP: number },
): Float64Array {
  checkLogits(logits, "nucleusProbs");
  checkOpts(opts, "nucleusProbs");
  const n = logits.length, p = new Float64Array(n);
  if (opts.temperature === 0) {
    p[argmax(logits)] = 1;
    return p;
  }
  let zmax = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > zmax) zmax = logits[i]!;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[i]! - zmax) / opts.temperature);
    p[i] = e;
    total += e;
  }
  for (let i = 0; i < n; i++) p[i]! /= total;
  if (opts.topP < 1) {
    // threshold = probability of the token that makes the sorted cumulative mass reach topP
    const sorted = Float64Array.from(p).sort();
    let cum = 0, thr = 0;
    for (let i = n - 1; i >= 0; i--) {
      cum += sorted[i]!;
      thr = sorted[i]!;
      if (cum >= opts.topP) break;
    }
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (p[i]! >= thr) kept += p[i]!;
      else p[i] = 0;
    }
    for (let i = 0; i < n; i++) p[i]! /= kept;
  }
  return p;
}

function checkOpts(opts: { temperature: number; topP: number }, op: string): void {
  if (!(Number.isFinite(opts.temperature) && opts.temperature >= 0)) {
    throw new RangeError(
      `${op}: temperature must be a finite number >= 0, got ${opts.temperature}`,
    );
  }
  if (!(opts.topP > 0 && opts.topP <= 1)) {
    throw new RangeError(`${op}: topP must be in (0, 1], got ${opts.topP}`);
  }
}

/**
 * Draw one token id from a row of logits (length V).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * const id = sampleToken(Float32Array.of(1, 3, 2), { temperature: 0, topP: 1, rng: new Rng(0) });
 * assert.equal(id, 1); // temperature 0: the argmax
 * ```
 */
export function sampleToken(logits: Float32Array, opts: SampleOptions): number {
  if (opts.temperature === 0) {
    checkLogits(logits, "sampleToken");
    checkOpts(opts, "sampleToken");
    return argmax(logits);
  }
  const p = nucleusProbs(logits, opts);
  const u = opts.rng.next();
  let cum = 0, last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i]! > 0) {
      cum += p[i]!;
      last = i;
      if (u < cum) return i;
    }
  }
  return last; // u within rounding of 1
}

/**
 * Sample one token per row of a `[B * V]` logits block (e.g. a {@link Decoder.feed} result).
 * Rows with `active[b] === false` get -1 and consume no randomness.
 */
export function sampleTokens(
  logits: Float32Array,
  opts: SampleOptions & { vocabSize: number; active?: readonly boolean[] },
): Int32Array {
  const v = opts.vocabSize;
  if (!Number.isInteger(v) || v <= 0 || logits.length % v !== 0) {
    throw new RangeError(
      `sampleTokens: logits length ${logits.length} is not a multiple of vocabSize ${v}`,
    );
  }
  const b = logits.length / v, out = new Int32Array(b);
  for (let r = 0; r < b; r++) {
    out[r] = opts.active && !opts.active[r]
      ? -1
      : sampleToken(logits.subarray(r * v, (r + 1) * v), opts);
  }
  return out;
}
