/**
 * E-GRPO's config: the GRPO baseline plus the entity-aware partial reward.
 *
 * @module
 */
import { GRPO_DEFAULTS, type GrpoConfig, grpoConfigChecks } from "../grpo/mod.ts";

/**
 * How a gold entity is found in the agent's text (both sides normalised like Search-R1's
 * `normalize_answer`: lower-case, ASCII punctuation and the articles a/an/the removed).
 * - `"normalized-substring"`: the entity's normalised words appear consecutively, as whole words.
 * - `"token-set"`: every word of the entity appears somewhere in the text (any order).
 */
export type EntityMatching = "normalized-substring" | "token-set";

/**
 * Which text counts as the agent's "reasoning and queries".
 * - `"before-final-answer"`: every policy turn's text, the final answer round cut before its
 *   `<answer>` tag (the answer itself does not count: it is already scored by EM).
 * - `"all-policy-text"`: every policy turn's text including the answer.
 * Observations (retrieved passages) never count: entities must be identified BY the agent.
 */
export type EntityTextScope = "before-final-answer" | "all-policy-text";

/**
 * gamma_hat from gamma.
 * - `"group-max"`: gamma_hat_i = gamma_i / max_{j in group} gamma_j over every trajectory j of the
 *   group (0 when the max is 0).
 * - `"none"`: gamma_hat_i = gamma_i.
 */
export type GammaNormalization = "group-max" | "none";

/**
 * Reward of a trajectory that produced no answer (format error or token budget exhausted).
 * - `"zero"`: 0 — the paper handles format/overlength errors separately from near-misses.
 * - `"entity-credit"`: alpha * gamma_hat like any incorrect answer.
 */
export type NoAnswerReward = "zero" | "entity-credit";

/** E-GRPO config. */
export interface EGrpoConfig extends GrpoConfig {
  /** alpha in [0, 1): weight of the entity reward of incorrect samples (paper: about 0.3 is best). */
  alpha: number;
  /** Default `"normalized-substring"`: SearchWorld names are exact strings; no model needed. */
  matching: EntityMatching;
  /** Default `"before-final-answer"`. */
  textScope: EntityTextScope;
  /**
   * Default `"group-max"` (the maximum over every trajectory of the group, correct ones
   * included): the paper defines a normalised gamma_hat without giving its form; the group
   * maximum is the natural normalisation for a group-relative method (the group's best entity
   * coverage gets gamma_hat = 1), and under std normalisation it leaves all-incorrect groups'
   * advantages unchanged — only mixed groups differ.
   */
  normalization: GammaNormalization;
  /** Default `"zero"`. */
  noAnswer: NoAnswerReward;
}

/** Defaults: GRPO baseline settings, alpha 0.3, string matching, group-max normalisation. */
export const E_GRPO_DEFAULTS: Readonly<EGrpoConfig> = Object.freeze({
  ...GRPO_DEFAULTS,
  alpha: 0.3,
  matching: "normalized-substring",
  textScope: "before-final-answer",
  normalization: "group-max",
  noAnswer: "zero",
});

/** Check an E-GRPO config; throws naming the field. */
export function validateEGrpoConfig(cfg: EGrpoConfig): void {
  const check = grpoConfigChecks(cfg, "e-grpo config");
  check.number(
    "alpha",
    cfg.alpha,
    { min: 0, below: 1 },
    "a near-miss must earn less than a correct answer",
  );
  check.oneOf("matching", cfg.matching, ["normalized-substring", "token-set"]);
  check.oneOf("textScope", cfg.textScope, ["before-final-answer", "all-policy-text"]);
  check.oneOf("normalization", cfg.normalization, ["group-max", "none"]);
  check.oneOf("noAnswer", cfg.noAnswer, ["zero", "entity-credit"]);
}
