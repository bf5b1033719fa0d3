/**
 * A round judge that answers from the records: the `extras.judge_scores` a record carries are
 * the judge's scores of that trajectory's rounds 1..K-1, so methods that ask for a round judge
 * compute their credit offline. A trajectory the method judges whose record has
 * no scores goes to the fallback judge (an LLM endpoint), or fails naming the record.
 *
 * @module
 */
import type { JudgedRound, RoundJudge, RoundScore, Trajectory } from "@creditlab/core";
import { InterchangeError, type Where } from "./errors.ts";
import type { TrajectoryRecord } from "./record.ts";

/** Options of {@link recordedRoundJudge}. */
export interface RecordedJudgeOptions {
  /**
   * What the judge is asked about a trajectory (the methods' `judgedRounds`,
   * methods/round_judge.ts): a call is matched to its record by question and these rounds.
   */
  judgedRounds: (t: Trajectory) => JudgedRound[];
  /** Where record i came from (for errors). */
  whereOf: (i: number) => Where;
  /** Asked for trajectories whose record has no scores (an LLM judge); none = an error. */
  fallback?: RoundJudge;
}

function key(questionId: string, rounds: readonly JudgedRound[]): string {
  return JSON.stringify([
    questionId,
    rounds.map((r) => [r.round, r.policyText, r.observationText]),
  ]);
}

/**
 * The round judge of a batch of records and their trajectories (aligned). Two records of one
 * question with the same judged rounds must carry the same scores (a judge sees nothing else).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { JudgedRound, Trajectory } from "@creditlab/core";
 * const rounds = (t: Trajectory): JudgedRound[] =>
 *   t.turns.length > 2 ? [{ round: 1, policyText: t.turns[1]!.text, action: { kind: "search", query: "x" }, observationText: "" }] : [];
 * const turn = (text: string, round: number) => ({ role: "policy" as const, tokens: new Int32Array(0), text, round });
 * const traj: Trajectory = { questionId: "q", groupId: 0, reward: 1, meta: {}, turns: [
 *   { role: "observation", round: 0, tokens: new Int32Array(0), text: "?" }, turn("<search> x </search>", 1), turn("<answer> a </answer>", 2),
 * ] };
 * const rec = { question_id: "q", extras: { judge_scores: [{ round: 1, retrieval: 1, thinking: 0 }] } } as never;
 * const judge = recordedRoundJudge([rec], [traj], { judgedRounds: rounds, whereOf: (i) => ({ source: "x", at: `line ${i + 1}` }) });
 * const q = { id: "q", question: "?", goldenAnswers: ["a"], benchmark: "x", split: "train" };
 * assert.deepEqual(await judge.score(q, rounds(traj)), [{ retrieval: 1, thinking: 0 }]);
 * ```
 */
export function recordedRoundJudge(
  records: readonly TrajectoryRecord[],
  trajectories: readonly Trajectory[],
  opts: RecordedJudgeOptions,
): RoundJudge {
  const scores = new RecordedScores(opts);
  records.forEach((rec, i) => scores.add(rec, trajectories[i]!, i));
  return scores.judge();
}

/**
 * The scores of {@link recordedRoundJudge}, gathered record by record ({@link add}, in batch
 * order: the same checks and judge as the whole batch at once).
 */
export class RecordedScores {
  readonly #opts: RecordedJudgeOptions;
  readonly #index = new Map<string, { scores?: RoundScore[]; at: number; rounds: number }>();

  constructor(opts: RecordedJudgeOptions) {
    this.#opts = opts;
  }

  /** Add record `i` and its trajectory; throws when its scores contradict an earlier record's. */
  add(rec: TrajectoryRecord, trajectory: Trajectory, i: number): void {
    const opts = this.#opts;
    const rounds = opts.judgedRounds(trajectory);
    if (rounds.length === 0) return;
    const k = key(rec.question_id, rounds);
    const js = rec.extras?.judge_scores ?? undefined;
    const scores = js?.map((s) => ({ retrieval: s.retrieval, thinking: s.thinking }));
    const seen = this.#index.get(k);
    if (seen?.scores !== undefined && scores !== undefined) {
      if (JSON.stringify(seen.scores) !== JSON.stringify(scores)) {
        throw new InterchangeError(opts.whereOf(i), {
          field: "extras.judge_scores",
          expected: `the scores of ${
            opts.whereOf(seen.at).at
          } (same question, same judged rounds: a judge sees nothing else)`,
          got: JSON.stringify(js),
        });
      }
    }
    if (seen === undefined || (seen.scores === undefined && scores !== undefined)) {
      this.#index.set(k, { ...(scores ? { scores } : {}), at: i, rounds: rounds.length });
    }
  }

  /** The round judge of the records added (and of those added later). */
  judge(): RoundJudge {
    const opts = this.#opts;
    const index = this.#index;
    const fallback = opts.fallback;
    const judge: RoundJudge = {
      score(question, rounds) {
        const hit = index.get(key(question.id, rounds));
        if (hit?.scores !== undefined) return Promise.resolve(hit.scores.map((s) => ({ ...s })));
        if (fallback) return fallback.score(question, rounds);
        const where = hit
          ? opts.whereOf(hit.at)
          : { source: "records", at: `question ${question.id}` };
        return Promise.reject(
          new InterchangeError(where, {
            field: "extras.judge_scores",
            expected: `the round judge's scores of rounds 1..${rounds.length} (the method judges ` +
              "this trajectory; record them, or give a judge endpoint: --judge URL)",
            got: "none",
          }),
        );
      },
    };
    // The fallback's counters, so that a method reports the LLM calls made during its step.
    if (fallback?.stats) Object.defineProperty(judge, "stats", { get: () => fallback.stats });
    return judge;
  }
}
