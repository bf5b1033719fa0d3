/**
 * The outcome-only GRPO baseline (DeepSeekMath; Search-R1's RL recipe), with the Dr. GRPO
 * and DAPO options. Importing this module registers the method "grpo".
 *
 * Reward: the exact-match outcome the harness computed (Search-R1: EM of the last answer,
 * no format reward). Advantage: group-relative, broadcast over the policy tokens. No metrics
 * or records of its own (the harness logs the group statistics every method shares).
 *
 * Its family helper ({@link grpoFamily}, family.ts) builds the methods that extend it.
 *
 * @example
 * ```ts
 * import { getMethod } from "@creditlab/train";
 * import "./mod.ts";
 * const grpo = getMethod("grpo");
 * ```
 * @module
 */
import { type Method, registerMethod } from "@creditlab/train";
import { GRPO_DEFAULTS, type GrpoConfig, validateGrpoConfig } from "./config.ts";
import { grpoTokenAdvantages } from "./advantages.ts";
import { grpoFamily } from "./family.ts";
import { GRPO_CARD } from "./paper.ts";

export * from "./config.ts";
export * from "./advantages.ts";
export * from "./groups.ts";
export * from "./family.ts";
export { GRPO_PAPERS, SEARCH_R1_BENCHMARKS } from "./paper.ts";
export type { PaperClaim, PaperRecord } from "./paper.ts";

/** The GRPO baseline method. */
export const grpo: Method<GrpoConfig> = registerMethod(grpoFamily(GRPO_CARD, {
  config: { defaults: GRPO_DEFAULTS, validate: (config) => validateGrpoConfig(config) },
  // Advantages per group (group mean and std), no metrics or records: slices of whole groups
  // give the whole batch's advantages bit for bit.
  groupLocal: { step: true },
  step(batch, ctx) {
    return { advantages: grpoTokenAdvantages(batch, ctx.config), metrics: {} };
  },
}));
