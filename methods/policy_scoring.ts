/**
 * Scoring with the policy, for the methods that ask for the `policy-scorer` resource (igpo, pbsd,
 * a2tgpo): the gold answer's log-probability after each round ({@link scoreGoldAfterRounds},
 * IGPO's and A²TGPO's information gain), the granted scorer's use with what it cost the step
 * ({@link withPolicyScorer}: the growth of the scorer's counters, {@link scorerCost}), the
 * metrics every such method reports of that cost ({@link scorerStepMetrics}), so reports list
 * the scorer's forward passes as the method's extra model calls
 * (`<method>/calls/scorer_forward_passes`) under one name, and {@link ScoredRecord}, the part
 * of their per-trajectory records the reports read.
 *
 * @module
 */
import {
  methodCallMetric,
  methodMetric,
  type PolicyScorer,
  type Question,
  type RolloutBatch,
  type ScoreRequest,
  type ScorerStats,
  type Trajectory,
  type Turn,
} from "@creditlab/core";
import type { MethodContext } from "@creditlab/train";
import type { RoundsRecord } from "./records.ts";

/**
 * What a scoring method keeps of a scored trajectory (the run store's `method_record`), as its
 * record type extends it: a per-round series labelled `L` and its scoring requests.
 */
export interface ScoredRecord<L extends string> extends RoundsRecord<L> {
  /** Scoring requests made for the trajectory. */
  calls: { scorer: number };
}

/** The cost of a step that did not use the scorer. */
export const NO_SCORER_COST: Readonly<ScorerStats> = Object.freeze({
  requests: 0,
  forwardPasses: 0,
  tokens: 0,
});

/**
 * The counters' growth from `before` to `after`: requests, forward passes and tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const cost = scorerCost(
 *   { requests: 2, forwardPasses: 2, tokens: 40 },
 *   { requests: 5, forwardPasses: 4, tokens: 100 },
 * );
 * assert.deepEqual(cost, { requests: 3, forwardPasses: 2, tokens: 60 });
 * ```
 */
export function scorerCost(
  before: Readonly<ScorerStats>,
  after: Readonly<ScorerStats>,
): ScorerStats {
  return {
    requests: after.requests - before.requests,
    forwardPasses: after.forwardPasses - before.forwardPasses,
    tokens: after.tokens - before.tokens,
  };
}

/**
 * Run `score` with the context's granted policy scorer, and measure what it cost: the growth
 * of the scorer's counters during the call ({@link scorerCost}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PolicyScorer } from "@creditlab/core";
 * import { contextOf } from "./testing.ts";
 * const stats = { requests: 4, forwardPasses: 1, tokens: 10 };
 * const scorer: PolicyScorer = {
 *   stats,
 *   encode: () => new Int32Array(0),
 *   logProbs(rs) {
 *     stats.requests += rs.length;
 *     return Promise.resolve(rs.map(() => new Float32Array(0)));
 *   },
 * };
 * const ctx = contextOf({}, { resources: { "policy-scorer": scorer } });
 * const got = await withPolicyScorer(ctx, (s) => s.logProbs([{ context: Int32Array.of(1), target: Int32Array.of(2) }]));
 * assert.equal(got.result.length, 1);
 * assert.deepEqual(got.cost, { requests: 1, forwardPasses: 0, tokens: 0 });
 * ```
 */
export async function withPolicyScorer<T>(
  ctx: Pick<MethodContext<unknown>, "resources">,
  score: (scorer: PolicyScorer) => Promise<T>,
): Promise<{ result: T; cost: ScorerStats }> {
  const scorer = ctx.resources.get("policy-scorer");
  const before = { ...scorer.stats };
  const result = await score(scorer);
  return { result, cost: scorerCost(before, scorer.stats) };
}

/**
 * The step metrics of a scorer's cost: `<method>/calls/scorer_forward_passes` (the extra model
 * calls), `<method>/scorer_requests` and `<method>/scorer_tokens`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(scorerStepMetrics("igpo", { requests: 3, forwardPasses: 2, tokens: 60 }), {
 *   "igpo/calls/scorer_forward_passes": 2,
 *   "igpo/scorer_requests": 3,
 *   "igpo/scorer_tokens": 60,
 * });
 * ```
 */
export function scorerStepMetrics(
  method: string,
  cost: Readonly<ScorerStats>,
): Record<string, number> {
  return {
    [methodCallMetric(method, "scorer_forward_passes")]: cost.forwardPasses,
    [methodMetric(method, "scorer_requests")]: cost.requests,
    [methodMetric(method, "scorer_tokens")]: cost.tokens,
  };
}

/**
 * The contexts after rounds t = 0..upTo of a trajectory: the concatenated tokens of its turns of
 * round <= t (turn 0, the prompt, is round 0; an observation belongs to the round it answers).
 * Throws when the turns' rounds decrease.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const turn = (round: number, ...ids: number[]) =>
 *   ({ role: "observation" as const, text: "", tokens: Int32Array.from(ids), round });
 * const ctx = contextsAfterRounds([turn(0, 1, 2), turn(1, 3), turn(1, 4), turn(2, 5)], 1);
 * assert.deepEqual(ctx.map((c) => Array.from(c)), [[1, 2], [1, 2, 3, 4]]);
 * ```
 */
export function contextsAfterRounds(
  turns: readonly Pick<Turn, "tokens" | "round">[],
  upTo: number,
): Int32Array[] {
  const out: Int32Array[] = [];
  const parts: Int32Array[] = [];
  let length = 0, t = 0, last = 0;
  const snapshot = () => {
    const c = new Int32Array(length);
    let at = 0;
    for (const p of parts) {
      c.set(p, at);
      at += p.length;
    }
    out.push(c);
  };
  for (const [i, turn] of turns.entries()) {
    if (turn.round < last) {
      throw new RangeError(
        `contextsAfterRounds: turn ${i} is of round ${turn.round} after a turn of round ${last}`,
      );
    }
    last = turn.round;
    while (turn.round > t && t <= upTo) {
      snapshot();
      t++;
    }
    if (t > upTo) break;
    parts.push(turn.tokens);
    length += turn.tokens.length;
  }
  while (t <= upTo) {
    snapshot();
    t++;
  }
  return out;
}

/** The golden answers a question is scored on: the non-empty ones (`"first"`: the first only). */
export function goldenAnswersOf(q: Question, gold: "first" | "max"): string[] {
  const all = q.goldenAnswers.filter((g) => typeof g === "string" && g.trim() !== "");
  return gold === "first" ? all.slice(0, 1) : all;
}

/**
 * One golden answer's targets for one row of K rounds: the target after round t = 0..K−1
 * (`ids[t]`), its first `skip` ids conditioned on and not averaged (e.g. an `<answer>` tag),
 * and a note the caller keeps for the row (e.g. where the ids came from).
 */
export interface GoldTargets<N> {
  ids: readonly Int32Array[];
  skip: number;
  note: N;
}

/** What {@link scoreGoldAfterRounds} returns. */
export interface GoldScores<N> {
  /**
   * Per row: v_0..v_{K−1}, the mean log-probability of the averaged target ids after round t,
   * the max over the golden answers scored; null for a row not scored (K < 2, or no golden
   * answer with a target).
   */
  values: (Float64Array | null)[];
  /** Per row: the note of the first golden answer scored; null when not scored. */
  notes: (N | null)[];
  /** Per row: scoring requests made for it. */
  requests: Int32Array;
}

/** Options of {@link scoreGoldAfterRounds}. */
export interface ScoreGoldOptions<N> {
  /** The method's name, for error messages. */
  method: string;
  questions: ReadonlyMap<string, Question>;
  scorer: PolicyScorer;
  gold: "first" | "max";
  /**
   * The targets of one golden answer for a row with `k` >= 2 rounds, or null to skip that
   * answer (e.g. it has no tokens).
   */
  targets(traj: Trajectory, golden: string, k: number): GoldTargets<N> | null;
}

/**
 * Score the gold answer after every non-final round t = 0..K−1 of every row with K >= 2, in one
 * `scorer.logProbs` call for the batch (IGPO's and A²TGPO's information gain): the context
 * after round t is the trajectory's own tokens of rounds <= t ({@link contextsAfterRounds}); the
 * targets are the caller's. Throws on a question missing from `questions`, or a scorer answer
 * of the wrong shape, naming the method.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PolicyScorer } from "@creditlab/core";
 * import { batchOf, question, trajectory } from "./testing.ts";
 * // Two rounds: a search with its result, then the answer. This scorer gives every target id
 * // the log-probability -(context length).
 * const t = trajectory({
 *   groupId: 0,
 *   reward: 1,
 *   questionId: "q",
 *   prompt: "p",
 *   rounds: [{ policy: "<search> a </search>", obs: "o" }, { policy: "<answer> x </answer>" }],
 * });
 * const scorer: PolicyScorer = {
 *   stats: { requests: 0, forwardPasses: 0, tokens: 0 },
 *   encode: () => new Int32Array(0),
 *   logProbs: (rs) =>
 *     Promise.resolve(rs.map((r) => new Float32Array(r.target.length).fill(-r.context.length))),
 * };
 * const got = await scoreGoldAfterRounds(batchOf([t]), {
 *   method: "m",
 *   questions: new Map([["q", question("q", { goldenAnswers: ["x"] })]]),
 *   scorer,
 *   gold: "first",
 *   targets: (_traj, _g, k) => ({ ids: Array(k).fill(Int32Array.of(9, 9)), skip: 1, note: "n" }),
 * });
 * // Contexts: the prompt (1 token), then the prompt, round 1's 3 tokens and the result's 1.
 * assert.deepEqual(Array.from(got.values[0]!), [-1, -5]);
 * assert.deepEqual(got.notes, ["n"]);
 * ```
 */
export async function scoreGoldAfterRounds<N>(
  batch: Pick<RolloutBatch, "n" | "trajectories" | "numRounds">,
  opts: ScoreGoldOptions<N>,
): Promise<GoldScores<N>> {
  const { scorer, method } = opts;
  if (batch.trajectories.length !== batch.n) {
    throw new RangeError(
      `${method}: the batch has ${batch.trajectories.length} trajectories for n = ${batch.n} rows`,
    );
  }
  const requests: ScoreRequest[] = [];
  const skips: number[] = [];
  // Per row: the first request index of each golden answer scored (then K requests, t = 0..K-1).
  const plan: { first: number[]; k: number }[] = [];
  const notes: (N | null)[] = [];
  const counts = new Int32Array(batch.n);
  batch.trajectories.forEach((traj, r) => {
    const k = batch.numRounds[r]!;
    plan.push({ first: [], k });
    notes.push(null);
    if (k < 2) return;
    const q = opts.questions.get(traj.questionId);
    if (q === undefined) {
      throw new RangeError(
        `${method}: row ${r}: question ${JSON.stringify(traj.questionId)} is unknown`,
      );
    }
    const contexts = contextsAfterRounds(traj.turns, k - 1);
    for (const g of goldenAnswersOf(q, opts.gold)) {
      const t = opts.targets(traj, g, k);
      if (t === null) continue;
      if (t.ids.length !== k) {
        throw new RangeError(`${method}: row ${r}: ${t.ids.length} targets for ${k} rounds`);
      }
      notes[r] ??= t.note;
      plan[r]!.first.push(requests.length);
      contexts.forEach((context, i) => {
        requests.push({ context, target: t.ids[i]! });
        skips.push(t.skip);
      });
      counts[r]! += k;
    }
  });
  const logProbs = requests.length === 0 ? [] : await scorer.logProbs(requests);
  if (logProbs.length !== requests.length) {
    throw new RangeError(
      `${method}: the policy scorer returned ${logProbs.length} results for ${requests.length} requests`,
    );
  }
  const averaged = (i: number): number => {
    const lp = logProbs[i]!, want = requests[i]!.target.length, skip = skips[i]!;
    if (lp.length !== want) {
      throw new RangeError(
        `${method}: the policy scorer returned ${lp.length} log-probabilities for a target of ${want}`,
      );
    }
    let sum = 0;
    for (let j = skip; j < lp.length; j++) sum += lp[j]!;
    return sum / (lp.length - skip);
  };
  const values = plan.map(({ first, k }) => {
    if (first.length === 0) return null;
    const v = new Float64Array(k).fill(-Infinity);
    for (const f of first) for (let t = 0; t < k; t++) v[t] = Math.max(v[t]!, averaged(f + t));
    return v;
  });
  return { values, notes, requests: counts };
}
