/**
 * A²TGPO's calls to the policy scorer and the information gains they give. For every trajectory
 * with K ≥ 2 rounds and every t = 0..K−1, one request per golden answer scored:
 *
 *     context c_t = the trajectory's own tokens of rounds ≤ t (the prompt for t = 0; round t's
 *                   policy turn and the observation that answered it)
 *     target      = `<answer>` a_1 … a_L [`</answer>`]   (the gold answer as the policy writes one)
 *     v_t         = mean of log π(a_j | c_t, `<answer>`, a_<j) over the averaged span
 *     p_t         = exp(v_t)
 *
 * and the gain of turn k = 1..K−1 is g_k = p_k − p_{k−1} (or v_k − v_{k−1}). The answer round K
 * gets no gain: the context after it would contain the answer itself, and its credit is the
 * outcome's (IGPO: the final turn is rewarded by the outcome, not by information gain).
 *
 * @module
 */
import type { PolicyScorer, Question, RolloutBatch } from "@creditlab/core";
import { informationGains } from "../information_gain.ts";
import { contextsAfterRounds, scoreGoldAfterRounds } from "../policy_scoring.ts";
import type { AnswerSpan, GoldChoice, GoldEpisode } from "./config.ts";

// The contexts after each round and the gains p_k - p_{k-1} (or of log-probabilities) are
// IGPO's, which A²TGPO builds on (shared in methods/, not imported from IGPO).
export { contextsAfterRounds, informationGains };

/** What the scorer said about a batch's gold answers. */
export interface GoldScores {
  /**
   * Per row: v_0..v_{K−1} (max over the golden answers scored); null for a row not scored
   * (K < 2, or no golden answer with tokens).
   */
  values: (Float64Array | null)[];
  /** Per row: the scoring requests made for it. */
  requests: Int32Array;
}

/** How the gold answer is scored (the config's fields, see config.ts). */
export interface GoldOptions {
  gold: GoldChoice;
  answerSpan: AnswerSpan;
  goldEpisode: GoldEpisode;
}

/**
 * Score the gold answer after every non-final round of every row with K ≥ 2, in one
 * `scorer.logProbs` call for the batch. Throws on a question missing from `questions`, or a
 * scorer answer of the wrong shape.
 */
export async function scoreGold(
  batch: Pick<RolloutBatch, "n" | "trajectories" | "numRounds">,
  opts: GoldOptions & { questions: ReadonlyMap<string, Question>; scorer: PolicyScorer },
): Promise<GoldScores> {
  const { scorer } = opts;
  const open = scorer.encode("<answer>");
  const close = opts.answerSpan === "answer-and-close" ? scorer.encode("</answer>") : undefined;
  const got = await scoreGoldAfterRounds(batch, {
    method: "a2tgpo",
    questions: opts.questions,
    scorer,
    gold: opts.gold,
    targets: (traj, golden, k) => {
      // The answer as the episode after round t would show it (its entity slots), or the full one.
      const bodies = Array.from({ length: k }, (_, t) =>
        scorer.encode(golden, {
          episode: opts.goldEpisode === "full"
            ? traj.turns
            : traj.turns.filter((u) => u.round <= t),
        }));
      if (bodies.some((b) => b.length === 0)) return null;
      const ids = bodies.map((body) => {
        const target = new Int32Array(open.length + body.length + (close?.length ?? 0));
        target.set(open);
        target.set(body, open.length);
        if (close) target.set(close, open.length + body.length);
        return target;
      });
      return { ids, skip: open.length, note: null };
    },
  });
  return { values: got.values, requests: got.requests };
}
