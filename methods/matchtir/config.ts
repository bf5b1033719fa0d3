/**
 * MatchTIR's config: the GRPO baseline plus how the policy's search calls are matched to the
 * question's gold chain, how matches become turn rewards, and how the turn-level advantage joins
 * the trajectory-level one. Every field says whether its default is the paper's (Qu et al., arXiv
 * 2601.10712, Figure 2), the released code's (quchangle1/MatchTIR,
 * `Code/verl/utils/reward_score/tool.py` and `Code/verl/trainer/ppo/core_algos.py`), or ours.
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { type FieldValues, finite, flag, grpoExtension, oneOf, variant } from "../grpo/options.ts";

/** How a soft matching's plan becomes call rewards (`rewardScale` of {@link Matching}). */
const SINKHORN_REWARD_SCALES = ["mass", "per-call"] as const;

/**
 * How predicted calls are assigned to gold calls (matching.ts).
 * - `hungarian`: the maximum-similarity one-to-one assignment (Kuhn-Munkres), exact. The paper's
 *   "hard assignment (Hungarian)" (Figure 2b; the released KM checkpoints). A call's reward is
 *   the similarity of its match; an unassigned call, or one assigned at similarity 0, gets
 *   `unmatchedReward`.
 * - `greedy`: what the released `hungarian_assignment` actually computes: pairs sorted by
 *   similarity (descending, ties in (predicted, gold) order), each taken when both ends are free
 *   and the similarity is > 0. Not always optimal (matching_test.ts has a counter-example).
 * - `sinkhorn`: the paper's "soft assignment (OT)": entropic optimal transport between uniform
 *   marginals (1/n per predicted call, 1/m per gold call) with cost -S (released
 *   `assign_rewards_ot`: `ot.sinkhorn(mu, nu, -S, reg=0.1)`), solved by Sinkhorn-Knopp with POT's
 *   defaults (at most `maxIters` = 1000 iterations, stop when the L2 norm of the column-marginal
 *   error, checked every 10 iterations, is below `tol` = 1e-9). Reward of call i:
 *   `rewardScale: "mass"` sum_j T_ij S_ij (released: row mass 1/n, so <= 1/n);
 *   `"per-call"` n sum_j T_ij S_ij (ours: the expected similarity under call i's transport
 *   distribution, in [0, 1] like the hard reward).
 */
export type Matching =
  | { kind: "hungarian" }
  | { kind: "greedy" }
  | {
    kind: "sinkhorn";
    reg: number;
    maxIters: number;
    tol: number;
    rewardScale: (typeof SINKHORN_REWARD_SCALES)[number];
  };

/** The soft matching with the released settings (reg 0.1, POT's 1000 iterations and 1e-9). */
export const SINKHORN_DEFAULTS: Readonly<Extract<Matching, { kind: "sinkhorn" }>> = Object.freeze({
  kind: "sinkhorn",
  reg: 0.1,
  maxIters: 1000,
  tol: 1e-9,
  rewardScale: "mass",
});

/** MatchTIR config: the GRPO baseline plus the fields of {@link MATCHTIR_FIELDS} (below). */
export interface MatchtirConfig extends GrpoConfig, FieldValues<typeof MATCHTIR_FIELDS> {}

/** Similarity of a predicted query to a gold query (`MATCHTIR_FIELDS.similarity` says more). */
export type QuerySimilarity = MatchtirConfig["similarity"];
/** Over which entries the turn returns are z-scored (`MATCHTIR_FIELDS.turnNormalization`). */
export type TurnNormalization = MatchtirConfig["turnNormalization"];

/** The fields MatchTIR adds to the GRPO baseline: each one's doc, allowed values and default. */
export const MATCHTIR_FIELDS = {
  /** Default `{ kind: "hungarian" }` (the paper's hard assignment, KM). */
  matching: variant<Matching>({ kind: "hungarian" }, {
    expected:
      '{ kind: "hungarian" } | { kind: "greedy" } | { kind: "sinkhorn", reg, maxIters, tol, rewardScale }',
    kinds: {
      hungarian: null,
      greedy: null,
      sinkhorn: (m, { check, name }) => {
        check.number(`${name}.reg`, m.reg, { above: 0 });
        check.integer(`${name}.maxIters`, m.maxIters, { min: 1 });
        check.number(`${name}.tol`, m.tol, { above: 0 });
        check.oneOf(`${name}.rewardScale`, m.rewardScale, SINKHORN_REWARD_SCALES);
      },
    },
  }),
  /**
   * Similarity of a predicted query to a gold query (the content term, in [0, 1]).
   * - `"token-f1"`: F1 of the two token sets after the released `preprocess_text` normalisation
   *   (lower-case, ASCII punctuation to spaces, whitespace split): the set F1 the released code
   *   scores answers with (`compute_answer_f1`).
   * - `"exact"`: 1 when the normalised queries are equal, else 0: the paper's parameter-content
   *   indicator I(p[k] = g[k]).
   *
   * Default `"token-f1"` (ours: see README "Similarity"; `"exact"` is the paper's term).
   */
  similarity: oneOf(["token-f1", "exact"], "token-f1"),
  /**
   * Add the paper's tool-name and parameter-name terms: S = (1 + 1 + c) / 3 with c the content
   * similarity (paper: S = S_tn (S_tn + S_pn + S_pc) / (2 + |N_g|); SearchWorld has one tool
   * with one parameter, so both terms are always 1). Default false (ours: the constant terms
   * only compress S into [2/3, 1] and give an off-target search 2/3 of a perfect one's reward).
   */
  schemaTerms: flag(false),
  /**
   * Reward of a predicted call left unmatched by a hard matching (or matched at similarity 0).
   * Default 0: released `compute_process_KM` passes `unmatched_penalty=0` (the function's own
   * default is -0.5). Unused by `sinkhorn`.
   */
  unmatchedReward: finite({}, 0),
  /**
   * What the answer round's turn reward is. Default `"outcome"`: the outcome r^o (paper Figure
   * 2b: r_T = r^o; released code: the answer's token F1; here the harness's outcome reward, EM).
   * `"zero"`: only search rounds are rewarded.
   */
  answerTurnReward: oneOf(["outcome", "zero"], "outcome"),
  /**
   * What the trajectory-level advantage A^g normalises over the group. Default `"turn-sum"`:
   * A^g is the GRPO advantage of R_i = sum_t r_t (paper Figure 2c; released
   * `compute_grpo_outcome_advantage` sums the token-level rewards). `"outcome"`: of the outcome
   * reward alone (METHODS.md's summary "A_traj = GRPO outcome advantage").
   */
  trajectoryReward: oneOf(["turn-sum", "outcome"], "turn-sum"),
  /** Discount gamma in [0, 1] of the turn returns. Default 0.9 (released `lam = 0.9`). */
  gamma: finite({ min: 0, max: 1 }, 0.9),
  /**
   * Over which entries the discounted turn returns are z-scored.
   * - `"per-turn-index"`: per (prompt group, turn index k), over the trajectories that reached
   *   round k (released `compute_grpo_outcome_advantage`: key `f"{index[i]}-{j}"`). Biased when
   *   the policy chooses how many rounds to take (verl issue 7244): round k's baseline is
   *   computed only from the trajectories that were still going.
   * - `"group-joint"`: over every round of every trajectory of the prompt group jointly (ours,
   *   the unbiased variant: one baseline for the whole group, as pure does).
   *
   * Default `"per-turn-index"` (the released code's).
   */
  turnNormalization: oneOf(["per-turn-index", "group-joint"], "per-turn-index"),
  /**
   * w in [0, 1]: A = (1 - w) A^g + w A^l on the tokens of each round. Default 0.5: the released
   * `fused_adv = (group_adv + step_adv) / 2` (the paper's Figure 2c draws A^g + A^l, twice that).
   * 0 with `trajectoryReward: "outcome"` is exactly GRPO.
   */
  turnWeight: finite({ min: 0, max: 1 }, 0.5),
  /**
   * Similarity at or above which a gold call counts as found (the metric
   * `matchtir/gold_matched_share` only). Default 0.5 (ours: most of the gold query's tokens).
   */
  matchThreshold: finite({ min: 0, max: 1 }, 0.5),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const MATCHTIR_CONFIG = grpoExtension<MatchtirConfig>("matchtir config", MATCHTIR_FIELDS);

/** Defaults: the GRPO baseline's settings + the paper's hard matching, gamma 0.9, (A^g + A^l) / 2. */
export const MATCHTIR_DEFAULTS: Readonly<MatchtirConfig> = MATCHTIR_CONFIG.defaults;

/**
 * Check a MatchTIR config; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * validateMatchtirConfig(MATCHTIR_DEFAULTS);
 * assert.throws(
 *   () => validateMatchtirConfig({ ...MATCHTIR_DEFAULTS, gamma: 1.5 }),
 *   /field "gamma" must be in \[0, 1\], got 1.5/,
 * );
 * ```
 */
export const validateMatchtirConfig: (cfg: MatchtirConfig) => void = MATCHTIR_CONFIG.validate;
