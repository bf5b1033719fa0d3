/**
 * The data of the "Credit by turn count" section (turn_count_section.ts builds it,
 * render_turn_count.ts renders it, `<experiment>.json` carries it as `turnCount`). Slopes are in
 * advantage units per extra policy round; NaN where a number cannot be computed (null in JSON).
 *
 * @module
 */

import type { TurnCountCell } from "./turn_count.ts";
import type { BootstrapInterval } from "./turn_count_bootstrap.ts";

/** The slope S (or a paired difference of slopes) with its two intervals. */
export interface TurnCountEstimate {
  /** S over every measured trajectory (pooled over runs). */
  value: number;
  /** Percentile interval of the cluster bootstrap over prompt groups, stratified by run. */
  bootstrap: BootstrapInterval;
  /** S of each run alone (NaN: the run has no informative cell). */
  perRun: { run: string; seed: number; slope: number }[];
  /** Mean of the per-run slopes and the half-width of its Student-t interval over seeds. */
  overSeeds: { mean: number; halfWidth: number; seeds: number };
}

/** What was measured on one row's trajectories, and the result. */
export interface TurnCountMeasure {
  /** The runs read: stored steps and measured trajectories of each. */
  runs: { run: string; seed: number; steps: number; trajectories: number }[];
  /** The stored steps read (union over runs). */
  steps: number[];
  trajectories: number;
  /** Trajectories left out: no trained token, or a non-finite advantage. */
  excluded: number;
  /** Prompt groups (one per stored step and group), and the (group, outcome) cells with >= 2 distinct K. */
  groups: number;
  informativeCells: number;
  informativeTrajectories: number;
  slope: TurnCountEstimate;
  /** Credit by (outcome, K). */
  profile: TurnCountCell[];
}

/** One row: an arm's credit as recorded, or the method arm's replayed under the variant. */
export interface TurnCountRow {
  /** `default`: the method arm as recorded; `variant`: replayed; `reference`: the baseline arm. */
  role: "default" | "variant" | "reference";
  arm: string;
  method: string;
  /** `stored`: the run store's advantages; `replayed`: recomputed under the variant config. */
  source: "stored" | "replayed";
  /** Null when not measured; `missing` says why. */
  measure: TurnCountMeasure | null;
  missing?: string;
}

/** How the replay was checked. */
export interface TurnCountReplay {
  /** The environments the replay was given (turn_count_replay.ts `runEnvironment`). */
  environments: string[];
  /** Largest |replayed − stored| advantage under the recorded config (null: a record had none). */
  fidelity: number | null;
  tolerance: number;
  /** Response tokens compared. */
  tokens: number;
  /** Records whose gold chain came from the environment; records whose question disagreed. */
  chainsFilled: number;
  chainsMismatched: number;
}

/** The section. */
export interface TurnCountSection {
  /** The override of the method arm's recorded config, as given. */
  variant: Record<string, unknown>;
  level: number;
  resamples: number;
  /** Seed of the bootstrap's Rng. */
  seed: number;
  rows: TurnCountRow[];
  /** S(variant) − S(recorded) over the same trajectories; null without a variant row. */
  paired: TurnCountEstimate | null;
  /**
   * Trajectories whose credit c the variant changes (|Δc| > tolerance), of those measured, and
   * how many of them are in informative cells; null without a variant row.
   */
  changed: { trajectories: number; of: number; informative: number; tolerance: number } | null;
  /** Null when no replay was attempted (e.g. the method needs the policy scorer). */
  replay: TurnCountReplay | null;
  notes: string[];
}
