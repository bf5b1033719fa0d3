/**
 * StepSearch — step-wise rewards for search agents (Wang, Zheng, An et al., arXiv 2505.15107,
 * EMNLP 2025; code Zillwang/StepSearch), on the GRPO baseline. Importing this module registers
 * the method "stepsearch".
 *
 * Each search round that brought an `<information>` block gets a step reward: the information
 * gain g_t of what it retrieved (the mean rise of the best TF-IDF cosine between the passages
 * retrieved so far and each gold supporting document) minus a redundancy penalty p_t (the
 * share of its passages retrieved before), reward.ts. Gold documents come from the question's
 * metadata (open-domain benchmarks) or, in SearchWorld, from its gold chain through the
 * training search tool (gold.ts). The paper trains with PPO/GAE; this is a GRPO-family
 * method: the scaled (0.6), group-normalised step rewards are summed from each round on and
 * added to the GRPO outcome advantage on that round's tokens (credit.ts; other readings are
 * options of {@link StepSearchConfig}). A question without gold documents gets plain GRPO.
 *
 * The step returns the advantages, its metrics (`stepsearch/...`) and a {@link StepSearchRecord}
 * (per-round information gain) per trajectory with gold documents.
 *
 * @example
 * ```ts
 * import { getMethod } from "@creditlab/train";
 * import { STEPSEARCH_DEFAULTS, stepsearch } from "./mod.ts";
 * getMethod("stepsearch") === stepsearch; // true
 * const perRound = { ...STEPSEARCH_DEFAULTS, credit: "round" } as const;
 * stepsearch.loss(perRound); // the GRPO family's clipped loss
 * ```
 * @module
 */
import { methodCallMetric, type RolloutBatch } from "@creditlab/core";
import { type Method, type MethodContext, registerMethod, type StepResult } from "@creditlab/train";
import { grpoFamily, grpoRowAdvantages, grpoTokenAdvantages } from "../grpo/mod.ts";
import { methodMetrics, ratio } from "../metrics.ts";
import { type RoundsRecord, withRounds } from "../records.ts";
import { STEPSEARCH_CARD } from "./paper.ts";
import { STEPSEARCH_CONFIG, type StepSearchConfig } from "./config.ts";
import {
  normalizeSteps,
  roundCredit,
  type RowSteps,
  stepTokenAdvantages,
  trajectoryRewards,
} from "./credit.ts";
import { type GoldDocs, goldDocsOf } from "./gold.ts";
import { searchRounds } from "./passages.ts";
import { stepRewards, stepScores } from "./reward.ts";

export * from "./config.ts";
export * from "./credit.ts";
export * from "./gold.ts";
export * from "./passages.ts";
export * from "./reward.ts";
export * from "./tfidf.ts";
export { STEPSEARCH_PAPER } from "./paper.ts";

/** The method's registry name (the prefix of its metrics). */
const NAME = STEPSEARCH_CARD.name;

/**
 * What StepSearch keeps of a trajectory whose question has gold documents: the information gain
 * g_t of each policy round as its per-round series (0 for rounds not scored), and:
 */
export interface StepSearchRecord extends RoundsRecord<"information gain"> {
  /** Redundancy penalty p_t per policy round (0 for rounds not scored). */
  redundancy: number[];
  /** The scored search rounds (1-based). */
  searchRounds: number[];
  /** Number of gold documents of the question. */
  goldDocs: number;
}

/** What one step did (its metrics). */
export interface StepSearchStats {
  rows: number;
  rowsWithoutGold: number;
  /** Distinct questions with gold documents, their documents, hops not found, searches made. */
  goldQuestions: number;
  goldDocs: number;
  goldMissing: number;
  goldSearches: number;
  scoredRounds: number;
  positiveGainRounds: number;
  gainSum: number;
  stepRewardSum: number;
  repeatedPassages: number;
  retrievedPassages: number;
}

async function goldByQuestion(
  batch: RolloutBatch,
  ctx: MethodContext<StepSearchConfig>,
): Promise<Map<string, GoldDocs>> {
  const ids = [...new Set(batch.trajectories.map((t) => t.questionId))];
  const entries = await Promise.all(ids.map(async (id) => {
    const q = ctx.questions.get(id);
    if (q === undefined) {
      throw new Error(`${NAME}: question "${id}" of the batch is not in the step's questions`);
    }
    return [id, await goldDocsOf(q, ctx.resources.search, ctx.config.goldDocs)] as const;
  }));
  return new Map(entries);
}

/**
 * StepSearch's step: gold documents per question, step rewards per scored search round, then
 * the advantages of the configured credit (see the module doc).
 */
export async function stepsearchStep(
  batch: RolloutBatch,
  ctx: MethodContext<StepSearchConfig>,
): Promise<StepResult<StepSearchRecord>> {
  const cfg = ctx.config;
  const gold = await goldByQuestion(batch, ctx);
  const stats: StepSearchStats = {
    rows: batch.n,
    rowsWithoutGold: 0,
    goldQuestions: 0,
    goldDocs: 0,
    goldMissing: 0,
    goldSearches: 0,
    scoredRounds: 0,
    positiveGainRounds: 0,
    gainSum: 0,
    stepRewardSum: 0,
    repeatedPassages: 0,
    retrievedPassages: 0,
  };
  for (const g of gold.values()) {
    stats.goldSearches += g.searches;
    stats.goldMissing += g.missing;
    if (g.docs.length > 0) {
      stats.goldQuestions += 1;
      stats.goldDocs += g.docs.length;
    }
  }
  const records: (StepSearchRecord | undefined)[] = [];
  const steps: (RowSteps | null)[] = batch.trajectories.map((t, r) => {
    const docs = gold.get(t.questionId)!.docs;
    if (docs.length === 0) {
      stats.rowsWithoutGold += 1;
      records.push(undefined);
      return null;
    }
    const sr = searchRounds(t);
    const scores = stepScores(sr.map((x) => x.passages.map((p) => p.text)), docs);
    const rewards = stepRewards(scores, cfg.redundancyWeight);
    const K = batch.numRounds[r]!;
    const gains = new Array<number>(K).fill(0);
    const redundancy = new Array<number>(K).fill(0);
    sr.forEach((x, i) => {
      gains[x.round - 1] = scores.gains[i]!;
      redundancy[x.round - 1] = scores.penalties[i]!;
      stats.scoredRounds += 1;
      stats.gainSum += scores.gains[i]!;
      stats.stepRewardSum += rewards[i]!;
      if (scores.gains[i]! > 0) stats.positiveGainRounds += 1;
      stats.repeatedPassages += scores.repeated[i]!;
      stats.retrievedPassages += scores.retrieved[i]!;
    });
    records.push(withRounds("information gain", gains, {
      redundancy,
      searchRounds: sr.map((x) => x.round),
      goldDocs: docs.length,
    }));
    return { rounds: Int32Array.from(sr, (x) => x.round), rewards };
  });
  let advantages: Float32Array;
  const kind = cfg.credit;
  if (kind === "trajectory") {
    const rewards = trajectoryRewards(batch.rewards, steps, cfg.stepScale);
    advantages = grpoTokenAdvantages({ ...batch, rewards }, cfg);
  } else {
    const z = normalizeSteps(steps, batch.groupIds, {
      normalization: cfg.stepNormalization,
      normalizeStd: cfg.normalizeStd,
      eps: cfg.eps,
    });
    const credit = steps.map((s, r) =>
      s && roundCredit(s.rounds, z[r]!, batch.numRounds[r]!, kind)
    );
    advantages = stepTokenAdvantages(grpoRowAdvantages(batch, cfg), credit, batch, cfg.stepScale);
  }
  return { advantages, metrics: stepsearchMetrics(stats), records };
}

/**
 * StepSearch step metrics: mean step reward s_t and mean information gain g_t over scored
 * search rounds, the share of them with positive gain, the redundancy rate (share of retrieved
 * passages already retrieved earlier in the trajectory), scored rounds, the share of rows
 * without gold documents, gold documents per question, hops whose document was not found, and
 * the search calls made for gold documents (`stepsearch/calls/gold_search`).
 */
export function stepsearchMetrics(s: StepSearchStats): Record<string, number> {
  return {
    ...methodMetrics(NAME, {
      step_reward_mean: ratio(s.stepRewardSum, s.scoredRounds),
      gain_mean: ratio(s.gainSum, s.scoredRounds),
      positive_gain_share: ratio(s.positiveGainRounds, s.scoredRounds),
      redundancy_rate: ratio(s.repeatedPassages, s.retrievedPassages),
      scored_rounds: s.scoredRounds,
      no_gold_share: ratio(s.rowsWithoutGold, s.rows),
      gold_docs_mean: ratio(s.goldDocs, s.goldQuestions),
      gold_missing: s.goldMissing,
    }),
    [methodCallMetric(NAME, "gold_search")]: s.goldSearches,
  };
}

/** The StepSearch method. */
export const stepsearch: Method<StepSearchConfig, StepSearchRecord> = registerMethod(
  grpoFamily(STEPSEARCH_CARD, {
    config: STEPSEARCH_CONFIG,
    // Not group-local: the step's metrics are over the batch.
    step: stepsearchStep,
  }),
);
