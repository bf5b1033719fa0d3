/**
 * Regime names.
 * @module
 */

/**
 * The training regimes of agent/regimes.ts: which questions an experiment trains and evaluates
 * on (`mixed`: all; `sparse-success`: CAPF's; `long-chains`: CW-GRPO's; `near-misses`: E-GRPO's).
 */
export type RegimeName = "mixed" | "sparse-success" | "long-chains" | "near-misses";
