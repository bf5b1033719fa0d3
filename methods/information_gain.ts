/**
 * The information gain of a turn from the policy's mean log-probability of the gold answer
 * before and after it — IGPO's turn reward (Wang et al., arXiv 2510.14967), on which A²TGPO
 * builds: one definition for both methods.
 *
 * @module
 */

/**
 * The forms of a turn's information gain (IGPO's released `GenerationConfig.info_gain_type`):
 * `"prob-diff"` p_t − p_{t−1} with p = exp(v) (the paper's equation and the released default),
 * `"log-prob-diff"` v_t − v_{t−1} (the released `train.sh`).
 */
export const INFO_GAIN_KINDS = ["prob-diff", "log-prob-diff"] as const;

/** One of {@link INFO_GAIN_KINDS}. */
export type InfoGainKind = (typeof INFO_GAIN_KINDS)[number];

/**
 * Information gains r_1..r_{K-1} of one trajectory from its gold answer's mean log-probabilities
 * v_0..v_{K-1} (index t: after round t): p_t - p_{t-1} with p = exp(v) (`"prob-diff"`), or
 * v_t - v_{t-1} (`"log-prob-diff"`).
 *
 * Worked example, v = ln [0.1, 0.3, 0.2]: prob-diff [0.2, -0.1]; log-prob-diff
 * [ln 3, ln(2/3)] = [1.0986, -0.4055].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const v = [0.1, 0.3, 0.2].map(Math.log);
 * const r = (k: "prob-diff" | "log-prob-diff") =>
 *   Array.from(informationGains(v, k), (x) => +x.toFixed(4));
 * assert.deepEqual(r("prob-diff"), [0.2, -0.1]);
 * assert.deepEqual(r("log-prob-diff"), [1.0986, -0.4055]);
 * ```
 */
export function informationGains(
  meanLogProbs: ArrayLike<number>,
  kind: InfoGainKind,
): Float64Array {
  const v = meanLogProbs;
  for (let t = 0; t < v.length; t++) {
    // -Infinity is a probability of 0: allowed with prob-diff (p = 0), not with log-prob-diff.
    const x = v[t]!;
    if (!(Number.isFinite(x) || (kind === "prob-diff" && x === -Infinity))) {
      throw new RangeError(
        `informationGains: mean log-probability after turn ${t} is ${v[t]}; expected a finite ` +
          `number${kind === "prob-diff" ? " or -Infinity" : ""}`,
      );
    }
  }
  const out = new Float64Array(Math.max(0, v.length - 1));
  for (let t = 1; t < v.length; t++) {
    out[t - 1] = kind === "prob-diff" ? Math.exp(v[t]!) - Math.exp(v[t - 1]!) : v[t]! - v[t - 1]!;
  }
  return out;
}
