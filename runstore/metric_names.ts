/**
 * Step-metric names of stores written before core's `METRIC` convention, read back under their
 * current names.
 *
 * @module
 */
import { METRIC } from "@creditlab/core";

/**
 * Step-metric names written before core's `METRIC` convention, and their names now:
 * {@link RunStore.steps} reads an old store's rows under the new names, so one name per metric
 * reaches every reader. (Method metrics logged under an old prefix keep their names.)
 */
export const LEGACY_METRIC_NAMES: Readonly<Record<string, string>> = Object.freeze({
  loss: METRIC.loss,
  pgLoss: METRIC.pgLoss,
  klLoss: METRIC.klLoss,
  kl: METRIC.kl,
  approxKl: METRIC.behaviourKl,
  approxKlK3: METRIC.behaviourKlK3,
  clipFraction: METRIC.clipFraction,
  clipFractionDual: METRIC.dualClipFraction,
  ratioMean: METRIC.ratioMean,
  ratioMax: METRIC.ratioMax,
  grad_norm: METRIC.gradNorm,
  micro_batches: METRIC.microBatches,
  updates: METRIC.updates,
  skipped_nonfinite: METRIC.skippedNonFinite,
});

/** The current name of a logged metric name ({@link LEGACY_METRIC_NAMES}). */
export function currentMetricName(name: string): string {
  return Object.hasOwn(LEGACY_METRIC_NAMES, name) ? LEGACY_METRIC_NAMES[name]! : name;
}
