/**
 * Training regimes, as plain data: which questions an experiment trains and evaluates on, and the
 * measure that says whether the baseline is really in the regime a paper's claim is about.
 *
 * Every regime uses the same world and the same SFT warm start (the "pretrained base model");
 * a regime restricts the hop counts of the RL training questions and of the held-out questions
 * of both worlds. Its measure is computed from the baseline arm's recorded training steps:
 *
 * | regime           | hops    | measure (baseline arm, first 20% of RL steps)                      | claim it serves |
 * | ---------------- | ------- | ------------------------------------------------------------------ | --------------- |
 * | `mixed`          | 1-4     | share of groups with no successful rollout (reported, no target)   | none            |
 * | `sparse-success` | 4       | share of groups with no successful rollout >= 0.5                  | CAPF            |
 * | `long-chains`    | 3-4     | mean searches per training rollout >= 3                            | CW-GRPO         |
 * | `near-misses`    | 2-4     | share of failed rollouts naming >= 1 gold entity >= 0.5            | E-GRPO          |
 *
 * CAPF's premise is that outcome-only RL "rarely samples end-to-end successful rollouts" on hard
 * questions; CW-GRPO's concentration claim needs several rounds of which few are decisive;
 * E-GRPO's partial reward only differs from GRPO's when failed rollouts found some of the
 * ground-truth entities. The measures are harness metrics logged for every arm (the trainer's
 * `groups/no_success_share`, `tool_calls/mean` and {@link NEAR_MISS_METRIC}), so a report can
 * show them for the baseline without reading any method's records.
 *
 * The question selection of a regime is experiments/regimes.ts; the near-miss measure is computed
 * by the trainer (train/step_metrics.ts).
 *
 * @module
 */

/**
 * The training regimes of {@link REGIMES}: which questions an experiment trains and evaluates
 * on (`mixed`: all; `sparse-success`: CAPF's; `long-chains`: CW-GRPO's; `near-misses`: E-GRPO's).
 */
export type RegimeName = "mixed" | "sparse-success" | "long-chains" | "near-misses";

/** Trainer metric: share of failed rollouts whose own text names >= 1 gold entity. */
export const NEAR_MISS_METRIC = "regime/near_miss_share";

/** The measure that defines a regime: a recorded step metric over the first steps of RL. */
export interface RegimeMeasure {
  /** Step metric of the trainer (logged for every arm). */
  metric: string;
  /** What the metric means, for the report. */
  label: string;
  /** The regime holds when the metric's mean over the window is at least this (null: none). */
  atLeast: number | null;
  /** Share of the first RL steps the measure averages over. */
  window: number;
}

/** A training regime. */
export interface Regime {
  name: RegimeName;
  /** One line for reports and `--help`. */
  summary: string;
  /** Hop counts of the RL training questions and of the held-out questions. */
  hops: readonly number[];
  measure: RegimeMeasure;
}

/** The regimes, by name. */
export const REGIMES: Readonly<Record<RegimeName, Regime>> = {
  "mixed": {
    name: "mixed",
    summary: "every hop count (1-4) of the world's question mix",
    hops: [1, 2, 3, 4],
    measure: {
      metric: "groups/no_success_share",
      label: "training groups with no successful rollout",
      atLeast: null,
      window: 0.2,
    },
  },
  "sparse-success": {
    name: "sparse-success",
    summary: "4-hop questions only: outcome-only GRPO sees no success in most groups (CAPF)",
    hops: [4],
    measure: {
      metric: "groups/no_success_share",
      label: "training groups with no successful rollout",
      atLeast: 0.5,
      window: 0.2,
    },
  },
  "long-chains": {
    name: "long-chains",
    summary: "3- and 4-hop questions: several search rounds, few of them decisive (CW-GRPO)",
    hops: [3, 4],
    measure: {
      metric: "tool_calls/mean",
      label: "search calls per training rollout",
      atLeast: 3,
      window: 0.2,
    },
  },
  "near-misses": {
    name: "near-misses",
    summary: "2- to 4-hop questions: failed rollouts often found some gold entities (E-GRPO)",
    hops: [2, 3, 4],
    measure: {
      metric: NEAR_MISS_METRIC,
      label: "failed rollouts naming at least one gold entity",
      atLeast: 0.5,
      window: 0.2,
    },
  },
};

/** All regime names. */
export const REGIME_NAMES: readonly RegimeName[] = Object.keys(REGIMES) as RegimeName[];

/** Look up a regime by name, with a clear error. */
export function getRegime(name: string): Regime {
  if (!(REGIME_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown regime "${name}"; expected one of ${REGIME_NAMES.join(", ")}`);
  }
  return REGIMES[name as RegimeName];
}
