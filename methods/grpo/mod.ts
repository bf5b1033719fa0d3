/**
 * The outcome-only GRPO baseline (DeepSeekMath; Search-R1's RL recipe), with the Dr. GRPO
 * and DAPO options. Importing this module registers the method "grpo".
 *
 * Reward: the exact-match outcome the harness computed (Search-R1: EM of the last answer,
 * no format reward). Advantage: group-relative, broadcast over the policy tokens.
 *
 * @example
 * ```ts
 * import { getMethod } from "@creditlab/agent";
 * import "./mod.ts";
 * const grpo = getMethod("grpo");
 * ```
 * @module
 */
import type { RolloutBatch } from "@creditlab/core";
import { type MethodContext, registerMethod } from "@creditlab/agent";
import type { Method } from "@creditlab/agent";
import { groupOutcomeStats } from "@creditlab/kernels";
import { GRPO_DEFAULTS, type GrpoConfig, grpoLoss, validateGrpoConfig } from "./config.ts";
import { grpoTokenAdvantages } from "./advantages.ts";

export * from "./config.ts";
export * from "./advantages.ts";
export { GRPO_PAPERS, SEARCH_R1_BENCHMARKS } from "./paper.ts";
export type { PaperClaim, PaperRecord } from "./paper.ts";

/**
 * Check that an outcome reward is a finite number (never a silent zero). `where` names the
 * method and trajectory for the error.
 */
export function checkOutcome(outcome: number, where: string): number {
  if (!Number.isFinite(outcome)) {
    throw new RangeError(
      `${where}: outcome reward is ${outcome}; expected a finite number (EM in {0, 1})`,
    );
  }
  return outcome;
}

/**
 * Step metrics every GRPO-family method records (the trainer already logs the reward mean
 * and the share of groups without a success): the number of groups in the batch and the
 * share whose rewards are all equal, i.e. that carry zero GRPO signal.
 */
export function grpoStepMetrics(batch: RolloutBatch): Record<string, number> {
  const s = groupOutcomeStats(batch.rewards, batch.groupIds);
  return {
    "groups/count": s.groups,
    "groups/uniform_share": s.groups === 0 ? 0 : s.uniformGroups / s.groups,
  };
}

/** The GRPO baseline method. */
export const grpo: Method<GrpoConfig> = registerMethod<GrpoConfig>({
  name: "grpo",
  summary: "Outcome-only GRPO: exact-match reward, group-relative advantage on every policy token.",
  defaults: { ...GRPO_DEFAULTS },
  reward(traj, { outcome }) {
    return checkOutcome(outcome, `grpo reward (question ${traj.questionId})`);
  },
  advantages(batch: RolloutBatch, ctx: MethodContext<GrpoConfig>) {
    validateGrpoConfig(ctx.config);
    return grpoTokenAdvantages(batch, ctx.config);
  },
  loss(config) {
    validateGrpoConfig(config);
    return grpoLoss(config);
  },
  dynamicSampling(config) {
    return config.dynamicSampling;
  },
  stepMetrics(batch) {
    return grpoStepMetrics(batch);
  },
});
