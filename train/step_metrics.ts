/**
 * Harness metrics of a training step that need more than a mean: the trained batch's groups,
 * the share of sampled groups without a success, and the near-miss share (core's
 * `NEAR_MISS_METRIC`: whether a failed rollout's own text named a gold entity).
 *
 * @module
 */
import { groupOutcomeStats } from "@creditlab/kernels";
import { normalizeAnswer } from "@creditlab/datasets";
import { METRIC, type Question, type RolloutBatch, type Trajectory } from "@creditlab/core";

/**
 * Harness metrics of the trained batch: its number of groups and the share whose rewards are
 * all equal (they carry zero group-relative signal).
 */
export function batchGroupMetrics(batch: RolloutBatch): Record<string, number> {
  const s = groupOutcomeStats(batch.rewards, batch.groupIds);
  return {
    [METRIC.groupCount]: s.groups,
    [METRIC.uniformGroupShare]: s.groups === 0 ? 0 : s.uniformGroups / s.groups,
  };
}

/** Share of groups in which no trajectory has outcome 1 (no outcome-only signal: sparse success). */
export function noSuccessShare(trajs: Trajectory[]): number {
  const groups = new Map<number, boolean>();
  for (const t of trajs) {
    groups.set(t.groupId, (groups.get(t.groupId) ?? false) || t.meta.outcome === 1);
  }
  let none = 0;
  for (const ok of groups.values()) if (!ok) none++;
  return groups.size === 0 ? 0 : none / groups.size;
}

/**
 * Whether a trajectory's own text (its policy turns, before the last `<answer>` tag) names at
 * least one of the question's gold entities, both normalised with Search-R1's
 * `normalize_answer` and matched as whole words.
 */
export function namesGoldEntity(traj: Trajectory, question: Question): boolean {
  const entities = (question.goldEntities ?? []).map(normalizeAnswer).filter((e) => e !== "");
  if (entities.length === 0) return false;
  const policy = traj.turns.filter((t) => t.role === "policy").map((t) => t.text);
  const last = policy.length - 1;
  if (last >= 0) {
    const cut = policy[last]!.lastIndexOf("<answer>");
    if (cut >= 0) policy[last] = policy[last]!.slice(0, cut);
  }
  const text = ` ${normalizeAnswer(policy.join(" "))} `;
  return entities.some((e) => text.includes(` ${e} `));
}

/**
 * {@link NEAR_MISS_METRIC}: among the failed rollouts (outcome 0), the share that
 * {@link namesGoldEntity}; 0 when none failed.
 */
export function nearMissShare(
  trajs: readonly Trajectory[],
  questions: ReadonlyMap<string, Question>,
): number {
  let failed = 0;
  let near = 0;
  for (const t of trajs) {
    if (t.meta.outcome === 1) continue;
    failed++;
    const q = questions.get(t.questionId);
    if (q && namesGoldEntity(t, q)) near++;
  }
  return failed === 0 ? 0 : near / failed;
}
