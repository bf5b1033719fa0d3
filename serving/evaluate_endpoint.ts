/**
 * Evaluation of a policy behind an OpenAI-compatible completion endpoint, with the Search-R1
 * protocol of the agent's local evaluation (the same prompts, observations and scoring; no
 * training-only calls).
 *
 * A question that cannot be answered (its request fails after the client's retries, e.g. a
 * prompt longer than the served model's context (HTTP 400), a hung or crashing server, or its
 * search fails) does not abort the evaluation: it is recorded in
 * {@link EndpointEvalSummary.failures} with the reason and **scored 0** (no answer), so a
 * flaky endpoint can never raise a score by dropping the questions it fails on; the count is
 * reported beside EM.
 *
 * Resuming: questions answered before (read back from a progress file, eval_progress.ts) are
 * passed as {@link EvaluateEndpointOptions.answered} and not asked again; each question asked
 * is handed to {@link EvaluateEndpointOptions.onOutcome} as its episode ends. A question's
 * seed is `seed + its index in the list`, so a resumed evaluation samples as an uninterrupted
 * one would, and the summary is built in question order from both.
 *
 * @module
 */
import {
  buildPrompt,
  type EntityAnonymizer,
  type EvalSummary,
  formatPassages,
  invalidActionText,
  parseAction,
  scoreEpisode,
  STOP_TAGS,
  summarise,
} from "@creditlab/agent";
import type { Question, SearchTool } from "@creditlab/core";
import { type Completion, endedOnEos, turnText } from "./completion.ts";

/** What {@link evaluateEndpoint} needs from a policy (EndpointPolicy implements it). */
export interface TextGenerator {
  generateCompletions(
    prompts: readonly string[],
    opts: { stop: readonly string[]; maxTokens: number; temperature: number; seed?: number },
  ): Promise<Completion[]>;
}

/** Options of {@link evaluateEndpoint}. */
export interface EvaluateEndpointOptions {
  policy: TextGenerator;
  search: SearchTool;
  maxSearchTurns: number;
  topK: number;
  maxTurnTokens: number;
  temperature: number;
  /** Prompt builder: the short prompt of local policies (default) or Search-R1's template. */
  prompt?: (q: Question) => string;
  seed?: number;
  benchmark: string;
  split: string;
  /**
   * Entity anonymisation (a served SearchWorld checkpoint trained with it): contexts are sent
   * anonymised and completions are restored to real names before they are executed.
   */
  anonymizer?: EntityAnonymizer;
  /** Outcomes of questions answered before, by index in `questions`: reused, not asked. */
  answered?: ReadonlyMap<number, QuestionOutcome>;
  /**
   * Called once per question asked, as its episode ends (awaited before the question counts
   * as done; a throw stops the evaluation): where a progress file records it.
   */
  onOutcome?: (index: number, outcome: QuestionOutcome) => Promise<void> | void;
}

/** How one question's episode ended: what resuming needs to score it without asking again. */
export interface QuestionOutcome {
  /** The final answer, or null when the episode ended without one. */
  answer: string | null;
  /** Search calls made. */
  toolCalls: number;
  /** Why the question could not be answered (a recorded failure, scored 0), or null. */
  failure: string | null;
}

/** One question that could not be answered, and why. */
export interface EndpointFailure {
  questionId: string;
  reason: string;
}

/** {@link EvalSummary} plus the questions that failed (scored 0, counted in `n`). */
export interface EndpointEvalSummary extends EvalSummary {
  failures: EndpointFailure[];
}

/**
 * Evaluate a policy behind a completion endpoint, all questions' episodes advanced together
 * turn by turn. The context of turn k is the prompt, the policy's turns and the observations,
 * joined by single spaces (what the word-level tokenizer sees as the same token sequence as
 * the local rollout). Questions in `opts.answered` are scored from their outcomes, not asked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const policy = { // any TextGenerator; EndpointPolicy is the HTTP one
 *   generateCompletions: (prompts: readonly string[]) =>
 *     Promise.resolve(prompts.map(() => ({ text: "<answer> bob", finishReason: "stop" as const, stopReason: "</answer>" }))),
 * };
 * const q = (id: string) => ({ id, question: "who ?", goldenAnswers: ["bob"], benchmark: "nq", split: "test" });
 * const summary = await evaluateEndpoint([q("a"), q("b")], {
 *   policy, search: { search: () => Promise.resolve([]) }, maxSearchTurns: 1, topK: 3,
 *   maxTurnTokens: 8, temperature: 0, benchmark: "nq", split: "test",
 *   answered: new Map([[1, { answer: "alice", toolCalls: 0, failure: null }]]), // b: not asked
 * });
 * assert.deepEqual(summary.records.map((r) => r.answer), ["bob", "alice"]);
 * ```
 */
export async function evaluateEndpoint(
  questions: Question[],
  opts: EvaluateEndpointOptions,
): Promise<EndpointEvalSummary> {
  const prompt = opts.prompt ??
    ((q: Question) =>
      buildPrompt(q, { feedbackOffered: false, maxSearchTurns: opts.maxSearchTurns }));
  const state = questions.map((q, index) => {
    const before = opts.answered?.get(index);
    const episode = before ? undefined : opts.anonymizer?.episode();
    const view = (text: string) => (episode ? episode.anonymize(text) : text);
    return {
      q,
      index,
      episode,
      view,
      context: before ? "" : view(prompt(q)),
      searches: before?.toolCalls ?? 0,
      rounds: 0,
      answer: before?.answer ?? null,
      done: before !== undefined,
      failure: before?.failure ?? null,
    };
  });
  const roundBudget = opts.maxSearchTurns + 2;
  while (state.some((s) => !s.done)) {
    const active = state.filter((s) => !s.done);
    // One request per question: a question whose request fails is recorded, not fatal.
    await Promise.all(active.map(async (s) => {
      try {
        await step(s);
      } catch (e) {
        s.failure = `round ${s.rounds + 1}: ${(e as Error).message}`;
        s.done = true;
      }
      if (s.done && opts.onOutcome) {
        await opts.onOutcome(s.index, {
          answer: s.answer,
          toolCalls: s.searches,
          failure: s.failure,
        });
      }
    }));
  }
  async function step(s: (typeof state)[number]): Promise<void> {
    const outs = await opts.policy.generateCompletions([s.context], {
      stop: STOP_TAGS,
      maxTokens: opts.maxTurnTokens,
      temperature: opts.temperature,
      ...(opts.seed !== undefined ? { seed: opts.seed + s.index } : {}),
    });
    const c = outs[0];
    if (c === undefined) {
      throw new Error(`evaluateEndpoint: the policy returned no completion for one prompt`);
    }
    // The server leaves the stop tag out; put back exactly the one that ended the turn. A
    // turn that ended on <eos> ends the episode, as in the local rollout.
    const raw = turnText(c, STOP_TAGS).trim();
    const text = s.episode ? s.episode.restore(raw) : raw;
    s.rounds += 1;
    const action = parseAction(text, {
      feedbackOffered: false,
      searchAllowed: s.searches < opts.maxSearchTurns,
    });
    s.context += ` ${raw}`;
    if (endedOnEos(c)) {
      s.done = true;
      return;
    }
    if (action.kind === "answer") {
      s.answer = action.text;
      s.done = true;
      return;
    }
    if (s.rounds >= roundBudget) {
      s.done = true;
      return;
    }
    let obs: string;
    if (action.kind === "search") {
      s.searches += 1;
      obs = formatPassages(await opts.search.search(action.query, opts.topK));
    } else {
      obs = invalidActionText({ feedbackOffered: false });
    }
    s.context += ` ${s.view(obs)}`;
  }
  const records = state.map((s) => scoreEpisode(s.q, s.answer, s.searches));
  return {
    ...summarise(records, { benchmark: opts.benchmark, split: opts.split }),
    failures: state.flatMap((s) =>
      s.failure === null ? [] : [{ questionId: s.q.id, reason: s.failure }]
    ),
  };
}
