/**
 * Trajectories: the policy's actions, the turns of an episode, and a batch of episodes as flat
 * typed arrays.
 *
 * - A trajectory's policy rounds are numbered k = 1..K in the order the policy produced them;
 *   round K is the round that ended the episode (normally the `<answer>` round).
 * - Group ids and round ids are explicit arrays, never inferred from a reshape.
 * - Per-token arrays of a {@link RolloutBatch} are row-major `[n, length]`.
 *
 * @module
 */
import type { FeedbackKind } from "./feedback.ts";

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
  /**
   * Set on `feedback` turns: the privileged verifier's verdict on the draft the policy submitted
   * (whether it was correct, and the kind of feedback), so a method can tell a confirmation from
   * a repair without parsing the text.
   */
  verdict?: FeedbackVerdict;
}

/** A privileged verifier's verdict on a draft, as a trajectory keeps it. */
export interface FeedbackVerdict {
  correct: boolean;
  kind: FeedbackKind;
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
  /** Set by tree rollouts (agent/tree_rollout.ts): where this leaf sits in its prompt's trees. */
  tree?: TrajectoryTree;
}

/**
 * Where a trajectory sits in a rollout tree. A tree rollout samples M trees per prompt, all
 * under the prompt's one group id; each tree starts from one full chain (leaf 0), and later
 * leaves branch from an earlier leaf at a turn boundary (after a policy round and its
 * observation): leaf j copies its parent's turns up to and including round `branchRound`
 * (tokens and the log-probs recorded when they were sampled) and samples the rest itself.
 * Every leaf is a full trajectory.
 */
export interface TrajectoryTree {
  /** Index of its tree among its prompt's trees (0..M-1); (groupId, tree) names the tree. */
  tree: number;
  /** Index of this leaf in its tree, in sampling order (0 = the tree's initial chain). */
  leaf: number;
  /**
   * The leaf (of the same tree) whose prefix it continues; null when sampled from the prompt
   * alone (the initial chain, or a branch at the tree's root).
   */
  parent: number | null;
  /**
   * Policy rounds (each with its observation) copied from the parent: the leaf's own rounds
   * are branchRound + 1..K. 0 for the initial chain (and for a branch from the prompt alone).
   */
  branchRound: number;
  /** The expansion iteration that sampled it (0 = the initial chains, then 1..L). */
  iteration: number;
}

/**
 * Per-row tree ids of a batch of tree rollouts (each array has n entries), copied from the
 * rows' {@link TrajectoryTree}s: explicit, never inferred from the row order.
 */
export interface BatchTrees {
  /**
   * Tree of each row: rows with the same group id and tree index share it (dense ids
   * 0, 1, ... in order of first appearance in the batch).
   */
  treeIds: Int32Array;
  /** The row's leaf index within its tree. */
  leafIds: Int32Array;
  /** Leaf index of the row's parent within its tree; -1 when sampled from the prompt alone. */
  parentLeafIds: Int32Array;
  /** Policy rounds the row copied from its parent (0 for an initial chain). */
  branchRounds: Int32Array;
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
  /**
   * Present when the rows are tree rollouts (every trajectory has a `tree`): their tree ids.
   * Absent for flat rollouts and for batches read from files without tree information.
   */
  trees?: BatchTrees;
}

/** Numeric codes of {@link RolloutBatch.roles}. */
export const ROLE_CODE = { pad: 0, policy: 1, observation: 2, feedback: 3 } as const;
