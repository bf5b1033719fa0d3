/**
 * PURE — Process sUpervised Reinforcement lEarning with min-form credit assignment (Cheng et
 * al., arXiv 2504.15275, NeurIPS 2025; code CJReinforce/PURE), on the GRPO baseline.
 * Importing this module registers the method "pure".
 *
 * The method asks the environment for a round judge (`resources`: `{ kind: "round-judge" }`;
 * SearchWorld's oracle judge, or `LlmRoundJudge` for open-domain data) which stands in for the
 * paper's process reward model: it scores every non-final round of every multi-round
 * trajectory. The scores become process rewards r_k, the rewards min-form returns G_k (a
 * round's value is the soft minimum of the rewards from it on, not their sum), the returns
 * group-normalised process advantages, added to the GRPO outcome advantage on the tokens of
 * their round (credit.ts). The step returns the advantages, its metrics (`pure/...`) and a
 * {@link PureRecord} per judged trajectory.
 *
 * @example
 * ```ts
 * import { PURE_DEFAULTS, pure } from "./mod.ts";
 * const exactMin = { ...PURE_DEFAULTS, credit: { kind: "min" } } as const;
 * pure.resources!(exactMin); // [{ kind: "round-judge" }]
 * ```
 * @module
 */
import { type Method, registerMethod } from "@creditlab/train";
import { type JudgedRecord, judgeMethod } from "../round_judge.ts";
import { ratio } from "../metrics.ts";
import { rowRecords, withRounds } from "../records.ts";
import { PURE_CARD } from "./paper.ts";
import { PURE_CONFIG, type PureConfig } from "./config.ts";
import {
  minFormReturns,
  processAdvantages,
  processRewards,
  pureTokenAdvantages,
} from "./credit.ts";

export * from "./config.ts";
export * from "./credit.ts";
export { PURE_PAPER } from "./paper.ts";

/**
 * What PURE keeps of a judged trajectory (the run store's `method_record`): the process rewards
 * r_k of its non-final rounds k = 1..K-1 as its per-round series, and their min-form returns.
 */
export interface PureRecord extends JudgedRecord<"process reward"> {
  /** Min-form returns G_1..G_{K-1} before normalisation (G_1: the trajectory's value). */
  returns: number[];
}

/**
 * The PURE method. Its step calls the granted round judge for every trajectory with K > 1
 * (concurrently); trajectories with one round keep the GRPO advantage. It returns the
 * per-token advantages, the record of each judged row and its metrics: judged trajectories and
 * rounds (`pure/calls/judged_rounds`), the mean process reward over judged rounds and the mean
 * min-form value G_1 over judged trajectories, and the judge's model calls
 * (`pure/calls/judge_llm`), cache hits and parse failures during the step. Not group-local
 * (Method.groupLocal): the metrics are over the batch.
 */
export const pure: Method<PureConfig, PureRecord> = registerMethod(
  judgeMethod<PureConfig, Float64Array, PureRecord>(PURE_CARD, {
    config: PURE_CONFIG,
    use: (scores, { config: cfg }) =>
      processRewards(scores, { score: cfg.processScore, range: cfg.processRange }),
    credit({ batch, config: cfg, rowAdv, byRow: rewards, counts }) {
      const returns = rewards.map((p) => (p === null ? null : minFormReturns(p, cfg.credit)));
      let processRewardSum = 0, valueSum = 0;
      rewards.forEach((p, r) => {
        if (p === null) return;
        for (const v of p) processRewardSum += v;
        valueSum += returns[r]![0] ?? 0;
      });
      const roundAdv = processAdvantages(returns, batch.groupIds, {
        normalization: cfg.processNormalization,
        normalizeStd: cfg.normalizeStd,
        eps: cfg.eps,
      });
      return {
        advantages: pureTokenAdvantages(rowAdv, roundAdv, batch, cfg.processCoef),
        own: {
          process_reward_mean: ratio(processRewardSum, counts.judgedRounds),
          value_mean: ratio(valueSum, counts.judgedTrajectories),
        },
        records: rowRecords(rewards, (p, r) =>
          withRounds("process reward", p, {
            returns: Array.from(returns[r]!),
            calls: { judge: p.length },
          })),
      };
    },
  }),
);
