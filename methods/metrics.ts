/**
 * What the methods' step metrics share: their names, `<method>/<name>` ({@link methodMetrics}),
 * and the means and shares over what a step saw, which may be nothing ({@link ratio}).
 *
 * @module
 */
import { methodMetric } from "@creditlab/core";

/**
 * `sum / n`, or 0 when `n` is 0: a step metric's mean or share over a set that may be empty (a
 * batch with no scored round has mean gain 0, not NaN).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(ratio(3, 4), 0.75);
 * assert.equal(ratio(0, 0), 0);
 * ```
 */
export function ratio(sum: number, n: number): number {
  return n === 0 ? 0 : sum / n;
}

/**
 * A method's step metrics: each `name: value` of `values`, in its order, named
 * `<method>/<name>` (`methodMetric`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(methodMetrics("demo", { gain_mean: 0.5, scored_rounds: 2 }), {
 *   "demo/gain_mean": 0.5,
 *   "demo/scored_rounds": 2,
 * });
 * ```
 */
export function methodMetrics(
  method: string,
  values: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) out[methodMetric(method, name)] = value;
  return out;
}
