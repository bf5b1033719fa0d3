/**
 * MT-GRPO's config: the GRPO baseline plus the turn-level term — its weight lambda, which
 * search rounds are turns, which trajectories a turn's baseline comes from, whether the stop
 * decision is credited, and what the verifiable turn reward checks. Every field the paper and
 * its released code (SiliangZeng/Multi-Turn-RL-Agent, verifiers/trainers/mt_grpo_env_trainer.py)
 * leave open for episodes with several searches is an option; README.md says which default is
 * the paper's and which is ours.
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { field, type FieldValues, finite, flag, grpoExtension, oneOf } from "../grpo/options.ts";

/**
 * Weights of the verifiable checks whose weighted sum is a search round's turn reward
 * r = retrieval * retrieval_k + thinking * thinking_k + executed * executed_k:
 *
 * - `retrieval_k` (the round judge's): the search brought a passage holding a new fact of the
 *   gold chain (SearchWorld's oracle; an LLM judge's "relevant and new" on open-domain data) —
 *   our counterpart of the released `exist_answer_in_search_results` (0.5 when a gold answer
 *   string is in the first search result);
 * - `thinking_k` (the round judge's): the query targets the next unresolved hop (no released
 *   counterpart);
 * - `executed_k`: the search returned at least one passage — the released
 *   `tool_execution_reward_func` (0.2 x share of tool calls whose result is not an error).
 */
export interface TurnRewardWeights {
  retrieval: number;
  thinking: number;
  executed: number;
}

/** The released code's turn-reward weights (examples/triviaqa_search.py; rubric values). */
export const RELEASED_TURN_REWARD: Readonly<TurnRewardWeights> = Object.freeze({
  retrieval: 0.5,
  thinking: 0,
  executed: 0.2,
});

/** MT-GRPO config: the GRPO baseline plus the fields of {@link MT_GRPO_FIELDS} (below). */
export interface MtGrpoConfig extends GrpoConfig, FieldValues<typeof MT_GRPO_FIELDS> {}

/** Which search rounds carry a turn advantage (`MT_GRPO_FIELDS.turnScope` says what each is). */
export type TurnScope = MtGrpoConfig["turnScope"];
/** Which entries a turn index's baseline comes from (`MT_GRPO_FIELDS.turnBaseline`). */
export type TurnBaseline = MtGrpoConfig["turnBaseline"];

/** The fields MT-GRPO adds to the GRPO baseline: each one's doc, allowed values and default. */
export const MT_GRPO_FIELDS = {
  /**
   * lambda >= 0 in A_token = A_outcome + lambda * A_turn on the tokens of credited segments.
   * Default 1: the released `turn_advantage_coef: float = 1.0` (MTGRPOEnvTrainer) and
   * scripts/run_mt_grpo.sh `TURN_ADV_COEF=1`. 0 is exactly GRPO (tested).
   */
  turnCoef: finite({ min: 0 }, 1),
  /**
   * Which search rounds carry a turn advantage. A trajectory's policy tokens are cut at its tool
   * results: segment s holds the rounds after the (s-1)-th search result up to and including
   * the round of the s-th search (k_{s-1} < k <= k_s); the stop segment S+1 holds the rounds
   * after the last search result (the answer round, and every round of a trajectory that never
   * searched).
   *
   * - `"first-search-round"` (the paper's): only segment 1 — exactly the released indicator
   *   1[token before the first tool result] (`_find_result_positions`, `_assign_advantages`); it
   *   is round 1 whenever round 1 searches (the paper's one-search episode), and also covers
   *   invalid rounds before the first search.
   * - `"every-search-round"` (ours, the generalisation to up to 4 searches): segment s of every
   *   search s = 1..S gets the advantage of search s's own turn reward.
   *
   * Default `"first-search-round"` (the paper's episode has one search).
   */
  turnScope: oneOf(["first-search-round", "every-search-round"], "first-search-round"),
  /**
   * Which entries the baseline (mean, and std with `normalizeStd`) of turn index s comes from,
   * within the prompt group:
   *
   * - `"group"` (the released code's): every trajectory of the group, a trajectory with no entry
   *   at index s counting turn reward 0 (`_compute_normalized_advantages(turn_rewards)`: a
   *   trajectory without a tool call scores 0 and is in its group's mean and std); only
   *   trajectories with an entry receive the advantage.
   * - `"reached"`: per turn index, over the trajectories with an entry at s only (the natural
   *   per-turn-index normalisation; verl-project/verl issue 7244).
   * - `"pooled"`: jointly over every entry of the group, all indices together (one baseline per
   *   group, as pure and matchtir's "group-joint" do). With `"first-search-round"` it equals
   *   `"reached"` (one index).
   *
   * None of these is by itself unbiased when the policy chooses when to stop: see `creditStop`.
   * Default `"group"` (the released normalisation).
   */
  turnBaseline: oneOf(["group", "reached", "pooled"], "group"),
  /**
   * Whether the stop decision is a turn too: the stop segment (tokens after the last search
   * result; every token of a trajectory that never searched) enters its index's statistics with
   * turn reward 0 and receives A_turn. Default false (ours, from the brief: an answer-only
   * trajectory gets A_turn = 0; the released code gives it the "combined" advantage
   * norm(R_turn + R_outcome) instead, which this module does not reproduce). `true` is the
   * unbiased variant: every action at a decision point (search again or stop) is measured
   * against the same baseline, so the turn term no longer hides a penalty of one baseline per
   * search taken (verl issue 7244; README "Bias").
   */
  creditStop: flag(false),
  /**
   * Default `{ retrieval: 1, thinking: 0, executed: 0 }` (ours: "a correct search" is one that
   * brought a new gold-chain fact); {@link RELEASED_TURN_REWARD} for the released weights.
   */
  turnReward: field<TurnRewardWeights>(
    { retrieval: 1, thinking: 0, executed: 0 },
    (w: TurnRewardWeights | undefined, { check, name }) => {
      if (typeof w !== "object" || w === null) {
        return check.fail(name, "{ retrieval, thinking, executed } (weights >= 0)", w);
      }
      for (const k of ["retrieval", "thinking", "executed"] as const) {
        check.number(`${name}.${k}`, w[k], { min: 0 });
      }
      if (w.retrieval + w.thinking + w.executed <= 0) {
        check.fail(name, "weights with a positive sum (use turnCoef 0 for no turn credit)", w);
      }
    },
  ),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const MT_GRPO_CONFIG = grpoExtension<MtGrpoConfig>("mt-grpo config", MT_GRPO_FIELDS);

/** Defaults: the GRPO baseline's settings + the released lambda and turn scope. */
export const MT_GRPO_DEFAULTS: Readonly<MtGrpoConfig> = MT_GRPO_CONFIG.defaults;

/**
 * Check an MT-GRPO config; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * validateMtGrpoConfig(MT_GRPO_DEFAULTS);
 * assert.throws(
 *   () => validateMtGrpoConfig({ ...MT_GRPO_DEFAULTS, turnCoef: -1 }),
 *   /mt-grpo config: field "turnCoef" must be a finite number >= 0, got -1/,
 * );
 * ```
 */
export const validateMtGrpoConfig: (cfg: MtGrpoConfig) => void = MT_GRPO_CONFIG.validate;
