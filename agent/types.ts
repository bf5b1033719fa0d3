/**
 * Core types shared by the agent, the methods and the datasets (DESIGN.md section 3).
 *
 * Conventions:
 * - A trajectory's policy rounds are numbered k = 1..K in the order the policy produced them;
 *   round K is the round that ended the episode (normally the `<answer>` round).
 * - Group ids and round ids are explicit arrays, never inferred from a reshape.
 * - Per-token arrays of a {@link RolloutBatch} are row-major `[n, length]`.
 *
 * @module
 */

import type { Rng } from "@creditlab/kernels";

/** One hop of a gold reasoning chain: the query that finds the bridge entity. */
export interface ChainStep {
  /** A search query that retrieves the passage holding this hop's fact. */
  query: string;
  /** The entity this hop resolves to (the bridge entity; the last hop's is the answer). */
  entity: string;
  /** The relation followed on this hop, when the source knows it. */
  relation?: string;
}

/** One question in the canonical schema (benchmarks and SearchWorld alike). */
export interface Question {
  id: string;
  question: string;
  goldenAnswers: string[];
  /** Ground-truth entities on the reasoning path (SearchWorld; E-GRPO uses them). */
  goldEntities?: string[];
  /** The gold reasoning chain (SearchWorld; the privileged verifier and oracle judge read it). */
  goldChain?: ChainStep[];
  benchmark: string;
  split: string;
  /** Anything else the source carried (never dropped silently). */
  metadata?: Record<string, unknown>;
}

/** A parsed policy action. */
export type Action =
  | { kind: "search"; query: string }
  | { kind: "answer"; text: string }
  /** A training-only privileged feedback call on a draft answer (CAPF). */
  | { kind: "feedback"; draft: string }
  | { kind: "invalid"; reason: string };

/** Who produced a turn's tokens. Only `policy` tokens are ever trained on. */
export type Role = "policy" | "observation" | "feedback";

/** One turn of a trajectory. */
export interface Turn {
  role: Role;
  tokens: Int32Array;
  text: string;
  /** Set on policy turns: what the parser made of the text. */
  action?: Action;
  /** 1-based policy round this turn belongs to (observations belong to the round they answer). */
  round: number;
  /**
   * Set on policy turns sampled by the local rollout: `log softmax(z / T)[token]` of each token
   * under the sampling model's logits `z` at the rollout temperature T (T = 1 for a greedy
   * rollout), so the trainer's recomputed log-probs can be checked against the rollout's (verl's
   * rollout-vs-actor log-prob check).
   */
  sampledLogProbs?: Float32Array;
}

/** One sampled episode. `turns[0]` is the prompt (role `observation`, round 0). */
export interface Trajectory {
  questionId: string;
  /** Explicit group id: trajectories sampled for the same prompt share it. */
  groupId: number;
  turns: Turn[];
  /** Final scalar reward (after any method reward shaping). */
  reward: number;
  /** The last `<answer>` text, if any. */
  answer?: string;
  /** Free-form per-trajectory facts (outcome EM, tool calls, feedback calls, ...). */
  meta: Record<string, unknown>;
}

/**
 * A batch of trajectories as flat typed arrays, padded to a common `length`.
 *
 * Per-token arrays have `n * length` entries, row r = trajectory r. Token t of row r is
 * at `r * length + t`.
 */
export interface RolloutBatch {
  trajectories: Trajectory[];
  /** Number of trajectories (rows). */
  n: number;
  /** Padded sequence length. */
  length: number;
  /** Token ids, 0 (the pad id) past the end of each row. */
  tokens: Int32Array;
  /** 1 for tokens the policy generated (trainable), 0 for prompt, observation, feedback and padding. */
  lossMask: Float32Array;
  /** Policy round of each token (see {@link Turn.round}); 0 for the prompt and padding. */
  roundIds: Int32Array;
  /** Role of each token: 0 prompt/padding, 1 policy, 2 observation, 3 feedback. */
  roles: Uint8Array;
  /** Group id per row (length n). */
  groupIds: Int32Array;
  /** Reward per row (length n), after the method's reward shaping. */
  rewards: Float32Array;
  /** Number of policy rounds K per row (length n). */
  numRounds: Int32Array;
  /** Real (unpadded) length per row (length n). */
  lengths: Int32Array;
}

/** Numeric codes of {@link RolloutBatch.roles}. */
export const ROLE_CODE = { pad: 0, policy: 1, observation: 2, feedback: 3 } as const;

/** Search results as the agent sees them. */
export interface Passage {
  id: string;
  title: string;
  text: string;
  score: number;
}

/** Anything that answers `search(query, k)` (BM25 in DuckDB, or a `/retrieve` server). */
export interface SearchTool {
  search(query: string, k: number): Promise<Passage[]>;
}

/** Feedback from a privileged verifier about a draft answer (CAPF). */
export interface VerifierFeedback {
  correct: boolean;
  /** Machine-readable kind of the feedback. */
  kind: "correct" | "wrong-type" | "wrong-hop" | "missing-entity" | "wrong" | "unknown";
  /** The text shown to the policy. */
  text: string;
}

/** A privileged verifier: knows the gold answer (training only). */
export interface PrivilegedVerifier {
  verify(question: Question, draft: string): Promise<VerifierFeedback>;
}

/** Binary round scores of the CW-GRPO judge. */
export interface RoundScore {
  retrieval: 0 | 1;
  thinking: 0 | 1;
}

/** One round as the judge sees it: the policy's text and the observation that followed. */
export interface JudgedRound {
  round: number;
  policyText: string;
  action: Action;
  observationText: string;
}

/** Scores the non-final rounds of a trajectory (CW-GRPO). */
export interface RoundJudge {
  /** Scores for `rounds` (each a non-final round), in order. */
  score(question: Question, rounds: JudgedRound[]): Promise<RoundScore[]>;
}

/**
 * What an environment makes available to methods during training. Everything here is
 * privileged or training-only: evaluation never passes it.
 */
export interface TrainingResources {
  search: SearchTool;
  verifier?: PrivilegedVerifier;
  roundJudge?: RoundJudge;
}

/** Loss aggregation modes (DESIGN.md section 7). */
export type Aggregation = "token-mean" | "seq-mean-token-mean" | "seq-mean-token-sum-norm";

/** KL estimators of pi against pi_ref (Schulman's k1/k2/k3). */
export type KlEstimator = "k1" | "k2" | "k3";

/** The policy-gradient loss the trainer builds from a method's advantages. */
export interface PolicyLossConfig {
  /** Lower clip epsilon (ratio floor 1 - clipLow). */
  clipLow: number;
  /** Upper clip epsilon (ratio ceiling 1 + clipHigh). */
  clipHigh: number;
  /** Dual-clip constant c > 1 for negative advantages, or null for none. */
  dualClip: number | null;
  /** KL coefficient beta; 0 disables the reference-policy term. */
  klCoef: number;
  klEstimator: KlEstimator;
  aggregation: Aggregation;
}

/** What the trainer should do with groups whose rewards are all equal (DAPO). */
export type DynamicSampling =
  | { kind: "off" }
  | { kind: "drop-uniform-groups"; maxResampleRounds: number };

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
 * The training regimes of agent/regimes.ts: which questions an experiment trains and evaluates
 * on (`mixed`: all; `sparse-success`: CAPF's; `long-chains`: CW-GRPO's; `near-misses`: E-GRPO's).
 */
export type RegimeName = "mixed" | "sparse-success" | "long-chains" | "near-misses";

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
