/**
 * MT-GRPO — turn-level credit assignment on GRPO (Zeng, Wei, Brown, Frunza, Nevmyvaka, Hong,
 * arXiv 2505.11821; code SiliangZeng/Multi-Turn-RL-Agent, verifiers/trainers/
 * mt_grpo_env_trainer.py). Importing this module registers the method "mt-grpo".
 *
 * The method asks the environment for a round judge (`resources`: `{ kind: "round-judge" }`;
 * SearchWorld's oracle judge, or `LlmRoundJudge` for open-domain data) whose `retrieval` score
 * makes a search round's verifiable turn reward ("the search brought a new fact of the gold
 * chain"). Turn rewards are group-normalised into turn advantages A^T and added, times lambda,
 * to the GRPO outcome advantage on the tokens before the first search result (the paper), or on
 * each search's own segment (`turnScope: "every-search-round"`) (credit.ts). The step returns
 * the advantages, its metrics (`mt-grpo/...`) and an {@link MtGrpoRecord} per trajectory.
 *
 * @example
 * ```ts
 * import { MT_GRPO_DEFAULTS, mtGrpo } from "./mod.ts";
 * const everyRound = { ...MT_GRPO_DEFAULTS, turnScope: "every-search-round" } as const;
 * mtGrpo.resources!(everyRound); // [{ kind: "round-judge" }]
 * ```
 * @module
 */
import { type Method, registerMethod } from "@creditlab/train";
import { type JudgedRecord, judgeMethod } from "../round_judge.ts";
import { ratio } from "../metrics.ts";
import { withRounds } from "../records.ts";
import { MT_GRPO_CARD } from "./paper.ts";
import { MT_GRPO_CONFIG, type MtGrpoConfig } from "./config.ts";
import { mtGrpoTokenAdvantages, roundTurnAdvantages, turnAdvantages } from "./credit.ts";
import { NO_TURNS, type RowTurns, rowTurns } from "./turns.ts";

export * from "./config.ts";
export * from "./credit.ts";
export * from "./turns.ts";
export { MT_GRPO_PAPER } from "./paper.ts";

/**
 * What MT-GRPO keeps of a trajectory (the run store's `method_record`): the turn reward of each
 * non-final round k = 1..K-1 as its per-round series (0 for a round that is not a search), the
 * search rounds, and the turn advantage each policy round received.
 */
export interface MtGrpoRecord extends JudgedRecord<"turn reward"> {
  /** The search rounds k_1..k_S (the turns). */
  searchRounds: number[];
  /**
   * A^T (before lambda) added to the tokens of each policy round k = 1..K; 0 where none.
   */
  turnAdvantages: number[];
}

/**
 * The MT-GRPO method. Its step calls the granted round judge for every trajectory with K > 1
 * (concurrently), then computes the turn advantages over whole prompt groups (trajectories
 * with K = 1 have no search: they take part as configured by `turnBaseline` and `creditStop`).
 * It returns the per-token advantages, every row's record and its metrics: judged trajectories
 * and rounds (`mt-grpo/calls/judged_rounds`); the search rounds within the turn scope
 * (`mt-grpo/turns`, whose turn rewards enter the advantages), their mean turn reward
 * (`mt-grpo/turn_reward_mean`) and the share whose turn reward is the maximum
 * (`mt-grpo/turn_success_share`: every weighted check passed; with the default weights, turn
 * reward 1, a search that brought a new gold-chain fact); the mean |A^T| over the segments that
 * receive one (`mt-grpo/turn_adv_abs_mean`, before lambda); and the judge's model calls
 * (`mt-grpo/calls/judge_llm`), cache hits and parse failures during the step. Not group-local
 * (Method.groupLocal): the metrics are over the batch.
 */
export const mtGrpo: Method<MtGrpoConfig, MtGrpoRecord> = registerMethod({
  ...judgeMethod<MtGrpoConfig, RowTurns, MtGrpoRecord>(MT_GRPO_CARD, {
    config: MT_GRPO_CONFIG,
    use: (scores, { rounds, config: cfg }) => rowTurns(rounds, scores, cfg.turnReward),
    credit({ batch, config: cfg, rowAdv, byRow }) {
      const turns: Readonly<RowTurns>[] = byRow.map((t) => t ?? NO_TURNS);
      const segAdv = turnAdvantages(turns.map((t) => t.searchRewards), batch.groupIds, {
        scope: cfg.turnScope,
        baseline: cfg.turnBaseline,
        creditStop: cfg.creditStop,
        normalizeStd: cfg.normalizeStd,
        eps: cfg.eps,
      });
      const roundAdv = turns.map((t, r) =>
        roundTurnAdvantages(segAdv[r]!, t.searchRounds, batch.numRounds[r]!)
      );
      const w = cfg.turnReward;
      const maxReward = w.retrieval + w.thinking + w.executed;
      const cap = cfg.turnScope === "first-search-round" ? 1 : Infinity;
      let inScope = 0, turnRewardSum = 0, fullTurns = 0, creditedSegments = 0, turnAdvAbsSum = 0;
      turns.forEach((t, r) => {
        const S = t.searchRewards.length;
        t.searchRewards.slice(0, Math.min(S, cap)).forEach((v) => {
          inScope++;
          turnRewardSum += v;
          if (v >= maxReward) fullTurns++;
        });
        // the segments that receive A^T (credit.ts): searches within the scope, and the stop
        // segment with creditStop; the others hold 0
        creditedSegments += Math.min(S, cap) + (cfg.creditStop && S + 1 <= cap ? 1 : 0);
        for (const a of segAdv[r]!) turnAdvAbsSum += Math.abs(a);
      });
      return {
        advantages: mtGrpoTokenAdvantages(rowAdv, roundAdv, batch, cfg.turnCoef),
        own: {
          turns: inScope,
          turn_reward_mean: ratio(turnRewardSum, inScope),
          turn_success_share: ratio(fullTurns, inScope),
          turn_adv_abs_mean: ratio(turnAdvAbsSum, creditedSegments),
        },
        records: turns.map((t, r): MtGrpoRecord =>
          withRounds("turn reward", t.roundRewards, {
            searchRounds: [...t.searchRounds],
            turnAdvantages: Array.from(roundAdv[r]!.subarray(1)),
            calls: { judge: t.roundRewards.length },
          })
        ),
      };
    },
  }),
  // Without the stop decision as a turn, the turn term penalises each search taken (config.ts).
  turnCountVariant: { creditStop: true },
});
