/**
 * CW-GRPO's config: the GRPO baseline plus how round contributions become weights.
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { type FieldValues, grpoExtension, oneOf, variant } from "../grpo/options.ts";

/**
 * How contribution scores c_k of the K-1 non-final rounds become weights w_k.
 * - `normalize`: w_k = c_k / max(sum_j c_j, 1e-6) — the released setting ("gamma = infinity").
 * - `softmax`: w_k = exp(gamma c_k) / sum_j exp(gamma c_j), for a finite gamma > 0.
 */
export type ContributionWeighting =
  | { kind: "normalize" }
  | { kind: "softmax"; gamma: number };

/** CW-GRPO config: the GRPO baseline plus the fields of {@link CW_GRPO_FIELDS} (below). */
export interface CwGrpoConfig extends GrpoConfig, FieldValues<typeof CW_GRPO_FIELDS> {}

/** What a success whose non-final rounds all score 0 gets (`CW_GRPO_FIELDS` says more). */
export type AllZeroContributions = CwGrpoConfig["allZeroContributions"];

/** The fields CW-GRPO adds to the GRPO baseline: each one's doc, allowed values and default. */
export const CW_GRPO_FIELDS = {
  /** Default `{ kind: "normalize" }`, the released setting. */
  weighting: variant<ContributionWeighting>({ kind: "normalize" }, {
    expected: '{ kind: "normalize" } or { kind: "softmax", gamma }',
    kinds: {
      normalize: null,
      softmax: (w, { check, name }) => check.number(`${name}.gamma`, w.gamma, { above: 0 }),
    },
  }),
  /**
   * What a successful trajectory whose non-final rounds all score c_k = 0 gets (only reachable
   * with `normalize`; softmax gives uniform weights then).
   * - `"zero-non-final"`: w_k = 0, so its non-final rounds get advantage 0 and only the answer
   *   round is credited — what the released code (zsxmwjz/CW-GRPO) does.
   * - `"fall-back-to-grpo"`: w_k = 1 / (K-1), i.e. the plain GRPO advantage on every round.
   *
   * Default `"zero-non-final"`, the released behaviour.
   */
  allZeroContributions: oneOf(["zero-non-final", "fall-back-to-grpo"], "zero-non-final"),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const CW_GRPO_CONFIG = grpoExtension<CwGrpoConfig>("cw-grpo config", CW_GRPO_FIELDS);

/** Defaults: the GRPO baseline's settings (CW-GRPO trains with KL 0.001, k3) + released weighting. */
export const CW_GRPO_DEFAULTS: Readonly<CwGrpoConfig> = CW_GRPO_CONFIG.defaults;

/** Check a CW-GRPO config; throws naming the field. */
export const validateCwGrpoConfig: (cfg: CwGrpoConfig) => void = CW_GRPO_CONFIG.validate;
