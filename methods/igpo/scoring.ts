/**
 * IGPO's calls to the policy scorer: for every trajectory with K >= 2 rounds and every
 * t = 0..K-1, the policy's teacher-forced log-probabilities of the gold answer after the prompt
 * and rounds 1..t (each round with its observation), as one batch of requests
 * (`scoreGoldAfterRounds`, methods/policy_scoring.ts).
 *
 * A request's context is the trajectory's own tokens up to the end of round t (the prompt for
 * t = 0); its target is `encode(answerPrefix)` followed by the gold answer's ids in the
 * trajectory's token space (target.ts); v_t is the mean log-probability of the answer's ids only
 * (the prefix is conditioned on, not averaged: the paper's mean over the L answer tokens).
 * Rounds 1..K-1 get an information gain; round K (the answer) none, so the context after round
 * K is never scored.
 *
 * @module
 */
import type { PolicyScorer, Question, RolloutBatch } from "@creditlab/core";
import { contextsAfterRounds, scoreGoldAfterRounds } from "../policy_scoring.ts";
import type { GoldChoice } from "./config.ts";
import { goldTarget, type TargetSource } from "./target.ts";

export { contextsAfterRounds };

/** What the scorer said about a batch's gold answers. */
export interface GoldScores {
  /**
   * Per row: v_0..v_{K-1}, the gold answer's mean log-probability after round t (max over the
   * golden answers with `gold: "max"`); null for a row not scored (K < 2, or no golden answer
   * with tokens).
   */
  values: (Float64Array | null)[];
  /** Per row: where the (first scored) answer's ids came from; null when not scored. */
  sources: (TargetSource | null)[];
  /** Per row: scoring requests made for it. */
  requests: Int32Array;
}

/**
 * Score the gold answer after every non-final round of every row with K >= 2 (one
 * `scorer.logProbs` call for the whole batch). Throws when a row's question is not in
 * `questions`.
 */
export async function scoreGoldAnswers(
  batch: Pick<RolloutBatch, "n" | "trajectories" | "numRounds">,
  opts: {
    questions: ReadonlyMap<string, Question>;
    scorer: PolicyScorer;
    gold: GoldChoice;
    answerPrefix: string;
  },
): Promise<GoldScores> {
  const prefix = opts.scorer.encode(opts.answerPrefix);
  const got = await scoreGoldAfterRounds(batch, {
    method: "igpo",
    questions: opts.questions,
    scorer: opts.scorer,
    gold: opts.gold,
    targets: (traj, golden, k) => {
      const target = goldTarget(traj.turns, golden, opts.scorer);
      if (target.ids.length === 0) return null;
      const ids = new Int32Array(prefix.length + target.ids.length);
      ids.set(prefix);
      ids.set(target.ids, prefix.length);
      return { ids: Array(k).fill(ids), skip: prefix.length, note: target.source };
    },
  });
  return { values: got.values, sources: got.notes, requests: got.requests };
}
