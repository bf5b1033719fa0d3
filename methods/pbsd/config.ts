/**
 * PBSD's config: the GRPO baseline plus how the gold answer enters the teacher's context, how
 * the teacher-minus-student log-ratio becomes turn credit, and how that credit reweights the
 * outcome advantage. The paper (Tian et al., arXiv 2606.09348) fixes the credit (a sum of
 * per-token log-ratios between the answer-conditioned teacher and the student, both the policy
 * itself); its full text and code were not retrievable here, so every other choice is an option
 * whose doc comment says "open choice" and why its default was taken (README.md, "Options").
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { field, type FieldValues, finite, grpoExtension, oneOf } from "../grpo/options.ts";

/** Where the gold-answer line goes (`placement` of {@link GoldContext}). */
const GOLD_PLACEMENTS = ["after-prompt", "before-prompt"] as const;
/** Which golden answers fill it (`answers` of {@link GoldContext}). */
const GOLD_ANSWERS = ["first", "all"] as const;

/** How the gold answer is written into the teacher's context. */
export interface GoldContext {
  /**
   * Text of the gold-answer line, `{answer}` replaced by the answer(s), encoded with the
   * policy's tokenizer (`PolicyScorer.encode`). Default `"gold answer : {answer}"`: open choice;
   * the `key : value` shape of SearchWorld's prompt (`question : ... tools : ...`,
   * agent/protocol.ts `buildPrompt`), as the brief suggests.
   */
  template: string;
  /**
   * Where the line goes. `"after-prompt"` (default, open choice): prompt tokens, then the line,
   * then the trajectory's turns — the teacher reads the question, then the answer, then acts,
   * and the student's context is the teacher's minus the line. `"before-prompt"`: the line,
   * then the prompt (the hint far from the actions).
   */
  placement: (typeof GOLD_PLACEMENTS)[number];
  /**
   * Which of the question's `goldenAnswers` fill `{answer}`. `"first"` (default, open choice:
   * the canonical answer, one string as the paper's single verified answer y*); `"all"`: every
   * alias joined by `" or "`.
   */
  answers: (typeof GOLD_ANSWERS)[number];
}

/** Bounds each weight is clipped to after normalisation, min in [0, 1], max >= 1. */
export interface WeightClip {
  min: number;
  max: number;
}

/** PBSD config: the GRPO baseline plus the fields of {@link PBSD_FIELDS} (below). */
export interface PbsdConfig extends GrpoConfig, FieldValues<typeof PBSD_FIELDS> {}

/** Where the student's log-probabilities come from (`PBSD_FIELDS.studentLogProbs` says more). */
export type StudentLogProbs = PbsdConfig["studentLogProbs"];
/** The unit the credit reweights (`PBSD_FIELDS.granularity`). */
export type Granularity = PbsdConfig["granularity"];
/** Which policy rounds are scored and reweighted (`PBSD_FIELDS.scoredRounds`). */
export type ScoredRounds = PbsdConfig["scoredRounds"];
/** A turn's credit from its tokens' log-ratios (`PBSD_FIELDS.turnCredit`). */
export type TurnCredit = PbsdConfig["turnCredit"];

/** The fields PBSD adds to the GRPO baseline: each one's doc, allowed values and default. */
export const PBSD_FIELDS = {
  /** Default `{ template: "gold answer : {answer}", placement: "after-prompt", answers: "first" }`. */
  goldContext: field<GoldContext>(
    { template: "gold answer : {answer}", placement: "after-prompt", answers: "first" },
    (g: GoldContext | undefined, { check, name }) => {
      if (g === null || typeof g !== "object") {
        return check.fail(name, "{ template, placement, answers }", g);
      }
      if (typeof g.template !== "string" || !g.template.includes("{answer}")) {
        check.fail(`${name}.template`, 'a string containing "{answer}"', g.template);
      }
      check.oneOf(`${name}.placement`, g.placement, GOLD_PLACEMENTS);
      check.oneOf(`${name}.answers`, g.answers, GOLD_ANSWERS);
    },
  ),
  /**
   * Where the student's log-probabilities log pi(y_t | q, prefix) come from.
   * - `"recompute"` (default): scored by the policy scorer on the trajectory's own context, at
   *   temperature 1 like the teacher. Open choice, taken for symmetry: both sides of the ratio
   *   are then the same function of the same weights and differ only by the gold line, so the
   *   credit is exactly 0 when the gold line changes nothing (the Bayes identity needs one
   *   model).
   * - `"sampled"`: `Turn.sampledLogProbs` of the rollout (one scorer request per trajectory
   *   instead of two). They are at the rollout temperature T; for T != 1 the ratio then mixes
   *   log softmax(z) with log softmax(z / T) and is not 0 even when the gold line is ignored.
   */
  studentLogProbs: oneOf(["recompute", "sampled"], "recompute"),
  /**
   * The unit the credit reweights.
   * - `"turn"` (default, the paper's "turn-level signals"): every token of turn k gets weight
   *   w_k from the turn credit c_k.
   * - `"token"`: every scored token t gets its own weight from its log-ratio delta_t (the
   *   autoregressive decomposition one level finer), normalised over the trajectory's scored
   *   tokens.
   */
  granularity: oneOf(["turn", "token"], "turn"),
  /**
   * Which policy rounds are scored and reweighted.
   * - `"non-final"` (default, open choice): rounds 1..K-1; round K (the answer) keeps the
   *   outcome advantage. Its log-ratio is mostly whether it names the gold answer the teacher is
   *   reading (the outcome again, the largest term by far), and it would take most of the
   *   weight; the paper's claim is about "each intermediate turn".
   * - `"all"`: rounds 1..K.
   */
  scoredRounds: oneOf(["non-final", "all"], "non-final"),
  /**
   * A turn's credit from its tokens' log-ratios.
   * - `"sum"` (default, the paper's decomposition: the log of the product of per-token ratios,
   *   so the turns' credits add up to the trajectory's evidence score).
   * - `"mean"`: divided by the turn's token count (length-neutral; open choice for ablation).
   */
  turnCredit: oneOf(["sum", "mean"], "sum"),
  /**
   * beta >= 0 in w_k = m * softmax_k(beta * s * c_k) over the trajectory's m scored units.
   * Default 1 (open choice): weights proportional to each turn's likelihood ratio
   * pi(a_k | h, y*) / pi(a_k | h), the Bayes factor the turn contributes to the verified
   * answer's posterior — our reading of "Bayes-calibrated". 0 is exactly GRPO (no scorer).
   */
  creditCoef: finite({ min: 0 }, 1),
  /**
   * How a negative outcome advantage is reweighted.
   * - `"mirror"` (default, open choice read from the abstract: "failed trajectories may contain
   *   valuable evidence-gathering steps"): the weights use -c, so a failed trajectory's turns
   *   that support the gold answer take less of the penalty, those that undermine it more.
   * - `"uniform"`: A <= 0 keeps GRPO's uniform advantage (CW-GRPO's rule; no scorer calls for
   *   failed trajectories).
   */
  negativeAdvantage: oneOf(["mirror", "uniform"], "mirror"),
  /**
   * Default null (open choice: softmax weights are already bounded by (0, m)). Clipping is
   * applied after normalisation without renormalising; since min <= 1 <= max, uniform weights
   * (the GRPO reductions) are never clipped.
   */
  weightClip: field<WeightClip | null>(
    null,
    (clip: WeightClip | null | undefined, { check, name }) => {
      if (clip !== null) {
        if (clip === undefined || typeof clip !== "object") {
          return check.fail(name, "null or { min, max }", clip);
        }
        check.number(`${name}.min`, clip.min, { min: 0, max: 1 });
        check.number(`${name}.max`, clip.max, { min: 1 });
      }
    },
  ),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const PBSD_CONFIG = grpoExtension<PbsdConfig>("pbsd config", PBSD_FIELDS);

/** Defaults: the GRPO baseline's settings + PBSD's turn credit at beta = 1. */
export const PBSD_DEFAULTS: Readonly<PbsdConfig> = PBSD_CONFIG.defaults;

/**
 * Check a PBSD config; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * validatePbsdConfig(PBSD_DEFAULTS);
 * assert.throws(
 *   () => validatePbsdConfig({ ...PBSD_DEFAULTS, creditCoef: -1 }),
 *   /pbsd config: field "creditCoef" must be a finite number >= 0, got -1/,
 * );
 * ```
 */
export const validatePbsdConfig: (cfg: PbsdConfig) => void = PBSD_CONFIG.validate;
