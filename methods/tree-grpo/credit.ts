/**
 * Tree-GRPO's credit assignment, pure functions over typed arrays. For leaf i of prompt group g
 * in tree T (released `adv_estimator=tree`, AMAP-ML/Tree-GRPO `verl/trainer/ppo/ray_trainer_ts.py`
 * `compute_advantage`, both terms by `core_algos.compute_grpo_outcome_advantage`):
 *
 *     A_i = interCoef * (R_i - mean_g R) / (std_g R + eps)      over every leaf of the prompt
 *         + intraCoef * (R_i - mean_T R) / (std_T R + eps)      over the leaves of its tree
 *
 * (unbiased std, eps 1e-6, as verl's torch.std). Each leaf is its own row: the tokens of a prefix
 * it shares with other leaves of its tree are in each of their rows and get each row's A_i (the
 * released code scores every leaf's full response the same way).
 *
 * @module
 */
import { broadcastToTokens, groupAdvantages, type SingletonGroupRule } from "@creditlab/kernels";
import type { RolloutBatch } from "@creditlab/core";

/** The options of {@link treeRowAdvantages} (fields of the method's config). */
export interface TreeAdvantageOptions {
  normalizeStd: boolean;
  eps: number;
  /** Rule for a prompt group of one leaf (the GRPO config's `singletonGroup`). */
  singletonGroup: SingletonGroupRule;
  /** Rule for a tree of one leaf. */
  intraSingleton: SingletonGroupRule;
  interCoef: number;
  intraCoef: number;
}

/** The two terms of each row's advantage and their weighted sum. */
export interface TreeRowAdvantages {
  /** norm(R | the row's prompt group). */
  inter: Float32Array;
  /** norm(R | the row's tree). */
  intra: Float32Array;
  /** interCoef * inter + intraCoef * intra. */
  advantages: Float32Array;
}

/**
 * The row advantages of tree rollouts: rewards, explicit group ids and explicit tree ids (one
 * entry per row). Tree ids need only be distinct across trees of the batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // one prompt, trees {0, 1} with rewards [1, 0 | 0, 0]; no std (Dr. GRPO-style) for round numbers
 * const a = treeRowAdvantages(Float32Array.of(1, 0, 0, 0), Int32Array.of(5, 5, 5, 5), Int32Array.of(0, 0, 1, 1), {
 *   normalizeStd: false, eps: 0, singletonGroup: "verl", intraSingleton: "zero", interCoef: 1, intraCoef: 1,
 * });
 * // inter: R - 0.25; intra: tree 0 mean 0.5 -> [0.5, -0.5], tree 1 all 0
 * assert.deepEqual(Array.from(a.advantages), [1.25, -0.75, -0.25, -0.25]);
 * ```
 */
export function treeRowAdvantages(
  rewards: Float32Array,
  groupIds: Int32Array,
  treeIds: Int32Array,
  opts: TreeAdvantageOptions,
): TreeRowAdvantages {
  if (treeIds.length !== rewards.length) {
    throw new RangeError(
      `treeRowAdvantages: treeIds has ${treeIds.length} entries, rewards ${rewards.length}`,
    );
  }
  const { normalizeStd, eps } = opts;
  const inter = groupAdvantages(rewards, groupIds, {
    normalizeStd,
    eps,
    singleton: opts.singletonGroup,
  });
  const intra = groupAdvantages(rewards, treeIds, {
    normalizeStd,
    eps,
    singleton: opts.intraSingleton,
  });
  const advantages = new Float32Array(rewards.length);
  for (let i = 0; i < rewards.length; i++) {
    advantages[i] = opts.interCoef * inter[i]! + opts.intraCoef * intra[i]!;
  }
  return { inter, intra, advantages };
}

/**
 * The tree id of each row: the batch's explicit `trees.treeIds` when its rows are tree rollouts;
 * otherwise (flat rollouts, files without tree information) each row is its own tree.
 *
 * @example
 * ```ts
 * rowTreeIds({ n: 3 }); // Int32Array [0, 1, 2]
 * ```
 */
export function rowTreeIds(batch: Pick<RolloutBatch, "n" | "trees">): Int32Array {
  return batch.trees?.treeIds ?? Int32Array.from({ length: batch.n }, (_, r) => r);
}

/** Tree-GRPO's per-token advantages: each row's A_i on its trainable tokens, 0 elsewhere. */
export function treeTokenAdvantages(
  batch: Pick<RolloutBatch, "n" | "length" | "lossMask" | "rewards" | "groupIds" | "trees">,
  opts: TreeAdvantageOptions,
): { tokens: Float32Array; rows: TreeRowAdvantages } {
  const rows = treeRowAdvantages(batch.rewards, batch.groupIds, rowTreeIds(batch), opts);
  return { tokens: broadcastToTokens(rows.advantages, batch), rows };
}

/**
 * Per row, the policy tokens its own sampling produced: trainable tokens (lossMask != 0) of
 * rounds after its branch point (`trees.branchRounds`; every trainable token without trees).
 *
 * @example
 * ```ts
 * // one row: prompt, round 1 (2 tokens, copied from the parent), round 2 (1 token)
 * sampledTokensPerRow({
 *   n: 1, length: 4, lossMask: Float32Array.of(0, 1, 1, 1), roundIds: Int32Array.of(0, 1, 1, 2),
 *   trees: { treeIds: Int32Array.of(0), leafIds: Int32Array.of(1), parentLeafIds: Int32Array.of(0), branchRounds: Int32Array.of(1) },
 * }); // Int32Array [1]
 * ```
 */
export function sampledTokensPerRow(
  batch: Pick<RolloutBatch, "n" | "length" | "lossMask" | "roundIds" | "trees">,
): Int32Array {
  const { n, length, lossMask, roundIds } = batch;
  const from = batch.trees?.branchRounds;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const b = from?.[r] ?? 0;
    let c = 0;
    for (let i = r * length; i < (r + 1) * length; i++) {
      if (lossMask[i] !== 0 && roundIds[i]! > b) c++;
    }
    out[r] = c;
  }
  return out;
}
