/**
 * CAPF's config: the GRPO baseline plus the privileged feedback call and the credit
 * attenuation. Every choice the paper leaves open (METHODS.md, "NOT known") is a named option.
 *
 * @module
 */
import { configChecks, GRPO_DEFAULTS, type GrpoConfig, validateGrpoConfig } from "../grpo/mod.ts";
import type { FeedbackDetail } from "../llm.ts";

export type { FeedbackDetail } from "../llm.ts";

/** The privileged feedback call (training rollouts only; evaluation never offers it). */
export type FeedbackConfig =
  | { enabled: false }
  | {
    enabled: true;
    /** Calls allowed per rollout (default 1: one draft, one repair — the paper's example). */
    maxCallsPerRollout: number;
    /**
     * What the verifier may reveal: `"correctness"` | `"error-type"` | `"hint"` (the levels of
     * SearchWorld's verifier and of `LlmVerifier`). CAPF asks the environment for its verifier
     * at this level (`capf.resources(config)`). Default `"error-type"`: the paper's example flags
     * what is wrong ("Sochi" is the host city, not the country) without saying where to look next.
     */
    detail: FeedbackDetail;
  };

/**
 * Which policy rounds have their credit attenuated, relative to each feedback-call round f.
 * - `feedback-call-only`: round f only.
 * - `all-before-feedback`: every round k <= f (the paper: "the feedback call and earlier actions").
 * - `last-n-rounds`: rounds f - n + 1 .. f (n = 1 equals `feedback-call-only`).
 */
export type AttenuationReach =
  | { kind: "feedback-call-only" }
  | { kind: "all-before-feedback" }
  | { kind: "last-n-rounds"; n: number };

/**
 * What the attenuation scales, for tokens of attenuated rounds of trajectory i (factor lambda):
 * - `advantage`: A'_{i,t} = lambda * A_i.
 * - `reward`: A'_{i,t} = (lambda * r_i - mean_G r) / (std_G r + eps): those tokens are credited
 *   as if the attempt had earned the attenuated reward lambda * r_i, against the SAME group
 *   baseline as the other tokens (lambda = 1 gives GRPO; lambda = 0 treats the pre-feedback
 *   attempt as a failure). With std normalisation, a group whose rewards are all equal
 *   (std 0) gives those tokens 0 too: there is no scale to measure lambda r_i against, and
 *   dividing by eps alone would blow the advantage up by 1 / eps.
 * - `loss-weight`: advantages stay GRPO's; `lossWeights` gives lambda to those tokens (also
 *   scales their KL term, unlike `advantage`).
 */
export type AttenuationTarget = "advantage" | "reward" | "loss-weight";

/** Credit attenuation of the feedback call and the actions before it. */
export interface AttenuationConfig {
  /**
   * lambda in [0, 1]. Default 0.1: small enough that a repair trajectory's credit is carried
   * mostly by the rounds after the feedback (the behaviour that transfers to deployment, where
   * the call does not exist), yet nonzero so the searches that made the repair possible still
   * receive some signal of the right sign. lambda = 1 is GRPO; lambda = 0 removes all credit.
   */
  factor: number;
  /** Default `all-before-feedback` (the paper's wording). */
  reach: AttenuationReach;
  /** Default `advantage` (the simplest reading; scale-free under GRPO's std normalisation). */
  target: AttenuationTarget;
}

/** CAPF config: GRPO plus feedback and attenuation. */
export interface CapfConfig extends GrpoConfig {
  feedback: FeedbackConfig;
  attenuation: AttenuationConfig;
}

/** Defaults: Search-R1-style GRPO, one error-type feedback call, lambda 0.1 up to the call. */
export const CAPF_DEFAULTS: Readonly<CapfConfig> = Object.freeze({
  ...GRPO_DEFAULTS,
  feedback: Object.freeze({
    enabled: true,
    maxCallsPerRollout: 1,
    detail: "error-type",
  }) as FeedbackConfig,
  attenuation: Object.freeze({
    factor: 0.1,
    reach: Object.freeze({ kind: "all-before-feedback" }) as AttenuationReach,
    target: "advantage",
  }) as AttenuationConfig,
});

/** Check a CAPF config; throws naming the field. */
export function validateCapfConfig(cfg: CapfConfig): void {
  validateGrpoConfig(cfg, "capf config");
  const check = configChecks("capf config");
  const fb = cfg.feedback as FeedbackConfig | undefined;
  if (!fb || typeof fb.enabled !== "boolean") {
    return check.fail(
      "feedback.enabled",
      "a boolean",
      (fb as { enabled?: unknown } | undefined)?.enabled,
    );
  }
  if (fb.enabled) {
    check.integer("feedback.maxCallsPerRollout", fb.maxCallsPerRollout, { min: 1 });
    check.oneOf("feedback.detail", fb.detail, ["correctness", "error-type", "hint"]);
  }
  const at = cfg.attenuation as AttenuationConfig | undefined;
  if (!at) return check.fail("attenuation", "an object", at);
  check.number("attenuation.factor", at.factor, { min: 0, max: 1 });
  check.oneOf("attenuation.target", at.target, ["advantage", "reward", "loss-weight"]);
  const reach = at.reach as AttenuationReach | undefined;
  if (reach?.kind === "last-n-rounds") {
    check.integer("attenuation.reach.n", reach.n, { min: 1 });
  } else if (reach?.kind !== "feedback-call-only" && reach?.kind !== "all-before-feedback") {
    check.fail(
      "attenuation.reach",
      '{ kind: "feedback-call-only" | "all-before-feedback" } or { kind: "last-n-rounds", n }',
      reach,
    );
  }
}

/**
 * The detail level CAPF asks its privileged verifier at (`capf.resources(config)`; the
 * environment serves `world.verifier({ detail })` or `new LlmVerifier(client, { detail })`);
 * null when the feedback call is disabled.
 */
export function capfVerifierDetail(config: CapfConfig): FeedbackDetail | null {
  return config.feedback.enabled ? config.feedback.detail : null;
}
