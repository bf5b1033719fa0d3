/**
 * How a step's rollouts become optimizer updates: one update on the whole batch, or several
 * (PPO/GRPO mini-batches of whole groups, over epochs).
 *
 * @module
 */
import type { Rng } from "@creditlab/kernels";

/**
 * Several optimizer updates per rollout step, as PPO and GRPO run them: verl's
 * `ppo_mini_batch_size` (here counted in groups) and `ppo_epochs`, DeepSeekMath's μ (GRPO
 * iterations per batch, Algorithm 1). The step's groups are shuffled each epoch and cut into
 * mini-batches of `groupsPerUpdate` whole groups; each mini-batch is one optimizer update. The
 * advantages are the method's, computed once on the whole batch; the behaviour policy's
 * log-probs (the ratio's denominator) are recomputed once before the first update, at the
 * rollout temperature, so every update after the first is off-policy and the clip applies.
 */
export interface PolicyUpdates {
  /** Groups per optimizer update (verl: ppo_mini_batch_size, in prompts). */
  groupsPerUpdate: number;
  /** Passes over the step's batch (verl: ppo_epochs; DeepSeekMath: μ). */
  epochs: number;
}

/**
 * The optimizer updates of one step: lists of batch rows, each list whole groups. One list with
 * every row when `updates` is absent or asks for a single update (no random draw then).
 *
 * @example
 * ```ts
 * import { Rng } from "@creditlab/kernels";
 * // 4 groups of 2 rows, 2 groups per update, 1 epoch: two updates of 4 rows each
 * const plan = updatePlan(new Int32Array([0, 0, 1, 1, 2, 2, 3, 3]), {
 *   updates: { groupsPerUpdate: 2, epochs: 1 },
 *   rng: new Rng(1),
 * });
 * plan.length; // 2
 * ```
 */
export function updatePlan(
  groupIds: Int32Array,
  opts: { updates: PolicyUpdates | undefined; rng: Rng },
): number[][] {
  const rowsOf = new Map<number, number[]>();
  groupIds.forEach((g, r) => rowsOf.set(g, [...(rowsOf.get(g) ?? []), r]));
  const groups = [...rowsOf.keys()];
  const u = opts.updates;
  if (u !== undefined) validateUpdates(u);
  if (u === undefined || (u.epochs === 1 && u.groupsPerUpdate >= groups.length)) {
    return [Array.from(groupIds, (_, r) => r)];
  }
  const plan: number[][] = [];
  for (let e = 0; e < u.epochs; e++) {
    const order = opts.rng.shuffle([...groups]);
    for (let i = 0; i < order.length; i += u.groupsPerUpdate) {
      plan.push(order.slice(i, i + u.groupsPerUpdate).flatMap((g) => rowsOf.get(g)!));
    }
  }
  return plan;
}

function validateUpdates(u: PolicyUpdates): void {
  if (!Number.isInteger(u.groupsPerUpdate) || u.groupsPerUpdate < 1) {
    throw new Error(
      `RlConfig.updates.groupsPerUpdate: expected an integer >= 1, got ${u.groupsPerUpdate}`,
    );
  }
  if (!Number.isInteger(u.epochs) || u.epochs < 1) {
    throw new Error(`RlConfig.updates.epochs: expected an integer >= 1, got ${u.epochs}`);
  }
}
