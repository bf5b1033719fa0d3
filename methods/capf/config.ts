/**
 * CAPF's config: the GRPO baseline plus the privileged feedback call and the credit
 * attenuation. Every choice the paper leaves open (METHODS.md, "NOT known") is a named option.
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { field, type FieldValues, grpoExtension, variant } from "../grpo/options.ts";
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
    /**
     * Share of each group's samples whose prompt offers the call, in (0, 1]: the first
     * ceil(share * G) samples; the others get the deployment prompt (the one evaluation uses)
     * and count in the same group baseline. 1 is the paper's setting as far as the abstract says
     * (every sample). Default 0.5: below 1, RL also updates the policy on the feedback-free
     * prompt, and 0.5 beat 1 on 3 of 3 smoke seeds and 3 of 4 sparse-success seeds
     * (reports/sweeps/capf.jsonl, capf-sparse.jsonl; methods/capf/README.md).
     */
    offerShare: number;
    /**
     * Reward of a repair, as a factor of the outcome reward, in [0, 1]: a trajectory that
     * answered correctly after a feedback call whose verdict was not "correct" earns
     * `repairReward * EM` (the paper's summary speaks of partial credit for revisions; it gives
     * no value). Default 1: a repair earns the full reward, like an unassisted success.
     */
    repairReward: number;
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

/** Every {@link AttenuationWhen}. */
const ATTENUATION_WHENS = ["every-call", "not-correct"] as const;

/**
 * Which answered feedback calls anchor an attenuation:
 * - `every-call`: every answered call, including a "correct" confirmation of the draft.
 * - `not-correct`: only calls whose verdict was not "correct" (a confirmation repaired nothing,
 *   so its rounds keep full credit). A feedback turn without a recorded verdict counts as not
 *   correct.
 */
export type AttenuationWhen = (typeof ATTENUATION_WHENS)[number];

/** Credit attenuation of the feedback call and the actions before it. */
export interface AttenuationConfig {
  /**
   * lambda in [0, 1]: 1 leaves the credit as GRPO's; 0 removes it from the attenuated rounds, so
   * a repaired trajectory's credit sits on the rounds after the feedback only (the behaviour
   * that transfers to deployment, where the call does not exist). The paper gives no value.
   * Default 0.5: in CAPF's regime (sparse-success, offerShare 0.5, RL seeds 1-4) the sweep of
   * lambda over 0, 0.1, 0.5 and 1 gave 0.5 the highest mean EM after RL in both worlds; it beat
   * lambda 0 on 3 of 4 seeds in each world, +6.8 / +4.4 EM points on average
   * (reports/sweeps/capf-sparse.jsonl; methods/capf/README.md), within 4 seeds' noise.
   */
  factor: number;
  /** Default `all-before-feedback` (the paper's wording). */
  reach: AttenuationReach;
  /** Default `every-call` (the paper attenuates "the feedback call", whatever it answered). */
  when: AttenuationWhen;
}

/** The check of {@link AttenuationReach} (default `all-before-feedback`, the paper's wording). */
const ATTENUATION_REACH = variant<AttenuationReach>({ kind: "all-before-feedback" }, {
  expected:
    '{ kind: "feedback-call-only" | "all-before-feedback" } or { kind: "last-n-rounds", n }',
  kinds: {
    "feedback-call-only": null,
    "all-before-feedback": null,
    "last-n-rounds": (reach, { check, name }) => check.integer(`${name}.n`, reach.n, { min: 1 }),
  },
});

/** The detail levels of the privileged verifier (the {@link FeedbackDetail} union of core). */
const FEEDBACK_DETAILS: readonly FeedbackDetail[] = ["correctness", "error-type", "hint"];

/** CAPF config: the GRPO baseline plus the fields of {@link CAPF_FIELDS} (below). */
export interface CapfConfig extends GrpoConfig, FieldValues<typeof CAPF_FIELDS> {}

/** The fields CAPF adds to the GRPO baseline: each one's doc, allowed values and default. */
export const CAPF_FIELDS = {
  /**
   * The privileged feedback call. Default: one error-type call offered to half of each group,
   * full reward for a repair.
   */
  feedback: field<FeedbackConfig>({
    enabled: true,
    maxCallsPerRollout: 1,
    detail: "error-type",
    offerShare: 0.5,
    repairReward: 1,
  }, (fb: FeedbackConfig | undefined, { check, name }) => {
    if (!fb || typeof fb.enabled !== "boolean") {
      return check.fail(
        `${name}.enabled`,
        "a boolean",
        (fb as { enabled?: unknown } | undefined)?.enabled,
      );
    }
    if (fb.enabled) {
      check.integer(`${name}.maxCallsPerRollout`, fb.maxCallsPerRollout, { min: 1 });
      check.oneOf(`${name}.detail`, fb.detail, FEEDBACK_DETAILS);
      check.number(`${name}.offerShare`, fb.offerShare, { above: 0, max: 1 });
      check.number(`${name}.repairReward`, fb.repairReward, { min: 0, max: 1 });
    }
  }),
  /** Credit attenuation. Default: lambda 0.5 on every round up to every answered call. */
  attenuation: field<AttenuationConfig>({
    factor: 0.5,
    reach: ATTENUATION_REACH.default,
    when: "every-call",
  }, (at: AttenuationConfig | undefined, ctx) => {
    const { check, name } = ctx;
    if (!at) return check.fail(name, "an object", at);
    check.number(`${name}.factor`, at.factor, { min: 0, max: 1 });
    if ("target" in at) {
      check.fail(
        `${name}.target`,
        'absent: the attenuation scales the advantage ("loss-weight" computed the same update, ' +
          '"reward" did not attenuate failed attempts; see methods/capf/README.md)',
        (at as { target?: unknown }).target,
      );
    }
    check.oneOf(`${name}.when`, at.when, ATTENUATION_WHENS);
    ATTENUATION_REACH.check(at.reach, { ...ctx, name: `${name}.reach` });
  }),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const CAPF_CONFIG = grpoExtension<CapfConfig>("capf config", CAPF_FIELDS);

/**
 * Defaults: Search-R1-style GRPO, one error-type feedback call offered to half of each group,
 * full reward for a repair, lambda 0.5 up to every answered call.
 */
export const CAPF_DEFAULTS: Readonly<CapfConfig> = CAPF_CONFIG.defaults;

/** Check a CAPF config; throws naming the field. */
export const validateCapfConfig: (cfg: CapfConfig) => void = CAPF_CONFIG.validate;

/**
 * The detail level CAPF asks its privileged verifier at (`capf.resources(config)`; the
 * environment serves `world.verifier({ detail })` or `new LlmVerifier(client, { detail })`);
 * null when the feedback call is disabled.
 */
export function capfVerifierDetail(config: CapfConfig): FeedbackDetail | null {
  return config.feedback.enabled ? config.feedback.detail : null;
}
