/**
 * A²TGPO's config: the GRPO baseline plus how the policy's teacher-forced probability of the
 * gold answer becomes per-turn information gains, how the gains are normalised and accumulated,
 * and how each turn's clip range follows its normalised gain.
 *
 * Sources. The paper (Chen et al., arXiv 2605.06200) could be read here only through its
 * abstract (arxiv.org/abs/2605.06200); its code (github.com/CuSO4-Chen/A-TGPO) is not in the
 * stored corpora. The clip rule and β = 0.3 come from a third-party reading of the released
 * code ("Adaptive Turn Clipping on a Single Spark — A²TGPO, Studied from Source",
 * ainative.business/field-notes/a2tgpo-turn-clipping-on-spark), the information gain and its
 * gold-answer target from IGPO, which A²TGPO builds on (arXiv 2510.14967; released code
 * GuoqingWang1/IGPO, scrl/llm_agent/generation.py and verl/trainer/ppo/core_algos.py). Each
 * field's doc says which source its default has, or "open choice" and why.
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { field, type FieldValues, finite, grpoExtension, oneOf } from "../grpo/options.ts";
import { INFO_GAIN_KINDS } from "../information_gain.ts";

/** A²TGPO config: the GRPO baseline plus the fields of {@link A2TGPO_FIELDS} (below). */
export interface A2tgpoConfig extends GrpoConfig, FieldValues<typeof A2TGPO_FIELDS> {}

/** Over which gains a turn's gain is z-scored (`A2TGPO_FIELDS.turnNormalization`). */
export type TurnNormalization = A2tgpoConfig["turnNormalization"];
/** How normalised gains are accumulated (`A2TGPO_FIELDS.rescale`). */
export type Rescale = A2tgpoConfig["rescale"];
/** Which golden answer is scored (`A2TGPO_FIELDS.gold`). */
export type GoldChoice = A2tgpoConfig["gold"];
/** Which target tokens are averaged (`A2TGPO_FIELDS.answerSpan`). */
export type AnswerSpan = A2tgpoConfig["answerSpan"];
/** Which turns the gold answer's entity slots are read from (`A2TGPO_FIELDS.goldEpisode`). */
export type GoldEpisode = A2tgpoConfig["goldEpisode"];

/** The fields A²TGPO adds to the GRPO baseline: each one's doc, allowed values and default. */
export const A2TGPO_FIELDS = {
  /**
   * The information gain of turn k from the gold answer's mean log-probability v_t after turn t
   * (p_t = exp(v_t)):
   * - `"prob-diff"`: g_k = p_k − p_{k−1} (the spec's "change in the policy's probability"; IGPO's
   *   equation and its released `GenerationConfig.info_gain_type` default `"prob_diff"`);
   * - `"log-prob-diff"`: g_k = v_k − v_{k−1} (IGPO's released `log_prob_diff` option).
   *
   * Default `"prob-diff"`.
   */
  infoGain: oneOf(INFO_GAIN_KINDS, "prob-diff"),
  /**
   * Over which gains the z-score of a turn's gain is taken, within its prompt group:
   * - `"per-turn-index"` (the paper's turn-group normalisation, abstract (i): "normalizes IG
   *   within each (prompt, turn-index) group"): over the gains of turn k of the group's
   *   trajectories that have a turn k. Biased when the policy chooses how many turns to take
   *   (verl-project/verl issue 7244): turn k's baseline comes only from the trajectories still
   *   going at k.
   * - `"group-joint"` (ours, the unbiased variant of the issue): over every gain of every
   *   trajectory of the prompt group (IGPO's released `separate` mode for the gains).
   *
   * A set of one gain normalises to 0 (IGPO's released `compute_group_stats`: count ≤ 1 gives
   * std 1 and the mean is the value itself). Default `"per-turn-index"` (the paper's).
   */
  turnNormalization: oneOf(["per-turn-index", "group-joint"], "per-turn-index"),
  /**
   * How the normalised gains from turn k on are accumulated into turn k's term:
   * - `"sqrt-count"` (the paper's variance-rescaled accumulation, abstract (ii): "divides
   *   cumulative normalized IG by square root of accumulated terms"): T_k = S_k / sqrt(n_k);
   * - `"none"`: T_k = S_k, IGPO's plain discounted sum (the paper's ablation baseline),
   *
   * with S_k = sum_{j=k}^{K−1} γ^(j−k) z_j and n_k = K − k the number of accumulated terms.
   * Default `"sqrt-count"` (the paper's).
   */
  rescale: oneOf(["sqrt-count", "none"], "sqrt-count"),
  /**
   * γ in [0, 1] of the accumulation S_k = sum_{j ≥ k} γ^(j−k) z_j. Default 1: open choice (the
   * abstract says "discounted" without a value; IGPO's paper and released `train.sh` use
   * `algorithm.gamma=1.0`).
   */
  gamma: finite({ min: 0, max: 1 }, 1),
  /**
   * λ ≥ 0 in A_{i,t} = A_i + λ T_{i,k(t)}. Default 1: open choice (IGPO adds the normalised
   * gains and the normalised outcome with weight 1 each). 0 drops the gain term.
   */
  gainCoef: finite({ min: 0 }, 1),
  /**
   * β in [0, 1) of the adaptive clip: turn k's clip range is scaled by
   * s_k = 1 + β (2 σ(z_k) − 1), z_k its normalised gain (informative turns widen, others
   * narrow; s in (1 − β, 1 + β), 1 at z = 0). Default 0.3 (the released code as read by the
   * ainative.business note; the abstract gives the direction only). 0 turns it off (no clip
   * scales are returned). The base epsilons are `clipLow` / `clipHigh` (GRPO's 0.2); the widest
   * ratio floor 1 − clipLow · (1 + β) must stay > 0.
   */
  clipBeta: field(0.3, (value, { check, name, config }) => {
    check.number(name, value, { min: 0, below: 1 });
    if (config.clipLow * (1 + value) >= 1) {
      check.fail(
        name,
        "a value with clipLow * (1 + clipBeta) < 1 " +
          `(the widest ratio floor 1 - clipLow * s must stay > 0; clipLow ${config.clipLow})`,
        value,
      );
    }
  }),
  /**
   * Which golden answer the probability is of:
   * - `"first"` (IGPO's released generation.py keeps the first part of the ground truth):
   *   `goldenAnswers[0]`;
   * - `"max"` (ours): v_t = the max over the golden answers of their v_t (one request each).
   *
   * Default `"first"`.
   */
  gold: oneOf(["first", "max"], "first"),
  /**
   * Which target tokens v_t averages. The target of every request is the gold answer as the
   * policy would write it, `<answer> a_1 … a_L` (+ `</answer>`): the open tag is conditioned on,
   * never averaged (it puts the policy where it writes an answer, as IGPO's released prefix
   * "…</think>\n<answer>\n" does).
   * - `"answer"` (IGPO's released range: only the ground truth's tokens): v_t averages a_1..a_L;
   *   the close tag is not requested;
   * - `"answer-and-close"` (ours): the target ends with `</answer>` and v_t averages a_1..a_L and
   *   it, so p_t is the probability of exactly this answer, not of an answer that starts with it.
   *
   * Default `"answer"`.
   */
  answerSpan: oneOf(["answer", "answer-and-close"], "answer"),
  /**
   * Which turns the gold answer's entity slots are read from (`PolicyScorer.encode` with
   * `{ episode }`; SearchWorld's rollout writes entity names as episode-local slots):
   * - `"prefix"` (ours): the turns of the scored context (rounds ≤ t): the answer as the policy
   *   could write it after turn t (a name not shown yet gets the next free slot, as the scorer's
   *   contract says);
   * - `"full"`: every turn of the trajectory: the slot the answer has by the end of the episode,
   *   the same target for every t.
   * Without anonymisation both are the plain encoding. Default `"prefix"`.
   */
  goldEpisode: oneOf(["prefix", "full"], "prefix"),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const A2TGPO_CONFIG = grpoExtension<A2tgpoConfig>("a2tgpo config", A2TGPO_FIELDS);

/** Defaults: the GRPO baseline's settings with the paper's A²TGPO choices. */
export const A2TGPO_DEFAULTS: Readonly<A2tgpoConfig> = A2TGPO_CONFIG.defaults;

/**
 * Check an A²TGPO config; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * validateA2tgpoConfig(A2TGPO_DEFAULTS);
 * assert.throws(
 *   () => validateA2tgpoConfig({ ...A2TGPO_DEFAULTS, clipBeta: 1 }),
 *   /a2tgpo config: field "clipBeta" must be in \[0, 1\), got 1/,
 * );
 * ```
 */
export const validateA2tgpoConfig: (cfg: A2tgpoConfig) => void = A2TGPO_CONFIG.validate;
