/**
 * The baseline every experiment compares a method against: outcome-only GRPO. The harness asks
 * for it by this name (its `baseline` arm, the default of `sweep`), so no file outside
 * `methods/` names a method.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BASELINE } from "./mod.ts";
 * assert.equal(BASELINE.name, "grpo");
 * ```
 * @module
 */
import type { Method } from "@creditlab/train";
import { grpo, type GrpoConfig } from "./grpo/mod.ts";

/** The baseline method of every experiment (outcome-only GRPO). */
export const BASELINE: Method<GrpoConfig> = grpo;
