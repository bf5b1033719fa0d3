/**
 * PURE's config: the GRPO baseline plus how round-judge scores become process rewards, how
 * process rewards become min-form returns, and how those returns join the outcome advantage.
 * Every field the paper leaves open (or fixes for math PRMs, not for a search agent's judge)
 * is an option here; README.md says which default is the paper's and which is ours.
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { type FieldValues, finite, grpoExtension, oneOf, variant } from "../grpo/options.ts";

/** The rounds soft-min weights are normalised over (`over` of {@link CreditForm}). */
const SOFT_MIN_OVER = ["trajectory", "suffix"] as const;

/**
 * How the per-round process rewards r_1..r_{K-1} become returns G_1..G_{K-1} (credit.ts).
 * - `soft-min` (the paper's): transformed rewards w_j r_j with soft-min weights
 *   w_j = softmax_j(-r_j / T), summed over the future: G_k = sum_{j >= k} w_j r_j.
 *   `over: "trajectory"` normalises w over all K-1 rounds (the paper's transform and the
 *   released code: exact min only for rounds up to the worst one, ~0 after it);
 *   `over: "suffix"` normalises over j >= k for each k (ours: G_k -> min_{j >= k} r_j as T -> 0
 *   for every k).
 * - `min`: G_k = min_{j >= k} r_j exactly (the released verl branch's "strict min-form").
 * - `sum`: G_k = sum_{j >= k} r_j, the canonical sum-form with gamma = 1 (the paper's
 *   collapsing baseline; the released "gamma-decay"), for ablations.
 */
export type CreditForm =
  | { kind: "soft-min"; temperature: number; over: (typeof SOFT_MIN_OVER)[number] }
  | { kind: "min" }
  | { kind: "sum" };

/** PURE config: the GRPO baseline plus the fields of {@link PURE_FIELDS} (below). */
export interface PureConfig extends GrpoConfig, FieldValues<typeof PURE_FIELDS> {}

/** How a round's judge scores make its score (`PURE_FIELDS.processScore` says what each is). */
export type ProcessScore = PureConfig["processScore"];
/** The range of the process reward (`PURE_FIELDS.processRange`). */
export type ProcessRange = PureConfig["processRange"];
/** What is done to the returns (`PURE_FIELDS.processNormalization`). */
export type ProcessNormalization = PureConfig["processNormalization"];

/** The fields PURE adds to the GRPO baseline: each one's doc, allowed values and default. */
export const PURE_FIELDS = {
  /** Default `{ kind: "soft-min", temperature: 0.1, over: "trajectory" }` (the paper's, T = 0.1). */
  credit: variant<CreditForm>({ kind: "soft-min", temperature: 0.1, over: "trajectory" }, {
    expected: '{ kind: "soft-min", temperature, over } | { kind: "min" } | { kind: "sum" }',
    kinds: {
      "soft-min": (c, { check, name }) => {
        check.number(
          `${name}.temperature`,
          c.temperature,
          { above: 0 },
          'use { kind: "min" } for T -> 0',
        );
        check.oneOf(`${name}.over`, c.over, SOFT_MIN_OVER);
      },
      min: null,
      sum: null,
    },
  }),
  /**
   * How the judge's two binary scores of a round make its score c_k in [0, 1].
   * - `"product"`: c_k = retrieval_k * thinking_k (CW-GRPO's contribution: the round counts only
   *   if it retrieved something relevant and new AND its reasoning/action was sound).
   * - `"mean"`: c_k = (retrieval_k + thinking_k) / 2 (half credit for one of the two).
   *
   * Default `"product"`.
   */
  processScore: oneOf(["product", "mean"], "product"),
  /**
   * The range of the process reward r_k made from c_k.
   * - `"signed"`: r_k = 2 c_k - 1 in [-1, 1], the range of the paper's PRM reward
   *   p(correct) - p(incorrect), so the temperature keeps its meaning.
   * - `"unit"`: r_k = c_k in [0, 1].
   *
   * Default `"signed"`.
   */
  processRange: oneOf(["signed", "unit"], "signed"),
  /**
   * What is done to the returns before they join the outcome advantage.
   * - `"group"`: z-scored jointly over every non-final round of every trajectory of the prompt
   *   group (with the config's `normalizeStd` and `eps`, like the outcome; a group with a single
   *   judged round gets 0).
   * - `"none"`: the raw returns (no baseline).
   *
   * Default `"group"`.
   */
  processNormalization: oneOf(["group", "none"], "group"),
  /**
   * lambda >= 0: A_{i,t} = A_i + lambda * A^proc_{i,k(t)} on the tokens of non-final rounds.
   * Default 1 (the released `verifiable_reward_coef: 1.0`: outcome and process at equal
   * weight). 0 is exactly GRPO.
   */
  processCoef: finite({ min: 0 }, 1),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const PURE_CONFIG = grpoExtension<PureConfig>("pure config", PURE_FIELDS);

/** Defaults: the GRPO baseline's settings + the paper's soft-min transform at T = 0.1. */
export const PURE_DEFAULTS: Readonly<PureConfig> = PURE_CONFIG.defaults;

/**
 * Check a PURE config; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * validatePureConfig(PURE_DEFAULTS);
 * assert.throws(
 *   () => validatePureConfig({ ...PURE_DEFAULTS, processCoef: -1 }),
 *   /field "processCoef" must be a finite number >= 0, got -1/,
 * );
 * ```
 */
export const validatePureConfig: (cfg: PureConfig) => void = PURE_CONFIG.validate;
