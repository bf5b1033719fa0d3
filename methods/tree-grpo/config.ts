/**
 * Tree-GRPO's config: the GRPO baseline plus the shape of the rollout trees (M trees per prompt,
 * L expansion iterations, N nodes expanded per tree per iteration), which nodes may be expanded,
 * and how the inter-tree (prompt) and intra-tree advantages are combined. README.md says which
 * default is the paper's or its released code's, and which is ours.
 *
 * @module
 */
import { equalBudgetBranches, type RolloutConfig, type TreeShape } from "@creditlab/agent";
import type { RolloutStrategy } from "@creditlab/train";
import { type GrpoConfig, SINGLETON_GROUP_RULES } from "../grpo/mod.ts";
import {
  type FieldContext,
  type FieldValues,
  finite,
  flag,
  grpoExtension,
  oneOf,
  variant,
} from "../grpo/options.ts";

/**
 * The size of a prompt's trees.
 * - `equal-budget`: M trees and L iterations fixed; N chosen so the prompt's expected sampled
 *   tokens equal a flat group of the run's `groupSize` G under the paper's accounting
 *   (M (1 + L·N / 2) = G, `equalBudgetBranches` of agent/tree_rollout.ts): N = G − 2 for M = 2,
 *   L = 1 (G = 4 gives the released scripts' M = 2, N = 2, L = 1 against GRPO's n_agent = 4).
 * - `fixed`: M, L, N as given (the released `ts_m`, `ts_l`, `ts_n`), whatever G is.
 */
export type TreeSize =
  | { kind: "equal-budget"; trees: number; expansions: number }
  | { kind: "fixed"; trees: number; expansions: number; branches: number };

/** The checks both kinds of {@link TreeSize} share. */
function checkTreeSize(t: TreeSize, { check, name }: FieldContext): void {
  check.integer(`${name}.trees`, t.trees, { min: 1 });
  check.integer(`${name}.expansions`, t.expansions, { min: 0 });
}

/** Tree-GRPO config: the GRPO baseline plus the fields of {@link TREE_GRPO_FIELDS} (below). */
export interface TreeGrpoConfig extends GrpoConfig, FieldValues<typeof TREE_GRPO_FIELDS> {}

/** The fields Tree-GRPO adds to the GRPO baseline: each one's doc, allowed values and default. */
export const TREE_GRPO_FIELDS = {
  /**
   * Default `{ kind: "equal-budget", trees: 2, expansions: 1 }`: M = 2 and L = 1 are the
   * released scripts' (`train_*_tree_search.sh`: ts_m=2, ts_l=1); N follows from the budget
   * (the scripts' ts_n=2 at G = 4).
   */
  tree: variant<TreeSize>({ kind: "equal-budget", trees: 2, expansions: 1 }, {
    expected:
      '{ kind: "equal-budget", trees, expansions } | { kind: "fixed", trees, expansions, branches }',
    kinds: {
      "equal-budget": checkTreeSize,
      fixed: (t, ctx) => {
        checkTreeSize(t, ctx);
        ctx.check.integer(`${ctx.name}.branches`, t.branches, { min: 0 });
      },
    },
  }),
  /**
   * Whether the root (the prompt alone) is drawn as a node at every expansion. Default false
   * (ours: trees branch at turn boundaries, so a continuation re-samples half a chain in
   * expectation, the paper's budget accounting; the root is used only by a tree without a turn
   * boundary). true: the released `TreeNode.get_expand_node`, whose candidates are the root and
   * every non-leaf node.
   */
  expandRoot: flag(false),
  /**
   * Weight of the inter-tree term norm(R | all leaves of the prompt). Default 1: the released
   * `adv_estimator=tree` adds the two terms unweighted (ray_trainer_ts.py `compute_advantage`).
   * 0 = intra-tree only (the released `tree_inner`).
   */
  interCoef: finite({ min: 0 }, 1),
  /**
   * Weight of the intra-tree term norm(R | leaves of the same tree). Default 1 (released `tree`).
   * 0 = GRPO over all leaves of the prompt (the released `grpo` estimator on tree rollouts).
   */
  intraCoef: finite({ min: 0 }, 1),
  /**
   * What the intra-tree term of a tree with one leaf is. Default `"zero"` (ours): no baseline,
   * no signal, so a batch without tree structure (one leaf per tree, e.g. a file without tree
   * information) trains exactly as GRPO. `"verl"`: the released code's
   * `compute_grpo_outcome_advantage` rule (mean 0, std 1: A = r / (1 + eps)); its scripts never
   * make such a tree (every tree keeps 1 + L·N = 3 leaves).
   */
  intraSingleton: oneOf(SINGLETON_GROUP_RULES, "zero"),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const TREE_GRPO_CONFIG = grpoExtension<TreeGrpoConfig>("tree-grpo config", TREE_GRPO_FIELDS);

/** Defaults: the GRPO baseline's settings + the released tree search at an equal token budget. */
export const TREE_GRPO_DEFAULTS: Readonly<TreeGrpoConfig> = TREE_GRPO_CONFIG.defaults;

/**
 * Check a Tree-GRPO config; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * validateTreeGrpoConfig(TREE_GRPO_DEFAULTS);
 * assert.throws(
 *   () => validateTreeGrpoConfig({ ...TREE_GRPO_DEFAULTS, intraCoef: -1 }),
 *   /tree-grpo config: field "intraCoef" must be a finite number >= 0, got -1/,
 * );
 * ```
 */
export const validateTreeGrpoConfig: (cfg: TreeGrpoConfig) => void = TREE_GRPO_CONFIG.validate;

/**
 * The tree shape of a config for a run whose flat groups have `rollout.groupSize` chains.
 *
 * @example
 * ```ts
 * const rollout = { groupSize: 5, maxSearchTurns: 4, topK: 3, maxTurnTokens: 24, maxTotalTokens: 480, temperature: 1, topP: 1 };
 * treeShapeOf(TREE_GRPO_DEFAULTS, rollout); // { trees: 2, expansions: 1, branches: 3, expandRoot: false }
 * ```
 */
export function treeShapeOf(cfg: TreeGrpoConfig, rollout: RolloutConfig): TreeShape {
  validateTreeGrpoConfig(cfg);
  const t = cfg.tree;
  const branches = t.kind === "fixed" ? t.branches : equalBudgetBranches(rollout.groupSize, t);
  return { trees: t.trees, expansions: t.expansions, branches, expandRoot: cfg.expandRoot };
}

/** Tree-GRPO's rollout strategy: trees of {@link treeShapeOf}. */
export function treeGrpoStrategy(cfg: TreeGrpoConfig, rollout: RolloutConfig): RolloutStrategy {
  return { kind: "tree", ...treeShapeOf(cfg, rollout) };
}
