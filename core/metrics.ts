/**
 * Step-metric names: one namespaced convention, `<area>/<name>` in snake_case.
 *
 * - The harness's metrics (rollouts, rewards, the policy loss, the optimizer) are the
 *   constants of {@link METRIC}; the trainer logs them and reports import them.
 * - A method's own metrics are `<method name>/<name>` ({@link methodMetric}); reports find them
 *   by that prefix and never name them. Those under `<method name>/calls/` count training-only
 *   calls the method made in the step ({@link methodCallMetric}); reports draw them and list
 *   them as extra calls per step.
 *
 * @module
 */

/** Names of the metrics the harness logs at every RL step. */
export const METRIC = {
  /** Mean reward (after the method's shaping) of every trajectory sampled in the step. */
  rewardMean: "reward/mean",
  /** Mean exact-match outcome of every trajectory sampled in the step. */
  outcomeEm: "outcome/em",
  /** Share of sampled groups without a trajectory of outcome 1. */
  noSuccessShare: "groups/no_success_share",
  /** Groups in the trained batch. */
  groupCount: "groups/count",
  /** Share of the trained batch's groups whose rewards are all equal (zero GRPO signal). */
  uniformGroupShare: "groups/uniform_share",
  /** Mean search calls per sampled trajectory. */
  toolCallsMean: "tool_calls/mean",
  /** Mean answered privileged-feedback calls per sampled trajectory (training rollouts only). */
  feedbackCallsMean: "feedback_calls/mean",
  /** Mean invalid actions per sampled trajectory. */
  invalidActionsMean: "invalid_actions/mean",
  /** Trajectories kept for the update (after dynamic sampling). */
  trajectoriesKept: "trajectories/kept",
  /** The policy loss that was differentiated (surrogate + KL term). */
  loss: "loss/total",
  /** The aggregated (weighted) clipped surrogate. */
  pgLoss: "loss/pg",
  /** klCoef times {@link METRIC.kl}. */
  klLoss: "loss/kl",
  /** Aggregated KL estimate of the policy against the frozen reference. */
  kl: "kl/ref",
  /** k1 estimate of KL(behaviour policy || policy) (verl's ppo_kl). */
  behaviourKl: "kl/behaviour_k1",
  /** k3 estimate of KL(behaviour policy || policy). */
  behaviourKlK3: "kl/behaviour_k3",
  /** Share of tokens where the clip bound is active. */
  clipFraction: "clip/fraction",
  /** Share of tokens where the dual clip is active. */
  dualClipFraction: "clip/dual_fraction",
  /** Mean importance ratio. */
  ratioMean: "ratio/mean",
  /** Largest importance ratio. */
  ratioMax: "ratio/max",
  /** Global gradient norm before clipping. */
  gradNorm: "optim/grad_norm",
  /** Micro-batches of the update (mean over updates). */
  microBatches: "optim/micro_batches",
  /** Optimizer updates of the step (logged when more than one). */
  updates: "optim/updates",
  /** 1 when the step's update was skipped for a non-finite loss or gradient. */
  skippedNonFinite: "optim/skipped_nonfinite",
  /** Wall seconds of the whole step (sampling, credit, update); see {@link isTimingMetric}. */
  stepSeconds: "time/step_s",
  /** Wall seconds of the step's rollouts (sampling and search, every dynamic-sampling round). */
  rolloutSeconds: "time/rollout_s",
  /**
   * Wall seconds of the method's calls of the step (`rewards` and `step`), with the judge,
   * verifier and policy-scorer calls they make; rollout hooks (e.g. feedback calls) count in
   * {@link METRIC.rolloutSeconds}.
   */
  creditSeconds: "time/credit_s",
  /** Wall seconds of the policy update (log-probs, loss, gradients, optimizer). */
  updateSeconds: "time/update_s",
} as const;

/** A harness metric name. */
export type HarnessMetric = typeof METRIC[keyof typeof METRIC];

/**
 * Whether `metric` is a wall-time measurement (`time/...`): the only step metrics that differ
 * between two runs of the same seed, so every bit-for-bit comparison of runs leaves them out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isTimingMetric(METRIC.stepSeconds), true);
 * assert.equal(isTimingMetric(METRIC.rewardMean), false);
 * ```
 */
export function isTimingMetric(metric: string): boolean {
  return metric.startsWith("time/");
}

/**
 * The name of method `method`'s metric `name`: `<method>/<name>`.
 *
 * @example
 * ```ts
 * methodMetric("alpha", "success_share"); // "alpha/success_share"
 * ```
 */
export function methodMetric(method: string, name: string): string {
  return `${method}/${name}`;
}

/**
 * The name of a method metric that counts training-only calls of the step:
 * `<method>/calls/<name>`.
 *
 * @example
 * ```ts
 * methodCallMetric("alpha", "feedback"); // "alpha/calls/feedback"
 * ```
 */
export function methodCallMetric(method: string, name: string): string {
  return `${method}/calls/${name}`;
}

/** Whether `metric` belongs to method `method` (its name starts with `<method>/`). */
export function isMethodMetric(metric: string, method: string): boolean {
  return metric.startsWith(`${method}/`);
}

/** Whether `metric` is a call count of method `method` (`<method>/calls/...`). */
export function isMethodCallMetric(metric: string, method: string): boolean {
  return metric.startsWith(`${method}/calls/`);
}
