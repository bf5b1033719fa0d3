/**
 * The method contract (DESIGN.md section 4): what the trainer calls on a credit-assignment
 * method, the training-only resources a method asks for, and the rollout hooks it may add.
 * The shared vocabulary (question, trajectory, rollout batch, loss config, method record,
 * metric names, ...) is in @creditlab/core.
 *
 * One training step, as the trainer runs it (train/trainer.ts):
 *
 *     rollout (flat or tree: rolloutStrategy; with rolloutHooks) -> rewards(sampled trajectories)
 *       -> [dynamic sampling]
 *       -> batch -> step(batch) -> loss(config) on step's advantages, loss weights and clip
 *          scales
 *
 * A method keeps no state between calls and writes nothing into trajectories: everything it
 * computes is in the values it returns.
 *
 * @module
 */

import type {
  DynamicSampling,
  FeedbackDetail,
  MethodRecord,
  PolicyLossConfig,
  PolicyScorer,
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
import type { RolloutConfig, TreeShape } from "@creditlab/agent";

/**
 * A training-only resource a method asks the environment for, at the level it needs. Every
 * kind names the resource it is served ({@link ResourceOf}).
 */
export type ResourceRequest =
  /** A verifier that knows the gold answer (CAPF's feedback call), revealing `detail`. */
  | { kind: "privileged-verifier"; detail: FeedbackDetail }
  /** A judge of the non-final rounds of a trajectory (CW-GRPO). */
  | { kind: "round-judge" }
  /**
   * The policy being trained as a teacher-forced scorer of sequences it did not sample (IGPO,
   * PBSD). The trainer serves it from the current weights, whatever the environment.
   */
  | { kind: "policy-scorer" };

/** Kinds of {@link ResourceRequest}. */
export type ResourceKind = ResourceRequest["kind"];

/** The request of one kind. */
export type RequestOf<K extends ResourceKind> = Extract<ResourceRequest, { kind: K }>;

/** What each kind of request is served. */
export interface ResourceOf {
  "privileged-verifier": PrivilegedVerifier;
  "round-judge": RoundJudge;
  "policy-scorer": PolicyScorer;
}

/**
 * How an environment serves resources: one call per request, returning the resource of that
 * request's kind; throws a clear error for a request it cannot serve. Build one with
 * `resourceProvider` (train/resources.ts).
 */
export type ResourceProvider = <Q extends ResourceRequest>(request: Q) => ResourceOf[Q["kind"]];

/**
 * What an environment makes available for training: its search tool and a provider of
 * training-only resources. Evaluation never receives it.
 */
export interface TrainingResources {
  search: SearchTool;
  provide: ResourceProvider;
}

/**
 * The resources granted to a method for a run: the search tool and what its
 * `resources(config)` asked for, each served once at the start of training.
 */
export interface MethodResources {
  search: SearchTool;
  /** The resource served for the method's request of `kind`; throws if it made none. */
  get<K extends ResourceKind>(kind: K): ResourceOf[K];
}

/** Context passed to every method call. */
export interface MethodContext<C> {
  config: C;
  /** Questions of the batch by id. */
  questions: ReadonlyMap<string, Question>;
  /** The training-only resources the method asked for. */
  resources: MethodResources;
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
   * Share of each group's samples whose prompt offers the call, in (0, 1] (the first
   * ceil(share * G) of the group; the others use the deployment prompt and share the group's
   * baseline). Absent: every sample.
   */
  offerShare?(config: C): number;
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
 * How the trainer samples a step's training rollouts for a method (evaluation is always flat).
 * - `flat`: G independent chains per prompt (`rollout`, agent/rollout.ts); every method's
 *   default.
 * - `tree`: per prompt, M trees that branch at turn boundaries (`treeRollout`,
 *   agent/tree_rollout.ts; Tree-GRPO): M (1 + L·N) leaves, all under the prompt's group id,
 *   each with its `tree` information; the rollout config's `groupSize` is not used by the
 *   rollout (a method sizes its trees from it, e.g. to an equal token budget).
 */
export type RolloutStrategy = { kind: "flat" } | ({ kind: "tree" } & TreeShape);

/** The trajectories of one sampling round, as `rewards` sees them. */
export interface RewardInput {
  /** Every trajectory of the round; groups are whole. */
  trajectories: readonly Trajectory[];
  /**
   * Exact-match outcome per trajectory (0 or 1), computed by the harness with the Search-R1
   * metric; methods that shape rewards start from it.
   */
  outcomes: Float32Array;
  /** Group id per trajectory. */
  groupIds: Int32Array;
}

/** What `rewards` returns for one sampling round. */
export interface Rewards<R> {
  /** Reward per trajectory (finite), aligned with `RewardInput.trajectories`. */
  rewards: Float32Array;
  /** Typed per-trajectory records, aligned likewise (undefined = none for that one). */
  records?: readonly (R | undefined)[];
  /**
   * Metrics of the round, named `<method>/<name>`. With dynamic sampling (several rounds per
   * step) the trainer logs their mean over the rounds, weighted by trajectories.
   */
  metrics?: Record<string, number>;
}

/** The batch a method's `step` sees: the rollout batch plus its rows' reward records. */
export interface MethodBatch<R> extends RolloutBatch {
  /** Per row, the record `rewards` returned for that trajectory (undefined when none). */
  rewardRecords: readonly (R | undefined)[];
}

/** What `step` returns: the method's credit assignment for one batch, as one value. */
export interface StepResult<R> {
  /** Per-token advantages aligned with `batch.tokens` (0 where lossMask is 0). */
  advantages: Float32Array;
  /** Optional per-token loss multipliers aligned likewise (1 = unchanged). */
  lossWeights?: Float32Array;
  /**
   * Optional per-token multipliers s of the clip range, aligned likewise: the ratio of token t
   * is clipped to [1 − clipLow·s_t, 1 + clipHigh·s_t] (the loss config's epsilons; dual clip
   * unchanged). 1 = the config's range unchanged; absent = 1 everywhere (exactly today's loss).
   * Must be finite and > 0 on trainable tokens (lossMask 1); other entries are ignored.
   * A²TGPO's turn-level adaptive clip sets it per turn.
   */
  clipScale?: Float32Array;
  /** The method's metrics of the step, each named `<method>/<name>` (core's `methodMetric`). */
  metrics: Record<string, number>;
  /**
   * Typed per-row records the run store keeps (its `method_record` column). When absent, the
   * rows' reward records are kept.
   */
  records?: readonly (R | undefined)[];
}

/**
 * A credit-assignment method (DESIGN.md section 4). The trainer calls only this interface.
 * `C` is its config, `R` its per-trajectory record.
 */
export interface Method<C = unknown, R extends MethodRecord = MethodRecord> {
  /** Registry name (lower-case letters, digits, dashes); also the prefix of its metric names. */
  name: string;
  /** One line: what the method does. */
  summary: string;
  /** Default config (every field documented in the method's config type). */
  defaults: C;
  /** The regime its paper's claim is about; `reproduce` trains in it by default (else `mixed`). */
  regime?: RegimeName;
  /**
   * The training-only resources this config needs (none when absent). The environment serves
   * each request once, at the start of training; the harness builds nothing a method does not
   * ask for.
   */
  resources?(config: C): readonly ResourceRequest[];
  /** Training-only rollout extensions. */
  rolloutHooks?: RolloutHooks<C>;
  /**
   * How training rollouts are sampled under this config, given the run's rollout config (e.g.
   * its `groupSize`, to size trees to the same budget). Absent: flat. A tree strategy cannot be
   * combined with a feedback call (`rolloutHooks`).
   */
  rolloutStrategy?(config: C, rollout: RolloutConfig): RolloutStrategy;
  /**
   * The config change that removes a bias of this method's credit in how many turns a trajectory
   * took (e.g. a baseline per turn index compares turn k only with the trajectories still going
   * at k: verl-project/verl issue 7244). Reports replay the stored credit under it and show the
   * difference ("Credit by turn count"). Absent: the method's credit has no such choice.
   */
  turnCountVariant?: Partial<C>;
  /**
   * Rewards of the trajectories of one sampling round (whole groups, so shaping may be
   * group-aware). Default: the exact-match outcome.
   */
  rewards?(input: RewardInput, ctx: MethodContext<C>): Rewards<R>;
  /** The credit assignment of one batch: a function of its typed arrays. */
  step(batch: MethodBatch<R>, ctx: MethodContext<C>): Promise<StepResult<R>> | StepResult<R>;
  /**
   * Which of `rewards` and `step` are group-local: called on any set of a batch's whole groups
   * (their rows in batch order), the call returns for those rows bit for bit what one call on
   * the whole batch returns for them (rewards, records, advantages, loss weights, clip scales),
   * and no metrics. A caller that must stay responsive (the credit service) may then run it on slices
   * of whole groups. Absent or false: the call needs the whole batch (e.g. for batch-wide
   * metrics). A method without `rewards` has group-local rewards.
   */
  groupLocal?: { rewards?: boolean; step?: boolean };
  /** The policy loss to use with this config. */
  loss(config: C): PolicyLossConfig;
  /** DAPO-style dynamic sampling, if the config asks for it. */
  dynamicSampling(config: C): DynamicSampling;
}
