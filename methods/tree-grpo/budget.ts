/**
 * What a step's tree rollouts cost and carried, from the batch's explicit arrays: the tokens the
 * policy sampled per prompt (each shared prefix once) against what a flat chain costs, so a
 * report can compare Tree-GRPO with flat GRPO at equal compute.
 *
 * @module
 */
import type { RolloutBatch } from "@creditlab/core";
import { methodMetrics, ratio } from "../metrics.ts";
import { rowTreeIds, sampledTokensPerRow } from "./credit.ts";

/** The budget of a batch of tree rollouts (flat rows: one-leaf trees). */
export interface TreeBudget {
  /** Prompt groups. */
  prompts: number;
  /** Trees. */
  trees: number;
  /** Leaves (rows). */
  leaves: number;
  /** Policy tokens sampled, each shared prefix once. */
  sampledTokens: number;
  /** Policy tokens of all leaves (what training sees: prefixes once per leaf). */
  leafTokens: number;
  /** Leaves sampled from the prompt alone (initial chains, root branches). */
  chains: number;
  /** Their policy tokens: chainTokens / chains estimates what one flat chain costs. */
  chainTokens: number;
  /** Leaves that branched at a turn boundary, and the sum of their branch rounds. */
  branches: number;
  branchRoundSum: number;
}

/**
 * The budget of a batch.
 *
 * @example
 * ```ts
 * // one prompt, one tree: a chain (2 + 1 policy tokens over rounds 1, 2) and a branch after
 * // round 1 (copied 2 tokens, sampled 3)
 * const b = treeBudget({
 *   n: 2, length: 4,
 *   lossMask: Float32Array.of(0, 1, 1, 1, 0, 1, 1, 1), roundIds: Int32Array.of(0, 1, 1, 2, 0, 1, 1, 2),
 *   groupIds: Int32Array.of(0, 0),
 *   trees: { treeIds: Int32Array.of(0, 0), leafIds: Int32Array.of(0, 1), parentLeafIds: Int32Array.of(-1, 0), branchRounds: Int32Array.of(0, 1) },
 * });
 * // sampled: 3 + 1 = 4 tokens; leaves hold 3 + 3 = 6
 * [b.sampledTokens, b.leafTokens, b.chainTokens]; // [4, 6, 3]
 * ```
 */
export function treeBudget(
  batch: Pick<RolloutBatch, "n" | "length" | "lossMask" | "roundIds" | "groupIds" | "trees">,
): TreeBudget {
  const sampled = sampledTokensPerRow(batch);
  const trees = rowTreeIds(batch);
  const parents = batch.trees?.parentLeafIds;
  const out: TreeBudget = {
    prompts: new Set(batch.groupIds).size,
    trees: new Set(trees).size,
    leaves: batch.n,
    sampledTokens: 0,
    leafTokens: 0,
    chains: 0,
    chainTokens: 0,
    branches: 0,
    branchRoundSum: 0,
  };
  for (let r = 0; r < batch.n; r++) {
    let own = 0;
    for (let i = r * batch.length; i < (r + 1) * batch.length; i++) {
      if (batch.lossMask[i] !== 0) own++;
    }
    out.sampledTokens += sampled[r]!;
    out.leafTokens += own;
    if ((parents?.[r] ?? -1) === -1) {
      out.chains++;
      out.chainTokens += own;
    } else {
      out.branches++;
      out.branchRoundSum += batch.trees!.branchRounds[r]!;
    }
  }
  return out;
}

/**
 * The step metrics of a budget (`<name>/...`), per prompt where it says so:
 * `sampled_tokens` (per prompt), `leaves_per_prompt`, `trees_per_prompt`, `tokens_per_leaf`,
 * `chain_tokens` (mean policy tokens of a chain sampled from the prompt: a flat chain's cost),
 * `chain_equivalents` (sampled tokens per prompt / chain_tokens: the flat group size of equal
 * cost, to compare with G), `shared_token_share` (1 − sampled / leaf tokens),
 * `branch_round_mean` (mean branch round of the leaves that branched).
 */
export function budgetMetrics(name: string, b: TreeBudget): Record<string, number> {
  const perPrompt = ratio(b.sampledTokens, b.prompts);
  const chain = ratio(b.chainTokens, b.chains);
  return methodMetrics(name, {
    sampled_tokens: perPrompt,
    leaves_per_prompt: ratio(b.leaves, b.prompts),
    trees_per_prompt: ratio(b.trees, b.prompts),
    tokens_per_leaf: ratio(b.leafTokens, b.leaves),
    chain_tokens: chain,
    chain_equivalents: ratio(perPrompt, chain),
    shared_token_share: b.leafTokens === 0 ? 0 : 1 - b.sampledTokens / b.leafTokens,
    branch_round_mean: ratio(b.branchRoundSum, b.branches),
  });
}
