/**
 * PBSD — Privileged Bayesian Self-Distillation (Tian et al., arXiv 2606.09348), on the GRPO
 * baseline. Importing this module registers the method "pbsd".
 *
 * The method asks for the policy being trained as a teacher-forced scorer (`resources`:
 * `{ kind: "policy-scorer" }`, served by the trainer from its current weights; the credit
 * service cannot serve it). For each trajectory with a nonzero outcome advantage it scores the
 * trajectory's own tokens twice: with the gold answer written into the context (the teacher)
 * and without (the student). The per-token log-ratios summed over a turn are that turn's
 * credit: the log of the factor by which the turn raised the verified answer's posterior
 * (Bayes' rule turns p(y* | q, tau) / p(y* | q) into pi(tau | q, y*) / pi(tau | q)). The
 * credits reweight the GRPO advantage over the trajectory's turns (credit.ts). The step returns
 * the advantages, its metrics (`pbsd/...`) and a {@link PbsdRecord} per scored trajectory.
 *
 * @example
 * ```ts
 * import { PBSD_DEFAULTS, pbsd } from "./mod.ts";
 * pbsd.resources!(PBSD_DEFAULTS); // [{ kind: "policy-scorer" }]
 * pbsd.resources!({ ...PBSD_DEFAULTS, creditCoef: 0 }); // [] (exactly GRPO, no scorer)
 * ```
 * @module
 */
import {
  NO_SCORER_COST,
  type ScoredRecord,
  scorerStepMetrics,
  withPolicyScorer,
} from "../policy_scoring.ts";
import type { Question, RolloutBatch, ScorerStats } from "@creditlab/core";
import { type Method, type MethodContext, registerMethod, type StepResult } from "@creditlab/train";
import { grpoFamily, grpoRowAdvantages } from "../grpo/mod.ts";
import { methodMetrics, ratio } from "../metrics.ts";
import { withRounds } from "../records.ts";
import { PBSD_CARD } from "./paper.ts";
import { PBSD_CONFIG, type PbsdConfig } from "./config.ts";
import { pbsdTokenAdvantages, rowWeights } from "./credit.ts";
import { type RowCut, rowCut, scoreRows } from "./scoring.ts";

export * from "./config.ts";
export * from "./credit.ts";
export { goldText, type RowCut, rowCut } from "./scoring.ts";
export { PBSD_PAPER } from "./paper.ts";

/** The method's registry name (the prefix of its metrics). */
const NAME = PBSD_CARD.name;

/**
 * What PBSD keeps of a scored trajectory (the run store's `method_record`): the credit c_k of
 * each scored round k = 1..m (m = K-1 with `"non-final"`, K with `"all"`; 0 for a round without
 * tokens) as its per-round series, the weights the rounds got, and its scorer requests.
 */
export interface PbsdRecord extends ScoredRecord<"turn credit"> {
  /** Weight of each scored round (the mean of its tokens' weights with `"token"`). */
  weights: number[];
}

/** What one step's credit assignment did (its metrics). */
export interface PbsdStepStats {
  scoredTrajectories: number;
  /** Scored rounds with at least one token. */
  scoredTurns: number;
  creditSum: number;
  positiveTurns: number;
  /** Sum over scored trajectories of their largest turn weight. */
  weightMaxSum: number;
  /** Growth of the scorer's counters during the step. */
  scorer: Readonly<ScorerStats>;
}

/** The rows to score: nonzero advantage (positive only with `"uniform"`) and a scored token. */
function rowsToScore(
  batch: RolloutBatch,
  rowAdv: Float32Array,
  ctx: MethodContext<PbsdConfig>,
) {
  const cfg = ctx.config;
  const rows: { row: number; cut: RowCut; question: Question }[] = [];
  if (cfg.creditCoef === 0) return rows;
  for (let r = 0; r < batch.n; r++) {
    const a = rowAdv[r]!;
    if (a === 0 || (a < 0 && cfg.negativeAdvantage === "uniform")) continue;
    const cut = rowCut(batch, r, cfg.scoredRounds);
    if (cut === null) continue;
    const id = batch.trajectories[r]!.questionId;
    const question = ctx.questions.get(id);
    if (question === undefined) {
      throw new Error(`pbsd: no question with id ${id} in the step's context (row ${r})`);
    }
    rows.push({ row: r, cut, question });
  }
  return rows;
}

/**
 * PBSD's step: GRPO's row advantages, reweighted on the scored turns of each row to score by
 * the teacher-minus-student credit (one scorer call for the batch, made only when a row is to be
 * scored); other tokens keep A.
 */
export async function pbsdStep(
  batch: RolloutBatch,
  ctx: MethodContext<PbsdConfig>,
): Promise<StepResult<PbsdRecord>> {
  const cfg = ctx.config;
  const rowAdv = grpoRowAdvantages(batch, cfg);
  const rows = rowsToScore(batch, rowAdv, ctx);
  const { result: scored, cost } = rows.length === 0
    ? { result: [], cost: NO_SCORER_COST }
    : await withPolicyScorer(ctx, (scorer) =>
      scoreRows(batch, rows, { scorer, gold: cfg.goldContext, student: cfg.studentLogProbs }));
  const tokenWeights = new Float32Array(batch.n * batch.length).fill(1);
  const records: (PbsdRecord | undefined)[] = new Array(batch.n).fill(undefined);
  const stats: PbsdStepStats = {
    scoredTrajectories: 0,
    scoredTurns: 0,
    creditSum: 0,
    positiveTurns: 0,
    weightMaxSum: 0,
    scorer: cost,
  };
  rows.forEach(({ row, cut }, j) => {
    const K = batch.numRounds[row]!;
    const m = cfg.scoredRounds === "all" ? K : K - 1;
    const w = rowWeights(scored[j]!.scored, m, {
      granularity: cfg.granularity,
      turnCredit: cfg.turnCredit,
      coef: cfg.creditCoef,
      sign: rowAdv[row]! > 0 ? 1 : -1,
      clip: cfg.weightClip,
    });
    const base = row * batch.length;
    cut.positions.forEach((t, i) => tokenWeights[base + t] = w.tokenWeights[i]!);
    stats.scoredTrajectories++;
    let wMax = -Infinity;
    for (let k = 0; k < m; k++) {
      if (w.tokens[k] === 0) continue;
      stats.scoredTurns++;
      stats.creditSum += w.credit[k]!;
      if (w.credit[k]! > 0) stats.positiveTurns++;
      wMax = Math.max(wMax, w.turnWeights[k]!);
    }
    stats.weightMaxSum += wMax;
    records[row] = withRounds("turn credit", w.credit, {
      weights: Array.from(w.turnWeights),
      calls: { scorer: scored[j]!.requests },
    });
  });
  return {
    advantages: pbsdTokenAdvantages(rowAdv, tokenWeights, batch),
    metrics: pbsdStepMetrics(stats),
    records,
  };
}

/**
 * PBSD step metrics: scored trajectories and turns, the mean turn credit, the share of scored
 * turns with positive credit, the mean over scored trajectories of the largest turn weight
 * (how concentrated the reweighting is), and how much the scorer's counters grew during the
 * step (`scorerStepMetrics`: `pbsd/calls/scorer_forward_passes`, `pbsd/scorer_requests`,
 * `pbsd/scorer_tokens`).
 */
export function pbsdStepMetrics(s: PbsdStepStats): Record<string, number> {
  return {
    ...methodMetrics(NAME, {
      scored_trajectories: s.scoredTrajectories,
      scored_turns: s.scoredTurns,
      credit_mean: ratio(s.creditSum, s.scoredTurns),
      positive_credit_share: ratio(s.positiveTurns, s.scoredTurns),
      weight_max_mean: ratio(s.weightMaxSum, s.scoredTrajectories),
    }),
    ...scorerStepMetrics(NAME, s.scorer),
  };
}

/** The PBSD method. */
export const pbsd: Method<PbsdConfig, PbsdRecord> = registerMethod(grpoFamily(PBSD_CARD, {
  config: PBSD_CONFIG,
  resources: (config) => (config.creditCoef > 0 ? [{ kind: "policy-scorer" }] : []),
  // Not group-local (Method.groupLocal): the step's metrics are over the batch (mean credit,
  // the scorer's growth during the step).
  step: pbsdStep,
}));
