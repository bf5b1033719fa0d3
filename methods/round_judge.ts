/**
 * Training-time round-judge plumbing shared by the methods that ask for a `round-judge`
 * resource (CW-GRPO, PURE): what a judge sees of a trajectory ({@link judgedRounds}: its
 * non-final rounds, each with the policy's text, the parsed action and the observation that
 * answered it), and {@link judgeRows}, which scores chosen rows of a batch with the granted
 * judge and counts the judge's model calls during the step.
 *
 * @module
 */
import type {
  JudgedRound,
  JudgeStats,
  RolloutBatch,
  RoundJudge,
  RoundScore,
  Trajectory,
} from "@creditlab/core";
import type { MethodContext } from "@creditlab/train";

/**
 * Check that a judge's score of round `k` (0-based) is binary in both fields, as the judge
 * interface promises; `where` names the caller for the error.
 *
 * @example
 * ```ts
 * checkRoundScore({ retrieval: 1, thinking: 0 }, 0, "contributions"); // passes
 * ```
 */
export function checkRoundScore(s: RoundScore, k: number, where: string): void {
  for (const key of ["retrieval", "thinking"] as const) {
    if (s[key] !== 0 && s[key] !== 1) {
      throw new RangeError(
        `${where}: round ${k + 1} has ${key} = ${JSON.stringify(s[key])}; expected 0 or 1`,
      );
    }
  }
}

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

/** A judge's counters now (zeros for a judge that keeps none, like SearchWorld's oracle). */
function judgeCounters(judge: RoundJudge): JudgeStats {
  const s = judge.stats;
  return {
    calls: s?.calls ?? 0,
    cacheHits: s?.cacheHits ?? 0,
    parseFailures: s?.parseFailures ?? 0,
  };
}

/**
 * Score the {@link judgedRounds} of the trajectories in `rows` of `batch` with the context's
 * granted round judge (all rows concurrently), and hand each row's scores to `use` (called as
 * soon as that row is scored; its results come back in the order of `rows`). `llm` counts the
 * judge's model calls, cache hits and parse failures made meanwhile (zeros for a judge that
 * keeps no counters). With no rows the judge is not asked for.
 *
 * Throws, prefixed with `method`, when a row's question is not in the context or the judge
 * returns a score count other than the number of rounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RoundJudge } from "@creditlab/core";
 * import { batchOf, contextOf, question, trajectory } from "./testing.ts";
 * const judge: RoundJudge = {
 *   score: (_q, rounds) => Promise.resolve(rounds.map(() => ({ retrieval: 1, thinking: 0 }))),
 * };
 * const batch = batchOf([trajectory({
 *   groupId: 0,
 *   reward: 1,
 *   questionId: "q",
 *   rounds: [{ policy: "<search> a </search>", obs: "<information> x </information>" }, {
 *     policy: "<answer> a </answer>",
 *   }],
 * })]);
 * const ctx = contextOf({}, { questions: [question("q")], resources: { "round-judge": judge } });
 * const { results, llm } = await judgeRows("demo", batch, [0], ctx, (scores) => scores.length);
 * assert.deepEqual(results, [1]);
 * assert.deepEqual(llm, { calls: 0, cacheHits: 0, parseFailures: 0 });
 * ```
 */
export async function judgeRows<T>(
  method: string,
  batch: RolloutBatch,
  rows: readonly number[],
  ctx: Pick<MethodContext<unknown>, "questions" | "resources">,
  use: (scores: RoundScore[], row: number) => T,
): Promise<{ results: T[]; llm: JudgeStats }> {
  if (rows.length === 0) return { results: [], llm: { calls: 0, cacheHits: 0, parseFailures: 0 } };
  const judge = ctx.resources.get("round-judge");
  const before = judgeCounters(judge);
  const results = await Promise.all(rows.map(async (r) => {
    const traj = batch.trajectories[r]!;
    const q = ctx.questions.get(traj.questionId);
    if (!q) {
      throw new Error(`${method}: no question with id ${traj.questionId} in the method context`);
    }
    const rounds = judgedRounds(traj);
    const scores = await judge.score(q, rounds);
    if (scores.length !== rounds.length) {
      throw new Error(
        `${method}: the judge returned ${scores.length} scores for ${rounds.length} rounds (question ${q.id})`,
      );
    }
    return use(scores, r);
  }));
  const after = judgeCounters(judge);
  return {
    results,
    llm: {
      calls: after.calls - before.calls,
      cacheHits: after.cacheHits - before.cacheHits,
      parseFailures: after.parseFailures - before.parseFailures,
    },
  };
}
