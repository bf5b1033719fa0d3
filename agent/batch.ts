/**
 * Flatten trajectories into a padded {@link RolloutBatch} of typed arrays.
 *
 * Row r of the batch is `trajectories[r]`; its tokens are the concatenation of its turns'
 * tokens. Only `policy` turns get loss mask 1. Group ids come from the trajectories
 * (explicit), never from the row order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const turn = (role: "observation" | "policy", ids: number[], round: number) => ({
 *   role,
 *   tokens: Int32Array.from(ids),
 *   text: ids.join(" "),
 *   round,
 * });
 * const prompt = turn("observation", [1, 5], 0);
 * const batch = buildBatch([
 *   { questionId: "q", groupId: 0, reward: 1, meta: {}, turns: [prompt, turn("policy", [7, 8], 1)] },
 *   { questionId: "q", groupId: 0, reward: 0, meta: {}, turns: [prompt, turn("policy", [9], 1)] },
 * ]);
 * assert.equal(batch.length, 4); // padded to the longest row
 * assert.deepEqual([...batch.lossMask], [0, 0, 1, 1, 0, 0, 1, 0]); // 1 on policy tokens
 * ```
 * @module
 */
import { type BatchTrees, ROLE_CODE, type RolloutBatch, type Trajectory } from "@creditlab/core";

/** Options of {@link buildBatch}. */
export interface BuildBatchOptions {
  /** Pad to at least this length (default: the longest row). */
  minLength?: number;
}

/** Build a padded batch from trajectories (rewards taken from `traj.reward`). */
export function buildBatch(trajectories: Trajectory[], opts: BuildBatchOptions = {}): RolloutBatch {
  if (trajectories.length === 0) throw new Error("buildBatch: trajectories is empty");
  const n = trajectories.length;
  const lengths = new Int32Array(n);
  const numRounds = new Int32Array(n);
  const groupIds = new Int32Array(n);
  const rewards = new Float32Array(n);
  trajectories.forEach((t, r) => {
    let len = 0;
    let rounds = 0;
    for (const turn of t.turns) {
      len += turn.tokens.length;
      if (turn.role === "policy") rounds = Math.max(rounds, turn.round);
    }
    if (!Number.isFinite(t.reward)) {
      throw new Error(
        `buildBatch: trajectory ${r} (question ${t.questionId}) has reward ${t.reward}`,
      );
    }
    lengths[r] = len;
    numRounds[r] = rounds;
    groupIds[r] = t.groupId;
    rewards[r] = t.reward;
  });
  const length = Math.max(opts.minLength ?? 0, ...lengths);
  const tokens = new Int32Array(n * length);
  const lossMask = new Float32Array(n * length);
  const roundIds = new Int32Array(n * length);
  const roles = new Uint8Array(n * length);
  trajectories.forEach((t, r) => {
    let pos = r * length;
    for (const turn of t.turns) {
      const code = turn.round === 0 && turn.role === "observation"
        ? ROLE_CODE.pad
        : ROLE_CODE[turn.role];
      tokens.set(turn.tokens, pos);
      const end = pos + turn.tokens.length;
      roundIds.fill(turn.round, pos, end);
      roles.fill(code, pos, end);
      if (turn.role === "policy") lossMask.fill(1, pos, end);
      pos = end;
    }
  });
  const trees = batchTrees(trajectories);
  return {
    trajectories,
    n,
    length,
    tokens,
    lossMask,
    roundIds,
    roles,
    groupIds,
    rewards,
    numRounds,
    lengths,
    ...(trees ? { trees } : {}),
  };
}

/**
 * The per-row tree ids of tree rollouts ({@link BatchTrees}): undefined when no trajectory has
 * a `tree` (flat rollouts); throws when only some have one. Tree ids are dense over the
 * (group id, tree index) pairs, in order of first appearance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const leaf = (groupId: number, tree: number, leaf: number, parent: number | null, branchRound: number) => ({
 *   questionId: "q", groupId, reward: 0, meta: {}, turns: [],
 *   tree: { tree, leaf, parent, branchRound, iteration: parent === null ? 0 : 1 },
 * });
 * const t = batchTrees([leaf(7, 0, 0, null, 0), leaf(7, 1, 0, null, 0), leaf(7, 0, 1, 0, 2)])!;
 * assert.deepEqual([...t.treeIds], [0, 1, 0]);
 * assert.deepEqual([...t.parentLeafIds], [-1, -1, 0]);
 * assert.equal(batchTrees([{ questionId: "q", groupId: 0, reward: 0, meta: {}, turns: [] }]), undefined);
 * ```
 */
export function batchTrees(trajectories: readonly Trajectory[]): BatchTrees | undefined {
  const withTree = trajectories.filter((t) => t.tree !== undefined).length;
  if (withTree === 0) return undefined;
  if (withTree !== trajectories.length) {
    throw new Error(
      `buildBatch: ${withTree} of ${trajectories.length} trajectories have tree information; ` +
        "a batch is either all tree rollouts or none",
    );
  }
  const n = trajectories.length;
  const out: BatchTrees = {
    treeIds: new Int32Array(n),
    leafIds: new Int32Array(n),
    parentLeafIds: new Int32Array(n),
    branchRounds: new Int32Array(n),
  };
  const ids = new Map<string, number>();
  trajectories.forEach((t, r) => {
    const tree = t.tree!;
    const key = `${t.groupId}:${tree.tree}`;
    let id = ids.get(key);
    if (id === undefined) ids.set(key, id = ids.size);
    out.treeIds[r] = id;
    out.leafIds[r] = tree.leaf;
    out.parentLeafIds[r] = tree.parent ?? -1;
    out.branchRounds[r] = tree.branchRound;
  });
  return out;
}
