/**
 * The method contract (DESIGN.md section 4): what the trainer calls on a credit-assignment
 * method, and the training-only resources and rollout hooks it gets. The shared vocabulary
 * (question, trajectory, rollout batch, loss config, ...) is in @creditlab/core.
 *
 * @module
 */

import type {
  DynamicSampling,
  PolicyLossConfig,
  PrivilegedVerifier,
  Question,
  RegimeName,
  RolloutBatch,
  RoundJudge,
  SearchTool,
  Trajectory,
  Turn,
  VerifierFeedback,
} from "@creditlab/core";
import type { Rng } from "@creditlab/kernels";

/**
 * What an environment makes available to methods during training. Everything here is
 * privileged or training-only: evaluation never passes it.
 */
export interface TrainingResources {
  search: SearchTool;
  verifier?: PrivilegedVerifier;
  roundJudge?: RoundJudge;
}

/** Context passed to every method call. */
export interface MethodContext<C> {
  config: C;
  /** Questions of the batch by id. */
  questions: ReadonlyMap<string, Question>;
  /** Training-only resources of the environment. */
  resources: TrainingResources;
  /** Seeded randomness for the method (never global). */
  rng: Rng;
  step: number;
}

/** Per-rollout state a hook can read. */
export interface RolloutState {
  question: Question;
  /** Turns so far (prompt first). */
  turns: readonly Turn[];
  /** Number of feedback calls made so far in this rollout. */
  feedbackCalls: number;
}

/** Extra calls a method adds to TRAINING rollouts (never offered at evaluation). */
export interface RolloutHooks<C> {
  /** Whether the feedback action is offered in this rollout's prompt. */
  offersFeedback(config: C): boolean;
  /** At most this many feedback calls per rollout (the rollout's round budget grows by it). */
  maxCalls(config: C): number;
  /**
   * Answer a feedback call. Returns the feedback text shown to the policy, or null when the
   * call is not allowed now (then the rollout treats it as an invalid action).
   */
  onFeedback(
    state: RolloutState,
    draft: string,
    ctx: MethodContext<C>,
  ): Promise<VerifierFeedback | null>;
}

/**
 * A credit-assignment method (DESIGN.md section 4). The trainer calls only this interface.
 *
 * Order of calls for one training step:
 * rollout (with `rolloutHooks`) -> `reward` per trajectory -> batch -> `advantages`
 * -> `lossWeights` -> loss with `loss(config)`.
 */
export interface Method<C = unknown> {
  /** Registry name, e.g. "grpo", "capf". */
  name: string;
  /** One line: what the method does. */
  summary: string;
  /** Default config (every field documented in the method's config type). */
  defaults: C;
  /** The regime its paper's claim is about; `reproduce` trains in it by default (else `mixed`). */
  regime?: RegimeName;
  /** Training-only rollout extensions. */
  rolloutHooks?: RolloutHooks<C>;
  /**
   * Reward of one trajectory. `outcome` is the exact-match outcome reward (0 or 1) the
   * harness computed with the Search-R1 metric; methods that shape rewards start from it.
   */
  reward?(
    traj: Trajectory,
    opts: { question: Question; outcome: number; ctx: MethodContext<C> },
  ): number;
  /** Per-token advantages aligned with `batch.tokens` (0 where lossMask is 0). */
  advantages(batch: RolloutBatch, ctx: MethodContext<C>): Promise<Float32Array> | Float32Array;
  /** Optional per-token loss multipliers (1 = unchanged). */
  lossWeights?(batch: RolloutBatch, ctx: MethodContext<C>): Float32Array;
  /** The policy loss to use with this config. */
  loss(config: C): PolicyLossConfig;
  /** DAPO-style dynamic sampling, if the config asks for it. */
  dynamicSampling(config: C): DynamicSampling;
  /** Extra per-step metrics the method wants recorded (e.g. judge calls). */
  stepMetrics?(batch: RolloutBatch, ctx: MethodContext<C>): Record<string, number>;
}
