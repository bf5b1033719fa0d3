/**
 * Summary statistics over seeds: mean, sample standard deviation, Student-t 95% intervals
 * (one sample and Welch's two-sample interval for a difference of means), Welch's and
 * Satterthwaite's degrees of freedom.
 *
 * The t quantile is computed from the Student-t CDF, F(t; nu) = 1 - I_{nu/(nu+t^2)}(nu/2, 1/2) / 2
 * for t >= 0, with the regularized incomplete beta I_x(a, b) evaluated by Lentz's continued
 * fraction (Numerical Recipes, section 6.4), and inverted by bisection.
 *
 * @module
 */

/** Mean of the values (NaN for none). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Median of the values (NaN for none; the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Sample standard deviation with n - 1 in the denominator (NaN for fewer than 2 values). */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9).
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) +
    b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return Math.exp(lnFront) * betaContinuedFraction(x, a, b) / a;
  return 1 - Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a) / b;
}

/** Student-t CDF with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * Quantile of the Student-t distribution: the t with CDF(t; df) = p (p in (0, 1), df > 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(tQuantile(0.975, 4).toFixed(3), "2.776");
 * ```
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`tQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`tQuantile: df must be > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Mean with a two-sided Student-t confidence interval over seeds. */
export interface Interval {
  n: number;
  mean: number;
  /** Sample standard deviation (NaN for n < 2). */
  std: number;
  /** Half-width of the interval (NaN for n < 2: no interval from one seed). */
  halfWidth: number;
}

/**
 * Mean and two-sided t-interval: mean +- t_{(1+level)/2, n-1} * s / sqrt(n).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const { n, mean, std, halfWidth } = tInterval([1, 2, 3]);
 * assert.deepEqual([n, mean, std], [3, 2, 1]);
 * assert.equal(halfWidth.toFixed(3), (4.303 / Math.sqrt(3)).toFixed(3));
 * ```
 */
export function tInterval(xs: readonly number[], opts: { level?: number } = {}): Interval {
  const level = opts.level ?? 0.95;
  const n = xs.length;
  const m = mean(xs);
  const s = sampleStd(xs);
  const half = n < 2 ? NaN : tQuantile((1 + level) / 2, n - 1) * s / Math.sqrt(n);
  return { n, mean: m, std: s, halfWidth: half };
}

/**
 * Welch's interval for mean(a) - mean(b) with Welch-Satterthwaite degrees of freedom.
 * NaN half-width when either side has fewer than 2 values or both have zero variance
 * (then the half-width is 0).
 */
export function welchInterval(
  a: readonly number[],
  b: readonly number[],
  opts: { level?: number } = {},
): Interval {
  const level = opts.level ?? 0.95;
  const n = Math.min(a.length, b.length);
  if (a.length < 2 || b.length < 2) return { n, mean: mean(a) - mean(b), std: NaN, halfWidth: NaN };
  const { delta: d, se, df } = welchSe(a, b);
  if (se === 0) return { n, mean: d, std: 0, halfWidth: 0 };
  return { n, mean: d, std: se, halfWidth: tQuantile((1 + level) / 2, df) * se };
}

/**
 * Welch's standard error of mean(a) − mean(b), sqrt(s²_a/n_a + s²_b/n_b), and its
 * Welch-Satterthwaite degrees of freedom (NaN when se is 0 or not a number). Needs at least 2
 * values on each side (else se is NaN).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const { delta, se, df } = welchSe([1, 2, 3], [1, 2, 3]);
 * assert.deepEqual([delta, se.toFixed(4), df], [0, Math.sqrt(2 / 3).toFixed(4), 4]);
 * ```
 */
export function welchSe(
  a: readonly number[],
  b: readonly number[],
): { delta: number; se: number; df: number } {
  const va = sampleStd(a) ** 2 / a.length;
  const vb = sampleStd(b) ** 2 / b.length;
  const se = Math.sqrt(va + vb);
  const df = se > 0 ? (va + vb) ** 2 / (va * va / (a.length - 1) + vb * vb / (b.length - 1)) : NaN;
  return { delta: mean(a) - mean(b), se, df };
}

/**
 * Satterthwaite's degrees of freedom of V = Σ c_i·M_i, with M_i a mean square on ν_i degrees of
 * freedom: V² / Σ (c_i·M_i)²/ν_i (NaN when every term is 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(satterthwaite([{ ms: 2, coef: 1, df: 4 }]), 4); // one mean square: its own df
 * ```
 */
export function satterthwaite(terms: readonly { ms: number; coef: number; df: number }[]): number {
  let v = 0;
  let den = 0;
  for (const t of terms) {
    v += t.coef * t.ms;
    den += (t.coef * t.ms) ** 2 / t.df;
  }
  return den > 0 ? v * v / den : NaN;
}

/** Throw a RangeError naming `what` unless 0 < x < 1 (a confidence level or a power). */
export function checkProbability(what: string, x: number): void {
  if (!(x > 0 && x < 1)) throw new RangeError(`${what} must be in (0, 1), got ${x}`);
}
