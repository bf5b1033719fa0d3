/**
 * Training-time round-judge plumbing shared by the methods that ask for a `round-judge`
 * resource (CW-GRPO, PURE, MT-GRPO): what a judge sees of a trajectory ({@link judgedRounds}:
 * its non-final rounds, each with the policy's text, the parsed action and the observation that
 * answered it), {@link judgeRows}, which scores chosen rows of a batch with the granted judge
 * and counts what it judged and the judge's model calls during the step, {@link judgeMethod},
 * such a method around its own credit, {@link judgeStepMetrics}, the metrics of
 * those counts every such method reports, and {@link JudgedRecord}, the part of their
 * per-trajectory records the reports read.
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
import type { Method, MethodContext, StepResult } from "@creditlab/train";
// The GRPO family's parts, not grpo/mod.ts: importing this module registers no method.
import type { GrpoConfig } from "./grpo/config.ts";
import { grpoRowAdvantages } from "./grpo/advantages.ts";
import { type ConfigSpec, grpoFamily, type MethodCard } from "./grpo/family.ts";
import { methodMetrics } from "./metrics.ts";
import type { RoundsRecord } from "./records.ts";

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
export interface JudgedRecord<L extends string> extends RoundsRecord<L> {
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

/** What {@link judgeRows} made of a batch. */
export interface JudgedRows<T> {
  /** Per row, what `use` made of its scores; null for a row not judged. */
  byRow: (T | null)[];
  counts: JudgeCounts;
}

/** Options of {@link judgeRows}. */
export interface JudgeRowsOptions<T> {
  /** The method's name, for error messages. */
  method: string;
  /** Whether row `row` is judged. */
  judged(row: number): boolean;
  /** What the method makes of a judged row's scores of its {@link judgedRounds} `rounds`. */
  use(scores: RoundScore[], at: { row: number; rounds: JudgedRound[] }): T;
}

/**
 * Score the {@link judgedRounds} of the rows of `batch` that `opts.judged` selects with the
 * context's granted round judge (all of them concurrently), and hand each row's scores to
 * `opts.use` (called as soon as that row is scored). `byRow` holds, aligned with the batch's
 * rows, what `use` made of each judged row's scores and null for the other rows. `counts` says
 * how many trajectories and rounds were judged and counts the judge's model calls, cache hits
 * and parse failures made meanwhile. With no row selected the judge is not asked for.
 *
 * Throws, prefixed with `opts.method`, when a row's question is not in the context or the
 * judge returns a score count other than the number of rounds.
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
 * const { byRow, counts } = await judgeRows(batch, ctx, {
 *   method: "demo",
 *   judged: (r) => r === 0,
 *   use: (s) => s.length,
 * });
 * assert.deepEqual(byRow, [1]);
 * assert.deepEqual(counts, {
 *   judgedTrajectories: 1,
 *   judgedRounds: 1,
 *   llm: { calls: 0, cacheHits: 0, parseFailures: 0 },
 * });
 * ```
 */
export async function judgeRows<T>(
  batch: RolloutBatch,
  ctx: Pick<MethodContext<unknown>, "questions" | "resources">,
  opts: JudgeRowsOptions<T>,
): Promise<JudgedRows<T>> {
  const { method } = opts;
  const rows: number[] = [];
  for (let r = 0; r < batch.n; r++) if (opts.judged(r)) rows.push(r);
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
    byRow[r] = opts.use(scores, { row: r, rounds });
  }));
  const after = judgeCounters(judge);
  counts.llm = {
    calls: after.calls - before.calls,
    cacheHits: after.cacheHits - before.cacheHits,
    parseFailures: after.parseFailures - before.parseFailures,
  };
  return { byRow, counts };
}

/** What the parts of a {@link judgeMethod} see of the step. */
export interface JudgeStepView<C> {
  batch: RolloutBatch;
  config: C;
  /** GRPO's outcome advantage of each row (`grpoRowAdvantages`). */
  rowAdv: Float32Array;
}

/** What a round-judge method's credit sees: the step, and what the judge made of its rows. */
export interface JudgedStep<C, T> extends JudgeStepView<C>, JudgedRows<T> {}

/** What a round-judge method's credit returns: a step result with its own metrics. */
export interface JudgeCredit<R> extends Omit<StepResult<R>, "metrics"> {
  /**
   * The method's own metrics, named without the `<method>/` prefix ({@link judgeMethod} names
   * them and adds the judge's, {@link judgeStepMetrics}).
   */
  own: Record<string, number>;
}

/** What a round-judge method writes itself besides its card; {@link judgeMethod} does the rest. */
export interface JudgeMethodParts<C extends GrpoConfig, T, R extends MethodRecord> {
  config: ConfigSpec<C>;
  /** Whether row `row` is sent to the judge. Default: a row with a non-final round (K > 1). */
  judged?(row: number, step: JudgeStepView<C>): boolean;
  /** What the method makes of a judged row's scores (`JudgeRowsOptions.use`). */
  use(scores: RoundScore[], at: JudgeStepView<C> & { row: number; rounds: JudgedRound[] }): T;
  /** The method's credit assignment from what was judged. */
  credit(step: JudgedStep<C, T>): JudgeCredit<R>;
}

/**
 * A round-judge method: a GRPO-family method ({@link grpoFamily}) that asks for the
 * training-only round judge (`resources`: `{ kind: "round-judge" }`) and whose step computes
 * GRPO's row advantages of the batch, judges the rows `parts.judged` selects
 * ({@link judgeRows}), and hands what was judged to `parts.credit`; its metrics are the
 * judge's counts around the credit's own ({@link judgeStepMetrics}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RoundJudge } from "@creditlab/core";
 * import { GRPO_DEFAULTS, grpoTokenAdvantages, validateGrpoConfig } from "./grpo/mod.ts";
 * import { batchOf, contextOf, groupOf, question } from "./testing.ts";
 * const judge: RoundJudge = {
 *   score: (_q, rounds) => Promise.resolve(rounds.map(() => ({ retrieval: 1, thinking: 1 }))),
 * };
 * const demo = judgeMethod({ name: "demo", summary: "GRPO, judged" }, {
 *   config: { defaults: GRPO_DEFAULTS, validate: (c) => validateGrpoConfig(c) },
 *   use: (scores) => scores.length,
 *   credit: ({ batch, config, byRow }) => ({
 *     advantages: grpoTokenAdvantages(batch, config),
 *     own: { judged_round_sum: byRow.reduce<number>((s, k) => s + (k ?? 0), 0) },
 *   }),
 * });
 * assert.deepEqual(demo.resources!(GRPO_DEFAULTS), [{ kind: "round-judge" }]);
 * const batch = batchOf(groupOf(0, [
 *   { reward: 1, rounds: [{ policy: "<search> a </search>", obs: "x" }, { policy: "<answer> a </answer>" }] },
 *   { reward: 0, rounds: [{ policy: "<answer> b </answer>" }] },
 * ]));
 * const ctx = contextOf(GRPO_DEFAULTS, { questions: [question("q0")], resources: { "round-judge": judge } });
 * const res = await demo.step(batch, ctx);
 * assert.equal(res.metrics["demo/judged_trajectories"], 1); // the row with K = 2
 * assert.equal(res.metrics["demo/judged_round_sum"], 1);
 * ```
 */
export function judgeMethod<C extends GrpoConfig, T, R extends MethodRecord>(
  card: MethodCard,
  parts: JudgeMethodParts<C, T, R>,
): Method<C, R> {
  const method = card.name;
  return grpoFamily<C, R>(card, {
    config: parts.config,
    resources: () => [{ kind: "round-judge" }],
    async step(batch, ctx) {
      const { config } = ctx;
      const view: JudgeStepView<C> = { batch, config, rowAdv: grpoRowAdvantages(batch, config) };
      const isJudged = parts.judged ?? ((row) => batch.numRounds[row]! > 1);
      const judged = await judgeRows(batch, ctx, {
        method,
        judged: (row) => isJudged(row, view),
        use: (scores, at) => parts.use(scores, { ...view, ...at }),
      });
      const { own, ...result } = parts.credit({ ...view, ...judged });
      return { ...result, metrics: judgeStepMetrics(method, judged.counts, own) };
    },
  });
}

/**
 * The step metrics of a round-judge method, in this order: `<method>/judged_trajectories`,
 * `<method>/calls/judged_rounds`, the method's `own` metrics (named `<method>/<name>`), then
 * the judge's model calls (`<method>/calls/judge_llm`), cache hits
 * (`<method>/judge_llm_cache_hits`) and parse failures (`<method>/judge_parse_failures`) during
 * the step.
 *
 * @example
 * ```ts
 * const counts = { judgedTrajectories: 2, judgedRounds: 5, llm: { calls: 5, cacheHits: 0, parseFailures: 1 } };
 * judgeStepMetrics("demo", counts, { score_mean: 0.4 });
 * // { "demo/judged_trajectories": 2, "demo/calls/judged_rounds": 5, "demo/score_mean": 0.4,
 * //   "demo/calls/judge_llm": 5, "demo/judge_llm_cache_hits": 0, "demo/judge_parse_failures": 1 }
 * ```
 */
export function judgeStepMetrics(
  method: string,
  counts: JudgeCounts,
  own: Readonly<Record<string, number>>,
): Record<string, number> {
  return {
    [methodMetric(method, "judged_trajectories")]: counts.judgedTrajectories,
    [methodCallMetric(method, "judged_rounds")]: counts.judgedRounds,
    ...methodMetrics(method, own),
    [methodCallMetric(method, "judge_llm")]: counts.llm.calls,
    [methodMetric(method, "judge_llm_cache_hits")]: counts.llm.cacheHits,
    [methodMetric(method, "judge_parse_failures")]: counts.llm.parseFailures,
  };
}
