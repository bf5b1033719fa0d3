/**
 * Training-time round-judge plumbing shared by the methods that ask for a `round-judge`
 * resource (CW-GRPO, PURE): what a judge sees of a trajectory ({@link judgedRounds}: its
 * non-final rounds, each with the policy's text, the parsed action and the observation that
 * answered it), {@link judgeRows}, which scores chosen rows of a batch with the granted judge
 * and counts what it judged and the judge's model calls during the step,
 * {@link judgeStepMetrics}, the metrics of those counts every such method reports, and
 * {@link JudgedRecord}, the part of their per-trajectory records the reports read.
 *
 * @module
 */
import {
  type JudgedRound,
  type JudgeStats,
  methodCallMetric,
  methodMetric,
  type MethodRecord,
  type RolloutBatch,
  type RoundJudge,
  type RoundScore,
  type Trajectory,
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
 * What a round-judge method keeps of a judged trajectory (the run store's `method_record`), as
 * its record type extends it: a per-round series labelled `L` and the judge's calls.
 */
export interface JudgedRecord<L extends string> extends MethodRecord {
  /** The method's value of each non-final round k = 1..K-1 (reports summarise it by round). */
  rounds: { label: L; values: number[] };
  /** Rounds scored by the judge (K - 1). */
  calls: { judge: number };
}

/** What a round-judge method's step judged, as {@link judgeRows} counts it. */
export interface JudgeCounts {
  /** Trajectories sent to the judge. */
  judgedTrajectories: number;
  /** Non-final rounds scored. */
  judgedRounds: number;
  /**
   * The judge's model calls, cache hits and parse failures during the step (zeros for a judge
   * that keeps no counters, like SearchWorld's oracle).
   */
  llm: JudgeStats;
}

/**
 * Score the {@link judgedRounds} of the rows of `batch` that `judged` selects with the
 * context's granted round judge (all of them concurrently), and hand each row's scores to `use`
 * (called as soon as that row is scored). `byRow` holds, aligned with the batch's rows, what
 * `use` made of each judged row's scores and null for the other rows. `counts` says how many
 * trajectories and rounds were judged and counts the judge's model calls, cache hits and parse
 * failures made meanwhile. With no row selected the judge is not asked for.
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
 * const { byRow, counts } = await judgeRows("demo", batch, ctx, (r) => r === 0, (s) => s.length);
 * assert.deepEqual(byRow, [1]);
 * assert.deepEqual(counts, {
 *   judgedTrajectories: 1,
 *   judgedRounds: 1,
 *   llm: { calls: 0, cacheHits: 0, parseFailures: 0 },
 * });
 * ```
 */
export async function judgeRows<T>(
  method: string,
  batch: RolloutBatch,
  ctx: Pick<MethodContext<unknown>, "questions" | "resources">,
  judged: (row: number) => boolean,
  use: (scores: RoundScore[], row: number) => T,
): Promise<{ byRow: (T | null)[]; counts: JudgeCounts }> {
  const rows: number[] = [];
  for (let r = 0; r < batch.n; r++) if (judged(r)) rows.push(r);
  const byRow: (T | null)[] = new Array(batch.n).fill(null);
  const counts: JudgeCounts = {
    judgedTrajectories: rows.length,
    judgedRounds: 0,
    llm: { calls: 0, cacheHits: 0, parseFailures: 0 },
  };
  if (rows.length === 0) return { byRow, counts };
  const judge = ctx.resources.get("round-judge");
  const before = judgeCounters(judge);
  await Promise.all(rows.map(async (r) => {
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
    counts.judgedRounds += rounds.length;
    byRow[r] = use(scores, r);
  }));
  const after = judgeCounters(judge);
  counts.llm = {
    calls: after.calls - before.calls,
    cacheHits: after.cacheHits - before.cacheHits,
    parseFailures: after.parseFailures - before.parseFailures,
  };
  return { byRow, counts };
}

/**
 * The step metrics of a round-judge method, in this order: `<method>/judged_trajectories`,
 * `<method>/calls/judged_rounds`, the method's `own` metrics, then the judge's model calls
 * (`<method>/calls/judge_llm`), cache hits (`<method>/judge_llm_cache_hits`) and parse failures
 * (`<method>/judge_parse_failures`) during the step.
 *
 * @example
 * ```ts
 * const counts = { judgedTrajectories: 2, judgedRounds: 5, llm: { calls: 5, cacheHits: 0, parseFailures: 1 } };
 * judgeStepMetrics("demo", counts, { "demo/score_mean": 0.4 });
 * // { "demo/judged_trajectories": 2, "demo/calls/judged_rounds": 5, "demo/score_mean": 0.4,
 * //   "demo/calls/judge_llm": 5, "demo/judge_llm_cache_hits": 0, "demo/judge_parse_failures": 1 }
 * ```
 */
export function judgeStepMetrics(
  method: string,
  counts: JudgeCounts,
  own: Record<string, number>,
): Record<string, number> {
  return {
    [methodMetric(method, "judged_trajectories")]: counts.judgedTrajectories,
    [methodCallMetric(method, "judged_rounds")]: counts.judgedRounds,
    ...own,
    [methodCallMetric(method, "judge_llm")]: counts.llm.calls,
    [methodMetric(method, "judge_llm_cache_hits")]: counts.llm.cacheHits,
    [methodMetric(method, "judge_parse_failures")]: counts.llm.parseFailures,
  };
}
