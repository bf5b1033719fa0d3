/**
 * What the CW-GRPO judge sees of a trajectory: its non-final rounds, each with the policy's
 * text, the parsed action and the observation that answered it.
 *
 * @module
 */
import type { JudgedRound, Trajectory } from "@creditlab/core";

/**
 * The judged rounds k = 1..K-1 of a trajectory (K = its last policy round). A round's
 * `observationText` joins the texts of the observation/feedback turns of that round.
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
 * const rounds = judgedRounds(traj); // the rounds before the last one
 * assert.deepEqual(rounds.map((r) => [r.round, r.policyText]), [
 *   [1, "<search> 2014 winter olympics host </search>"],
 *   [2, "<feedback> Sochi </feedback>"],
 * ]);
 * rounds[0]!.observationText; // "<information> Doc 1 (Title: Sochi) ... </information>"
 * ```
 */
export function judgedRounds(traj: Trajectory): JudgedRound[] {
  let K = 0;
  for (const t of traj.turns) if (t.role === "policy") K = Math.max(K, t.round);
  const rounds: JudgedRound[] = [];
  for (let k = 1; k < K; k++) {
    const policy = traj.turns.filter((t) => t.role === "policy" && t.round === k);
    const obs = traj.turns.filter((t) => t.role !== "policy" && t.round === k);
    const first = policy[0];
    rounds.push({
      round: k,
      policyText: policy.map((t) => t.text).join("\n"),
      action: first?.action ?? { kind: "invalid", reason: "no policy turn in this round" },
      observationText: obs.map((t) => t.text).join("\n"),
    });
  }
  return rounds;
}
