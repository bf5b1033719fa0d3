/**
 * IGPO's config: the GRPO baseline plus how the policy's probability of the gold answer becomes
 * turn rewards, how turn rewards are normalised and accumulated, and what the final turn is
 * rewarded with. Every field's doc gives its default and where it comes from: the paper (arXiv
 * 2510.14967), its released code (GuoqingWang1/IGPO; the Feb 2026 release read at upstream
 * commit 745078b through the stored fork debajoycs98/IGPO), or "open choice" with the reason.
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { field, type FieldValues, finite, grpoExtension, oneOf } from "../grpo/options.ts";
import { INFO_GAIN_KINDS } from "../information_gain.ts";

/** IGPO config: the GRPO baseline plus the fields of {@link IGPO_FIELDS} (below). */
export interface IgpoConfig extends GrpoConfig, FieldValues<typeof IGPO_FIELDS> {}

/** The information gain of a turn (`IGPO_FIELDS.infoGain` says what each value is). */
export type InfoGainKind = IgpoConfig["infoGain"];
/** Which turn rewards share z-score statistics (`IGPO_FIELDS.normalization`). */
export type TurnNormalization = IgpoConfig["normalization"];
/** The standard deviation of a set of turn rewards (`IGPO_FIELDS.std`). */
export type StdEstimator = IgpoConfig["std"];
/** Which golden answer is scored (`IGPO_FIELDS.gold`). */
export type GoldChoice = IgpoConfig["gold"];

/** The fields IGPO adds to the GRPO baseline: each one's doc, allowed values and default. */
export const IGPO_FIELDS = {
  /**
   * The information gain of turn t from the gold answer's mean log-probability v_t = (1/L)
   * sum_j log pi(a_j | context after turn t, a_<j):
   * - `"prob-diff"` (the paper's equation and the released `GenerationConfig.info_gain_type`
   *   default, scrl/llm_agent/generation.py): r_t = exp(v_t) - exp(v_{t-1}) = p_t - p_{t-1};
   * - `"log-prob-diff"` (the released `train.sh`: `+algorithm.info_gain_type=log_prob_diff`):
   *   r_t = v_t - v_{t-1}.
   *
   * Default `"prob-diff"`.
   */
  infoGain: oneOf(INFO_GAIN_KINDS, "prob-diff"),
  /**
   * Which turn rewards share z-score statistics within a prompt group
   * (verl/trainer/ppo/core_algos.py `compute_grpo_outcome_advantage`, `info_gain_norm_mode`):
   * - `"joint"` (the paper's, and the function's default): every turn reward of every trajectory
   *   of the group (information gains and final outcomes) in one set;
   * - `"separate"` (the released `train.sh`): the outcomes in one set, the information gains in
   *   another.
   * Never per turn index, so a trajectory that stops early is not compared only with the others
   * that stopped early. Default `"joint"`.
   */
  normalization: oneOf(["joint", "separate"], "joint"),
  /**
   * The standard deviation of a set of turn rewards:
   * - `"population"` (released `compute_group_stats`: sum of squares / count): sigma of the set;
   * - `"unbiased"` (sum of squares / (count - 1), as GRPO's `torch.std` in this repository's
   *   baseline; with `"separate"` and constant probabilities IGPO is then exactly GRPO).
   *
   * Default `"population"`.
   */
  std: oneOf(["population", "unbiased"], "population"),
  /**
   * gamma in [0, 1]: a turn's advantage is sum_{j >= k} gamma^(j-k) of the normalised turn
   * rewards from it on (released `_compute_turn_level_advantage`). Default 1 (paper; released
   * `train.sh`: `algorithm.gamma=1.0`).
   */
  gamma: finite({ min: 0, max: 1 }, 1),
  /**
   * The final turn's reward (the paper: "F1 score between the predicted answer and the ground
   * truth"; released verl/utils/reward_score/info_gain.py `compute_f1`):
   * - `"f1"`: token F1 of the trajectory's answer against the golden answers, max over golds
   *   (FlashRAG's, datasets/metrics.ts `tokenF1`), 0 without an answer;
   * - `"em"`: the harness's exact match (`RewardInput.outcomes`), the reward every other method
   *   here trains on.
   *
   * Default `"f1"`.
   */
  outcome: oneOf(["f1", "em"], "f1"),
  /**
   * Which golden answer the policy's probability is taken of:
   * - `"first"` (released generation.py: the ground truth is cut at `<|answer_split|>` and its
   *   first part kept): `goldenAnswers[0]`;
   * - `"max"` (ours): p_t = max over the golden answers of their p_t (one scoring request per
   *   answer and turn).
   *
   * Default `"first"`.
   */
  gold: oneOf(["first", "max"], "first"),
  /**
   * Text placed between the context and the gold answer in each scoring request; its tokens are
   * conditioned on but not averaged. Default `"<answer>"` (open choice: the policy's own
   * answer tag of the Search-R1 protocol, so the gold answer is scored where the policy would
   * write it. The released code uses "\nNow there's enough information to answer\n</think>\n
   * <answer>\n" because its context ends inside an opened `<think>` of a Qwen chat template;
   * its closing "</answer><|im_end|>" comes after the answer, cannot change the answer's causal
   * log-probabilities and is left out).
   */
  answerPrefix: field("<answer>", (value, { check, name }) => {
    if (typeof value !== "string") check.fail(name, "a string (may be empty)", value);
  }),
};

/**
 * The config's defaults and its check (what `grpoFamily` needs of it). `singletonGroup` defaults
 * to `"zero"`: a set of one turn reward normalises to 0, as in the released
 * `compute_group_stats` (count <= 1: std 1 and the mean is the value itself).
 */
export const IGPO_CONFIG = grpoExtension<IgpoConfig>("igpo config", IGPO_FIELDS, {
  grpo: { singletonGroup: "zero" },
});

/** Defaults: the GRPO baseline's settings with the paper's IGPO choices. */
export const IGPO_DEFAULTS: Readonly<IgpoConfig> = IGPO_CONFIG.defaults;

/**
 * Check an IGPO config; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * validateIgpoConfig(IGPO_DEFAULTS);
 * assert.throws(
 *   () => validateIgpoConfig({ ...IGPO_DEFAULTS, gamma: 1.5 }),
 *   /igpo config: field "gamma" must be in \[0, 1\], got 1.5/,
 * );
 * ```
 */
export const validateIgpoConfig: (cfg: IgpoConfig) => void = IGPO_CONFIG.validate;
