import assert from "node:assert/strict";
import { initBackend, Rng, tf, type Transformer } from "@creditlab/kernels";
import type { Trajectory, Turn } from "@creditlab/core";
import { buildTestbed, getPreset } from "@creditlab/experiments";
import { smallPolicy } from "@creditlab/experiments/testing";
import { buildBatch } from "./batch.ts";
import { rollout, type RolloutConfig } from "./rollout.ts";
import { continueRollouts } from "./continue_rollout.ts";
import {
  equalBudgetBranches,
  expectedChainCost,
  leavesPerPrompt,
  sampledTokens,
  treeNodes,
  treeRollout,
  type TreeShape,
} from "./tree_rollout.ts";

const preset = getPreset("smoke");
const testbed = buildTestbed(preset);
const CONFIG: RolloutConfig = {
  ...preset.rl.rollout,
  groupSize: 7, // unused by tree rollouts
  maxTurnTokens: 8,
  maxTotalTokens: 160,
  temperature: 1,
};
const SHAPE: TreeShape = { trees: 2, expansions: 2, branches: 2, expandRoot: false };

async function grow(
  model: Transformer,
  opts: { seed: number; shape?: TreeShape; questions?: number; config?: RolloutConfig },
): Promise<Trajectory[]> {
  return await treeRollout(testbed.rlTrain.slice(0, opts.questions ?? 2), {
    model,
    tokenizer: testbed.tokenizer,
    search: testbed.search,
    config: opts.config ?? CONFIG,
    rng: new Rng(opts.seed),
    groupIdBase: 40,
    anonymizer: testbed.anonymizer!,
    shape: opts.shape ?? SHAPE,
  });
}

/**
 * A test of `fn` on the smoke preset's small policy (seed `seed`) on the cpu backend, with
 * Deno's resource and op sanitizers off; the model is disposed afterwards.
 */
function policyTest(name: string, seed: number, fn: (model: Transformer) => Promise<void>): void {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await initBackend({ backend: "cpu" });
      const model = smallPolicy(testbed, { preset, seed });
      try {
        await fn(model);
      } finally {
        model.dispose();
      }
    },
  });
}

policyTest(
  "treeRollout: leaves copy their parent's prefix exactly and branch at turn boundaries",
  3,
  async (model) => {
    const leaves = await grow(model, { seed: 5 });
    // M (1 + L N) = 2 (1 + 4) = 10 leaves per prompt, prompt by prompt, tree by tree.
    assert.equal(leaves.length, 2 * leavesPerPrompt(SHAPE));
    assert.deepEqual(leaves.map((t) => t.groupId), [
      ...Array(10).fill(40),
      ...Array(10).fill(41),
    ]);
    assert.deepEqual(
      leaves.slice(0, 10).map((t) => [t.tree!.tree, t.tree!.leaf, t.tree!.iteration]),
      [0, 1].flatMap((m) => [[m, 0, 0], [m, 1, 1], [m, 2, 1], [m, 3, 2], [m, 4, 2]]),
    );
    let branched = 0;
    for (let i = 0; i < leaves.length; i += 5) {
      const tree = leaves.slice(i, i + 5);
      tree.forEach((t, j) => {
        const info = t.tree!;
        assert.ok(info.parent === null || info.parent < j, "a parent was sampled earlier");
        if (info.parent === null) {
          assert.equal(info.branchRound, 0);
          // sampled from the prompt: only when the tree had no turn boundary to draw
          if (j > 0) assert.equal(treeNodes(tree.slice(0, j)).length, 0);
          return;
        }
        branched++;
        const parent = tree[info.parent]!;
        const d = info.branchRound;
        assert.ok(d >= 1);
        // The branch point is a node of the tree as it was when the leaf was drawn.
        const nodes = treeNodes(tree.filter((u) => u.tree!.iteration < info.iteration));
        assert.ok(nodes.some((n) => n.leaf === info.parent && n.round === d));
        // The prefix: the prompt, then rounds 1..d each a policy turn + its observation,
        // identical to the parent's (tokens, text, recorded log-probs); then the leaf's own
        // round d + 1 starts with a policy turn.
        const prefix = t.turns.slice(0, 2 * d + 1);
        assert.deepEqual(prefix, parent.turns.slice(0, 2 * d + 1));
        assert.equal(prefix.at(-1)!.role === "policy", false);
        assert.equal(prefix.at(-1)!.round, d);
        assert.equal(t.turns[2 * d + 1]?.role, "policy");
        assert.equal(t.turns[2 * d + 1]?.round, d + 1);
        // copies, not aliases
        assert.notEqual(t.turns[1]!.tokens, parent.turns[1]!.tokens);
      });
    }
    assert.ok(branched >= 6, `${branched} leaves branched at a turn boundary`);
    // What the trainer recomputes from each leaf's row is what was recorded when each token
    // was sampled (the prefix's by its parent, the rest by the leaf): continuations see
    // exactly their rows as context.
    const batch = buildBatch(leaves);
    const lp = tf.tidy(() =>
      model.logProbs(tf.tensor2d(batch.tokens, [batch.n, batch.length], "int32"))
    ).dataSync();
    let compared = 0;
    leaves.forEach((t, r) => {
      const recorded = t.turns.filter((u) => u.role === "policy").flatMap((u) => [
        ...u.sampledLogProbs!,
      ]);
      const trained: number[] = [];
      for (let i = 0; i < batch.length; i++) {
        if (batch.lossMask[r * batch.length + i] === 1) trained.push(lp[r * batch.length + i]!);
      }
      assert.equal(trained.length, recorded.length);
      recorded.forEach((x, i) => {
        assert.ok(Math.abs(x - trained[i]!) < 1e-4, `row ${r} token ${i}: ${x} vs ${trained[i]}`);
        compared++;
      });
    });
    assert.ok(compared > 200, `compared ${compared} tokens`);
    // The batch carries the explicit tree ids.
    assert.deepEqual([...batch.trees!.treeIds], [0, 1, 2, 3].flatMap((k) => Array(5).fill(k)));
    assert.deepEqual(
      [...batch.trees!.branchRounds],
      leaves.map((t) => t.tree!.branchRound),
    );
  },
);

policyTest("treeRollout: sampled tokens count each shared prefix once", 4, async (model) => {
  const leaves = await grow(model, { seed: 8, questions: 1 });
  const policyTokens = (t: Trajectory, from: number) =>
    t.turns.filter((u) => u.role === "policy" && u.round > from)
      .reduce((a, u) => a + u.tokens.length, 0);
  let all = 0;
  for (const t of leaves) {
    assert.equal(sampledTokens(t), policyTokens(t, t.tree!.branchRound));
    all += policyTokens(t, 0);
  }
  const sampled = leaves.reduce((a, t) => a + sampledTokens(t), 0);
  const shared = leaves.reduce((a, t) => a + policyTokens(t, 0) - sampledTokens(t), 0);
  assert.equal(sampled + shared, all);
  assert.ok(shared > 0, "some prefix tokens are shared");
});

policyTest(
  "treeRollout: the same seed grows the same trees; another seed other trees",
  3,
  async (model) => {
    const view = (ts: Trajectory[]) =>
      ts.map((t) => ({ tree: t.tree, tokens: t.turns.map((u) => [...u.tokens]) }));
    const a = view(await grow(model, { seed: 11 }));
    const b = view(await grow(model, { seed: 11 }));
    const c = view(await grow(model, { seed: 12 }));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  },
);

Deno.test("sampledTokens and treeNodes: hand-counted on a constructed tree", () => {
  const turn = (role: "policy" | "observation", round: number, n: number): Turn => ({
    role,
    round,
    tokens: new Int32Array(n),
    text: "",
  });
  // leaf 0: prompt (9), round 1 policy 3 + obs 5, round 2 policy 4 + obs 6, round 3 answer 2.
  const chain: Trajectory = {
    questionId: "q",
    groupId: 0,
    reward: 0,
    meta: {},
    turns: [
      turn("observation", 0, 9),
      turn("policy", 1, 3),
      turn("observation", 1, 5),
      turn("policy", 2, 4),
      turn("observation", 2, 6),
      turn("policy", 3, 2),
    ],
    tree: { tree: 0, leaf: 0, parent: null, branchRound: 0, iteration: 0 },
  };
  // leaf 1 branched after round 1 (copies 3 policy tokens), samples round 2 (7 + obs 5) and
  // round 3 (1).
  const branch: Trajectory = {
    ...chain,
    turns: [
      ...chain.turns.slice(0, 3),
      turn("policy", 2, 7),
      turn("observation", 2, 5),
      turn("policy", 3, 1),
    ],
    tree: { tree: 0, leaf: 1, parent: 0, branchRound: 1, iteration: 1 },
  };
  // Sampled: 3 + 4 + 2 = 9 by the chain, 7 + 1 = 8 by the branch: 17 (the leaves hold 9 + 11).
  assert.equal(sampledTokens(chain), 9);
  assert.equal(sampledTokens(branch), 8);
  // Nodes: the chain's boundaries after rounds 1 and 2; the branch owns only its round 2.
  assert.deepEqual(treeNodes([chain, branch]), [
    { leaf: 0, round: 1 },
    { leaf: 0, round: 2 },
    { leaf: 1, round: 2 },
  ]);
});

Deno.test("equal budget: M (1 + L N / 2) chains per prompt match the flat group size", () => {
  for (const g of [2, 3, 4, 5, 6, 8]) {
    const n = equalBudgetBranches(g, { trees: 2, expansions: 1 });
    assert.equal(n, g - 2);
    assert.equal(expectedChainCost({ trees: 2, expansions: 1, branches: n }), g);
  }
  assert.equal(equalBudgetBranches(4, { trees: 2, expansions: 0 }), 0);
  // M = 1, L = 2, G = 4: N = 2 (4 - 1) / 2 = 3 -> 1 (1 + 6 / 2) = 4
  assert.equal(equalBudgetBranches(4, { trees: 1, expansions: 2 }), 3);
  assert.throws(() => equalBudgetBranches(1, { trees: 2, expansions: 1 }), /2 trees need/);
});

/**
 * A scripted stand-in for the policy's decoder: after the prompt or an observation it emits
 * `<search> ent0 </search>` while the row has searched fewer than `searches` times, then
 * `<answer> ent0 </answer>` (near-certain logits: +40 on the scripted token).
 */
function scriptedModel(searches: number): Transformer {
  const id = (w: string) => testbed.tokenizer.id(w);
  const [open, close, ans, end, ent] = [
    id("<search>"),
    id("</search>"),
    id("<answer>"),
    id("</answer>"),
    id("ent0"),
  ];
  const vocab = testbed.tokenizer.vocabSize;
  const next = (h: readonly number[]): number => {
    const last = h.at(-1);
    if (last === open || last === ans) return ent;
    if (last === ent && h.at(-2) === open) return close;
    if (last === ent && h.at(-2) === ans) return end;
    return h.filter((t) => t === close).length < searches ? open : ans;
  };
  return {
    decoder(batchSize: number, opts: { capacity?: number } = {}) {
      const hist: number[][] = Array.from({ length: batchSize }, () => []);
      return {
        batchSize,
        capacity: opts.capacity ?? 512,
        feed(feeds: readonly (Int32Array | null)[]) {
          const out = new Float32Array(batchSize * vocab);
          feeds.forEach((f, b) => {
            if (f) hist[b]!.push(...f);
            out[b * vocab + next(hist[b]!)] = 40;
          });
          return out;
        },
        lengths: () => Int32Array.from(hist, (h) => h.length),
        dispose() {},
      };
    },
  } as unknown as Transformer;
}

Deno.test("treeRollout: continuations rebuild the episode's entity slots; root when no boundary", async () => {
  const q = testbed.rlTrain[0]!;
  const shape: TreeShape = { trees: 1, expansions: 1, branches: 3, expandRoot: false };
  const opts = {
    tokenizer: testbed.tokenizer,
    search: testbed.search,
    config: CONFIG,
    anonymizer: testbed.anonymizer!,
    shape,
  };
  // The prompt's first entity (slot ent0), as a flat rollout restores it.
  const [flat] = await rollout([q], {
    ...opts,
    model: scriptedModel(2),
    config: { ...CONFIG, groupSize: 1 },
    rng: new Rng(1),
  });
  const name = flat!.answer!;
  assert.notEqual(name, "ent0");
  // Two searches then an answer: boundaries after rounds 1 and 2; every branch continues with
  // the slots the prompt assigned, so it searches and answers the same name.
  const leaves = await treeRollout([q], { ...opts, model: scriptedModel(2), rng: new Rng(2) });
  assert.equal(leaves.length, 4);
  for (const t of leaves.slice(1)) {
    assert.ok(t.tree!.branchRound >= 1);
    assert.equal(t.answer, name);
    assert.deepEqual(t.turns.map((u) => u.text), flat!.turns.map((u) => u.text));
    assert.equal(t.meta.toolCalls, 2);
  }
  // Answering at once leaves no turn boundary: the branches start from the prompt.
  const roots = await treeRollout([q], { ...opts, model: scriptedModel(0), rng: new Rng(3) });
  assert.deepEqual(
    roots.map((t) => [t.tree!.parent, t.tree!.branchRound, t.answer]),
    [[null, 0, name], [null, 0, name], [null, 0, name], [null, 0, name]],
  );
  // A prefix that does not end at a turn boundary is refused.
  await assert.rejects(
    () =>
      continueRollouts([{ question: q, groupId: 0, turns: flat!.turns.slice(0, 2) }], {
        ...opts,
        model: scriptedModel(2),
        rng: new Rng(4),
      }),
    /ends at a turn boundary/,
  );
});
