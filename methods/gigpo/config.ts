/**
 * GiGPO's config: the GRPO baseline (whose advantage is the episode-level part) plus what the
 * step-level part needs: which rounds count as the same environment state (the anchor key),
 * the discount of step returns, how returns are normalised within an anchor group, and the
 * step weight omega. Every field says where its default comes from; README.md has the reasons.
 *
 * Sources: the paper (Feng et al., arXiv 2505.10978, eqs. 3-8) and its released code,
 * langfengQ/verl-agent, read through its stored fork vanzll/verl-agent: `gigpo/core_gigpo.py`
 * (the algorithm), `verl/trainer/config/ppo_trainer.yaml` (`algorithm.gigpo` defaults),
 * `examples/gigpo_trainer/run_search.sh` (the search-QA run).
 *
 * @module
 */
import type { GrpoConfig } from "../grpo/mod.ts";
import { type FieldValues, finite, flag, grpoExtension, oneOf } from "../grpo/options.ts";

/** GiGPO config: the GRPO baseline plus the fields of {@link GIGPO_FIELDS} (below). */
export interface GigpoConfig extends GrpoConfig, FieldValues<typeof GIGPO_FIELDS> {}

/** How step returns are normalised (`GIGPO_FIELDS.stepNormalization` says what each value is). */
export type StepNormalization = GigpoConfig["stepNormalization"];
/** What identifies the environment state a round starts from (`GIGPO_FIELDS.anchorKey`). */
export type AnchorKeyKind = GigpoConfig["anchorKey"];
/** Over what the episode-level mean and std are taken (`GIGPO_FIELDS.episodeStats`). */
export type EpisodeStats = GigpoConfig["episodeStats"];

/**
 * The fields GiGPO adds to the GRPO baseline (whose fields configure the episode-level
 * advantage and the loss): each one's doc, allowed values and default.
 */
export const GIGPO_FIELDS = {
  /**
   * omega >= 0 in A = A^E + omega * A^S (eq. 8). Default 1: the released
   * `algorithm.gigpo.step_advantage_w: 1.0` (yaml default and run_search.sh). 0 is GRPO.
   */
  stepWeight: finite({ min: 0 }, 1),
  /**
   * gamma in [0, 1] of the step returns G_k = sum_{j >= k} gamma^(j-k) r_j (eq. 5). The only
   * step reward here is the outcome R at the last round K, so G_k = gamma^(K-k) R. Default
   * 0.95: `algorithm.gamma=0.95` in run_search.sh and run_alfworld.sh (the yaml default is 1.0).
   */
  gamma: finite({ min: 0, max: 1 }, 0.95),
  /**
   * How step returns are normalised within an anchor group (eq. 7). `"mean"`: G - mean (the
   * released `mode: "mean_norm"`, `remove_std = True`); `"mean-std"`: (G - mean) / (std + eps)
   * with the unbiased std (`mode: "mean_std_norm"`). An anchor group of one round gets 0 either
   * way (the released `step_norm_reward` takes its own return as the mean).
   *
   * Default `"mean"`: the yaml default `algorithm.gigpo.mode: "mean_norm"`. The released
   * search run sets `mean_std_norm`. The released `mode` also drops the std of the episode
   * part; here the episode part follows the GRPO field `normalizeStd` (default true), so the
   * released `mean_norm` in full is `{ stepNormalization: "mean", normalizeStd: false }`.
   */
  stepNormalization: oneOf(["mean", "mean-std"], "mean"),
  /**
   * What identifies the environment state a policy round k starts from (anchors.ts).
   * - `"retrieved-set"` (ours, the SearchWorld mapping): the SET of passages the observations of
   *   rounds 1..k-1 showed, each passage identified by its title and text (the `Doc i(Title: t)
   *   text` entries of `<information>`; rank, order and repeats ignored). Two histories that
   *   retrieved the same facts by different queries, or in a different order, are one state.
   * - `"exact-history"`: the exact sequence of what the environment showed before round k (the
   *   prompt, then every observation or feedback turn of rounds 1..k-1, whitespace collapsed),
   *   the finest text key.
   * - `"last-observation"`: the text of the last thing the environment showed before round k
   *   (the prompt for k = 1): the released code's anchor for its search environment, which
   *   hashes the current observation only (`SearchEnvironmentManager`, `"anchor": next_obs`, in
   *   agent_system/environments/env_manager.py; `build_step_group` in gigpo/core_gigpo.py).
   *
   * Default `"retrieved-set"` (the SearchWorld mapping of the spec).
   */
  anchorKey: oneOf(["retrieved-set", "exact-history", "last-observation"], "retrieved-set"),
  /**
   * Whether the round index k is part of the state key. Default true (ours: the spec's key
   * (k, retrieved set); a round that brought nothing new, e.g. an invalid action, then does
   * not merge with an earlier round). The released code keys on the observation alone
   * (false). `"exact-history"` keys imply k (round k follows exactly k - 1 observations).
   */
  keyRound: flag(true),
  /**
   * Over what the episode-level mean and std are taken (eq. 3).
   * - `"trajectory"`: one entry per trajectory, GRPO exactly (the paper's eq. 3).
   * - `"step"`: one entry per policy round, so a trajectory weighs as many times as it has
   *   rounds (the released `episode_norm_reward(compute_mean_std_cross_steps=True)`, its
   *   default, whose batch rows are steps). This length-weighted baseline moves with the
   *   policy's choice of how many rounds to take.
   *
   * Default `"trajectory"` (the paper's eq. 3).
   */
  episodeStats: oneOf(["trajectory", "step"], "trajectory"),
};

/** The config's defaults and its check (what `grpoFamily` needs of it). */
export const GIGPO_CONFIG = grpoExtension<GigpoConfig>("gigpo config", GIGPO_FIELDS);

/** Defaults: the GRPO baseline's settings + the released step weight, gamma and mean-norm. */
export const GIGPO_DEFAULTS: Readonly<GigpoConfig> = GIGPO_CONFIG.defaults;

/**
 * Check a GiGPO config; throws a RangeError naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * validateGigpoConfig(GIGPO_DEFAULTS);
 * assert.throws(
 *   () => validateGigpoConfig({ ...GIGPO_DEFAULTS, gamma: 1.5 }),
 *   /gigpo config: field "gamma" must be in \[0, 1\], got 1.5/,
 * );
 * ```
 */
export const validateGigpoConfig: (cfg: GigpoConfig) => void = GIGPO_CONFIG.validate;
