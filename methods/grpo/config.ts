/**
 * The GRPO family's config (GRPO, Dr. GRPO, DAPO options), its defaults and validation.
 * Methods that extend the baseline (capf, cw-grpo, e-grpo) extend {@link GrpoConfig}.
 *
 * @module
 */
import type { Aggregation, DynamicSampling, KlEstimator, PolicyLossConfig } from "@creditlab/core";
import type { SingletonGroupRule } from "@creditlab/kernels";

/**
 * Config of the GRPO baseline: the policy loss ({@link PolicyLossConfig}) plus the advantage and
 * sampling knobs. Every field says where its default comes from; for the loss fields:
 *
 * - `clipLow`: lower clip epsilon. PPO (arXiv 1707.06347) / GRPO: 0.2; DAPO keeps 0.2.
 * - `clipHigh`: upper clip epsilon. GRPO: 0.2; DAPO "clip-higher" (arXiv 2503.14476,
 *   section 3.1): 0.28.
 * - `dualClip`: constant c > 1 bounding the loss of negative advantages (Ye et al. 2020,
 *   arXiv 1912.09729; verl `clip_ratio_c` = 3). null = off (GRPO does not use it).
 * - `klCoef`: KL coefficient beta against the reference policy. Search-R1 / CW-GRPO: 0.001.
 *   DAPO: 0 (no KL).
 * - `klEstimator`: Schulman, "Approximating KL divergence", 2020. GRPO (DeepSeekMath eq. 4)
 *   uses k3 = ratio - log ratio - 1 with ratio = pi_ref / pi.
 * - `aggregation`: GRPO (DeepSeekMath eq. 3): seq-mean-token-mean; DAPO (section 3.3):
 *   token-mean; Dr. GRPO: seq-mean-token-sum-norm.
 */
export interface GrpoConfig extends PolicyLossConfig {
  /**
   * Divide the group-centred reward by the group std. DeepSeekMath (arXiv 2402.03300, eq. in
   * section 4.1.2): A_i = (r_i - mean(r)) / std(r) -> true. Dr. GRPO (arXiv 2503.20783,
   * section 3.1) removes it -> false.
   */
  normalizeStd: boolean;
  /**
   * Epsilon added to the std. verl `compute_grpo_outcome_advantage(epsilon=1e-6)` -> 1e-6.
   */
  eps: number;
  /**
   * A group of one trajectory: verl sets mean 0 and std 1 (`"verl"`, the default) so its
   * advantage is r / (1 + eps); `"zero"` gives it no signal instead.
   */
  singletonGroup: SingletonGroupRule;
  /**
   * DAPO dynamic sampling (arXiv 2503.14476, section 3.2): drop groups whose rewards are all
   * equal and sample more. GRPO: off.
   */
  dynamicSampling: DynamicSampling;
}

/** GRPO as Search-R1 trains it (verl defaults, KL 0.001 with k3). */
export const GRPO_DEFAULTS: Readonly<GrpoConfig> = Object.freeze({
  normalizeStd: true,
  eps: 1e-6,
  singletonGroup: "verl",
  clipLow: 0.2,
  clipHigh: 0.2,
  dualClip: null,
  klCoef: 0.001,
  klEstimator: "k3",
  aggregation: "seq-mean-token-mean",
  dynamicSampling: Object.freeze({ kind: "off" }) as DynamicSampling,
});

/** Named members of the GRPO family. */
export type GrpoVariant = "grpo" | "dr-grpo" | "dapo";

/**
 * The config of a named GRPO variant: only the fields the variant's paper changes differ
 * from {@link GRPO_DEFAULTS}.
 *
 * - `dr-grpo`: no std normalisation, seq-mean-token-sum-norm aggregation (Dr. GRPO section 3.1).
 * - `dapo`: clipHigh 0.28, token-mean, no KL, dynamic sampling (up to 3 extra sampling rounds;
 *   the paper samples "until the batch is full" — the bound is ours).
 *
 * @example
 * ```ts
 * const cfg = grpoVariant("dapo"); // cfg.clipHigh === 0.28
 * ```
 */
export function grpoVariant(variant: GrpoVariant): GrpoConfig {
  const base: GrpoConfig = { ...GRPO_DEFAULTS };
  switch (variant) {
    case "grpo":
      return base;
    case "dr-grpo":
      return { ...base, normalizeStd: false, aggregation: "seq-mean-token-sum-norm" };
    case "dapo":
      return {
        ...base,
        clipHigh: 0.28,
        klCoef: 0,
        aggregation: "token-mean",
        dynamicSampling: { kind: "drop-uniform-groups", maxResampleRounds: 3 },
      };
  }
}

const AGGREGATIONS: readonly Aggregation[] = [
  "token-mean",
  "seq-mean-token-mean",
  "seq-mean-token-sum-norm",
];
const KL_ESTIMATORS: readonly KlEstimator[] = ["k1", "k2", "k3"];

/**
 * The thrower of a config check: `fail(field, expected, got)` throws the RangeError
 * `<where>: field "<field>" must be <expected>, got <got as JSON>`.
 */
export function configFail(
  where: string,
): (field: string, expected: string, got: unknown) => never {
  return (field, expected, got) => {
    throw new RangeError(
      `${where}: field "${field}" must be ${expected}, got ${JSON.stringify(got)}`,
    );
  };
}

/**
 * Check a GRPO config; throws naming the field and what was expected.
 * `where` prefixes the message (e.g. "capf config").
 */
export function validateGrpoConfig(cfg: GrpoConfig, where = "grpo config"): void {
  const fail = configFail(where);
  if (typeof cfg.normalizeStd !== "boolean") fail("normalizeStd", "a boolean", cfg.normalizeStd);
  if (!(Number.isFinite(cfg.eps) && cfg.eps >= 0)) fail("eps", "a finite number >= 0", cfg.eps);
  if (cfg.singletonGroup !== "verl" && cfg.singletonGroup !== "zero") {
    fail("singletonGroup", '"verl" or "zero"', cfg.singletonGroup);
  }
  if (!(cfg.clipLow >= 0 && cfg.clipLow < 1)) fail("clipLow", "in [0, 1)", cfg.clipLow);
  if (!(cfg.clipHigh >= 0 && Number.isFinite(cfg.clipHigh))) {
    fail("clipHigh", "a finite number >= 0", cfg.clipHigh);
  }
  if (cfg.dualClip !== null && !(cfg.dualClip > 1 && Number.isFinite(cfg.dualClip))) {
    fail("dualClip", "null or a finite number > 1", cfg.dualClip);
  }
  if (!(Number.isFinite(cfg.klCoef) && cfg.klCoef >= 0)) {
    fail("klCoef", "a finite number >= 0", cfg.klCoef);
  }
  if (!KL_ESTIMATORS.includes(cfg.klEstimator)) {
    fail("klEstimator", KL_ESTIMATORS.join(" | "), cfg.klEstimator);
  }
  if (!AGGREGATIONS.includes(cfg.aggregation)) {
    fail("aggregation", AGGREGATIONS.join(" | "), cfg.aggregation);
  }
  const ds = cfg.dynamicSampling as DynamicSampling | undefined;
  if (ds?.kind === "drop-uniform-groups") {
    if (!(Number.isInteger(ds.maxResampleRounds) && ds.maxResampleRounds >= 0)) {
      fail("dynamicSampling.maxResampleRounds", "an integer >= 0", ds.maxResampleRounds);
    }
  } else if (ds?.kind !== "off") {
    fail(
      "dynamicSampling",
      '{ kind: "off" } or { kind: "drop-uniform-groups", maxResampleRounds }',
      ds,
    );
  }
}

/** The policy loss of a GRPO-family config (the fields the trainer's loss reads). */
export function grpoLoss(cfg: GrpoConfig): PolicyLossConfig {
  return {
    clipLow: cfg.clipLow,
    clipHigh: cfg.clipHigh,
    dualClip: cfg.dualClip,
    klCoef: cfg.klCoef,
    klEstimator: cfg.klEstimator,
    aggregation: cfg.aggregation,
  };
}
