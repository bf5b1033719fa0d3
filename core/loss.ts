/**
 * The policy-gradient loss the trainer builds from a method's advantages, and what it does
 * with groups that carry no signal. kernels' `policyLoss` takes this config.
 * @module
 */

/** Loss aggregation modes (DESIGN.md section 7; kernels' `aggregateLoss`). */
export type Aggregation = "token-mean" | "seq-mean-token-mean" | "seq-mean-token-sum-norm";

/** KL estimators of pi against pi_ref (Schulman's k1/k2/k3; kernels' `klPenalty`). */
export type KlEstimator = "k1" | "k2" | "k3";

/** The policy-gradient loss the trainer builds from a method's advantages. */
export interface PolicyLossConfig {
  /** Lower clip epsilon (ratio floor 1 - clipLow), in [0, 1). */
  clipLow: number;
  /** Upper clip epsilon (ratio ceiling 1 + clipHigh), >= 0. */
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
