import assert from "node:assert/strict";
import { batchTrees, type RolloutConfig } from "@creditlab/agent";
import type { Trajectory } from "@creditlab/core";
import { getMethod, rolloutStrategyOf } from "@creditlab/train";
import { getPreset } from "@creditlab/experiments";
import { creditRecords } from "@creditlab/interchange";
import { handRecord } from "../../interchange/testing.ts";
import { grpoLoss } from "../grpo/mod.ts";
import { judgedRounds } from "../round_judge.ts";
import { batchOf, configWith, contextOf, trajectory } from "../testing.ts";
import {
  TREE_GRPO_DEFAULTS,
  TREE_GRPO_PAPER,
  treeGrpo,
  type TreeGrpoConfig,
  treeGrpoStep,
  validateTreeGrpoConfig,
} from "./mod.ts";

const cfg = configWith(TREE_GRPO_DEFAULTS);

/** The default preset's training rollouts (groups of 5). */
const ROLLOUT: RolloutConfig = getPreset("default").rl.rollout;

Deno.test("tree-grpo: registered; regime, loss, no resources; config validation names the field", () => {
  assert.equal(getMethod("tree-grpo"), treeGrpo);
  assert.equal(treeGrpo.regime, "long-chains");
  assert.equal(treeGrpo.resources, undefined);
  assert.deepEqual(treeGrpo.loss(treeGrpo.defaults), grpoLoss(treeGrpo.defaults));
  assert.equal(TREE_GRPO_PAPER.arxiv, "2509.21240");
  validateTreeGrpoConfig(treeGrpo.defaults);
  const bad: [Partial<TreeGrpoConfig>, RegExp][] = [
    [{ tree: { kind: "equal-budget", trees: 0, expansions: 1 } }, /field "tree.trees" must be/],
    [{ tree: { kind: "equal-budget", trees: 2, expansions: -1 } }, /field "tree.expansions"/],
    [
      { tree: { kind: "fixed", trees: 2, expansions: 1, branches: 1.5 } },
      /field "tree.branches" must be an integer >= 0, got 1.5/,
    ],
    [{ tree: { kind: "wide" } as unknown as TreeGrpoConfig["tree"] }, /field "tree" must be/],
    [{ expandRoot: "yes" as unknown as boolean }, /field "expandRoot" must be a boolean/],
    [{ interCoef: -1 }, /field "interCoef" must be a finite number >= 0/],
    [{ intraCoef: NaN }, /field "intraCoef"/],
    [{ intraSingleton: "one" as "zero" }, /field "intraSingleton" must be "verl" \| "zero"/],
    [{ eps: -1 }, /tree-grpo config: field "eps"/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(() => validateTreeGrpoConfig(cfg(patch)), re);
    // the step and the strategy validate too
    assert.throws(() => treeGrpo.rolloutStrategy!(cfg(patch), ROLLOUT), re);
  }
});

Deno.test("tree-grpo wiring: the tree options reach the rollout strategy", () => {
  const strategy = (c: TreeGrpoConfig, groupSize = 5) =>
    rolloutStrategyOf(treeGrpo, c, { ...ROLLOUT, groupSize });
  // Equal budget: M (1 + L N / 2) = G -> N = G - 2 for M = 2, L = 1.
  assert.deepEqual(strategy(cfg()), {
    kind: "tree",
    trees: 2,
    expansions: 1,
    branches: 3,
    expandRoot: false,
  });
  assert.deepEqual(strategy(cfg(), 4), {
    kind: "tree",
    trees: 2,
    expansions: 1,
    branches: 2,
    expandRoot: false,
  });
  assert.deepEqual(strategy(cfg(), 8), {
    kind: "tree",
    trees: 2,
    expansions: 1,
    branches: 6,
    expandRoot: false,
  });
  // M = 1, L = 2 at G = 4: N = 2 (4 - 1) / 2 = 3.
  assert.equal(
    (strategy(cfg({ tree: { kind: "equal-budget", trees: 1, expansions: 2 } }), 4) as {
      branches: number;
    }).branches,
    3,
  );
  assert.deepEqual(
    strategy(cfg({ tree: { kind: "fixed", trees: 3, expansions: 2, branches: 1 } })),
    { kind: "tree", trees: 3, expansions: 2, branches: 1, expandRoot: false },
  );
  assert.equal(
    (strategy(cfg({ expandRoot: true })) as { expandRoot: boolean }).expandRoot,
    true,
  );
  assert.throws(() => strategy(cfg(), 1), /2 trees need at least 2 chains/);
});

/** A leaf of tree `tree` with policy rounds of the given token counts. */
function leaf(
  tree: [tree: number, leaf: number, parent: number | null, branchRound: number],
  reward: number,
  roundTokens: number[],
): Trajectory {
  const words = (n: number) => Array.from({ length: n }, () => "w").join(" ");
  const rounds = roundTokens.map((n, k) =>
    k + 1 < roundTokens.length
      ? { policy: words(n), action: { kind: "search" as const, query: "w" }, obs: "o o" }
      : { policy: words(n), action: { kind: "answer" as const, text: "w" } }
  );
  const [t, l, parent, branchRound] = tree;
  return {
    ...trajectory({ groupId: 0, reward, rounds }),
    tree: { tree: t, leaf: l, parent, branchRound, iteration: parent === null ? 0 : 1 },
  };
}

Deno.test("tree-grpo budget metrics: hand-counted, with tree information and without (flat rollouts, interchange files: GRPO)", () => {
  // With trees: one prompt, 2 trees (the default shape at G = 4: 6 leaves).
  // tree 0: chain rounds (3, 4, 2) = 9; leaf 1 after round 1: copies 3, samples (5, 1) = 6;
  //         leaf 2 after round 2: copies 3 + 4, samples (2) = 2.
  // tree 1: chain (6) = 6, answered at once; leaves 1, 2 from the prompt: (2, 2) = 4, (5) = 5.
  // Sampled 9 + 6 + 2 + 6 + 4 + 5 = 32; leaves hold 9 + 9 + 9 + 6 + 4 + 5 = 42.
  // Chains from the prompt: 9, 6, 4, 5 -> 24 / 4 = 6 per chain; 32 / 6 = 5.333 chain equivalents.
  const trees = [
    leaf([0, 0, null, 0], 1, [3, 4, 2]),
    leaf([0, 1, 0, 1], 0, [3, 5, 1]),
    leaf([0, 2, 0, 2], 1, [3, 4, 2]),
    leaf([1, 0, null, 0], 0, [6]),
    leaf([1, 1, null, 0], 0, [2, 2]),
    leaf([1, 2, null, 0], 0, [5]),
  ];
  // Without tree information (flat): every leaf its own tree, every token sampled. Leaves of
  // (3, 4) = 7 and (5) = 5 tokens: 12 sampled, 2 chains of 12 / 2 = 6, so 2 chain
  // equivalents; nothing shared, no branch.
  const flat = [leaf([0, 0, null, 0], 1, [3, 4]), leaf([0, 1, null, 0], 0, [5])].map((
    { tree: _t, ...t },
  ) => t);
  const withTrees = treeGrpoStep(
    { ...batchOf(trees, { padTo: 30 }), trees: batchTrees(trees)! },
    contextOf(cfg()),
  );
  const without = treeGrpoStep(batchOf(flat), contextOf(cfg()));
  // metric: [with trees, flat]
  const budget: [string, number, number][] = [
    ["sampled_tokens", 32, 12],
    ["leaves_per_prompt", 6, 2],
    ["trees_per_prompt", 2, 2],
    ["tokens_per_leaf", 7, 6],
    ["chain_tokens", 6, 6],
    ["chain_equivalents", 32 / 6, 2],
    ["shared_token_share", 1 - 32 / 42, 0],
    ["branch_round_mean", 1.5, 0],
    // Intra-tree signal: tree 0 has mixed rewards (3 leaves), tree 1 is uniform.
    ["intra_signal_share", 0.5, 0],
  ];
  for (const [metric, tree, noTree] of budget) {
    assert.equal(withTrees.metrics[`tree-grpo/${metric}`], tree, `${metric} with trees`);
    assert.equal(without.metrics[`tree-grpo/${metric}`], noTree, `${metric} without`);
  }
  assert.deepEqual(withTrees.records!.map((r) => r!.sampledTokens), [9, 6, 2, 6, 4, 5]);
  assert.deepEqual(without.records!.map((r) => [r!.tree, r!.parent, r!.intra]), [
    [0, -1, 0],
    [1, -1, 0],
  ]);
  for (const res of [withTrees, without]) {
    for (const k of Object.keys(res.metrics)) assert.ok(k.startsWith("tree-grpo/"), k);
  }
});

Deno.test("tree-grpo through the credit service (interchange records carry no trees): grpo's advantages", async () => {
  const records = [handRecord("a", "ann"), handRecord("b", "bob"), handRecord("c", "bob")];
  const tree = await creditRecords(records, getMethod("tree-grpo"), { judgedRounds });
  const flat = await creditRecords(records, getMethod("grpo"), { judgedRounds });
  assert.deepEqual(
    tree.records.map((r) => r.advantages),
    flat.records.map((r) => r.advantages),
  );
  assert.ok(tree.records[0]!.advantages![0]! > 0);
  assert.equal(tree.metrics["tree-grpo/chain_equivalents"], 3);
});
