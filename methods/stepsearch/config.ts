/**
 * StepSearch's config: the GRPO baseline plus the step reward (information gain minus a
 * redundancy penalty, scaled) and how it enters a critic-free advantage. StepSearch itself is
 * PPO with GAE (gamma = lambda = 1); this module is a GRPO-family method, so how the step
 * rewards reach the tokens is an open choice, named here (README.md has the reasoning).
 * Sources: the released code Zillwang/StepSearch (verl/utils/reward_score/qa_step.py,
 * verl/trainer/main_ppo.py, train.sh, verl/trainer/config/ppo_trainer.yaml).
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { type FieldValues, finite, grpoExtension, oneOf, variant } from "../grpo/options.ts";

/**
 * How a gold-chain hop's document is found with the training search tool (SearchWorld; gold.ts).
 * - `fact`: the first of the top `searchK` passages for the hop's gold query whose text states
 *   the hop's fact (`the <relation> of <subject> is <entity>`); none: the hop is left out.
 * - `top`: the top passage for the hop's gold query.
 */
export type GoldDocRule = { kind: "fact"; searchK: number } | { kind: "top" };

/** StepSearch config: the GRPO baseline plus the fields of {@link STEPSEARCH_FIELDS} (below). */
export interface StepSearchConfig extends GrpoConfig, FieldValues<typeof STEPSEARCH_FIELDS> {}

/** What is done to the step rewards before they are accumulated (`STEPSEARCH_FIELDS`). */
export type StepNormalization = StepSearchConfig["stepNormalization"];

/** The fields StepSearch adds to the GRPO baseline: each one's doc, allowed values and default. */
export const STEPSEARCH_FIELDS = {
  /**
   * Scale of the step rewards. Default 0.6: `RewardManager(step_reward_scale=0.6)` in the
   * released verl/trainer/main_ppo.py. 0 is exactly GRPO.
   */
  stepScale: finite({ min: 0 }, 0.6),
  /**
   * w >= 0 in s_t = g_t - w p_t. Default 1: qa_step.py subtracts the penalty unweighted
   * (`trainer.redundancy_penalty=true` in train.sh).
   */
  redundancyWeight: finite({ min: 0 }, 1),
  /**
   * Which tokens a step reward s_t (of scored search round k_t) reaches, next to the GRPO
   * outcome advantage A_i that every policy token keeps.
   * - `"return"`: the return-to-go of step rewards, A_i + scale * sum_{t : k_t >= k} s^_t on the
   *   tokens of round k. The code places s_t on the last token of the search call
   *   (`_compute_step_reward_tensor`) and trains with GAE at gamma = lambda = 1
   *   (ppo_trainer.yaml), whose advantage of a token is the sum of the rewards at or after it
   *   minus a critic's value; here the group normalisation (`stepNormalization`) stands in for
   *   the critic, as in DeepSeekMath's process-supervised GRPO (arXiv 2402.03300 section 4.1.3).
   * - `"round"`: A_i + scale * s^_t on the tokens of round k_t only (each search call credited
   *   with its own step reward, not the later ones).
   * - `"trajectory"`: the code's own critic-free path: with `adv_estimator=grpo` its
   *   `compute_grpo_outcome_advantage` sums the token rewards, so A_i is the GRPO advantage of
   *   r_i + scale * sum_t s_t on every token (`stepNormalization` does not apply).
   *
   * Default `"return"` (the closest critic-free reading of GAE with gamma = lambda = 1).
   */
  credit: oneOf(["return", "round", "trajectory"], "return"),
  /**
   * What is done to the step rewards s_t before they are accumulated (`"return"`, `"round"`).
   * - `"group"`: s^ = (s - mean) / (std + eps), jointly over every scored round of every
   *   trajectory of the prompt group (unbiased std; without `normalizeStd`, s - mean; a group
   *   with a single scored round gets 0). Joint, not per round index, so it is not biased by the
   *   policy choosing how many rounds to take (verl issue 7244).
   * - `"none"`: s^ = s, the raw step reward (no baseline).
   *
   * Default `"none"` (open choice: the closest to the paper, which adds the raw step rewards under
   * a PPO critic; chosen by a 4-seed sweep, reports/sweeps/stepsearch.jsonl, in which no seed
   * collapsed, where `"group"` (GRPO's own way to give step rewards a baseline, DeepSeekMath
   * section 4.1.3) collapsed every seed of `reproduce stepsearch`; README.md "Collapse").
   */
  stepNormalization: oneOf(["group", "none"], "none"),
  /**
   * Default `{ kind: "fact", searchK: 10 }` (open choice: the code's gold documents are the
   * supporting paragraph of each sub-question; in SearchWorld that is the passage stating the
   * hop's fact, which the hop's gold query retrieves; 10 leaves room for near-twin distractors).
   * Metadata gold documents of open-domain questions are used as given whatever the rule.
   */
  goldDocs: variant<GoldDocRule>({ kind: "fact", searchK: 10 }, {
    expected: '{ kind: "fact", searchK } | { kind: "top" }',
    kinds: {
      fact: (g, { check, name }) => check.integer(`${name}.searchK`, g.searchK, { min: 1 }),
      top: null,
    },
  }),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const STEPSEARCH_CONFIG = grpoExtension<StepSearchConfig>(
  "stepsearch config",
  STEPSEARCH_FIELDS,
);

/** Defaults: the GRPO baseline's settings + the released code's step reward (scale 0.6, w = 1). */
export const STEPSEARCH_DEFAULTS: Readonly<StepSearchConfig> = STEPSEARCH_CONFIG.defaults;

/**
 * Check a StepSearch config; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * validateStepSearchConfig(STEPSEARCH_DEFAULTS);
 * assert.throws(
 *   () => validateStepSearchConfig({ ...STEPSEARCH_DEFAULTS, stepScale: -1 }),
 *   /field "stepScale" must be a finite number >= 0, got -1/,
 * );
 * ```
 */
export const validateStepSearchConfig: (cfg: StepSearchConfig) => void = STEPSEARCH_CONFIG.validate;
