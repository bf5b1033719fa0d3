import assert from "node:assert/strict";
import { Rng } from "@creditlab/kernels";
import { batchTrees } from "@creditlab/agent";
import type { Trajectory } from "@creditlab/core";
import { getMethod, type MethodBatch } from "@creditlab/train";
import {
  assertPerToken,
  batchOf,
  configWith,
  contextOf,
  type RoundSpec,
  trajectory,
} from "../testing.ts";
import { grpo } from "../grpo/mod.ts";
import { TREE_GRPO_DEFAULTS, treeGrpo, type TreeGrpoConfig, treeGrpoStep } from "./mod.ts";

const cfg = configWith(TREE_GRPO_DEFAULTS);

const search = (q: string): RoundSpec => ({
  policy: `<search> ${q} </search>`,
  obs: `<information> ${q} doc </information>`,
});
const answer = (a: string): RoundSpec => ({ policy: `<answer> ${a} </answer>` });

/** A leaf of tree `tree` of prompt group `groupId`. */
function leaf(
  groupId: number,
  tree: [tree: number, leaf: number, parent: number | null, branchRound: number],
  reward: number,
  rounds: RoundSpec[],
): Trajectory {
  const [t, l, parent, branchRound] = tree;
  return {
    ...trajectory({ groupId, reward, rounds }),
    tree: { tree: t, leaf: l, parent, branchRound, iteration: parent === null ? 0 : 1 },
  };
}

/** The batch of tree rollouts `trajs` (explicit tree ids), padded to `padTo`. */
function treeBatch(trajs: Trajectory[], padTo = 0) {
  return { ...batchOf(trajs, { padTo }), trees: batchTrees(trajs)! };
}

/** Row r's advantage (checked constant over its policy tokens, 0 elsewhere). */
function rowValue(adv: Float32Array, batch: ReturnType<typeof batchOf>, r: number): number {
  let v: number | null = null;
  for (let i = r * batch.length; i < (r + 1) * batch.length; i++) {
    if (batch.lossMask[i] === 0) assert.equal(adv[i], 0);
    else if (v === null) v = adv[i]!;
    else assert.equal(adv[i], v, `row ${r}: one value on every policy token`);
  }
  return v ?? 0;
}

Deno.test("tree-grpo golden: 2 trees of 2 leaves, inter + intra by hand", () => {
  // Group rewards [1, 0 | 0, 0]: mean 0.25, deviations (0.75, -0.25, -0.25, -0.25), squares sum
  // 0.75, unbiased var 0.75 / 3 = 0.25, std 0.5 -> inter = (1.5, -0.5, -0.5, -0.5).
  // Tree 0 = {1, 0}: mean 0.5, unbiased std sqrt(0.5) = 0.70711 -> intra = (0.70711, -0.70711);
  // tree 1 = {0, 0}: 0. A = (2.20711, -1.20711, -0.5, -0.5) (eps 1e-6 shifts the 6th digit).
  const trajs = [
    leaf(3, [0, 0, null, 0], 1, [search("a"), answer("x")]),
    leaf(3, [0, 1, 0, 1], 0, [search("a"), answer("y")]),
    leaf(3, [1, 0, null, 0], 0, [answer("y")]),
    leaf(3, [1, 1, 0, 0], 0, [search("b"), search("c"), answer("y")]),
  ];
  const batch = treeBatch(trajs);
  const res = treeGrpoStep(batch, contextOf(cfg()));
  const want = [2.20711, -1.20711, -0.5, -0.5];
  want.forEach((w, r) => assert.ok(Math.abs(rowValue(res.advantages, batch, r) - w) < 1e-4));
  assert.deepEqual(res.records!.map((x) => [x!.tree, x!.leaf, x!.parent, x!.branchRound]), [
    [0, 0, -1, 0],
    [0, 1, 0, 1],
    [1, 0, -1, 0],
    [1, 1, 0, 0],
  ]);
});

Deno.test("tree-grpo golden: the default shape at G = 4 (2 trees x 3 leaves), varying turn counts", () => {
  // Rewards tree 0 = (1, 1, 0), tree 1 = (0, 0, 0). Group mean 1/3; squares 2 (4/9) + 4 (1/9)
  // = 4/3, var 4/15, std 0.516398: inter = 2/3 / 0.516398 = 1.290994 (rewards 1) and
  // -1/3 / 0.516398 = -0.645497 (rewards 0). Tree 0: mean 2/3, squares 1/9 + 1/9 + 4/9 = 2/3,
  // var 1/3, std 0.577350: intra = (0.577350, 0.577350, -1.154701); tree 1: 0.
  // Leaves have 1 to 4 rounds; the advantage is one per leaf on all its rounds.
  const trajs = [
    leaf(0, [0, 0, null, 0], 1, [search("a"), search("b"), answer("x")]),
    leaf(0, [0, 1, 0, 1], 1, [search("a"), answer("x")]),
    leaf(0, [0, 2, 0, 2], 0, [search("a"), search("b"), search("c"), answer("y")]),
    leaf(0, [1, 0, null, 0], 0, [answer("y")]),
    leaf(0, [1, 1, 0, 0], 0, [search("d"), answer("y")]),
    leaf(0, [1, 2, 1, 1], 0, [search("d"), search("e"), answer("y")]),
  ];
  const batch = treeBatch(trajs, 60);
  const adv = treeGrpoStep(batch, contextOf(cfg())).advantages;
  const want = [1.868344, 1.868344, -1.800198, -0.645497, -0.645497, -0.645497];
  want.forEach((w, r) => assert.ok(Math.abs(rowValue(adv, batch, r) - w) < 1e-4, `row ${r}`));
});

Deno.test("tree-grpo reduces to GRPO: no tree information, one leaf per tree, intraCoef 0", async () => {
  for (let seed = 0; seed < 10; seed++) {
    const rng = new Rng(500 + seed);
    const trajs = randomForest(rng);
    const flat = trajs.map(({ tree: _t, ...t }) => t);
    const grpoAdv = (b: MethodBatch<never>) =>
      (grpo.step(b, contextOf(grpo.defaults)) as { advantages: Float32Array }).advantages;
    // Flat rollouts / files without tree information: each row its own tree.
    const plain = batchOf(flat, { padTo: 40 });
    assert.deepEqual(treeGrpoStep(plain, contextOf(cfg())).advantages, grpoAdv(plain));
    // One leaf per tree.
    const single = flat.map((t, i): Trajectory => ({
      ...t,
      tree: { tree: i, leaf: 0, parent: null, branchRound: 0, iteration: 0 },
    }));
    assert.deepEqual(
      treeGrpoStep(treeBatch(single, 40), contextOf(cfg())).advantages,
      grpoAdv(plain),
    );
    // Real trees with no intra-tree term: GRPO over every leaf of the prompt.
    const trees = treeBatch(trajs, 40);
    assert.deepEqual(
      treeGrpoStep(trees, contextOf(cfg({ intraCoef: 0 }))).advantages,
      grpoAdv(trees),
    );
    await Promise.resolve();
  }
});

/** A few prompt groups of random trees: random rewards (some non-binary), 1 to 4 rounds. */
function randomForest(rng: Rng): Trajectory[] {
  const out: Trajectory[] = [];
  const groups = 1 + rng.int(3);
  for (let g = 0; g < groups; g++) {
    const trees = 1 + rng.int(3);
    for (let m = 0; m < trees; m++) {
      const leaves = 1 + rng.int(4);
      for (let l = 0; l < leaves; l++) {
        const k = 1 + rng.int(4);
        const rounds = [...Array.from({ length: k - 1 }, (_, j) => search(`s${j}`)), answer("x")];
        const reward = rng.int(4) === 0 ? rng.next() : rng.int(2);
        const parent = l === 0 ? null : rng.int(l);
        out.push(leaf(10 + g, [m, l, parent, parent === null ? 0 : rng.int(k)], reward, rounds));
      }
    }
  }
  return out;
}

/** mean and unbiased std of `xs` (plain loops); a single value: mean 0, std 1 (verl's rule). */
function stats(xs: number[]): { mean: number; sd: number } {
  if (xs.length === 1) return { mean: 0, sd: 1 };
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / xs.length;
  let q = 0;
  for (const x of xs) q += (x - mean) ** 2;
  return { mean, sd: Math.sqrt(q / (xs.length - 1)) };
}

Deno.test("tree-grpo: the typed-array kernel equals a plain per-token loop across seeds and options", () => {
  for (let seed = 0; seed < 40; seed++) {
    const rng = new Rng(seed);
    const trajs = randomForest(rng);
    const c = cfg({
      normalizeStd: rng.int(2) === 0,
      eps: [0, 1e-6, 0.1][rng.int(3)]!,
      singletonGroup: rng.int(2) === 0 ? "verl" : "zero",
      intraSingleton: rng.int(2) === 0 ? "verl" : "zero",
      interCoef: rng.next() * 2,
      intraCoef: rng.next() * 2,
    });
    const batch = treeBatch(trajs, 48);
    const got = treeGrpoStep(batch, contextOf(c)).advantages;
    const norm = (t: Trajectory, mates: Trajectory[], singleton: "verl" | "zero") => {
      if (mates.length === 1 && singleton === "zero") return 0;
      const { mean, sd } = stats(mates.map((u) => u.reward));
      const d = t.reward - mean;
      if (d === 0) return 0;
      return c.normalizeStd ? d / (sd + c.eps) : d;
    };
    assertPerToken(got, trajs, batch.length, (t) => {
      const group = trajs.filter((u) => u.groupId === t.groupId);
      const tree = group.filter((u) => u.tree!.tree === t.tree!.tree);
      const a = c.interCoef * norm(t, group, c.singletonGroup) +
        c.intraCoef * norm(t, tree, c.intraSingleton);
      return () => a;
    }, { tol: 1e-4 * (1 + 1 / Math.max(c.eps, 1e-2)), label: `seed ${seed}` });
  }
});

Deno.test("tree-grpo wiring: every advantage option changes the output as it should", () => {
  // A prompt of 3 leaves: tree 0 = {1, 0}, tree 1 = {1} (a singleton tree); and a singleton
  // prompt group 9 with one leaf of reward 1.
  const trajs = [
    leaf(0, [0, 0, null, 0], 1, [search("a"), answer("x")]),
    leaf(0, [0, 1, 0, 1], 0, [search("a"), answer("y")]),
    leaf(0, [1, 0, null, 0], 1, [answer("x")]),
    leaf(9, [0, 0, null, 0], 1, [answer("x")]),
  ];
  const batch = treeBatch(trajs);
  const rows = (c: TreeGrpoConfig) => {
    const adv = treeGrpoStep(batch, contextOf(c)).advantages;
    return [0, 1, 2, 3].map((r) => rowValue(adv, batch, r));
  };
  const base = rows(cfg({ normalizeStd: false, eps: 0 }));
  // inter: mean 2/3 -> (1/3, -2/3, 1/3); group 9 singleton "verl": 1. intra: (0.5, -0.5), 0, 0.
  const near = (a: number[], b: number[]) =>
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-6, `${a} vs ${b}`));
  near(base, [1 / 3 + 0.5, -2 / 3 - 0.5, 1 / 3, 1]);
  near(rows(cfg({ normalizeStd: false, eps: 0, interCoef: 2 })), [
    2 / 3 + 0.5,
    -4 / 3 - 0.5,
    2 / 3,
    2,
  ]);
  near(rows(cfg({ normalizeStd: false, eps: 0, intraCoef: 3 })), [
    1 / 3 + 1.5,
    -2 / 3 - 1.5,
    1 / 3,
    1,
  ]);
  near(rows(cfg({ normalizeStd: false, eps: 0, intraSingleton: "verl" })), [
    1 / 3 + 0.5,
    -2 / 3 - 0.5,
    1 / 3 + 1,
    2,
  ]);
  near(rows(cfg({ normalizeStd: false, eps: 0, singletonGroup: "zero" })), [
    1 / 3 + 0.5,
    -2 / 3 - 0.5,
    1 / 3,
    0,
  ]);
  // With std: group std of (1, 0, 1) = 0.57735, tree 0 std 0.70711.
  near(rows(cfg({ eps: 0 })), [
    (1 / 3) / 0.5773503 + 0.5 / 0.7071068,
    (-2 / 3) / 0.5773503 - 0.5 / 0.7071068,
    (1 / 3) / 0.5773503,
    1,
  ]);
  near(rows(cfg({ eps: 0.5 })), [
    (1 / 3) / 1.0773503 + 0.5 / 1.2071068,
    (-2 / 3) / 1.0773503 - 0.5 / 1.2071068,
    (1 / 3) / 1.0773503,
    1 / 1.5,
  ]);
});

Deno.test("tree-grpo: registered under its name; the same method object", () => {
  assert.equal(getMethod("tree-grpo"), treeGrpo);
});
