/**
 * CAPF credit attenuation as pure functions over typed arrays.
 *
 * For trajectory i with GRPO advantage A_i and anchoring feedback-call rounds F_i (every answered
 * call, or only those whose verdict was not "correct"; option `attenuation.when`), the set of
 * attenuated rounds S_i is given by the reach (all k <= max F_i by default). Token t of round
 * k(t):
 *
 *     A'_{i,t} = lambda * A_i   if k(t) in S_i
 *              = A_i            otherwise (the repair after the last feedback call keeps full credit)
 *
 * Only tokens with loss mask 1 get nonzero values.
 *
 * @module
 */
import type { Trajectory } from "@creditlab/core";
import type { AttenuationReach, AttenuationWhen } from "./config.ts";
import { tokenAdvantagesByRow } from "../grpo/advantages.ts";

/** The part of a batch the attenuation reads. */
export interface RoundLayout {
  n: number;
  length: number;
  lossMask: Float32Array;
  roundIds: Int32Array;
}

/**
 * Rounds in which the policy made a feedback call that was answered: the rounds of the
 * trajectory's `feedback`-role turns. A call the hook refused (answered with the invalid-action
 * text) or that ended the episode showed the policy nothing privileged and is not counted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Trajectory, Turn } from "@creditlab/core";
 * const turn = (role: Turn["role"], text: string, round: number): Turn =>
 *   ({ role, text, round, tokens: new Int32Array(0) });
 * const traj: Trajectory = {
 *   questionId: "q",
 *   groupId: 0,
 *   reward: 1,
 *   meta: {},
 *   turns: [
 *     turn("observation", "question : which country hosted the 2014 winter olympics ?", 0),
 *     turn("policy", "<search> 2014 winter olympics host </search>", 1),
 *     turn("observation", "<information> Doc 1 (Title: Sochi) ... </information>", 1),
 *     turn("policy", "<feedback> Sochi </feedback>", 2),
 *     turn("feedback", "<verifier> Sochi is a city; a country is asked for. </verifier>", 2),
 *     turn("policy", "<think> so Russia </think> <answer> Russia </answer>", 3),
 *   ],
 * };
 * assert.deepEqual(feedbackRounds(traj), [2]); // round 2's "<feedback> Sochi </feedback>" was answered
 * ```
 */
export function feedbackRounds(traj: Trajectory): number[] {
  const rounds = new Set<number>();
  for (const turn of traj.turns) if (turn.role === "feedback") rounds.add(turn.round);
  return [...rounds].sort((a, b) => a - b);
}

/**
 * The feedback-call rounds that anchor the attenuation under `when`: every answered call
 * (`every-call`), or those whose verdict was not "correct" (`not-correct`; a feedback turn
 * without a recorded verdict counts as not correct).
 *
 * @example
 * ```ts
 * import type { Trajectory, Turn } from "@creditlab/core";
 * const fb = (round: number, correct: boolean): Turn =>
 *   ({ role: "feedback", text: "", round, tokens: new Int32Array(0), verdict: { correct, kind: "correct" } });
 * const traj = { questionId: "q", groupId: 0, reward: 1, meta: {}, turns: [fb(2, true), fb(4, false)] } as Trajectory;
 * anchorRounds(traj, "every-call"); // [2, 4]
 * anchorRounds(traj, "not-correct"); // [4]
 * ```
 */
export function anchorRounds(traj: Trajectory, when: AttenuationWhen): number[] {
  if (when === "every-call") return feedbackRounds(traj);
  const rounds = new Set<number>();
  for (const turn of traj.turns) {
    if (turn.role === "feedback" && turn.verdict?.correct !== true) rounds.add(turn.round);
  }
  return [...rounds].sort((a, b) => a - b);
}

/**
 * The attenuated rounds S for feedback-call rounds F (sorted, unique).
 *
 * @example
 * ```ts
 * attenuatedRounds([3], { kind: "all-before-feedback" }); // [1, 2, 3]
 * attenuatedRounds([3], { kind: "feedback-call-only" }); // [3]
 * attenuatedRounds([3], { kind: "last-n-rounds", n: 2 }); // [2, 3]
 * ```
 */
export function attenuatedRounds(fbRounds: readonly number[], reach: AttenuationReach): number[] {
  if (fbRounds.length === 0) return [];
  const out = new Set<number>();
  switch (reach.kind) {
    case "feedback-call-only":
      for (const f of fbRounds) out.add(f);
      break;
    case "all-before-feedback": {
      const last = Math.max(...fbRounds);
      for (let k = 1; k <= last; k++) out.add(k);
      break;
    }
    case "last-n-rounds":
      for (const f of fbRounds) for (let k = Math.max(1, f - reach.n + 1); k <= f; k++) out.add(k);
      break;
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Per-token mask: 1 where the token is trainable (lossMask != 0) and its round is in the
 * row's attenuated rounds.
 *
 * @example
 * ```ts
 * attenuationMask(
 *   { n: 1, length: 4, lossMask: new Float32Array([0, 1, 1, 1]), roundIds: new Int32Array([0, 1, 2, 3]) },
 *   [[1, 2]],
 * ); // [0, 1, 1, 0]
 * ```
 */
export function attenuationMask(
  layout: RoundLayout,
  rowRounds: readonly (readonly number[])[],
): Uint8Array {
  const { n, length, lossMask, roundIds } = layout;
  if (rowRounds.length !== n) {
    throw new RangeError(
      `attenuationMask: rowRounds has ${rowRounds.length} rows, expected n = ${n}`,
    );
  }
  if (lossMask.length !== n * length || roundIds.length !== n * length) {
    throw new RangeError(
      `attenuationMask: lossMask and roundIds must have n * length = ${n * length} entries`,
    );
  }
  const out = new Uint8Array(n * length);
  for (let r = 0; r < n; r++) {
    const rounds = rowRounds[r]!;
    if (rounds.length === 0) continue;
    const maxRound = Math.max(...rounds);
    const hit = new Uint8Array(maxRound + 1);
    for (const k of rounds) if (k >= 0) hit[k] = 1;
    const base = r * length;
    for (let t = 0; t < length; t++) {
      const k = roundIds[base + t]!;
      if (lossMask[base + t] !== 0 && k <= maxRound && hit[k] === 1) out[base + t] = 1;
    }
  }
  return out;
}

/**
 * The CAPF kernel: out[r, t] = attenuated[r] where mask[r, t] = 1, full[r] on other trainable
 * tokens, 0 elsewhere.
 *
 * @example
 * ```ts
 * capfTokenAdvantages(new Float32Array([2]), new Float32Array([0.2]), new Uint8Array([0, 1, 0]), {
 *   n: 1, length: 3, lossMask: new Float32Array([0, 1, 1]),
 * }); // [0, 0.2, 2]
 * ```
 */
export function capfTokenAdvantages(
  full: Float32Array,
  attenuated: Float32Array,
  mask: Uint8Array,
  layout: { n: number; length: number; lossMask: Float32Array },
): Float32Array {
  return tokenAdvantagesByRow(
    "capfTokenAdvantages",
    layout,
    { perRow: { full, attenuated }, perToken: { mask, lossMask: layout.lossMask } },
    (r) => {
      const a = full[r]!;
      const b = attenuated[r]!;
      return (i) => (mask[i] === 1 ? b : a);
    },
  );
}
