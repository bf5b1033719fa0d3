/**
 * MatchTIR — turn-level credit from bipartite matching of tool calls (Qu et al., arXiv
 * 2601.10712, ACL 2026; code quchangle1/MatchTIR), on the GRPO baseline. Importing this module
 * registers the method "matchtir".
 *
 * The policy's search calls (rounds whose action is `search`, in round order) are matched to the
 * question's gold chain (`goldChain[j].query`, one search per hop) on a query-similarity matrix,
 * one-to-one (Hungarian, the default) or softly (Sinkhorn optimal transport, reg 0.1). Each
 * search round's turn reward is its call's matched similarity; the answer round's is the outcome.
 * Turn rewards become discounted returns (gamma 0.9) z-scored per (prompt group, turn index),
 * and the final advantage of a round's tokens is (A^g + A^l) / 2 with A^g the GRPO advantage of
 * the trajectory's summed turn rewards (credit.ts). A group whose question has no gold chain gets
 * GRPO's advantage unchanged. No resources and no extra calls: the gold chain is in the question.
 *
 * @example
 * ```ts
 * import { MATCHTIR_DEFAULTS, matchtir, SINKHORN_DEFAULTS } from "./mod.ts";
 * const soft = { ...MATCHTIR_DEFAULTS, matching: SINKHORN_DEFAULTS };
 * matchtir.loss(soft); // the GRPO family's policy loss
 * ```
 * @module
 */
import type { RolloutBatch } from "@creditlab/core";
import { type Method, type MethodContext, registerMethod, type StepResult } from "@creditlab/train";
import { grpoFamily, grpoRowAdvantages } from "../grpo/mod.ts";
import { methodMetrics, ratio } from "../metrics.ts";
import { type RoundsRecord, rowRecords, withRounds } from "../records.ts";
import { MATCHTIR_CARD } from "./paper.ts";
import { MATCHTIR_CONFIG, type MatchtirConfig, validateMatchtirConfig } from "./config.ts";
import {
  callRewards,
  discountedReturns,
  matchtirTokenAdvantages,
  turnAdvantages,
  turnRewards,
} from "./credit.ts";
import { hungarian } from "./matching.ts";
import { similarityMatrix } from "./similarity.ts";
import { rowCalls } from "./rows.ts";

export * from "./config.ts";
export * from "./credit.ts";
export * from "./matching.ts";
export * from "./similarity.ts";
export * from "./rows.ts";
export { MATCHTIR_PAPER } from "./paper.ts";

/** The method's registry name (the prefix of its metrics). */
const NAME = MATCHTIR_CARD.name;

/**
 * What MatchTIR keeps of a trajectory whose question has a gold chain (the run store's
 * `method_record`; rows without one get no record): its turn rewards r_1..r_K as the per-round
 * series the reports read, and:
 */
export interface MatchtirRecord extends RoundsRecord<"turn reward"> {
  /** Discounted returns R_1..R_K before normalisation. */
  returns: number[];
  /** Turn-level advantages A^l_1..A^l_K. */
  turnAdvantages: number[];
  /** The trajectory-level reward A^g normalises (sum of turn rewards, or the outcome). */
  trajectoryReward: number;
  /**
   * Per round: the gold hop (0-based) its search is matched to in the optimal one-to-one
   * matching with similarity > 0, else null (also for non-search rounds), whatever `matching`.
   */
  matchedHop: (number | null)[];
}

/** What one step's matching did (its metrics). */
export interface MatchtirStepStats {
  rows: number;
  rounds: number;
  searches: number;
  chainRows: number;
  chainRounds: number;
  turnRewardSum: number;
  matchedPairs: number;
  matchedSimilaritySum: number;
  goldCalls: number;
  goldFound: number;
  sinkhornRuns: number;
  sinkhornIterations: number;
  sinkhornUnconverged: number;
}

/**
 * MatchTIR's step: matches each gold-chain row's search calls to its question's hops, builds
 * turn rewards, returns and advantages, and mixes them with the trajectory-level advantage.
 * Throws when a row's question is not among `ctx.questions`.
 */
export function matchtirStep(
  batch: RolloutBatch,
  ctx: MethodContext<MatchtirConfig>,
): StepResult<MatchtirRecord> {
  const cfg = ctx.config;
  validateMatchtirConfig(cfg);
  const simOpts = { similarity: cfg.similarity, schemaTerms: cfg.schemaTerms };
  const s: MatchtirStepStats = {
    rows: batch.n,
    rounds: 0,
    searches: 0,
    chainRows: 0,
    chainRounds: 0,
    turnRewardSum: 0,
    matchedPairs: 0,
    matchedSimilaritySum: 0,
    goldCalls: 0,
    goldFound: 0,
    sinkhornRuns: 0,
    sinkhornIterations: 0,
    sinkhornUnconverged: 0,
  };
  const rewards: (Float64Array | null)[] = [];
  const hops: ((number | null)[] | null)[] = [];
  batch.trajectories.forEach((traj, r) => {
    const q = ctx.questions.get(traj.questionId);
    if (q === undefined) {
      throw new RangeError(`matchtir: no question with id ${traj.questionId} (row ${r})`);
    }
    const K = batch.numRounds[r]!;
    const calls = rowCalls(traj, K);
    s.rounds += K;
    s.searches += calls.rounds.length;
    const gold = (q.goldChain ?? []).map((h) => h.query);
    if (gold.length === 0) {
      rewards.push(null);
      hops.push(null);
      return;
    }
    const S = similarityMatrix(calls.queries, gold, simOpts);
    const c = callRewards(S, cfg.matching, cfg.unmatchedReward);
    if (cfg.matching.kind === "sinkhorn" && calls.queries.length > 0) {
      s.sinkhornRuns++;
      s.sinkhornIterations += c.iterations;
      if (!c.converged) s.sinkhornUnconverged++;
    }
    const answer = cfg.answerTurnReward === "outcome" && calls.answerRound !== null
      ? { round: calls.answerRound, reward: batch.rewards[r]! }
      : null;
    const rk = turnRewards(K, calls.rounds, c.rewards, answer);
    rewards.push(rk);
    // Diagnostics: the optimal one-to-one matching, whatever the reward's matching.
    const opt = hungarian(S);
    const perRound: (number | null)[] = new Array(K).fill(null);
    const best = new Float64Array(gold.length).fill(-1);
    opt.forEach((b, a) => {
      const sim = b >= 0 ? S.values[a * gold.length + b]! : 0;
      if (sim <= 0) return;
      perRound[calls.rounds[a]! - 1] = b;
      best[b] = sim;
      s.matchedPairs++;
      s.matchedSimilaritySum += sim;
    });
    hops.push(perRound);
    s.chainRows++;
    s.chainRounds += K;
    for (const v of rk) s.turnRewardSum += v;
    s.goldCalls += gold.length;
    for (const v of best) if (v >= cfg.matchThreshold && v > 0) s.goldFound++;
  });
  const returns = rewards.map((rk) => (rk === null ? null : discountedReturns(rk, cfg.gamma)));
  const trajRewards = Float32Array.from(batch.rewards);
  if (cfg.trajectoryReward === "turn-sum") {
    rewards.forEach((rk, r) => {
      if (rk !== null) trajRewards[r] = rk.reduce((x, y) => x + y, 0);
    });
  }
  const trajAdv = grpoRowAdvantages({ rewards: trajRewards, groupIds: batch.groupIds }, cfg);
  const turnAdv = turnAdvantages(returns, batch.groupIds, {
    normalization: cfg.turnNormalization,
    normalizeStd: cfg.normalizeStd,
    eps: cfg.eps,
    singleton: cfg.singletonGroup,
  });
  return {
    advantages: matchtirTokenAdvantages(trajAdv, turnAdv, batch, cfg.turnWeight),
    metrics: matchtirStepMetrics(s),
    records: rowRecords(rewards, (rk, r) =>
      withRounds("turn reward", rk, {
        returns: Array.from(returns[r]!),
        turnAdvantages: Array.from(turnAdv[r]!),
        trajectoryReward: trajRewards[r]!,
        matchedHop: hops[r]!,
      })),
  };
}

/**
 * MatchTIR step metrics (`matchtir/...`): `matched_similarity_mean` (over the pairs of the
 * optimal one-to-one matchings with similarity > 0), `gold_matched_share` (gold hops matched at
 * >= `matchThreshold`), `turns_per_trajectory` and `searches_per_trajectory` (all rows),
 * `turn_reward_mean` (rounds of gold-chain rows), `chain_share` (rows whose question has a gold
 * chain), `sinkhorn_iterations_mean` and `sinkhorn_unconverged` (0 with a hard matching).
 */
export function matchtirStepMetrics(s: MatchtirStepStats): Record<string, number> {
  return methodMetrics(NAME, {
    matched_similarity_mean: ratio(s.matchedSimilaritySum, s.matchedPairs),
    gold_matched_share: ratio(s.goldFound, s.goldCalls),
    turns_per_trajectory: ratio(s.rounds, s.rows),
    searches_per_trajectory: ratio(s.searches, s.rows),
    turn_reward_mean: ratio(s.turnRewardSum, s.chainRounds),
    chain_share: ratio(s.chainRows, s.rows),
    sinkhorn_iterations_mean: ratio(s.sinkhornIterations, s.sinkhornRuns),
    sinkhorn_unconverged: s.sinkhornUnconverged,
  });
}

/** The MatchTIR method. */
export const matchtir: Method<MatchtirConfig, MatchtirRecord> = registerMethod({
  ...grpoFamily(MATCHTIR_CARD, {
    config: MATCHTIR_CONFIG,
    // Not group-local (Method.groupLocal): the step's metrics are over the batch.
    step: matchtirStep,
  }),
  // The paper's per-turn-index z-score is biased in the number of rounds (config.ts).
  turnCountVariant: { turnNormalization: "group-joint" },
});
