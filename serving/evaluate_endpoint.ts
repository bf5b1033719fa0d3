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
 * the local rollout).
 */
export async function evaluateEndpoint(
  questions: Question[],
  opts: EvaluateEndpointOptions,
): Promise<EndpointEvalSummary> {
  const prompt = opts.prompt ??
    ((q: Question) =>
      buildPrompt(q, { feedbackOffered: false, maxSearchTurns: opts.maxSearchTurns }));
  const state = questions.map((q) => {
    const episode = opts.anonymizer?.episode();
    const view = (text: string) => (episode ? episode.anonymize(text) : text);
    return {
      q,
      episode,
      view,
      context: view(prompt(q)),
      searches: 0,
      rounds: 0,
      answer: null as string | null,
      done: false,
      failure: null as string | null,
    };
  });
  const roundBudget = opts.maxSearchTurns + 2;
  while (state.some((s) => !s.done)) {
    const active = state.filter((s) => !s.done);
    // One request per question: a question whose request fails is recorded, not fatal.
    await Promise.all(active.map(async (s, i) => {
      try {
        await step(s, i);
      } catch (e) {
        s.failure = `round ${s.rounds + 1}: ${(e as Error).message}`;
        s.done = true;
      }
    }));
  }
  async function step(s: (typeof state)[number], i: number): Promise<void> {
    const outs = await opts.policy.generateCompletions([s.context], {
      stop: STOP_TAGS,
      maxTokens: opts.maxTurnTokens,
      temperature: opts.temperature,
      ...(opts.seed !== undefined ? { seed: opts.seed + i } : {}),
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
