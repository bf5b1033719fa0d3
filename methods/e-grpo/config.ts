/**
 * E-GRPO's config: the GRPO baseline plus the entity-aware partial reward.
 *
 * @module
 */
import {
  ENTITY_MATCH_DEFAULTS,
  type EntityMatching,
  type EntityTextScope,
} from "@creditlab/datasets";
import type { GrpoConfig } from "../grpo/mod.ts";
import { type FieldValues, finite, grpoExtension, oneOf } from "../grpo/options.ts";

export type { EntityMatching, EntityTextScope };

/** E-GRPO config: the GRPO baseline plus the fields of {@link E_GRPO_FIELDS} (below). */
export interface EGrpoConfig extends GrpoConfig, FieldValues<typeof E_GRPO_FIELDS> {}

/** gamma_hat from gamma (`E_GRPO_FIELDS.normalization` says what each value is). */
export type GammaNormalization = EGrpoConfig["normalization"];

/** The fields E-GRPO adds to the GRPO baseline: each one's doc, allowed values and default. */
export const E_GRPO_FIELDS = {
  /** alpha in [0, 1): weight of the entity reward of incorrect samples (paper: about 0.3 is best). */
  alpha: finite({ min: 0, below: 1, why: "a near-miss must earn less than a correct answer" }, 0.3),
  /** Default `"normalized-substring"`: SearchWorld names are exact strings; no model needed. */
  matching: oneOf<readonly EntityMatching[]>(
    ["normalized-substring", "token-set"],
    ENTITY_MATCH_DEFAULTS.matching,
  ),
  /** Default `"before-final-answer"`. */
  textScope: oneOf<readonly EntityTextScope[]>(
    ["before-final-answer", "all-policy-text"],
    ENTITY_MATCH_DEFAULTS.textScope,
  ),
  /**
   * gamma_hat from gamma.
   * - `"group-max"`: gamma_hat_i = gamma_i / max_{j in group} gamma_j over every trajectory j of
   *   the group (0 when the max is 0).
   * - `"none"`: gamma_hat_i = gamma_i.
   *
   * Default `"group-max"` (the maximum over every trajectory of the group, correct ones
   * included): the paper defines a normalised gamma_hat without giving its form; the group
   * maximum is the natural normalisation for a group-relative method (the group's best entity
   * coverage gets gamma_hat = 1), and under std normalisation it leaves all-incorrect groups'
   * advantages unchanged — only mixed groups differ.
   */
  normalization: oneOf(["group-max", "none"], "group-max"),
  /**
   * Reward of a trajectory that produced no answer (format error or token budget exhausted).
   * - `"zero"`: 0 — the paper handles format/overlength errors separately from near-misses.
   * - `"entity-credit"`: alpha * gamma_hat like any incorrect answer.
   *
   * Default `"zero"`.
   */
  noAnswer: oneOf(["zero", "entity-credit"], "zero"),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const E_GRPO_CONFIG = grpoExtension<EGrpoConfig>("e-grpo config", E_GRPO_FIELDS);

/** Defaults: GRPO baseline settings, alpha 0.3, string matching, group-max normalisation. */
export const E_GRPO_DEFAULTS: Readonly<EGrpoConfig> = E_GRPO_CONFIG.defaults;

/** Check an E-GRPO config; throws naming the field. */
export const validateEGrpoConfig: (cfg: EGrpoConfig) => void = E_GRPO_CONFIG.validate;
