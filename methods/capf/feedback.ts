/**
 * CAPF's privileged feedback call: the rollout hook that answers `<feedback> draft </feedback>`
 * in TRAINING rollouts with the privileged verifier the method asked the environment for, at
 * the configured detail level (`capf.resources(config)`; SearchWorld's gold-chain verifier, or
 * `LlmVerifier` for open-domain data). The verifier's feedback is passed through
 * unchanged: its text is written in the policy's vocabulary (SearchWorld's verifier uses only
 * world words, so a word-level policy reads it without unknown tokens).
 * Evaluation never installs rollout hooks, so the call does not exist there.
 *
 * @module
 */
import type { VerifierFeedback } from "@creditlab/core";
import type { MethodContext, RolloutHooks, RolloutState } from "@creditlab/train";
import type { CapfConfig } from "./config.ts";

/** The number of feedback calls a rollout may make under `config` (0 when disabled). */
export function maxFeedbackCalls(config: CapfConfig): number {
  return config.feedback.enabled ? config.feedback.maxCallsPerRollout : 0;
}

/**
 * Answer one feedback call: null (the rollout shows the invalid-action text) when feedback is
 * disabled, the rollout has used its calls, or the draft is empty; otherwise the verifier's
 * feedback. Throws when feedback is on but no verifier was granted (a configuration error,
 * never a silent refusal).
 */
export async function answerFeedback(
  state: RolloutState,
  draft: string,
  ctx: MethodContext<CapfConfig>,
): Promise<VerifierFeedback | null> {
  const fb = ctx.config.feedback;
  if (!fb.enabled || state.feedbackCalls >= fb.maxCallsPerRollout || draft.trim() === "") {
    return null;
  }
  const verifier = ctx.resources.get("privileged-verifier");
  const out = await verifier.verify(state.question, draft);
  if (typeof out?.text !== "string" || out.text.trim() === "") {
    throw new Error(
      `capf: the verifier returned no feedback text for question ${state.question.id}`,
    );
  }
  return out;
}

/** CAPF's rollout hooks (training only). */
export const capfRolloutHooks: RolloutHooks<CapfConfig> = {
  offersFeedback: (config) => config.feedback.enabled,
  maxCalls: maxFeedbackCalls,
  offerShare: (config) => config.feedback.enabled ? config.feedback.offerShare : 1,
  onFeedback: answerFeedback,
};
