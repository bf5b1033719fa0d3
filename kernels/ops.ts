/**
 * Policy-gradient kernels (DESIGN.md section 7): masked reductions, token log-probs and
 * entropy from logits, KL estimators, the clipped surrogate, loss aggregation and the
 * trainer's `policyLoss`. Each op has a tf version and a plain-TypeScript reference (`*Ref`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, maskedMean, tf } from "@creditlab/kernels";
 * await initBackend({ backend: "cpu" });
 * const m = maskedMean(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 0]]));
 * assert.deepEqual(Array.from(m.dataSync()), [1]);
 * ```
 * @module
 */
export * from "./ops/masked.ts";
export * from "./ops/logprobs.ts";
export * from "./ops/kl.ts";
export * from "./ops/aggregate.ts";
export * from "./ops/surrogate.ts";
export * from "./ops/policy_loss.ts";
export * from "./ops/detach.ts";
