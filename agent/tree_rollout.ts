/**
 * Tree rollouts (Tree-GRPO: Ji et al., "Tree Search for LLM Agent Reinforcement Learning",
 * arXiv 2509.21240; released code AMAP-ML/Tree-GRPO, `search_r1/llm_agent/generation_ts.py`
 * and `tree_node.py`). A node is a whole agent step — a policy round and the observation that
 * answered it — so trees branch only at turn boundaries. For each prompt:
 *
 * 1. initialisation: M full chains, one per tree (tree m's leaf 0);
 * 2. L expansion iterations: in every tree, N nodes are drawn uniformly with replacement from the
 *    tree's turn boundaries (released `get_expand_node`: `random.choices` over the tree's
 *    non-leaf nodes), and from each one continuation is sampled to the end of the episode,
 *    a new leaf (its prefix copied with the tokens and log-probs recorded when it was sampled).
 *
 * Every leaf is a full {@link Trajectory} with its {@link TrajectoryTree}; all leaves of a prompt
 * share its group id. The released code also draws the root (the prompt alone) as a node, i.e.
 * a fresh chain in the same tree; here that is `expandRoot: true`. By default only turn
 * boundaries are drawn (the root only when a tree has none, e.g. its chain answered at once):
 * a boundary after round d of a K-round chain is uniform on 1..K-1, so a continuation re-samples
 * half a chain in expectation — the paper's budget accounting of 1 + L·N/2 chains per tree
 * ({@link expectedChainCost}), exact for L = 1 when rounds are exchangeable.
 *
 * Sampled tokens ({@link sampledTokens}) count each shared prefix once: a leaf's own policy
 * tokens are those of its rounds after `branchRound`.
 *
 * @module
 */
import type { Question, Trajectory, TrajectoryTree, Turn } from "@creditlab/core";
import { rollout, type RolloutOptions } from "./rollout.ts";
import { continueRollouts, type RolloutPrefix } from "./continue_rollout.ts";

/** The shape of a prompt's trees (the paper's M, L, N) and the node-selection rule. */
export interface TreeShape {
  /** M: trees per prompt, each started by one full chain (released `ts_m`, script value 2). */
  trees: number;
  /** L: expansion iterations (released `ts_l`, script value 1). */
  expansions: number;
  /** N: nodes expanded per tree per iteration, one continuation each (released `ts_n`, 2). */
  branches: number;
  /**
   * Whether the root (the prompt alone: a fresh chain in the tree) is a candidate node at every
   * expansion, as in the released `get_expand_node`. false: turn boundaries only, the root only
   * for a tree that has none.
   */
  expandRoot: boolean;
}

/**
 * Check a tree shape; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * checkTreeShape({ trees: 2, expansions: 1, branches: 2, expandRoot: false });
 * assert.throws(
 *   () => checkTreeShape({ trees: 0, expansions: 1, branches: 2, expandRoot: false }),
 *   /tree shape: field "trees" must be an integer >= 1, got 0/,
 * );
 * ```
 */
export function checkTreeShape(shape: TreeShape, where = "tree shape"): void {
  const int = (field: keyof TreeShape, min: number) => {
    const v = shape[field];
    if (!(typeof v === "number" && Number.isInteger(v) && v >= min)) {
      throw new RangeError(
        `${where}: field "${field}" must be an integer >= ${min}, got ${JSON.stringify(v)}`,
      );
    }
  };
  int("trees", 1);
  int("expansions", 0);
  int("branches", 0);
  if (typeof shape.expandRoot !== "boolean") {
    throw new RangeError(
      `${where}: field "expandRoot" must be a boolean, got ${JSON.stringify(shape.expandRoot)}`,
    );
  }
}

/**
 * Leaves per prompt: M (1 + L·N) (every leaf is kept; the released `ts_k` keeps k of them per
 * tree, and its scripts keep all).
 *
 * @example
 * ```ts
 * leavesPerPrompt({ trees: 2, expansions: 1, branches: 2 }); // 6
 * ```
 */
export function leavesPerPrompt(
  shape: Pick<TreeShape, "trees" | "expansions" | "branches">,
): number {
  return shape.trees * (1 + shape.expansions * shape.branches);
}

/**
 * The paper's expected sampling cost of a prompt's trees, in full chains: M (1 + L·N / 2) — a
 * continuation re-samples half a chain in expectation.
 *
 * @example
 * ```ts
 * expectedChainCost({ trees: 2, expansions: 1, branches: 2 }); // 4: the released GRPO's n_agent
 * ```
 */
export function expectedChainCost(
  shape: Pick<TreeShape, "trees" | "expansions" | "branches">,
): number {
  return shape.trees * (1 + (shape.expansions * shape.branches) / 2);
}

/**
 * N such that M trees with L iterations cost a flat group of `groupSize` chains
 * ({@link expectedChainCost} = G): N = 2 (G − M) / (M·L), rounded to the nearest integer (exact
 * for M = 2, L = 1: N = G − 2). Throws when M > G (no tree shape fits the budget).
 *
 * @example
 * ```ts
 * equalBudgetBranches(4, { trees: 2, expansions: 1 }); // 2 (the released scripts: M=2 N=2 L=1 vs G=4)
 * equalBudgetBranches(5, { trees: 2, expansions: 1 }); // 3: 2 (1 + 3/2) = 5
 * equalBudgetBranches(8, { trees: 2, expansions: 2 }); // 3: 2 (1 + 6/2) = 8
 * ```
 */
export function equalBudgetBranches(
  groupSize: number,
  shape: Pick<TreeShape, "trees" | "expansions">,
): number {
  const { trees: m, expansions: l } = shape;
  if (m > groupSize) {
    throw new RangeError(
      `equal-budget tree: ${m} trees need at least ${m} chains of budget; groupSize is ${groupSize}`,
    );
  }
  if (l === 0) return 0;
  return Math.round((2 * (groupSize - m)) / (m * l));
}

/** A node of a tree: the turn boundary after `round` of leaf `leaf` (leaf null: the root). */
export interface TreeNode {
  leaf: number | null;
  round: number;
}

/**
 * The turn boundaries a tree's leaves own, in leaf order then round order: for leaf j, every
 * round d after its branch point (d > branchRound) that an observation answered and a further
 * round followed. Boundaries at or before the branch point belong to an ancestor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const turn = (role: "policy" | "observation", round: number) => ({
 *   role, round, tokens: new Int32Array(1), text: "",
 * });
 * const chain = (rounds: number, branchRound: number) => ({
 *   questionId: "q", groupId: 0, reward: 0, meta: {},
 *   turns: [turn("observation", 0), ...Array.from({ length: rounds }, (_, k) => [
 *     turn("policy", k + 1), ...(k + 1 < rounds ? [turn("observation", k + 1)] : []),
 *   ]).flat()],
 *   tree: { tree: 0, leaf: 0, parent: null, branchRound, iteration: 0 },
 * });
 * // leaf 0: 3 rounds -> boundaries 1, 2; leaf 1 branched after round 1, has 4 rounds -> 2, 3
 * assert.deepEqual(treeNodes([chain(3, 0), chain(4, 1)]), [
 *   { leaf: 0, round: 1 }, { leaf: 0, round: 2 }, { leaf: 1, round: 2 }, { leaf: 1, round: 3 },
 * ]);
 * ```
 */
export function treeNodes(leaves: readonly Trajectory[]): TreeNode[] {
  const out: TreeNode[] = [];
  leaves.forEach((t, j) => {
    const from = t.tree?.branchRound ?? 0;
    t.turns.forEach((turn, i) => {
      const next = t.turns[i + 1];
      if (
        turn.role !== "policy" && turn.round > from && next?.role === "policy" &&
        next.round === turn.round + 1
      ) {
        out.push({ leaf: j, round: turn.round });
      }
    });
  });
  return out;
}

/**
 * The policy tokens a trajectory's own sampling produced: those of its rounds after its branch
 * point (all of them for a flat rollout), so a prompt's trees count each shared prefix once.
 *
 * @example
 * ```ts
 * const turn = (role: "policy" | "observation", round: number, n: number) => ({
 *   role, round, tokens: new Int32Array(n), text: "",
 * });
 * const t = {
 *   questionId: "q", groupId: 0, reward: 0, meta: {},
 *   turns: [turn("observation", 0, 9), turn("policy", 1, 4), turn("observation", 1, 7), turn("policy", 2, 3)],
 *   tree: { tree: 0, leaf: 1, parent: 0, branchRound: 1, iteration: 1 },
 * };
 * sampledTokens(t); // 3: round 1's 4 tokens were sampled by the parent
 * ```
 */
export function sampledTokens(t: Trajectory): number {
  const from = t.tree?.branchRound ?? 0;
  let n = 0;
  for (const turn of t.turns) {
    if (turn.role === "policy" && turn.round > from) n += turn.tokens.length;
  }
  return n;
}

/** The turns of `leaf` up to and including the observation of round `round` (0: the prompt). */
function prefixTurns(leaf: Trajectory, round: number): Turn[] {
  if (round === 0) return leaf.turns.slice(0, 1);
  const end = leaf.turns.findIndex((t) => t.role === "policy" && t.round === round + 1);
  if (end < 0) throw new Error(`treeRollout: leaf has no round ${round + 1} to branch before`);
  return leaf.turns.slice(0, end);
}

/** Options of {@link treeRollout}: a rollout's options without the feedback call, plus the shape. */
export interface TreeRolloutOptions extends Omit<RolloutOptions, "feedback"> {
  shape: TreeShape;
}

/**
 * Sample each question's trees ({@link TreeShape}); `config.groupSize` is not used (a prompt
 * gets M (1 + L·N) leaves). Returns the leaves of question i (group id `groupIdBase + i`), tree
 * by tree, each tree's leaves in sampling order. Every random draw (tokens and node choices)
 * comes from `rng`, so a seed gives the same trees.
 */
export async function treeRollout(
  questions: Question[],
  opts: TreeRolloutOptions,
): Promise<Trajectory[]> {
  const { shape, rng } = opts;
  checkTreeShape(shape);
  const m = shape.trees;
  const { shape: _shape, ...base } = opts;
  const initial = await rollout(questions, { ...base, config: { ...opts.config, groupSize: m } });
  // forest[i * M + m]: the leaves of question i's tree m.
  const forest: Trajectory[][] = initial.map((t, k) => {
    t.tree = { tree: k % m, leaf: 0, parent: null, branchRound: 0, iteration: 0 };
    return [t];
  });
  const { groupIdBase: _base, ...cont } = base;
  for (let iteration = 1; iteration <= shape.expansions; iteration++) {
    const prefixes: RolloutPrefix[] = [];
    const origin: { tree: number; at: TreeNode }[] = [];
    forest.forEach((leaves, k) => {
      const nodes = treeNodes(leaves);
      const root: TreeNode = { leaf: null, round: 0 };
      const candidates = shape.expandRoot || nodes.length === 0 ? [root, ...nodes] : nodes;
      for (let b = 0; b < shape.branches; b++) {
        const at = candidates[rng.int(candidates.length)]!;
        const first = leaves[0]!;
        const parent = at.leaf === null ? first : leaves[at.leaf]!;
        prefixes.push({
          question: questions[Math.floor(k / m)]!,
          groupId: first.groupId,
          turns: prefixTurns(parent, at.round),
        });
        origin.push({ tree: k, at });
      }
    });
    const grown = await continueRollouts(prefixes, cont);
    grown.forEach((t, p) => {
      const { tree: k, at } = origin[p]!;
      const leaves = forest[k]!;
      const info: TrajectoryTree = {
        tree: k % m,
        leaf: leaves.length,
        parent: at.leaf,
        branchRound: at.round,
        iteration,
      };
      t.tree = info;
      leaves.push(t);
    });
  }
  return forest.flat();
}
