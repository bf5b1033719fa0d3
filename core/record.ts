/**
 * A method's typed per-trajectory record, as the run store keeps it (one JSON column) and the
 * reports read it. A method's own record type extends {@link MethodRecord} with whatever else
 * it wants kept (CAPF's feedback rounds, E-GRPO's entity match rate, ...); the run store and
 * the reports understand only the two generic parts below, so they never name a method.
 *
 * @module
 */

/** A per-round series a method computed for one trajectory, and what it measures. */
export interface RoundSeries {
  /** What the values are, as the report labels them (e.g. "contribution"). */
  label: string;
  /** `values[k - 1]` belongs to policy round k. */
  values: readonly number[];
}

/** The parts of a method's per-trajectory record that the run store and reports understand. */
export interface MethodRecord {
  /** A per-round series (reports summarise it over successful trajectories, by round). */
  rounds?: RoundSeries;
  /**
   * Training-only calls made for this trajectory, by what was called (e.g. `{ feedback: 1 }`,
   * `{ judge: 2 }`): non-negative integers. Reports sum them per stored step.
   */
  calls?: Readonly<Record<string, number>>;
}
