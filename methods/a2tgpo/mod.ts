/**
 * A²TGPO — Agentic Turn-Group Policy Optimization with Adaptive Turn-level Clipping (Chen et
 * al., arXiv 2605.06200; code CuSO4-Chen/A-TGPO), on the GRPO baseline. Importing this module
 * registers the method "a2tgpo".
 *
 * The method asks for the policy being trained as a teacher-forced scorer (`resources`:
 * `{ kind: "policy-scorer" }`, served by the trainer from its current weights; the credit
 * service cannot serve it, so the method runs only inside the trainer). After every non-final
 * turn of every multi-turn trajectory it scores the gold answer (scoring.ts); the change in its
 * probability is the turn's information gain, z-scored per (prompt, turn index), accumulated
 * over the later turns and divided by sqrt(#terms), and added to GRPO's outcome advantage on
 * the turn's tokens; each turn's clip range is scaled by its normalised gain, returned as the
 * step's `clipScale` (credit.ts). The step also returns its metrics (`a2tgpo/...`) and an
 * {@link A2tgpoRecord} per scored trajectory.
 *
 * @example
 * ```ts
 * import { A2TGPO_DEFAULTS, a2tgpo } from "./mod.ts";
 * a2tgpo.resources!(A2TGPO_DEFAULTS); // [{ kind: "policy-scorer" }]
 * a2tgpo.resources!({ ...A2TGPO_DEFAULTS, gainCoef: 0, clipBeta: 0 }); // [] (exactly GRPO)
 * ```
 * @module
 */
import {
  NO_SCORER_COST,
  type ScoredRecord,
  scorerStepMetrics,
  withPolicyScorer,
} from "../policy_scoring.ts";
import type { RolloutBatch, ScorerStats } from "@creditlab/core";
import { type Method, type MethodContext, registerMethod, type StepResult } from "@creditlab/train";
import { grpoFamily, grpoRowAdvantages } from "../grpo/mod.ts";
import { methodMetrics, ratio } from "../metrics.ts";
import { rowRecords, withRounds } from "../records.ts";
import { A2TGPO_CARD } from "./paper.ts";
import { A2TGPO_CONFIG, type A2tgpoConfig } from "./config.ts";
import {
  a2tgpoTokenAdvantages,
  normalizeGains,
  tokenClipScales,
  turnClipScale,
  turnTerms,
} from "./credit.ts";
import { type GoldScores, informationGains, scoreGold } from "./scoring.ts";

export * from "./config.ts";
export * from "./credit.ts";
export * from "./scoring.ts";
export { A2TGPO_PAPER } from "./paper.ts";

/** The method's registry name (the prefix of its metrics). */
const NAME = A2TGPO_CARD.name;

/**
 * What A²TGPO keeps of a scored trajectory (K ≥ 2; the run store's `method_record`): per
 * non-final turn k = 1..K−1 its information gain g_k (the per-round series), normalised gain
 * z_k, term T_k and clip scale s_k, the gold answer's probability p_t after t = 0..K−1 turns,
 * and its scorer requests.
 */
export interface A2tgpoRecord extends ScoredRecord<"information gain"> {
  normalized: number[];
  terms: number[];
  clipScales: number[];
  goldProbs: number[];
}

/** What one step's credit assignment did (its metrics). */
export interface A2tgpoStepStats {
  scoredTrajectories: number;
  /** Non-final turns of scored trajectories (each has a gain). */
  scoredTurns: number;
  gainSum: number;
  clipScaleSum: number;
  clipScaleMin: number;
  clipScaleMax: number;
  /** Growth of the scorer's counters during the step. */
  scorer: Readonly<ScorerStats>;
}

/** The scores of a batch of `n` rows none of which is scored. */
function unscored(n: number): GoldScores {
  return { values: new Array<null>(n).fill(null), requests: new Int32Array(n) };
}

/**
 * A²TGPO's step: GRPO's row advantages plus λ times each non-final turn's accumulated
 * normalised gain on its tokens, and (β > 0) the per-token clip scales of those turns; rows
 * with one round, or none of their question's golden answers with tokens, are exactly GRPO's.
 * With λ = β = 0 nothing is scored (the scorer is not asked for; `resources` is empty too):
 * exactly GRPO.
 */
export async function a2tgpoStep(
  batch: RolloutBatch,
  ctx: MethodContext<A2tgpoConfig>,
): Promise<StepResult<A2tgpoRecord>> {
  const cfg = ctx.config;
  // λ = β = 0: nothing to score (the scorer is not asked for; `resources` is empty too).
  const { result: scores, cost } = cfg.gainCoef === 0 && cfg.clipBeta === 0
    ? { result: unscored(batch.n), cost: NO_SCORER_COST }
    : await withPolicyScorer(
      ctx,
      (scorer) => scoreGold(batch, { ...cfg, questions: ctx.questions, scorer }),
    );
  const gains = scores.values.map((v) => (v === null ? null : informationGains(v, cfg.infoGain)));
  const z = normalizeGains(gains, batch.groupIds, {
    normalization: cfg.turnNormalization,
    normalizeStd: cfg.normalizeStd,
    eps: cfg.eps,
  });
  const terms = z.map((x) => (x === null ? null : turnTerms(x, cfg)));
  const scales = z.map((
    x,
  ) => (x === null ? null : Float64Array.from(x, (v) => turnClipScale(v, cfg.clipBeta))));
  const stats: A2tgpoStepStats = {
    scoredTrajectories: 0,
    scoredTurns: 0,
    gainSum: 0,
    clipScaleSum: 0,
    clipScaleMin: Infinity,
    clipScaleMax: -Infinity,
    scorer: cost,
  };
  gains.forEach((g, r) => {
    if (g === null) return;
    const s = scales[r]!;
    stats.scoredTrajectories++;
    for (let k = 0; k < g.length; k++) {
      stats.scoredTurns++;
      stats.gainSum += g[k]!;
      stats.clipScaleSum += s[k]!;
      stats.clipScaleMin = Math.min(stats.clipScaleMin, s[k]!);
      stats.clipScaleMax = Math.max(stats.clipScaleMax, s[k]!);
    }
  });
  const records = rowRecords(gains, (g, r): A2tgpoRecord =>
    withRounds("information gain", g, {
      normalized: Array.from(z[r]!),
      terms: Array.from(terms[r]!),
      clipScales: Array.from(scales[r]!),
      goldProbs: Array.from(scores.values[r]!, Math.exp),
      calls: { scorer: scores.requests[r]! },
    }));
  return {
    advantages: a2tgpoTokenAdvantages(grpoRowAdvantages(batch, cfg), terms, batch, cfg.gainCoef),
    ...(cfg.clipBeta > 0 ? { clipScale: tokenClipScales(scales, batch) } : {}),
    metrics: a2tgpoStepMetrics(stats),
    records,
  };
}

/**
 * A²TGPO step metrics: scored trajectories and turns, the mean information gain and the mean,
 * min and max clip scale over scored turns (1 when none), and how much the scorer's counters
 * grew during the step (`scorerStepMetrics`: `a2tgpo/calls/scorer_forward_passes`,
 * `a2tgpo/scorer_requests`, `a2tgpo/scorer_tokens`).
 */
export function a2tgpoStepMetrics(s: A2tgpoStepStats): Record<string, number> {
  const none = s.scoredTurns === 0;
  return {
    ...methodMetrics(NAME, {
      scored_trajectories: s.scoredTrajectories,
      scored_turns: s.scoredTurns,
      gain_mean: ratio(s.gainSum, s.scoredTurns),
      clip_scale_mean: none ? 1 : s.clipScaleSum / s.scoredTurns,
      clip_scale_min: none ? 1 : s.clipScaleMin,
      clip_scale_max: none ? 1 : s.clipScaleMax,
    }),
    ...scorerStepMetrics(NAME, s.scorer),
  };
}

/** The A²TGPO method. */
export const a2tgpo: Method<A2tgpoConfig, A2tgpoRecord> = registerMethod({
  ...grpoFamily(A2TGPO_CARD, {
    config: A2TGPO_CONFIG,
    resources: (config) =>
      config.gainCoef > 0 || config.clipBeta > 0 ? [{ kind: "policy-scorer" }] : [],
    // Not group-local (Method.groupLocal): the step's metrics are over the batch (mean gain and
    // clip scale, the scorer's growth during the step).
    step: a2tgpoStep,
  }),
  // The paper's per-(prompt, turn-index) z-score of the gains is biased in the number of turns.
  turnCountVariant: { turnNormalization: "group-joint" },
});
