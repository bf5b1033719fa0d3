/**
 * Evaluation with the Search-R1 protocol: one greedy (or sampled) episode per question, no
 * training-only calls (the feedback action is never offered: its tag is parsed as an invalid
 * action), EM and token F1 of the last `<answer>` against the golden answers.
 *
 * {@link evaluateLocal} decodes a local checkpoint with the KV-cached rollout; the driver of
 * OpenAI-compatible endpoints (serving's `evaluateEndpoint`) scores its episodes with the same
 * {@link scoreEpisode} and {@link summarise}.
 *
 * @module
 */
import { Rng, type Transformer } from "@creditlab/kernels";
import { exactMatch, tokenF1 } from "@creditlab/datasets";
import { type HopScore, type Question, questionHops, type SearchTool } from "@creditlab/core";
import { type FeedbackHook, rollout, type RolloutConfig } from "./rollout.ts";
import type { WordTokenizer } from "./tokenizer.ts";
import type { EntityAnonymizer } from "./anonymize.ts";

/** Per-question outcome of an evaluation episode. */
export interface EpisodeRecord {
  questionId: string;
  answer: string | null;
  em: number;
  f1: number;
  toolCalls: number;
  /** Hop count of the question (SearchWorld's `metadata.hops`), or null when it has none. */
  hops: number | null;
}

/** Aggregate of one benchmark. */
export interface EvalSummary {
  benchmark: string;
  split: string;
  n: number;
  em: number;
  f1: number;
  /** Mean search calls per question. */
  toolCalls: number;
  /** Share of episodes that ended with an `<answer>`. */
  answered: number;
  /**
   * EM per hop count, keyed "1".."4" (SearchWorld questions; empty when no question carries
   * a hop count). Shows where a policy fails: the methods target long chains.
   */
  byHops: Record<string, HopScore>;
  records: EpisodeRecord[];
  /** Questions that could not be answered at all (scored 0, counted in `n`), with the reason. */
  failures?: EvalFailure[];
  /** Set when the evaluation offered a training-only feedback call (a diagnostic). */
  feedback?: FeedbackProbe;
}

/**
 * What a policy did with a feedback call offered at evaluation, over episodes: how many called
 * it, how many got a verdict other than "correct" on their first call, and how many of those
 * still ended with the right answer (a repair).
 */
export interface FeedbackProbe {
  episodes: number;
  called: number;
  notCorrect: number;
  repaired: number;
}

/** A question an evaluation could not put to the policy. */
export interface EvalFailure {
  questionId: string;
  reason: string;
}

/**
 * EM per hop count of the records that have one.
 *
 * @example
 * ```ts
 * emByHops([
 *   { questionId: "a", answer: "x", em: 1, f1: 1, toolCalls: 1, hops: 1 },
 *   { questionId: "b", answer: "y", em: 0, f1: 0, toolCalls: 2, hops: 2 },
 *   { questionId: "c", answer: "z", em: 1, f1: 1, toolCalls: 2, hops: 2 },
 * ]); // { "1": { n: 1, em: 1 }, "2": { n: 2, em: 0.5 } }
 * ```
 */
export function emByHops(records: readonly EpisodeRecord[]): Record<string, HopScore> {
  const acc = new Map<number, { n: number; hits: number }>();
  for (const r of records) {
    if (r.hops === null) continue;
    const a = acc.get(r.hops) ?? { n: 0, hits: 0 };
    a.n += 1;
    a.hits += r.em;
    acc.set(r.hops, a);
  }
  const out: Record<string, HopScore> = {};
  for (const h of [...acc.keys()].sort((x, y) => x - y)) {
    const a = acc.get(h)!;
    out[String(h)] = { n: a.n, em: a.hits / a.n };
  }
  return out;
}

/**
 * The run-store `extra` fields for {@link EvalSummary.byHops}: `{ byHops }` when some question
 * had a hop count, else nothing (read back with runstore's `readByHops`).
 */
export function byHopsExtra(s: EvalSummary): { byHops?: Record<string, HopScore> } {
  return Object.keys(s.byHops).length > 0 ? { byHops: s.byHops } : {};
}

/** Summarise per-question records. */
export function summarise(
  records: EpisodeRecord[],
  opts: { benchmark: string; split: string },
): EvalSummary {
  const n = records.length;
  const avg = (
    f: (r: EpisodeRecord) => number,
  ) => (n === 0 ? 0 : records.reduce((a, r) => a + f(r), 0) / n);
  return {
    benchmark: opts.benchmark,
    split: opts.split,
    n,
    em: avg((r) => r.em),
    f1: avg((r) => r.f1),
    toolCalls: avg((r) => r.toolCalls),
    answered: avg((r) => (r.answer === null ? 0 : 1)),
    byHops: emByHops(records),
    records,
  };
}

/** Score one episode: EM and token F1 of its final answer (none: 0), with its hop count. */
export function scoreEpisode(q: Question, answer: string | null, toolCalls: number): EpisodeRecord {
  if (q.goldenAnswers.length === 0) {
    throw new Error(`evaluate: question ${q.id} (${q.benchmark}) has no golden answers`);
  }
  return {
    questionId: q.id,
    answer,
    em: answer === null ? 0 : exactMatch(answer, q.goldenAnswers),
    f1: answer === null ? 0 : tokenF1(answer, q.goldenAnswers),
    toolCalls,
    hops: questionHops(q),
  };
}

/** Options of {@link evaluateLocal}. */
export interface EvaluateLocalOptions {
  model: Transformer;
  tokenizer: WordTokenizer;
  search: SearchTool;
  /** Rollout limits; `groupSize` is forced to 1. Temperature 0 = greedy. */
  config: RolloutConfig;
  /** Questions decoded together. */
  batchSize: number;
  seed: number;
  benchmark: string;
  split: string;
  /** Entity anonymisation of the policy's text (the checkpoint was trained with it). */
  anonymizer?: EntityAnonymizer;
  /**
   * Offer a training-only feedback call in every episode's prompt: a diagnostic of how much of
   * a policy's success needs the call. Reported evaluations never pass it.
   */
  feedback?: FeedbackHook;
}

/**
 * Evaluate a local policy. The rollout gets no feedback hook, so feedback is never offered —
 * unless `opts.feedback` asks for it as a diagnostic, and then the summary counts what the
 * policy did with the call ({@link FeedbackProbe}).
 */
export async function evaluateLocal(
  questions: Question[],
  opts: EvaluateLocalOptions,
): Promise<EvalSummary> {
  const rng = new Rng(opts.seed);
  const records: EpisodeRecord[] = [];
  const failures: EvalFailure[] = [];
  const offered: FeedbackEpisode[] = [];
  for (let i = 0; i < questions.length; i += opts.batchSize) {
    const chunk = questions.slice(i, i + opts.batchSize);
    const trajs = await rollout(chunk, {
      model: opts.model,
      tokenizer: opts.tokenizer,
      search: opts.search,
      config: { ...opts.config, groupSize: 1 },
      rng,
      groupIdBase: i,
      ...(opts.anonymizer ? { anonymizer: opts.anonymizer } : {}),
      ...(opts.feedback ? { feedback: opts.feedback } : {}),
    });
    trajs.forEach((t, j) => {
      const record = scoreEpisode(chunk[j]!, t.answer ?? null, Number(t.meta.toolCalls));
      records.push(record);
      if (opts.feedback) offered.push({ turns: t.turns, em: record.em });
      if (t.meta.promptTooLong === true) {
        failures.push({
          questionId: chunk[j]!.id,
          reason: `the prompt has ${t.turns[0]!.tokens.length} tokens, the rollout budget ` +
            `(maxTotalTokens) ${opts.config.maxTotalTokens}: scored 0`,
        });
      }
    });
  }
  const summary = summarise(records, { benchmark: opts.benchmark, split: opts.split });
  return {
    ...summary,
    ...(failures.length > 0 ? { failures } : {}),
    ...(opts.feedback ? { feedback: feedbackProbe(offered) } : {}),
  };
}

/** An episode as {@link feedbackProbe} reads it: its turns (feedback turns carry a verdict). */
export interface FeedbackEpisode {
  turns: readonly { verdict?: { correct: boolean } }[];
  em: number;
}

/**
 * Count what episodes offered a feedback call did with it: `called` (at least one answered
 * call), `notCorrect` (the first verdict was not "correct"), `repaired` (of those, EM > 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const wrong = { verdict: { correct: false } };
 * assert.deepEqual(
 *   feedbackProbe([{ turns: [{}, wrong], em: 1 }, { turns: [{}], em: 0 }]),
 *   { episodes: 2, called: 1, notCorrect: 1, repaired: 1 },
 * );
 * ```
 */
export function feedbackProbe(episodes: readonly FeedbackEpisode[]): FeedbackProbe {
  const probe: FeedbackProbe = { episodes: 0, called: 0, notCorrect: 0, repaired: 0 };
  for (const e of episodes) {
    probe.episodes += 1;
    const first = e.turns.find((t) => t.verdict !== undefined)?.verdict;
    if (!first) continue;
    probe.called += 1;
    if (first.correct) continue;
    probe.notCorrect += 1;
    if (e.em > 0) probe.repaired += 1;
  }
  return probe;
}
