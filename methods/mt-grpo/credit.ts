/**
 * MT-GRPO's turn-level credit as pure functions over typed arrays (Zeng et al., arXiv
 * 2505.11821; README.md has the equations and which parts are the paper's). For trajectory i of
 * a prompt group with outcome advantage A_i (GRPO's) and turn rewards r_{i,1..S_i} of its
 * searches (turns.ts):
 *
 *     A^T_{i,s} = (r_{i,s} - mean_E r) / (std_E r + eps)      E = the entries of index s's
 *                                                             statistics (config `turnBaseline`)
 *     A_{i,t}   = A_i + lambda * A^T_{i,s(t)}                 t in a credited segment s
 *     A_{i,t}   = A_i                                         every other policy token
 *
 * In the paper's episode (one search, then the answer) segment 1 is the first round and E is the
 * whole group: exactly the released `_assign_advantages`.
 *
 * @module
 */
import { groupAdvantages } from "@creditlab/kernels";
import { addRoundTerms, checkGroupIds, groupMax, type RoundLayout } from "../grpo/mod.ts";
import type { TurnBaseline, TurnScope } from "./config.ts";
import { segmentOfRound } from "./turns.ts";

/** The options of {@link turnAdvantages} (the config fields of the same names). */
export interface TurnAdvantageOptions {
  scope: TurnScope;
  baseline: TurnBaseline;
  creditStop: boolean;
  /** Divide by std + eps (as the outcome advantage does); else only centre. */
  normalizeStd: boolean;
  eps: number;
}

/**
 * Turn advantages per row: entry s - 1 holds A^T of segment s = 1..S_r + 1 (S_r = the row's
 * searches; segment S_r + 1 is its stop segment), 0 for a segment that receives none.
 *
 * The entries of the statistics, per prompt group (`groupIds`):
 * - each search s <= cap of each row, value r_{r,s}, receiving it on segment s (cap = 1 for
 *   `"first-search-round"`, else no cap);
 * - with `creditStop`, each row's stop decision, index S_r + 1 <= cap, value 0, receiving it on
 *   the stop segment;
 * - with `"group"`, zeros for the indices 1..M_g a row has no entry at (M_g = the group's largest
 *   index with an entry), receiving nothing (the released zero turn reward of a trajectory that
 *   made no tool call).
 *
 * Statistics per (group, index) (`"group"`, `"reached"`) or per group (`"pooled"`): mean and
 * unbiased std, (r - mean) / (std + eps) with `normalizeStd` else r - mean; an entry alone in
 * its statistics gets 0 (no baseline). Throws on a non-finite reward or mismatched lengths.
 *
 * Worked example (first search round, `"group"`, no std): rows with turn rewards [1], [0], []
 * (one group): values {1, 0, 0 (zero-fill)}, mean 1/3: row 0 gets 2/3 and row 1 gets -1/3 on
 * segment 1; row 2 (never searched) gets nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = turnAdvantages([[1], [0], []], Int32Array.of(0, 0, 0), {
 *   scope: "first-search-round", baseline: "group", creditStop: false, normalizeStd: false, eps: 0,
 * });
 * assert.deepEqual(a.map((x) => Array.from(x, (v) => +v.toFixed(4))), [[0.6667, 0], [-0.3333, 0], [0]]);
 * ```
 */
export function turnAdvantages(
  searchRewards: readonly (readonly number[])[],
  groupIds: Int32Array,
  opts: TurnAdvantageOptions,
): Float32Array[] {
  checkGroupIds(groupIds, searchRewards, { op: "turnAdvantages", of: "turn rewards" });
  const cap = opts.scope === "first-search-round" ? 1 : Infinity;
  const rows: number[] = [];
  const index: number[] = [];
  const values: number[] = [];
  const receives: boolean[] = [];
  const push = (r: number, s: number, v: number, rec: boolean) => {
    if (!Number.isFinite(v)) {
      throw new RangeError(`turnAdvantages: row ${r} turn ${s} reward is ${v}; expected finite`);
    }
    rows.push(r);
    index.push(s);
    values.push(v);
    receives.push(rec);
  };
  // the last index each row has an entry at
  const last = new Int32Array(searchRewards.length);
  searchRewards.forEach((rs, r) => {
    const S = rs.length;
    for (let s = 1; s <= Math.min(S, cap); s++) push(r, s, rs[s - 1]!, true);
    last[r] = Math.min(S, cap);
    if (opts.creditStop && S + 1 <= cap) {
      push(r, S + 1, 0, true);
      last[r] = S + 1;
    }
  });
  if (opts.baseline === "group") {
    // zeros up to the group's largest index
    const max = groupMax(last, groupIds, { op: "turnAdvantages", of: "last indices" });
    searchRewards.forEach((_, r) => {
      for (let s = last[r]! + 1; s <= max[r]!; s++) push(r, s, 0, false);
    });
  }
  const keyIds = new Map<string, number>();
  const keys = Int32Array.from(rows, (r, e) => {
    const key = opts.baseline === "pooled" ? `${groupIds[r]}` : `${groupIds[r]}:${index[e]}`;
    let id = keyIds.get(key);
    if (id === undefined) keyIds.set(key, id = keyIds.size);
    return id;
  });
  const z = groupAdvantages(Float32Array.from(values), keys, {
    normalizeStd: opts.normalizeStd,
    eps: opts.eps,
    singleton: "zero",
  });
  const out = searchRewards.map((rs) => new Float32Array(rs.length + 1));
  rows.forEach((r, e) => {
    if (receives[e]) out[r]![index[e]! - 1] = z[e]!;
  });
  return out;
}

/**
 * A row's turn advantage per policy round: out[k] = segAdv[segment(k) - 1] for k = 1..K
 * (out[0] = 0, the prompt), from its per-segment advantages ({@link turnAdvantages}) and its
 * search rounds.
 *
 * @example
 * ```ts
 * // rounds 1 (invalid), 2 (search), 3 (answer): segment 1 = rounds 1-2, stop segment = round 3
 * roundTurnAdvantages(Float32Array.of(0.5, -1), [2], 3); // Float32Array [0, 0.5, 0.5, -1]
 * ```
 */
export function roundTurnAdvantages(
  segAdv: Float32Array,
  searchRounds: readonly number[],
  rounds: number,
): Float32Array {
  if (segAdv.length !== searchRounds.length + 1) {
    throw new RangeError(
      `roundTurnAdvantages: ${segAdv.length} segment advantages for ${searchRounds.length} searches ` +
        `(expected searches + 1)`,
    );
  }
  const out = new Float32Array(rounds + 1);
  for (let k = 1; k <= rounds; k++) out[k] = segAdv[segmentOfRound(searchRounds, k) - 1]!;
  return out;
}

/**
 * The MT-GRPO kernel: out[r, t] = rowAdv[r] + coef * roundAdv[r][k] for a trainable token t
 * (lossMask != 0) of round k = roundIds[r, t] with 1 <= k < roundAdv[r].length; rowAdv[r] for
 * other trainable tokens; 0 elsewhere. With coef 0 it is GRPO's broadcast exactly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one row: prompt (round 0), round 1 (2 tokens, a search), round 2 = answer (1 token)
 * const out = mtGrpoTokenAdvantages(Float32Array.of(0.5), [Float32Array.of(0, -1, 0)], {
 *   n: 1, length: 4, lossMask: Float32Array.of(0, 1, 1, 1), roundIds: Int32Array.of(0, 1, 1, 2),
 * }, 0.5);
 * assert.deepEqual(Array.from(out), [0, 0, 0, 0.5]); // 0.5 + 0.5 * -1 = 0 on round 1
 * ```
 */
export function mtGrpoTokenAdvantages(
  rowAdv: Float32Array,
  roundAdv: readonly Float32Array[],
  layout: RoundLayout,
  coef: number,
): Float32Array {
  // roundAdv[r][k] is round k's (index 0 unused): the shared kernel reads rounds 1.. at k - 1
  const rounds = roundAdv.map((t) => t.subarray(1));
  return addRoundTerms(rowAdv, rounds, { op: "mtGrpoTokenAdvantages", layout, coef });
}
