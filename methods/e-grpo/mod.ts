/**
 * E-GRPO — Entity-aware GRPO (Zhao et al., arXiv 2510.24694, ICLR 2026). Importing this module
 * registers the method "e-grpo".
 *
 * Incorrect answers earn a partial reward alpha * gamma_hat_i proportional to the share of the
 * question's ground-truth entities the agent identified in its reasoning and queries; correct
 * answers earn 1; then standard GRPO.
 *
 * `reward()` records gamma_i, the outcome and eligibility in `traj.meta` ("egrpo/gamma",
 * "egrpo/outcome", "egrpo/eligible") and returns alpha * gamma_i for incorrect answers (the
 * per-trajectory reward, exact for normalisation "none"). With "group-max", `advantages()`
 * rebuilds the rewards with the group-normalised gamma_hat before the GRPO step.
 *
 * @example
 * ```ts
 * import { eGrpo, E_GRPO_DEFAULTS } from "./mod.ts";
 * const cfg = { ...E_GRPO_DEFAULTS, alpha: 0.5, matching: "token-set" as const };
 * ```
 * @module
 */
import type { RolloutBatch } from "@creditlab/core";
import { type Method, registerMethod } from "@creditlab/agent";
import { broadcastToTokens, groupAdvantages } from "@creditlab/kernels";
import { checkOutcome, grpoLoss, grpoStepMetrics } from "../grpo/mod.ts";
import { E_GRPO_DEFAULTS, type EGrpoConfig, validateEGrpoConfig } from "./config.ts";
import { agentText, entityMatchRate } from "./entities.ts";
import { entityRewards } from "./reward.ts";

export * from "./config.ts";
export * from "./entities.ts";
export * from "./reward.ts";
export { E_GRPO_PAPER } from "./paper.ts";

/** Per-row inputs of the E-GRPO reward, read back from `traj.meta`. */
export interface EntityRewardInputs {
  outcome: Float32Array;
  gamma: Float32Array;
  eligible: Uint8Array;
}

/** Read what `reward()` recorded; throws when it did not run. */
export function entityRewardInputs(batch: RolloutBatch): EntityRewardInputs {
  const out: EntityRewardInputs = {
    outcome: new Float32Array(batch.n),
    gamma: new Float32Array(batch.n),
    eligible: new Uint8Array(batch.n),
  };
  batch.trajectories.forEach((t, r) => {
    const g = t.meta["egrpo/gamma"];
    const o = t.meta["egrpo/outcome"];
    if (typeof g !== "number" || typeof o !== "number") {
      throw new Error(
        `e-grpo: trajectory ${r} (question ${t.questionId}) has no "egrpo/gamma"/"egrpo/outcome" in meta; ` +
          "the method's reward() must score every trajectory before advantages()",
      );
    }
    out.gamma[r] = g;
    out.outcome[r] = o;
    out.eligible[r] = t.meta["egrpo/eligible"] === true ? 1 : 0;
  });
  return out;
}

/** The rewards the E-GRPO advantage uses (with the configured gamma_hat normalisation). */
export function eGrpoRewards(batch: RolloutBatch, cfg: EGrpoConfig): Float32Array {
  const inputs = entityRewardInputs(batch);
  return entityRewards(inputs.outcome, inputs.gamma, {
    groupIds: batch.groupIds,
    eligible: inputs.eligible,
    alpha: cfg.alpha,
    normalization: cfg.normalization,
  });
}

/** E-GRPO per-token advantages: GRPO over the entity-aware rewards. */
export function eGrpoAdvantages(batch: RolloutBatch, cfg: EGrpoConfig): Float32Array {
  validateEGrpoConfig(cfg);
  const rewards = eGrpoRewards(batch, cfg);
  const adv = groupAdvantages(rewards, batch.groupIds, {
    normalizeStd: cfg.normalizeStd,
    eps: cfg.eps,
    singleton: cfg.singletonGroup,
  });
  return broadcastToTokens(adv, batch);
}

/** E-GRPO step metrics: entity match rates and the share of near-misses that earned credit. */
export function eGrpoStepMetrics(batch: RolloutBatch, cfg: EGrpoConfig): Record<string, number> {
  const out: Record<string, number> = { ...grpoStepMetrics(batch) };
  let inputs: EntityRewardInputs;
  try {
    inputs = entityRewardInputs(batch);
  } catch {
    return out;
  }
  const rewards = eGrpoRewards(batch, cfg);
  let gSum = 0, gWrongSum = 0, wrong = 0, credited = 0, noEntities = 0, rSum = 0;
  batch.trajectories.forEach((t, r) => {
    gSum += inputs.gamma[r]!;
    rSum += rewards[r]!;
    if ((t.meta["egrpo/entities"] ?? 0) === 0) noEntities++;
    if (inputs.outcome[r]! <= 0) {
      wrong++;
      gWrongSum += inputs.gamma[r]!;
      if (rewards[r]! > 0) credited++;
    }
  });
  const n = batch.n || 1;
  out["egrpo/gamma_mean"] = gSum / n;
  out["egrpo/gamma_mean_incorrect"] = wrong === 0 ? 0 : gWrongSum / wrong;
  out["egrpo/near_miss_credited_share"] = wrong === 0 ? 0 : credited / wrong;
  out["egrpo/no_entities_share"] = noEntities / n;
  out["egrpo/shaped_reward_mean"] = rSum / n;
  return out;
}

/** The E-GRPO method. */
export const eGrpo: Method<EGrpoConfig> = registerMethod<EGrpoConfig>({
  name: "e-grpo",
  summary:
    "Entity-aware GRPO: incorrect answers earn alpha * (normalised share of gold entities found in the " +
    "agent's reasoning and queries); then GRPO.",
  defaults: { ...E_GRPO_DEFAULTS },
  regime: "near-misses",
  reward(traj, { question, outcome, ctx }) {
    const cfg = ctx.config;
    validateEGrpoConfig(cfg);
    checkOutcome(outcome, `e-grpo reward (question ${traj.questionId})`);
    const entities = question.goldEntities ?? [];
    const gamma = entityMatchRate(entities, agentText(traj, cfg.textScope), {
      matching: cfg.matching,
    });
    const eligible = traj.answer !== undefined || cfg.noAnswer === "entity-credit";
    traj.meta["egrpo/gamma"] = gamma;
    traj.meta["egrpo/outcome"] = outcome;
    traj.meta["egrpo/eligible"] = eligible;
    traj.meta["egrpo/entities"] = entities.length;
    if (outcome > 0) return outcome;
    return eligible ? cfg.alpha * gamma : 0;
  },
  advantages(batch, ctx) {
    return eGrpoAdvantages(batch, ctx.config);
  },
  loss(config) {
    validateEGrpoConfig(config);
    return grpoLoss(config);
  },
  dynamicSampling(config) {
    return config.dynamicSampling;
  },
  stepMetrics(batch, ctx) {
    return eGrpoStepMetrics(batch, ctx.config);
  },
});
