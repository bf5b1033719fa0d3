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
 * judgedRounds(traj); // [{ round: 1, policyText: "<search> q </search>", action, observationText: "<information> ..." }]
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
