/**
 * Rollouts continued from a prefix of a sampled trajectory, at a turn boundary (tree rollouts,
 * tree_rollout.ts): the prefix's turns are copied with their recorded log-probs and the policy
 * samples the rest exactly as a flat rollout does (rollout.ts's decode loop).
 *
 * @module
 */
import type { Question, Trajectory, Turn } from "@creditlab/core";
import { type RolloutOptions, type RowState, runRows } from "./rollout.ts";

/**
 * Where {@link continueRollouts} starts one rollout: a prefix of a trajectory sampled (by this
 * policy, with the deployment prompt) for `question`, ending at a turn boundary.
 */
export interface RolloutPrefix {
  question: Question;
  groupId: number;
  /**
   * The prompt turn, then whole rounds: each policy turn of rounds 1..d followed by the
   * observation that answered it (d >= 0; d = 0 is the prompt alone). Copied into the result.
   */
  turns: readonly Turn[];
}

/** The number of whole rounds of a valid {@link RolloutPrefix}'s turns; throws otherwise. */
export function prefixRounds(turns: readonly Turn[]): number {
  const first = turns[0];
  if (first === undefined || first.role !== "observation" || first.round !== 0) {
    throw new Error("continueRollouts: a prefix starts with the prompt turn (round 0)");
  }
  const d = (turns.length - 1) / 2;
  if (!Number.isInteger(d)) {
    throw new Error(
      `continueRollouts: a prefix ends at a turn boundary (policy turn + observation per round), got ${turns.length} turns`,
    );
  }
  for (let k = 1; k <= d; k++) {
    const p = turns[2 * k - 1]!;
    const o = turns[2 * k]!;
    if (p.role !== "policy" || p.round !== k || o.role === "policy" || o.round !== k) {
      throw new Error(
        `continueRollouts: round ${k} of the prefix is not a policy turn + observation`,
      );
    }
    if (p.action?.kind === "answer") {
      throw new Error(`continueRollouts: round ${k} of the prefix answered (the episode ended)`);
    }
  }
  return d;
}

/**
 * Continue rollouts from prefixes (tree rollouts, tree_rollout.ts): each row starts with its
 * prefix's turns copied (their tokens and recorded log-probs unchanged), fed to the decoder as
 * its context, and samples rounds d + 1.. exactly as {@link rollout} does (same protocol, budgets,
 * counters and `meta`; counters include the prefix's search turns and invalid actions). The
 * episode's entity mapping is rebuilt by anonymising the prefix's prompt and observations in
 * order, as the original rollout did. No feedback call (training rollouts of methods that add it
 * are flat).
 */
export async function continueRollouts(
  prefixes: readonly RolloutPrefix[],
  opts: Omit<RolloutOptions, "groupIdBase" | "feedback">,
): Promise<Trajectory[]> {
  if (prefixes.length === 0) return [];
  const rows = prefixes.map((p): RowState => {
    const d = prefixRounds(p.turns);
    const turns = p.turns.map((t): Turn => ({
      ...t,
      tokens: t.tokens.slice(),
      ...(t.sampledLogProbs ? { sampledLogProbs: t.sampledLogProbs.slice() } : {}),
    }));
    const episode = opts.anonymizer?.episode();
    let totalTokens = 0;
    for (const t of turns) {
      if (t.role !== "policy") episode?.anonymize(t.text);
      totalTokens += t.tokens.length;
    }
    // The prompt alone may fill the budget (then the episode never starts, as in `rollout`); a
    // longer prefix came from a rollout that left room after it.
    const tooLong = d === 0 && totalTokens >= opts.config.maxTotalTokens;
    if (d > 0 && totalTokens + 2 >= opts.config.maxTotalTokens) {
      throw new Error(
        `continueRollouts: a prefix of ${totalTokens} tokens leaves no room under maxTotalTokens ${opts.config.maxTotalTokens}`,
      );
    }
    const feed = new Int32Array(totalTokens);
    let at = 0;
    for (const t of turns) {
      feed.set(t.tokens, at);
      at += t.tokens.length;
    }
    const policy = turns.filter((t) => t.role === "policy");
    return {
      question: p.question,
      groupId: p.groupId,
      turns,
      current: [],
      currentLogProbs: [],
      round: d + 1,
      searchTurns: policy.filter((t) => t.action?.kind === "search").length,
      feedbackOffered: false,
      feedbackCalls: 0,
      invalidActions: policy.filter((t) => t.action?.kind === "invalid").length,
      done: tooLong,
      promptTooLong: tooLong,
      totalTokens,
      pendingFeed: tooLong ? null : feed,
      episode,
    };
  });
  return await runRows(rows, opts);
}
