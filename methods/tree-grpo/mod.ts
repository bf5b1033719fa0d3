/**
 * Tree-GRPO — tree search rollouts for LLM agent RL (Ji et al., arXiv 2509.21240; code
 * AMAP-ML/Tree-GRPO), on the GRPO baseline. Importing this module registers the method
 * "tree-grpo".
 *
 * The method names a tree rollout strategy (`rolloutStrategy`): per prompt, M trees that branch
 * at turn boundaries (agent/tree_rollout.ts), sized by default to the token budget of a flat
 * group of the run's `groupSize` (config.ts). Its step adds two group-relative advantages per
 * leaf — over all leaves of the prompt and over the leaves of its tree (credit.ts) — and reports
 * what the trees cost: sampled tokens per prompt with shared prefixes counted once, leaves per
 * prompt, tokens per leaf, the flat-chain equivalent (budget.ts). A batch without tree
 * information (flat rollouts, files) is one leaf per tree: with the default `intraSingleton`
 * "zero" the step is exactly GRPO.
 *
 * @example
 * ```ts
 * import { TREE_GRPO_DEFAULTS, treeGrpo } from "./mod.ts";
 * const rollout = { groupSize: 4, maxSearchTurns: 4, topK: 3, maxTurnTokens: 24, maxTotalTokens: 480, temperature: 1, topP: 1 };
 * treeGrpo.rolloutStrategy!(TREE_GRPO_DEFAULTS, rollout);
 * // { kind: "tree", trees: 2, expansions: 1, branches: 2, expandRoot: false }: 6 leaves per prompt
 * ```
 * @module
 */
import type { MethodRecord, RolloutBatch } from "@creditlab/core";
import { type Method, type MethodContext, registerMethod, type StepResult } from "@creditlab/train";
import { grpoFamily } from "../grpo/mod.ts";
import { methodMetrics, ratio } from "../metrics.ts";
import { TREE_GRPO_CARD } from "./paper.ts";
import { TREE_GRPO_CONFIG, type TreeGrpoConfig, treeGrpoStrategy } from "./config.ts";
import { rowTreeIds, sampledTokensPerRow, treeTokenAdvantages } from "./credit.ts";
import { budgetMetrics, treeBudget } from "./budget.ts";

export * from "./config.ts";
export * from "./credit.ts";
export * from "./budget.ts";
export { TREE_GRPO_PAPER } from "./paper.ts";

/** The method's registry name (the prefix of its metrics). */
const NAME = TREE_GRPO_CARD.name;

/** What Tree-GRPO keeps of a leaf (the run store's `method_record`). */
export interface TreeGrpoRecord extends MethodRecord {
  /** The row's tree id in its batch (one per row when the batch has no tree information). */
  tree: number;
  /** Leaf index in its tree, its parent's (-1: sampled from the prompt), its branch round. */
  leaf: number;
  parent: number;
  branchRound: number;
  /** The two terms of its advantage before weighting. */
  inter: number;
  intra: number;
  /** Policy tokens it sampled itself (after its branch point). */
  sampledTokens: number;
}

/**
 * Tree-GRPO's step: the per-token advantages of {@link treeTokenAdvantages}, the budget metrics
 * ({@link budgetMetrics}) plus `tree-grpo/intra_signal_share` (the share of leaves whose
 * intra-tree term is nonzero) and a {@link TreeGrpoRecord} per row.
 */
export function treeGrpoStep(
  batch: RolloutBatch,
  ctx: MethodContext<TreeGrpoConfig>,
): StepResult<TreeGrpoRecord> {
  const cfg = ctx.config;
  const { tokens, rows } = treeTokenAdvantages(batch, cfg);
  const trees = rowTreeIds(batch);
  const sampled = sampledTokensPerRow(batch);
  let signal = 0;
  for (const v of rows.intra) if (v !== 0) signal++;
  return {
    advantages: tokens,
    metrics: {
      ...budgetMetrics(NAME, treeBudget(batch)),
      ...methodMetrics(NAME, { intra_signal_share: ratio(signal, batch.n) }),
    },
    records: Array.from({ length: batch.n }, (_, r): TreeGrpoRecord => ({
      tree: trees[r]!,
      leaf: batch.trees?.leafIds[r] ?? 0,
      parent: batch.trees?.parentLeafIds[r] ?? -1,
      branchRound: batch.trees?.branchRounds[r] ?? 0,
      inter: rows.inter[r]!,
      intra: rows.intra[r]!,
      sampledTokens: sampled[r]!,
    })),
  };
}

/** The Tree-GRPO method. */
export const treeGrpo: Method<TreeGrpoConfig, TreeGrpoRecord> = registerMethod({
  ...grpoFamily(TREE_GRPO_CARD, {
    config: TREE_GRPO_CONFIG,
    // Not group-local (Method.groupLocal): the step's metrics are over the batch.
    step: treeGrpoStep,
  }),
  rolloutStrategy: treeGrpoStrategy,
});
