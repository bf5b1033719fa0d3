/**
 * Tree-GRPO through the trainer: its rollout strategy reaches `trainRl`, which samples trees
 * (leaves with explicit tree ids in the trained batch), and two steps on the smoke preset's
 * SearchWorld testbed change a small policy's parameters, reproducibly from the seed.
 */
import assert from "node:assert/strict";
import { METRIC, type RolloutBatch } from "@creditlab/core";
import { buildTestbed, getPreset } from "@creditlab/experiments";
import { smallPolicy } from "@creditlab/experiments/testing";
import { type Method, rolloutStrategyOf, trainRl } from "@creditlab/train";
import { initBackend } from "@creditlab/kernels";
import { metricsSink, noCheckpoints } from "../testing.ts";
import { TREE_GRPO_DEFAULTS, treeGrpo, type TreeGrpoConfig, type TreeGrpoRecord } from "./mod.ts";

const preset = getPreset("smoke");
const testbed = buildTestbed(preset);

interface Run {
  before: Float32Array[];
  after: Float32Array[];
  metrics: Record<string, number>[];
  batches: RolloutBatch[];
}

/**
 * Tree-GRPO with a reward that varies across leaves (the untrained policy never answers right,
 * so its exact-match rewards are all 0 and its advantages too): the parity of the leaf's length
 * in tokens.
 */
const varied: Method<TreeGrpoConfig, TreeGrpoRecord> = {
  ...treeGrpo,
  rewards: (input) => ({
    rewards: Float32Array.from(
      input.trajectories,
      (t) => t.turns.reduce((n, u) => n + u.tokens.length, 0) % 2,
    ),
  }),
};

/** Train a small policy with tree-grpo for `steps` steps (G = 4: trees of 2 x 3 leaves). */
async function trainSmall(
  method: Method<TreeGrpoConfig, TreeGrpoRecord>,
  config: TreeGrpoConfig,
  steps: number,
): Promise<Run> {
  const policy = smallPolicy(testbed, { preset, seed: 3 });
  const run: Run = {
    before: policy.variables().map((v) => Float32Array.from(v.dataSync())),
    after: [],
    metrics: [],
    batches: [],
  };
  try {
    await trainRl({
      model: policy,
      refModel: policy,
      tokenizer: testbed.tokenizer,
      method,
      methodConfig: config,
      questions: testbed.rlTrain.slice(0, 6),
      resources: testbed.resources,
      config: {
        ...preset.rl,
        steps,
        questionsPerStep: 2,
        rollout: { ...preset.rl.rollout, groupSize: 4, maxTotalTokens: 96 },
        updates: { groupsPerUpdate: 2, epochs: 1 },
        checkpointEvery: 1,
      },
      seed: 1,
      sink: {
        ...metricsSink(run.metrics),
        logTrajectories: (_step, batch) => {
          run.batches.push(batch);
          return Promise.resolve();
        },
      },
      checkpoints: noCheckpoints,
      ...(testbed.anonymizer ? { anonymizer: testbed.anonymizer } : {}),
      log: () => {},
    });
    run.after = policy.variables().map((v) => Float32Array.from(v.dataSync()));
    return run;
  } finally {
    policy.dispose();
  }
}

Deno.test({
  name: "tree-grpo wiring: two training steps on tree rollouts change the policy, reproducibly",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await initBackend({ backend: "cpu" });
    const a = await trainSmall(treeGrpo, TREE_GRPO_DEFAULTS, 2);
    assert.equal(a.metrics.length, 2);
    for (const m of a.metrics) {
      // 2 prompts x M (1 + L N) = 2 x 2 (1 + 2) = 12 leaves
      assert.equal(m[METRIC.trajectoriesKept], 12);
      assert.equal(m["tree-grpo/leaves_per_prompt"], 6);
      assert.equal(m["tree-grpo/trees_per_prompt"], 2);
      assert.ok(m["tree-grpo/sampled_tokens"]! > 0);
      assert.ok(m["tree-grpo/chain_equivalents"]! > 2, "more than the 2 initial chains");
      assert.ok(Number.isFinite(m[METRIC.loss]!));
    }
    // The trained batch carries the explicit tree ids of its rows.
    for (const batch of a.batches) {
      assert.equal(batch.n, 12);
      assert.deepEqual(
        [...batch.trees!.treeIds],
        [0, 1, 2, 3].flatMap((k) => [k, k, k]),
      );
      assert.deepEqual(
        [...batch.trees!.leafIds],
        [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2],
      );
      const groups = new Set(batch.groupIds);
      assert.equal(groups.size, 2);
    }
    // With rewards that differ between leaves, the two steps move the parameters, and a second
    // run from the same seed lands on the same ones bit for bit.
    const b = await trainSmall(varied, TREE_GRPO_DEFAULTS, 2);
    assert.ok(b.metrics.some((m) => m["tree-grpo/intra_signal_share"]! > 0));
    assert.ok(
      b.before.some((w, i) => w.some((x, j) => x !== b.after[i]![j])),
      "the parameters changed",
    );
    const c = await trainSmall(varied, TREE_GRPO_DEFAULTS, 2);
    b.after.forEach((w, i) => assert.deepEqual(w, c.after[i], `tensor ${i}: same seed`));
  },
});

Deno.test("tree-grpo wiring: a tree strategy with a feedback call, or a bad shape, is refused", () => {
  const rollout = { ...preset.rl.rollout, groupSize: 4 };
  const withFeedback: Method<TreeGrpoConfig, TreeGrpoRecord> = {
    ...treeGrpo,
    rolloutHooks: {
      offersFeedback: () => true,
      maxCalls: () => 1,
      onFeedback: () => Promise.resolve(null),
    },
  };
  assert.throws(
    () => rolloutStrategyOf(withFeedback, TREE_GRPO_DEFAULTS, rollout),
    /tree rollout strategy cannot be combined with the feedback call/,
  );
  const badShape: Method<TreeGrpoConfig, TreeGrpoRecord> = {
    ...treeGrpo,
    rolloutStrategy: () => ({
      kind: "tree",
      trees: 2,
      expansions: 1,
      branches: -1,
      expandRoot: false,
    }),
  };
  assert.throws(
    () => rolloutStrategyOf(badShape, TREE_GRPO_DEFAULTS, rollout),
    /method tree-grpo: tree rollout strategy: field "branches" must be an integer >= 0/,
  );
});
