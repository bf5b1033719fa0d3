/**
 * The GRPO family's config (GRPO, Dr. GRPO, DAPO options), its defaults and validation, and
 * the checks every method's validation is written with ({@link configChecks}). Methods that
 * extend the baseline (capf, cw-grpo, e-grpo, pure, ...) extend {@link GrpoConfig} and validate
 * it with {@link grpoConfigChecks}; they declare their own fields in a field table (options.ts).
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

/** Every {@link SingletonGroupRule}, for the configs that choose one. */
export const SINGLETON_GROUP_RULES: readonly SingletonGroupRule[] = ["verl", "zero"];

/**
 * Bounds of a numeric config field: `min` and `max` are inclusive, `above` and `below`
 * exclusive.
 */
export interface Bounds {
  min?: number;
  above?: number;
  max?: number;
  below?: number;
}

/**
 * The checks a method's `validate` is written with. Each throws the RangeError
 * `<where>: field "<field>" must be <expected>, got <the value as JSON>`.
 */
export interface ConfigChecks {
  /** Throw for `field`, saying in words what was `expected` (for checks the others do not cover). */
  fail(field: string, expected: string, got: unknown): never;
  /**
   * A finite number within `bounds`: expected "a finite number >= 0", "a finite number > 0",
   * "in [0, 1)", ...; `why`, when given, follows in parentheses.
   */
  number(field: string, value: number, bounds: Bounds, why?: string): void;
  /** An integer within `bounds`: expected "an integer >= 1", ... */
  integer(field: string, value: number, bounds: Bounds): void;
  /** One of `options`: expected `"a" | "b"`. */
  oneOf<T extends string>(field: string, value: T, options: readonly NoInfer<T>[]): void;
}

/** What `bounds` allow, in words, of a value of `kind` ("a finite number" or "an integer"). */
function boundsInWords(kind: string, b: Bounds): string {
  const low = b.min !== undefined ? `>= ${b.min}` : b.above !== undefined ? `> ${b.above}` : null;
  const high = b.max !== undefined ? `<= ${b.max}` : b.below !== undefined ? `< ${b.below}` : null;
  if (low === null || high === null) return [kind, low, high].filter((s) => s !== null).join(" ");
  // Both ends: an interval, "in [0, 1)".
  const open = b.min !== undefined ? `[${b.min}` : `(${b.above}`;
  const close = b.max !== undefined ? `${b.max}]` : `${b.below})`;
  const interval = `in ${open}, ${close}`;
  return kind === "an integer" ? `an integer ${interval}` : interval;
}

/** Whether `value` (a number) is within `b`. */
function withinBounds(value: number, b: Bounds): boolean {
  return (b.min === undefined || value >= b.min) && (b.above === undefined || value > b.above) &&
    (b.max === undefined || value <= b.max) && (b.below === undefined || value < b.below);
}

/**
 * The {@link ConfigChecks} of one config; `where` prefixes every message (e.g. "capf config").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const check = configChecks("demo config");
 * check.number("alpha", 0.3, { min: 0, below: 1 }); // passes
 * assert.throws(
 *   () => check.integer("rounds", 0, { min: 1 }),
 *   /demo config: field "rounds" must be an integer >= 1, got 0/,
 * );
 * assert.throws(
 *   () => check.oneOf<string>("mode", "x", ["a", "b"]),
 *   /field "mode" must be "a" \| "b", got "x"/,
 * );
 * ```
 */
export function configChecks(where: string): ConfigChecks {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new RangeError(
      `${where}: field "${field}" must be ${expected}, got ${JSON.stringify(got)}`,
    );
  };
  return {
    fail,
    number(field, value, bounds, why) {
      if (!(Number.isFinite(value) && withinBounds(value, bounds))) {
        const expected = boundsInWords("a finite number", bounds);
        fail(field, why === undefined ? expected : `${expected} (${why})`, value);
      }
    },
    integer(field, value, bounds) {
      if (!(Number.isInteger(value) && withinBounds(value, bounds))) {
        fail(field, boundsInWords("an integer", bounds), value);
      }
    },
    oneOf(field, value, options) {
      if (!options.includes(value)) {
        fail(field, options.map((o) => JSON.stringify(o)).join(" | "), value);
      }
    },
  };
}

/**
 * Check a GRPO config; throws naming the field and what was expected.
 * `where` prefixes the message (e.g. "capf config").
 */
export function validateGrpoConfig(cfg: GrpoConfig, where = "grpo config"): void {
  const check = configChecks(where);
  if (typeof cfg.normalizeStd !== "boolean") {
    check.fail("normalizeStd", "a boolean", cfg.normalizeStd);
  }
  check.number("eps", cfg.eps, { min: 0 });
  check.oneOf("singletonGroup", cfg.singletonGroup, SINGLETON_GROUP_RULES);
  check.number("clipLow", cfg.clipLow, { min: 0, below: 1 });
  check.number("clipHigh", cfg.clipHigh, { min: 0 });
  if (cfg.dualClip !== null && !(cfg.dualClip > 1 && Number.isFinite(cfg.dualClip))) {
    check.fail("dualClip", "null or a finite number > 1", cfg.dualClip);
  }
  check.number("klCoef", cfg.klCoef, { min: 0 });
  check.oneOf("klEstimator", cfg.klEstimator, KL_ESTIMATORS);
  check.oneOf("aggregation", cfg.aggregation, AGGREGATIONS);
  const ds = cfg.dynamicSampling as DynamicSampling | undefined;
  if (ds?.kind === "drop-uniform-groups") {
    check.integer("dynamicSampling.maxResampleRounds", ds.maxResampleRounds, { min: 0 });
  } else if (ds?.kind !== "off") {
    check.fail(
      "dynamicSampling",
      '{ kind: "off" } or { kind: "drop-uniform-groups", maxResampleRounds }',
      ds,
    );
  }
}

/**
 * The checks of a method's config that extends {@link GrpoConfig}: validates its GRPO fields
 * ({@link validateGrpoConfig}), then returns the {@link ConfigChecks} of the method's own fields.
 * `where` prefixes every message (e.g. "capf config").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const check = grpoConfigChecks({ ...GRPO_DEFAULTS }, "demo config");
 * assert.throws(() => check.number("alpha", 2, { max: 1 }), /demo config: field "alpha"/);
 * assert.throws(
 *   () => grpoConfigChecks({ ...GRPO_DEFAULTS, eps: -1 }, "demo config"),
 *   /demo config: field "eps"/,
 * );
 * ```
 */
export function grpoConfigChecks(cfg: GrpoConfig, where: string): ConfigChecks {
  validateGrpoConfig(cfg, where);
  return configChecks(where);
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
