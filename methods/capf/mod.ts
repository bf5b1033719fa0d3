/**
 * CAPF — Credit-Attenuated Privileged Feedback (Chen et al., arXiv 2606.01830). Importing this
 * module registers the method "capf".
 *
 * Training rollouts gain a `<feedback> draft </feedback>` call answered by a privileged
 * verifier; the policy may then revise, turning a zero-reward attempt into a positive-reward
 * repair. Credit of the feedback call and the rounds before it is attenuated by lambda, so the
 * deployed policy (which has no such call) does not learn to depend on it.
 *
 * The method asks the environment for its verifier at the configured detail level
 * (`resources(config)`: `{ kind: "privileged-verifier", detail: config.feedback.detail }`, none
 * when the call is disabled). Its rewards give a repair `feedback.repairReward` times its outcome;
 * its step returns the advantages, its metrics (`capf/...`) and a {@link CapfRecord} per
 * trajectory.
 *
 * @example
 * ```ts
 * import { capf, CAPF_DEFAULTS } from "./mod.ts";
 * const cfg = { ...CAPF_DEFAULTS, attenuation: { ...CAPF_DEFAULTS.attenuation, factor: 0 } };
 * ```
 * @module
 */
import {
  methodCallMetric,
  methodMetric,
  type MethodRecord,
  type RolloutBatch,
} from "@creditlab/core";
import { type Method, registerMethod, type RewardInput } from "@creditlab/train";
import { applyBaseline, groupBaselines } from "@creditlab/kernels";
import { grpoFamily, outcomeRewards } from "../grpo/mod.ts";
import { ratio } from "../metrics.ts";
import {
  anchorRounds,
  attenuatedRounds,
  attenuationMask,
  capfTokenAdvantages,
  feedbackRounds,
} from "./attenuation.ts";
import { CAPF_CARD } from "./paper.ts";
import { CAPF_CONFIG, type CapfConfig, capfVerifierDetail, validateCapfConfig } from "./config.ts";
import { capfRolloutHooks } from "./feedback.ts";

export * from "./config.ts";
export * from "./attenuation.ts";
export * from "./feedback.ts";
export { CAPF_PAPER } from "./paper.ts";

/** The method's registry name (the prefix of its metrics). */
const NAME = CAPF_CARD.name;

/** What CAPF keeps of each trajectory (the run store's `method_record`). */
export interface CapfRecord extends MethodRecord {
  /** Rounds with an answered feedback call. */
  feedbackRounds: number[];
  /** Rounds whose credit was attenuated (see the `when` and `reach` options). */
  attenuatedRounds: number[];
  /** Answered feedback calls of the trajectory. */
  calls: { feedback: number };
}

/** Per-token attenuation mask of a batch under `config` (1 = attenuated trainable token). */
export function capfMask(batch: RolloutBatch, config: CapfConfig): Uint8Array {
  const { when, reach } = config.attenuation;
  const rows = batch.trajectories.map((t) => attenuatedRounds(anchorRounds(t, when), reach));
  return attenuationMask(batch, rows);
}

/** CAPF per-token advantages (see attenuation.ts for the equation). */
export function capfAdvantages(batch: RolloutBatch, config: CapfConfig): Float32Array {
  validateCapfConfig(config);
  const b = groupBaselines(batch.rewards, batch.groupIds, {
    normalizeStd: config.normalizeStd,
    eps: config.eps,
    singleton: config.singletonGroup,
  });
  const full = new Float32Array(batch.n);
  const att = new Float32Array(batch.n);
  for (let r = 0; r < batch.n; r++) {
    full[r] = applyBaseline(batch.rewards[r]!, b.mean[r]!, b.denom[r]!);
    att[r] = config.attenuation.factor * full[r]!;
  }
  return capfTokenAdvantages(full, att, capfMask(batch, config), batch);
}

/**
 * CAPF rewards of a sampling round: the outcome, times `feedback.repairReward` for a repair (a
 * trajectory with an answered feedback call whose verdict was not "correct").
 *
 * @example
 * ```ts
 * import { CAPF_DEFAULTS, type CapfConfig } from "./config.ts";
 * import type { Trajectory } from "@creditlab/core";
 * const repaired = { questionId: "q", groupId: 0, reward: 0, meta: {}, turns: [
 *   { role: "feedback", text: "", round: 2, tokens: new Int32Array(0), verdict: { correct: false, kind: "wrong-type" } },
 * ] } as Trajectory;
 * const plain = { ...repaired, turns: [] };
 * const config = { ...CAPF_DEFAULTS, feedback: { ...CAPF_DEFAULTS.feedback, repairReward: 0.5 } } as CapfConfig;
 * const input = { trajectories: [repaired, plain], outcomes: Float32Array.of(1, 1), groupIds: Int32Array.of(0, 0) };
 * capfRewards(input, config); // Float32Array [0.5, 1]
 * ```
 */
export function capfRewards(input: RewardInput, config: CapfConfig): Float32Array {
  const out = outcomeRewards(input, NAME);
  const factor = config.feedback.enabled ? config.feedback.repairReward : 1;
  if (factor === 1) return out;
  input.trajectories.forEach((t, i) => {
    if (anchorRounds(t, "not-correct").length > 0) out[i] = out[i]! * factor;
  });
  return out;
}

/**
 * CAPF step metrics: share of trajectories with an answered feedback call, the answered calls
 * (`capf/calls/feedback`), share of those trajectories that ended with reward > 0 (repairs),
 * and the share of trainable tokens attenuated.
 */
export function capfStepMetrics(batch: RolloutBatch, config: CapfConfig): Record<string, number> {
  let withFeedback = 0;
  let repaired = 0;
  let calls = 0;
  batch.trajectories.forEach((t, r) => {
    const f = feedbackRounds(t).length;
    calls += f;
    if (f > 0) {
      withFeedback++;
      if (batch.rewards[r]! > 0) repaired++;
    }
  });
  const mask = capfMask(batch, config);
  let att = 0;
  let trainable = 0;
  for (let i = 0; i < mask.length; i++) {
    att += mask[i]!;
    if (batch.lossMask[i] !== 0) trainable++;
  }
  return {
    [methodMetric(NAME, "feedback_traj_share")]: ratio(withFeedback, batch.n),
    [methodCallMetric(NAME, "feedback")]: calls,
    [methodMetric(NAME, "repair_success_share")]: ratio(repaired, withFeedback),
    [methodMetric(NAME, "attenuated_token_share")]: ratio(att, trainable),
  };
}

/** CAPF's record of each row of a batch. */
export function capfRecords(batch: RolloutBatch, config: CapfConfig): CapfRecord[] {
  const { when, reach } = config.attenuation;
  return batch.trajectories.map((t) => {
    const f = feedbackRounds(t);
    return {
      feedbackRounds: f,
      attenuatedRounds: attenuatedRounds(anchorRounds(t, when), reach),
      calls: { feedback: f.length },
    };
  });
}

/** The CAPF method. */
export const capf: Method<CapfConfig, CapfRecord> = registerMethod(grpoFamily(CAPF_CARD, {
  config: CAPF_CONFIG,
  resources(config) {
    const detail = capfVerifierDetail(config);
    return detail === null ? [] : [{ kind: "privileged-verifier", detail }];
  },
  rolloutHooks: capfRolloutHooks,
  // Rewards row by row. The step is not group-local: its metrics are shares of the batch.
  groupLocal: { rewards: true },
  rewards: (input, ctx) => ({ rewards: capfRewards(input, ctx.config) }),
  step(batch, ctx) {
    return {
      advantages: capfAdvantages(batch, ctx.config),
      metrics: capfStepMetrics(batch, ctx.config),
      records: capfRecords(batch, ctx.config),
    };
  },
}));
