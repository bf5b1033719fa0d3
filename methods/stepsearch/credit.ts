/**
 * StepSearch's step rewards in a critic-free advantage, as pure functions over typed arrays
 * (README.md has the equations and why). Trajectory o_i of prompt group g, outcome advantage
 * A_i (GRPO), policy rounds k = 1..K; scored search rounds k_1 < ... < k_T with step rewards
 * s_1..s_T (reward.ts); scale c (0.6):
 *
 *     s^_t = (s_t - mean_g s) / (std_g s + eps)         "group": over the group's scored rounds
 *     V_k  = sum_{t : k_t >= k} s^_t                      credit "return" (return-to-go)
 *     V_k  = s^_t if k = k_t, else 0                      credit "round"
 *     A_{i,tok} = A_i + c V_{k(tok)}                      every policy token of round k
 *
 * and credit "trajectory": A_{i,tok} = GRPO advantage of r_i + c sum_t s_t.
 *
 * @module
 */
import {
  addRoundTerms,
  checkGroupIds,
  groupRoundAdvantages,
  type RoundLayout,
} from "../grpo/mod.ts";
import type { StepNormalization } from "./config.ts";

/** A trajectory's scored rounds (1-based, increasing) and their step rewards s_t. */
export interface RowSteps {
  rounds: Int32Array;
  rewards: Float64Array;
}

/**
 * Step rewards after normalisation, per row (null rows stay null). `"group"`: every s_t of
 * every row of a prompt group (`groupIds`) is z-scored against all of them jointly (unbiased
 * std; `normalizeStd` false: centred only; a group with a single scored round gets 0).
 * `"none"`: s_t itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one group, rewards {0.5, 0} and {-0.25}: mean 1/12, deviations 5/12, -1/12, -4/12;
 * // squares 42/144, unbiased var 21/144, std 0.381881
 * const z = normalizeSteps(
 *   [{ rounds: Int32Array.of(1, 2), rewards: Float64Array.of(0.5, 0) },
 *    { rounds: Int32Array.of(1), rewards: Float64Array.of(-0.25) }, null],
 *   Int32Array.of(0, 0, 0),
 *   { normalization: "group", normalizeStd: true, eps: 0 },
 * );
 * assert.deepEqual(z.map((x) => x && Array.from(x, (v) => +v.toFixed(4))), [
 *   [1.0911, -0.2182], [-0.8729], null,
 * ]);
 * ```
 */
export function normalizeSteps(
  steps: readonly (RowSteps | null)[],
  groupIds: Int32Array,
  opts: { normalization: StepNormalization; normalizeStd: boolean; eps: number },
): (Float64Array | null)[] {
  checkGroupIds(groupIds, steps, { op: "normalizeSteps", of: "step rewards" });
  if (opts.normalization === "none") return steps.map((s) => s && Float64Array.from(s.rewards));
  const rewards = steps.map((s) => s && s.rewards);
  const z = groupRoundAdvantages(rewards, groupIds, {
    ...opts,
    pooling: "group",
    singleton: "zero",
  });
  return z.map((x) => x && Float64Array.from(x));
}

/**
 * The step credit V_1..V_K of a row's rounds (index k - 1) from its scored rounds and their
 * (normalised) step rewards `values`: `"return"` sums the values of scored rounds k_t >= k;
 * `"round"` puts each value on its own round. Rounds past the last scored one get 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rounds = Int32Array.of(1, 3);
 * assert.deepEqual(Array.from(roundCredit(rounds, [0.5, -1], 4, "return")), [-0.5, -1, -1, 0]);
 * assert.deepEqual(Array.from(roundCredit(rounds, [0.5, -1], 4, "round")), [0.5, 0, -1, 0]);
 * ```
 */
export function roundCredit(
  rounds: Int32Array,
  values: ArrayLike<number>,
  numRounds: number,
  credit: "return" | "round",
): Float64Array {
  if (values.length !== rounds.length) {
    throw new RangeError(
      `roundCredit: ${values.length} values for ${rounds.length} scored rounds`,
    );
  }
  const v = new Float64Array(numRounds);
  rounds.forEach((k, t) => {
    if (!(k >= 1 && k <= numRounds)) {
      throw new RangeError(`roundCredit: scored round ${k} outside 1..${numRounds}`);
    }
    v[k - 1]! += values[t]!;
  });
  if (credit === "return") { for (let k = numRounds - 2; k >= 0; k--) v[k]! += v[k + 1]!; }
  return v;
}

/**
 * The per-token kernel: out[r, tok] = rowAdv[r] + scale * credit[r][k - 1] for a trainable
 * token (lossMask != 0) of round k = roundIds[r, tok] with 1 <= k <= credit[r].length;
 * rowAdv[r] for other trainable tokens and rows with `credit[r] = null`; 0 elsewhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one row: prompt, round 1 (2 tokens), round 2 = answer (1 token)
 * const out = stepTokenAdvantages(Float32Array.of(0.5), [Float64Array.of(1, 0)], {
 *   n: 1, length: 4, lossMask: Float32Array.of(0, 1, 1, 1), roundIds: Int32Array.of(0, 1, 1, 2),
 * }, 0.6);
 * assert.deepEqual(Array.from(out, (v) => +v.toFixed(4)), [0, 1.1, 1.1, 0.5]);
 * ```
 */
export function stepTokenAdvantages(
  rowAdv: Float32Array,
  credit: readonly (Float64Array | null)[],
  layout: RoundLayout,
  scale: number,
): Float32Array {
  return addRoundTerms(rowAdv, credit, { op: "stepTokenAdvantages", layout, coef: scale });
}

/**
 * Credit `"trajectory"`'s rewards: r_i + scale * sum_t s_t (r_i unchanged for null rows).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const steps = [{ rounds: Int32Array.of(1, 2), rewards: Float64Array.of(0.5, -0.25) }, null];
 * const r = trajectoryRewards(Float32Array.of(1, 0), steps, 0.6); // 1 + 0.6 * 0.25
 * assert.deepEqual(Array.from(r, (v) => +v.toFixed(4)), [1.15, 0]);
 * ```
 */
export function trajectoryRewards(
  rewards: Float32Array,
  steps: readonly (RowSteps | null)[],
  scale: number,
): Float32Array {
  if (steps.length !== rewards.length) {
    throw new RangeError(
      `trajectoryRewards: ${rewards.length} rewards but ${steps.length} rows of step rewards`,
    );
  }
  return rewards.map((r, i) => {
    const s = steps[i];
    if (!s || scale === 0) return r;
    let sum = 0;
    for (const x of s.rewards) sum += x;
    return r + scale * sum;
  });
}
