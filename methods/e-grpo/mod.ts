/**
 * E-GRPO — Entity-aware GRPO (Zhao et al., arXiv 2510.24694, ICLR 2026). Importing this module
 * registers the method "e-grpo".
 *
 * Incorrect answers earn a partial reward alpha * gamma_hat_i proportional to the share of the
 * question's ground-truth entities the agent identified in its reasoning and queries; correct
 * answers earn 1; then standard GRPO.
 *
 * `rewards` scores a whole sampling round (groups are whole, so the group-max normalisation of
 * gamma_hat happens there) and returns the shaped rewards with an {@link EGrpoRecord} per
 * trajectory; `step` is GRPO on those rewards, with the method's metrics (`e-grpo/...`) read
 * from the records.
 *
 * @example
 * ```ts
 * import { eGrpo, E_GRPO_DEFAULTS } from "./mod.ts";
 * const cfg = { ...E_GRPO_DEFAULTS, alpha: 0.5, matching: "token-set" as const };
 * ```
 * @module
 */
import type { MethodRecord, RolloutBatch } from "@creditlab/core";
import {
  type Method,
  type MethodBatch,
  type MethodContext,
  registerMethod,
  type RewardInput,
  type Rewards,
  type StepResult,
} from "@creditlab/train";
import { checkOutcome, grpoFamily, grpoTokenAdvantages } from "../grpo/mod.ts";
import { methodMetrics, ratio } from "../metrics.ts";
import { E_GRPO_CARD } from "./paper.ts";
import { E_GRPO_CONFIG, type EGrpoConfig, validateEGrpoConfig } from "./config.ts";
import { agentText, entityMatchRate } from "@creditlab/datasets";
import { entityRewards, normalizeGamma } from "./reward.ts";

export * from "./config.ts";
export { agentText, entityFound, entityMatchRate } from "@creditlab/datasets";
export * from "./reward.ts";
export { E_GRPO_PAPER } from "./paper.ts";

/** The method's registry name (the prefix of its metrics). */
const NAME = E_GRPO_CARD.name;

/** What E-GRPO keeps of each trajectory (the run store's `method_record`). */
export interface EGrpoRecord extends MethodRecord {
  /** Exact-match outcome the reward started from. */
  outcome: number;
  /** gamma_i: share of the question's gold entities found in the agent's own text. */
  gamma: number;
  /** gamma_hat_i after the configured normalisation. */
  gammaHat: number;
  /** Gold entities of the question. */
  entities: number;
  /** Whether an incorrect answer of this trajectory may earn entity credit. */
  eligible: boolean;
}

/**
 * E-GRPO rewards of one sampling round: 1 (the outcome) if correct, alpha * gamma_hat_i if
 * incorrect and eligible, else 0 (reward.ts), with each trajectory's record.
 */
export function eGrpoRewards(
  input: RewardInput,
  ctx: MethodContext<EGrpoConfig>,
): Rewards<EGrpoRecord> {
  const cfg = ctx.config;
  validateEGrpoConfig(cfg);
  const n = input.trajectories.length;
  const outcome = new Float32Array(n);
  const gamma = new Float32Array(n);
  const eligible = new Uint8Array(n);
  const entities: number[] = [];
  const gammas: number[] = [];
  input.trajectories.forEach((t, i) => {
    const o = checkOutcome(input.outcomes[i]!, `e-grpo reward (question ${t.questionId})`);
    const q = ctx.questions.get(t.questionId);
    if (!q) throw new Error(`e-grpo: no question with id ${t.questionId} in the method context`);
    const ents = q.goldEntities ?? [];
    const g = entityMatchRate(ents, agentText(t, cfg.textScope), { matching: cfg.matching });
    outcome[i] = o;
    gamma[i] = g;
    gammas.push(g);
    eligible[i] = t.answer !== undefined || cfg.noAnswer === "entity-credit" ? 1 : 0;
    entities.push(ents.length);
  });
  const opts = {
    groupIds: input.groupIds,
    eligible,
    alpha: cfg.alpha,
    normalization: cfg.normalization,
  };
  const hat = normalizeGamma(gamma, input.groupIds, cfg.normalization);
  return {
    rewards: entityRewards(outcome, gamma, opts),
    records: gammas.map((g, i) => ({
      outcome: outcome[i]!,
      gamma: g,
      gammaHat: hat[i]!,
      entities: entities[i]!,
      eligible: eligible[i] === 1,
    })),
  };
}

/** The rows' reward records; throws when `rewards` did not score every trajectory. */
export function eGrpoRecords(batch: MethodBatch<EGrpoRecord>): EGrpoRecord[] {
  return batch.rewardRecords.map((rec, r) => {
    if (rec === undefined) {
      throw new Error(
        `e-grpo: trajectory ${r} (question ${batch.trajectories[r]?.questionId}) has no reward ` +
          "record; the method's rewards() must score every trajectory before step()",
      );
    }
    return rec;
  });
}

/** E-GRPO step metrics: entity match rates and the share of near-misses that earned credit. */
export function eGrpoStepMetrics(
  batch: RolloutBatch,
  records: readonly EGrpoRecord[],
): Record<string, number> {
  const gamma = Float32Array.from(records, (x) => x.gamma);
  const outcome = Float32Array.from(records, (x) => x.outcome);
  const rewards = batch.rewards;
  let gSum = 0, gWrongSum = 0, wrong = 0, credited = 0, noEntities = 0, rSum = 0;
  records.forEach((rec, r) => {
    gSum += gamma[r]!;
    rSum += rewards[r]!;
    if (rec.entities === 0) noEntities++;
    if (outcome[r]! <= 0) {
      wrong++;
      gWrongSum += gamma[r]!;
      if (rewards[r]! > 0) credited++;
    }
  });
  return methodMetrics(NAME, {
    gamma_mean: ratio(gSum, batch.n),
    gamma_mean_incorrect: ratio(gWrongSum, wrong),
    near_miss_credited_share: ratio(credited, wrong),
    no_entities_share: ratio(noEntities, batch.n),
    shaped_reward_mean: ratio(rSum, batch.n),
  });
}

/** E-GRPO's step: GRPO on the entity-aware rewards, and the method's metrics. */
export function eGrpoStep(
  batch: MethodBatch<EGrpoRecord>,
  ctx: MethodContext<EGrpoConfig>,
): StepResult<EGrpoRecord> {
  validateEGrpoConfig(ctx.config);
  const records = eGrpoRecords(batch);
  return {
    advantages: grpoTokenAdvantages(batch, ctx.config),
    metrics: eGrpoStepMetrics(batch, records),
  };
}

/** The E-GRPO method. */
export const eGrpo: Method<EGrpoConfig, EGrpoRecord> = registerMethod(grpoFamily(E_GRPO_CARD, {
  config: E_GRPO_CONFIG,
  // Rewards row by row with the group maximum of gamma. The step is not group-local: its
  // metrics are means over the batch.
  groupLocal: { rewards: true },
  rewards: eGrpoRewards,
  step: eGrpoStep,
}));
