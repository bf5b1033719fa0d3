/**
 * IGPO — Information Gain-based Policy Optimization (Wang, Dai, Ye, Gan, Yao, Deng, Wu, Ying;
 * arXiv 2510.14967, ICLR 2026; code GuoqingWang1/IGPO), on the GRPO baseline. Importing this
 * module registers the method "igpo".
 *
 * Each non-final round is rewarded with its information gain: how much the policy's own
 * teacher-forced probability of the gold answer grew over the round, p_k - p_{k-1}, with
 * p_k = exp(mean log pi(answer tokens | prompt and rounds 1..k)) (scoring.ts; the gold answer in
 * the trajectory's token space, target.ts). The answer round is rewarded with the outcome (F1 by
 * default, `rewards`). All turn rewards of a prompt group are z-scored together, and each round's
 * advantage is the sum of the normalised rewards from it on (credit.ts).
 *
 * The method asks for the training-only `{ kind: "policy-scorer" }` resource: the policy being
 * trained, scoring sequences it did not sample. The trainer serves it from its own weights; the
 * credit service (interchange) has no weights and cannot, so IGPO runs only inside the trainer.
 * The step returns the advantages, its metrics (`igpo/...`, with the scorer's cost of the step)
 * and an {@link IgpoRecord} per trajectory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IGPO_DEFAULTS, igpo } from "./mod.ts";
 * assert.deepEqual(igpo.resources!(IGPO_DEFAULTS), [{ kind: "policy-scorer" }]);
 * assert.equal(igpo.regime, "long-chains");
 * ```
 * @module
 */
import { type ScoredRecord, scorerStepMetrics, withPolicyScorer } from "../policy_scoring.ts";
import type { RolloutBatch, ScorerStats } from "@creditlab/core";
import { tokenF1 } from "@creditlab/datasets";
import {
  type Method,
  type MethodContext,
  registerMethod,
  type RewardInput,
  type Rewards,
  type StepResult,
} from "@creditlab/train";
import { checkOutcome, grpoFamily, outcomeRewards } from "../grpo/mod.ts";
import { methodMetrics, ratio } from "../metrics.ts";
import { withRounds } from "../records.ts";
import { IGPO_CARD } from "./paper.ts";
import { IGPO_CONFIG, type IgpoConfig } from "./config.ts";
import {
  igpoTokenAdvantages,
  informationGains,
  normalizeTurnRewards,
  turnAdvantages,
  turnRewards,
} from "./credit.ts";
import { type GoldScores, scoreGoldAnswers } from "./scoring.ts";
import type { TargetSource } from "./target.ts";

export * from "./config.ts";
export * from "./credit.ts";
export * from "./scoring.ts";
export * from "./target.ts";
export { IGPO_PAPER } from "./paper.ts";

/** The method's registry name (the prefix of its metrics). */
const NAME = IGPO_CARD.name;

/**
 * What IGPO keeps of a trajectory with K >= 1 rounds (the run store's `method_record`): its turn
 * rewards r_1..r_K (information gains of rounds 1..K-1, then the outcome) as the per-round
 * series, the gold answer's probabilities p_0..p_{K-1}, the turn advantages A_1..A_K, where the
 * scored answer ids came from, and its scoring requests.
 */
export interface IgpoRecord extends ScoredRecord<"turn reward"> {
  /** p_t after round t = 0..K-1 (t = 0: the prompt); empty when not scored (K = 1). */
  goldProbs: number[];
  /** A_k of round k = 1..K (index k - 1), the value on the round's tokens. */
  advantages: number[];
  /** Where the answer's ids came from (target.ts); "none" when not scored. */
  target: TargetSource | "none";
}

/**
 * IGPO's reward of a sampling round: the token F1 of each trajectory's answer against its
 * question's golden answers (`outcome: "f1"`, 0 without an answer), or the harness's exact
 * match (`"em"`). Row by row, so group-local.
 */
export function igpoRewards(input: RewardInput, ctx: MethodContext<IgpoConfig>): Rewards<never> {
  if (ctx.config.outcome === "em") return { rewards: outcomeRewards(input, NAME) };
  const rewards = new Float32Array(input.trajectories.length);
  input.trajectories.forEach((t, i) => {
    const q = ctx.questions.get(t.questionId);
    if (q === undefined) {
      throw new RangeError(`igpo reward: question ${JSON.stringify(t.questionId)} is unknown`);
    }
    rewards[i] = checkOutcome(
      t.answer === undefined ? 0 : tokenF1(t.answer, q.goldenAnswers),
      `igpo reward (question ${t.questionId})`,
    );
  });
  return { rewards };
}

/**
 * IGPO step metrics: the scorer's cost of the step (`igpo/scorer_requests`,
 * `igpo/scorer_tokens`, and `igpo/calls/scorer_forward_passes`, the extra model calls reports
 * list), `igpo/info_gain_mean` and `igpo/positive_gain_share` over the scored non-final rounds,
 * `igpo/gold_prob_initial_mean` and `igpo/gold_prob_final_mean` (p_0 and p_{K-1} over scored
 * rows), `igpo/scored_trajectories` and `igpo/episode_slot_share` (share of scored rows whose
 * answer was found as an episode slot).
 */
export function igpoStepMetrics(
  scores: GoldScores,
  gains: readonly (Float64Array | null)[],
  cost: Readonly<ScorerStats>,
): Record<string, number> {
  let rows = 0, slots = 0, turns = 0, positive = 0, gainSum = 0, p0 = 0, pLast = 0;
  scores.values.forEach((v, r) => {
    if (v === null) return;
    rows += 1;
    if (scores.sources[r] === "episode-slot") slots += 1;
    p0 += Math.exp(v[0]!);
    pLast += Math.exp(v[v.length - 1]!);
    for (const g of gains[r] ?? []) {
      turns += 1;
      gainSum += g;
      if (g > 0) positive += 1;
    }
  });
  return {
    ...scorerStepMetrics(NAME, cost),
    ...methodMetrics(NAME, {
      info_gain_mean: ratio(gainSum, turns),
      positive_gain_share: ratio(positive, turns),
      gold_prob_initial_mean: ratio(p0, rows),
      gold_prob_final_mean: ratio(pLast, rows),
      scored_trajectories: rows,
      episode_slot_share: ratio(slots, rows),
    }),
  };
}

/**
 * IGPO's step: scores the gold answer after every non-final round (one call of the granted
 * policy scorer), turns the probabilities into information gains, joins them with the rows'
 * outcomes (`batch.rewards`, from {@link igpoRewards}), normalises, accumulates and places the
 * turn advantages on each round's tokens.
 */
export async function igpoStep(
  batch: RolloutBatch,
  ctx: MethodContext<IgpoConfig>,
): Promise<StepResult<IgpoRecord>> {
  const cfg = ctx.config;
  const { result: scores, cost } = await withPolicyScorer(ctx, (scorer) =>
    scoreGoldAnswers(batch, {
      questions: ctx.questions,
      scorer,
      gold: cfg.gold,
      answerPrefix: cfg.answerPrefix,
    }));
  const gains = scores.values.map((v) => (v === null ? null : informationGains(v, cfg.infoGain)));
  const turns = turnRewards(gains, batch.rewards, batch.numRounds);
  const z = normalizeTurnRewards(turns, batch.groupIds, {
    normalization: cfg.normalization,
    std: cfg.std,
    normalizeStd: cfg.normalizeStd,
    eps: cfg.eps,
    singleton: cfg.singletonGroup,
  });
  const adv = turnAdvantages(z, turns.offsets, cfg.gamma);
  const { offsets } = turns;
  return {
    advantages: igpoTokenAdvantages(adv, offsets, batch),
    metrics: igpoStepMetrics(scores, gains, cost),
    records: Array.from({ length: batch.n }, (_, r): IgpoRecord | undefined => {
      const start = offsets[r]!, end = offsets[r + 1]!;
      if (end === start) return undefined;
      const v = scores.values[r] ?? null;
      return withRounds("turn reward", turns.rewards.subarray(start, end), {
        goldProbs: v === null ? [] : Array.from(v, Math.exp),
        advantages: Array.from(adv.subarray(start, end)),
        target: scores.sources[r] ?? ("none" as const),
        calls: { scorer: scores.requests[r]! },
      });
    }),
  };
}

/** The IGPO method. */
export const igpo: Method<IgpoConfig, IgpoRecord> = registerMethod(grpoFamily(IGPO_CARD, {
  config: IGPO_CONFIG,
  resources: () => [{ kind: "policy-scorer" }],
  rewards: igpoRewards,
  // Rewards are row by row; the step is not group-local (its metrics are over the batch, and the
  // scorer's cost of the step is one number).
  groupLocal: { rewards: true },
  step: igpoStep,
}));
