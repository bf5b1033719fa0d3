/**
 * GiGPO — Group-in-Group Policy Optimization (Feng, Xue, Liu, An; arXiv 2505.10978, NeurIPS
 * 2025; code langfengQ/verl-agent, `gigpo/core_gigpo.py`), on the GRPO baseline. Importing this
 * module registers the method "gigpo".
 *
 * No extra model, judge or rollout: the step-level signal comes from states that recur across
 * a prompt group's trajectories. Each policy round's starting state gets a key (anchors.ts; by
 * default the round index and the set of passages retrieved before it); rounds of the same
 * prompt group with equal keys form an anchor group; each round's discounted return
 * gamma^(K-k) R is compared with its anchor group's mean (credit.ts) and added, times omega,
 * to GRPO's episode advantage on that round's tokens. The step returns the advantages, its
 * metrics (`gigpo/...`) and a {@link GigpoRecord} per trajectory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchOf, contextOf, groupOf } from "../testing.ts";
 * import { GIGPO_DEFAULTS, gigpo } from "./mod.ts";
 * const hit = "<information> Doc 1(Title: A) a fact . </information>";
 * const batch = batchOf(groupOf(0, [
 *   { reward: 1, rounds: [{ policy: "<search> a </search>", obs: hit }, { policy: "<answer> x </answer>" }] },
 *   { reward: 0, rounds: [{ policy: "<answer> y </answer>" }] },
 * ]));
 * const res = await gigpo.step(batch, contextOf({ ...GIGPO_DEFAULTS }));
 * // round 1 of both starts from the prompt alone: one anchor group of 2
 * assert.deepEqual(res.records![0]!.anchorGroupSizes, [2, 1]);
 * assert.equal(res.metrics["gigpo/repeated_round_share"], 2 / 3);
 * ```
 * @module
 */
import type { RolloutBatch } from "@creditlab/core";
import { type Method, type MethodContext, registerMethod, type StepResult } from "@creditlab/train";
import { grpoFamily } from "../grpo/mod.ts";
import { methodMetrics, ratio } from "../metrics.ts";
import { type RoundsRecord, withRounds } from "../records.ts";
import { type AnchorGroups, anchorGroups, anchorKeys } from "./anchors.ts";
import { GIGPO_CARD } from "./paper.ts";
import { GIGPO_CONFIG, type GigpoConfig, validateGigpoConfig } from "./config.ts";
import {
  episodeAdvantages,
  gigpoTokenAdvantages,
  outcomeStepReturns,
  stepAdvantages,
} from "./credit.ts";

export * from "./config.ts";
export * from "./anchors.ts";
export * from "./credit.ts";
export { GIGPO_PAPER } from "./paper.ts";

/** The method's registry name (the prefix of its metrics). */
const NAME = GIGPO_CARD.name;

/**
 * What GiGPO keeps of a trajectory with K >= 1 rounds (the run store's `method_record`):
 * per round k = 1..K (index k - 1), its step advantage A^S (before omega) as the per-round
 * series, its anchor group's size and its step return.
 */
export interface GigpoRecord extends RoundsRecord<"step advantage"> {
  /** Size of round k's anchor group (1: its state occurs in no other round of the prompt group). */
  anchorGroupSizes: number[];
  /** Step return G_k = gamma^(K-k) R. */
  stepReturns: number[];
}

/** The step-level quantities of one batch, in the anchors' flat layout. */
export interface GigpoCredit {
  anchors: AnchorGroups;
  /** A^E per row. */
  episode: Float32Array;
  /** G per round. */
  returns: Float32Array;
  /** A^S per round (before omega). */
  step: Float32Array;
}

/**
 * GiGPO's credit of a batch: anchor keys of every round (`anchorKey`, `keyRound`), anchor
 * groups within prompt groups, episode advantages, step returns and step advantages.
 */
export function gigpoCredit(batch: RolloutBatch, cfg: GigpoConfig): GigpoCredit {
  if (batch.trajectories.length !== batch.n) {
    throw new RangeError(
      `gigpo: the batch has ${batch.trajectories.length} trajectories for n = ${batch.n} rows`,
    );
  }
  const keys = batch.trajectories.map((t, r) =>
    anchorKeys(t, batch.numRounds[r]!, { kind: cfg.anchorKey, keyRound: cfg.keyRound })
  );
  const anchors = anchorGroups(keys, batch.groupIds);
  const returns = outcomeStepReturns(batch.rewards, anchors.offsets, cfg.gamma);
  return {
    anchors,
    episode: episodeAdvantages(batch, cfg, cfg.episodeStats),
    returns,
    step: stepAdvantages(returns, anchors.ids, {
      normalization: cfg.stepNormalization,
      eps: cfg.eps,
    }),
  };
}

/**
 * GiGPO step metrics: `gigpo/repeated_round_share` (share of rounds whose anchor group has more
 * than one member), `gigpo/repeated_share_later_rounds` (the same over rounds k >= 2: round 1
 * always starts from the prompt, shared by the whole prompt group), `gigpo/anchor_group_size_mean`
 * (rounds per anchor group, the released "Avg size of step-level group"), `gigpo/anchor_groups`,
 * `gigpo/step_advantage_abs_mean` (mean |A^S| over rounds) and `gigpo/episode_advantage_abs_mean`
 * (mean |A^E| over rows with a round), for the scale of the two parts.
 */
export function gigpoStepMetrics(c: GigpoCredit): Record<string, number> {
  const { offsets, sizes, count } = c.anchors;
  const rounds = sizes.length;
  let repeated = 0, later = 0, laterRepeated = 0, stepAbs = 0, episodeAbs = 0, rows = 0;
  for (let r = 0; r + 1 < offsets.length; r++) {
    const start = offsets[r]!, end = offsets[r + 1]!;
    if (end > start) {
      rows += 1;
      episodeAbs += Math.abs(c.episode[r]!);
    }
    for (let i = start; i < end; i++) {
      const shared = sizes[i]! > 1 ? 1 : 0;
      repeated += shared;
      stepAbs += Math.abs(c.step[i]!);
      if (i > start) {
        later += 1;
        laterRepeated += shared;
      }
    }
  }
  return methodMetrics(NAME, {
    repeated_round_share: ratio(repeated, rounds),
    repeated_share_later_rounds: ratio(laterRepeated, later),
    anchor_group_size_mean: ratio(rounds, count),
    anchor_groups: count,
    step_advantage_abs_mean: ratio(stepAbs, rounds),
    episode_advantage_abs_mean: ratio(episodeAbs, rows),
  });
}

/** The record of each row (undefined for a row without a policy round). */
export function gigpoRecords(c: GigpoCredit): (GigpoRecord | undefined)[] {
  const { offsets, sizes } = c.anchors;
  return Array.from({ length: offsets.length - 1 }, (_, r) => {
    const start = offsets[r]!, end = offsets[r + 1]!;
    if (end === start) return undefined;
    return withRounds("step advantage", c.step.subarray(start, end), {
      anchorGroupSizes: Array.from(sizes.subarray(start, end)),
      stepReturns: Array.from(c.returns.subarray(start, end)),
    });
  });
}

/** GiGPO's step: the per-token advantages (eq. 8), its metrics and a record per row. */
export function gigpoStep(
  batch: RolloutBatch,
  ctx: MethodContext<GigpoConfig>,
): StepResult<GigpoRecord> {
  const cfg = ctx.config;
  validateGigpoConfig(cfg);
  const c = gigpoCredit(batch, cfg);
  return {
    advantages: gigpoTokenAdvantages(c.episode, c.step, c.anchors.offsets, batch, cfg.stepWeight),
    metrics: gigpoStepMetrics(c),
    records: gigpoRecords(c),
  };
}

/** The GiGPO method. */
export const gigpo: Method<GigpoConfig, GigpoRecord> = registerMethod(grpoFamily(GIGPO_CARD, {
  config: GIGPO_CONFIG,
  // Not group-local (Method.groupLocal): the step's metrics are over the batch. The
  // advantages and records are per prompt group.
  step: gigpoStep,
}));
