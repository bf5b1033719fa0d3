/**
 * GRPO credit assignment: one group-relative advantage per trajectory, the same for every
 * policy token of it (outcome supervision, DeepSeekMath arXiv 2402.03300 section 4.1.2):
 *
 *     A_{i,t} = (r_i - mean(r)) / (std(r) + eps)    for every policy token t of o_i
 *
 * Pure functions over typed arrays; extensions (capf, cw-grpo, e-grpo, pure) start from these.
 *
 * @module
 */
import { broadcastToTokens, type GroupAdvantageOptions, groupAdvantages } from "@creditlab/kernels";
import type { GrpoConfig } from "./config.ts";
import { checkGroupIds } from "./groups.ts";

/** The part of a batch GRPO's advantages read. */
export interface GrpoBatchView {
  n: number;
  length: number;
  lossMask: Float32Array;
  groupIds: Int32Array;
  rewards: Float32Array;
}

/** The advantage options of a GRPO-family config. */
export type GrpoAdvantageConfig = Pick<GrpoConfig, "normalizeStd" | "eps" | "singletonGroup">;

/**
 * One GRPO advantage per row, from the batch's rewards and explicit group ids.
 *
 * @example
 * ```ts
 * grpoRowAdvantages(
 *   { rewards: new Float32Array([1, 0]), groupIds: new Int32Array([0, 0]) },
 *   { normalizeStd: false, eps: 1e-6, singletonGroup: "verl" },
 * ); // [0.5, -0.5]
 * ```
 */
export function grpoRowAdvantages(
  batch: Pick<GrpoBatchView, "rewards" | "groupIds">,
  cfg: GrpoAdvantageConfig,
): Float32Array {
  return groupAdvantages(batch.rewards, batch.groupIds, {
    normalizeStd: cfg.normalizeStd,
    eps: cfg.eps,
    singleton: cfg.singletonGroup,
  });
}

/**
 * GRPO per-token advantages: the row advantage on every token with lossMask != 0, 0 elsewhere.
 *
 * @example
 * ```ts
 * grpoTokenAdvantages(
 *   { n: 2, length: 2, lossMask: new Float32Array([1, 1, 0, 1]), groupIds: new Int32Array([0, 0]),
 *     rewards: new Float32Array([1, 0]) },
 *   { normalizeStd: false, eps: 1e-6, singletonGroup: "verl" },
 * ); // [0.5, 0.5, 0, -0.5]
 * ```
 */
export function grpoTokenAdvantages(batch: GrpoBatchView, cfg: GrpoAdvantageConfig): Float32Array {
  return broadcastToTokens(grpoRowAdvantages(batch, cfg), batch);
}

/**
 * Per-token advantages built row by row, the loop of the GRPO-family kernels: checks that each
 * `perRow` array has n entries and each `perToken` array n * length (else a RangeError naming
 * `op` and the arrays), then for each row r, `row(r)` gives the value of each trainable token
 * (lossMask != 0) from its index i in the layout, or null to leave the row 0. Other tokens are 0.
 *
 * @example
 * ```ts
 * const rowAdv = new Float32Array([2, 0]);
 * const lossMask = new Float32Array([0, 1, 1, 1]);
 * tokenAdvantagesByRow(
 *   "example",
 *   { n: 2, length: 2, lossMask },
 *   { perRow: { rowAdv }, perToken: { lossMask } },
 *   (r) => (rowAdv[r] === 0 ? null : () => rowAdv[r]!),
 * ); // [0, 2, 0, 0]
 * ```
 */
export function tokenAdvantagesByRow(
  op: string,
  layout: { n: number; length: number; lossMask: Float32Array },
  arrays: {
    perRow: Record<string, { length: number }>;
    perToken: Record<string, { length: number }>;
  },
  row: (r: number) => ((i: number) => number) | null,
): Float32Array {
  const { n, length, lossMask } = layout;
  const wrong = (a: Record<string, { length: number }>, len: number) =>
    Object.values(a).some((x) => x.length !== len);
  if (wrong(arrays.perRow, n)) {
    throw new RangeError(
      `${op}: ${Object.keys(arrays.perRow).join(" and ")} need n = ${n} entries`,
    );
  }
  if (wrong(arrays.perToken, n * length)) {
    throw new RangeError(
      `${op}: ${Object.keys(arrays.perToken).join(" and ")} need n * length = ${
        n * length
      } entries`,
    );
  }
  const out = new Float32Array(n * length);
  for (let r = 0; r < n; r++) {
    const value = row(r);
    if (value === null) continue;
    const base = r * length;
    for (let t = 0; t < length; t++) {
      const i = base + t;
      if (lossMask[i] !== 0) out[i] = value(i);
    }
  }
  return out;
}

/** The part of a batch the round-wise kernels read: its layout, loss mask and round ids. */
export interface RoundLayout {
  n: number;
  length: number;
  lossMask: Float32Array;
  /** Round of each token (0 = prompt, k = the policy's k-th round and what answered it). */
  roundIds: Int32Array;
}

/**
 * Per-token advantages built row by row from each trainable token's round, the loop of the
 * kernels that credit a trajectory's rounds differently (cw-grpo, pure): {@link
 * tokenAdvantagesByRow} with `lossMask` and `roundIds` checked as per-token arrays, where
 * `row(r)` gives the value of a trainable token from its round k, or null to leave the row 0.
 *
 * @example
 * ```ts
 * const rowAdv = new Float32Array([2]);
 * tokenAdvantagesByRound(
 *   "example",
 *   { n: 1, length: 4, lossMask: new Float32Array([0, 1, 0, 1]), roundIds: new Int32Array([0, 1, 1, 2]) },
 *   { rowAdv },
 *   (r) => (k) => (k === 1 ? 0.5 * rowAdv[r]! : rowAdv[r]!),
 * ); // [0, 1, 0, 2]
 * ```
 */
export function tokenAdvantagesByRound(
  op: string,
  layout: RoundLayout,
  perRow: Record<string, { length: number }>,
  row: (r: number) => ((k: number) => number) | null,
): Float32Array {
  const { lossMask, roundIds } = layout;
  return tokenAdvantagesByRow(op, layout, { perRow, perToken: { lossMask, roundIds } }, (r) => {
    const value = row(r);
    return value === null ? null : (i) => value(roundIds[i]!);
  });
}

/**
 * Which per-round values of a prompt group are normalised as one set: all of them (`"group"`),
 * or those of the same round index k (`"group-and-round"`: the k-th values of the group's rows
 * that have one).
 */
export type RoundPooling = "group" | "group-and-round";

/**
 * Per-round values of each row (null: none) normalised within the row's prompt group
 * (`groupIds[r]`, one per row, {@link checkGroupIds}), pooled as `opts.pooling` says: every
 * value becomes (v − mean) / (std + eps) over its set ({@link groupAdvantages} with `opts`),
 * returned in the input's shape. The ragged step of the methods that normalise per-round
 * rewards, gains or returns over a prompt group (pure, stepsearch, a2tgpo, matchtir).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const values = [Float64Array.of(1, 3), null, Float64Array.of(2)];
 * const z = (pooling: RoundPooling) =>
 *   groupRoundAdvantages(values, Int32Array.of(0, 0, 0), {
 *     pooling, normalizeStd: false, eps: 0, singleton: "zero",
 *   }).map((x) => x && Array.from(x));
 * assert.deepEqual(z("group"), [[-1, 1], null, [0]]); // mean 2
 * assert.deepEqual(z("group-and-round"), [[-0.5, 0], null, [0.5]]); // round 1: {1, 2}; round 2: {3}
 * ```
 */
export function groupRoundAdvantages(
  values: readonly (ArrayLike<number> | null)[],
  groupIds: Int32Array,
  opts: GroupAdvantageOptions & { pooling: RoundPooling },
): (Float32Array | null)[] {
  checkGroupIds(groupIds, values, { op: "groupRoundAdvantages", of: "values" });
  const byRound = opts.pooling === "group-and-round";
  let total = 0;
  for (const v of values) total += v?.length ?? 0;
  const flat = new Float32Array(total);
  const keys = new Int32Array(total);
  const ids = new Map<string, number>();
  let at = 0;
  values.forEach((v, r) => {
    if (v === null) return;
    for (let k = 0; k < v.length; k++, at++) {
      const key = byRound ? `${groupIds[r]}:${k}` : `${groupIds[r]}`;
      let id = ids.get(key);
      if (id === undefined) ids.set(key, id = ids.size);
      flat[at] = v[k]!;
      keys[at] = id;
    }
  });
  const z = groupAdvantages(flat, keys, opts);
  at = 0;
  return values.map((v) => {
    if (v === null) return null;
    const out = z.slice(at, at + v.length);
    at += v.length;
    return out;
  });
}

/**
 * The per-token kernel of methods that add a per-round term to the outcome advantage:
 * out[r, t] = rowAdv[r] + coef * perRound[r][k − 1] for a trainable token t (lossMask ≠ 0) of
 * round k = roundIds[r, t] with 1 ≤ k ≤ perRound[r].length; rowAdv[r] on the row's other
 * trainable tokens and on every trainable token of a row with `perRound[r] = null`; 0 elsewhere.
 * `opts.op` names the caller in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one row: prompt (round 0), round 1 (2 tokens), round 2 = answer (1 token)
 * const out = addRoundTerms(Float32Array.of(0.5), [Float32Array.of(-1)], {
 *   op: "example",
 *   layout: { n: 1, length: 4, lossMask: Float32Array.of(0, 1, 1, 1), roundIds: Int32Array.of(0, 1, 1, 2) },
 *   coef: 0.5,
 * });
 * assert.deepEqual(Array.from(out), [0, 0, 0, 0.5]); // 0.5 + 0.5 * -1 = 0 on round 1
 * ```
 */
export function addRoundTerms(
  rowAdv: Float32Array,
  perRound: readonly (ArrayLike<number> | null)[],
  opts: { op: string; layout: RoundLayout; coef: number },
): Float32Array {
  const { coef } = opts;
  return tokenAdvantagesByRound(opts.op, opts.layout, { rowAdv, perRound }, (r) => {
    const a = rowAdv[r]!;
    const p = perRound[r] ?? null;
    if (p === null || coef === 0) return a === 0 ? null : () => a;
    return (k) => (k >= 1 && k <= p.length ? a + coef * p[k - 1]! : a);
  });
}
