/**
 * The LLM round judge (the `round-judge` resource of CW-GRPO and PURE on open-domain data)
 * through any {@link ChatClient} (serving's `EndpointPolicy`
 * against an OpenAI-compatible server; the paper uses gpt-oss-120b at temperature 0).
 *
 * One call per non-final round k: the judge sees the question and the conversation up to
 * round k's search result, and returns binary scores as JSON:
 * retrieval_k = 1 iff the retrieved information is relevant and new; thinking_k = 1 iff the
 * reasoning is grounded and the action useful. It is told not to consider whether the final
 * answer is right. Unparseable output scores 0/0 (and is counted). Replies are cached by the
 * SHA-256 of the prompt, so a repeated round costs no call.
 *
 * @module
 */
import type { JudgedRound, JudgeStats, Question, RoundJudge, RoundScore } from "@creditlab/core";
import { type ChatClient, contentHash, extractJsonObject } from "./llm.ts";

/** The judge's system prompt (from the CW-GRPO description in METHODS.md). */
export const JUDGE_SYSTEM_PROMPT =
  `You evaluate one round of a search agent's work on a question. In each round the agent thinks,
then issues an action (usually a search query), and receives a search result.
Score the CURRENT round only, with two binary scores:
- "retrieval": 1 if the information retrieved in the current round is relevant to the question AND new
  (not already available from earlier rounds); otherwise 0.
- "thinking": 1 if the agent's reasoning in the current round is grounded in the question and the evidence
  seen so far AND its action is useful for answering the question; otherwise 0.
Do not consider whether the agent's final answer is right; you are not shown it. Judge only the process.
Reply with one JSON object and nothing else: {"retrieval": 0 or 1, "thinking": 0 or 1}`;

/** Options of {@link LlmRoundJudge}. */
export interface LlmRoundJudgeOptions {
  /** Default 0 (the paper's judge runs at temperature 0). */
  temperature?: number;
  /** Reply budget (default 256). */
  maxTokens?: number;
  /** Each observation is cut to this many characters in the prompt (default 2000). */
  maxObservationChars?: number;
}

/**
 * Counters of an {@link LlmRoundJudge} (core's `JudgeStats`: chat completions requested, cache
 * hits, replies without a parseable {retrieval, thinking} object, scored 0/0).
 */
export type LlmJudgeStats = JudgeStats;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)} ...`;
}

/** The user message for judging `rounds[index]` (earlier rounds as context). */
export function judgeUserPrompt(
  question: Question,
  rounds: readonly JudgedRound[],
  index: number,
  maxObservationChars = 2000,
): string {
  const block = (r: JudgedRound) =>
    `[Round ${r.round}]\nAgent: ${r.policyText}\nSearch result: ${
      clip(r.observationText, maxObservationChars) || "(none)"
    }`;
  const earlier = rounds.slice(0, index).map(block);
  return [
    `Question: ${question.question}`,
    "",
    "Earlier rounds:",
    earlier.length > 0 ? earlier.join("\n\n") : "(none)",
    "",
    "Current round:",
    block(rounds[index]!),
  ].join("\n");
}

function bit(v: unknown): 0 | 1 | null {
  if (v === 1 || v === true || v === "1") return 1;
  if (v === 0 || v === false || v === "0") return 0;
  return null;
}

/**
 * Parse a judge reply: `{ retrieval, thinking }` each 0/1 (booleans and "0"/"1" accepted);
 * null when unparseable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fence = "`".repeat(3); // a reply in a markdown code block
 * const reply = `${fence}json\n{"retrieval": 1, "thinking": 0}\n${fence}`;
 * assert.deepEqual(parseJudgeReply(reply), { retrieval: 1, thinking: 0 });
 * ```
 */
export function parseJudgeReply(reply: string): RoundScore | null {
  const obj = extractJsonObject(reply);
  if (obj === null) return null;
  const retrieval = bit(obj.retrieval);
  const thinking = bit(obj.thinking);
  return retrieval === null || thinking === null ? null : { retrieval, thinking };
}

/** The LLM round judge. */
export class LlmRoundJudge implements RoundJudge {
  readonly stats: LlmJudgeStats = { calls: 0, cacheHits: 0, parseFailures: 0 };
  readonly #cache = new Map<string, Promise<RoundScore>>();
  readonly #temperature: number;
  readonly #maxTokens: number;
  readonly #maxObs: number;

  constructor(private readonly client: ChatClient, opts: LlmRoundJudgeOptions = {}) {
    this.#temperature = opts.temperature ?? 0;
    this.#maxTokens = opts.maxTokens ?? 256;
    this.#maxObs = opts.maxObservationChars ?? 2000;
  }

  score(question: Question, rounds: JudgedRound[]): Promise<RoundScore[]> {
    return Promise.all(
      rounds.map((_, i) => this.#scoreOne(judgeUserPrompt(question, rounds, i, this.#maxObs))),
    );
  }

  async #scoreOne(user: string): Promise<RoundScore> {
    const key = await contentHash(`${JUDGE_SYSTEM_PROMPT}\n---\n${user}`);
    const hit = this.#cache.get(key);
    if (hit) {
      this.stats.cacheHits++;
      return hit;
    }
    const pending = this.#ask(user);
    this.#cache.set(key, pending);
    pending.catch(() => this.#cache.delete(key));
    return pending;
  }

  async #ask(user: string): Promise<RoundScore> {
    this.stats.calls++;
    const reply = await this.client.complete(
      [{ role: "system", content: JUDGE_SYSTEM_PROMPT }, { role: "user", content: user }],
      { temperature: this.#temperature, maxTokens: this.#maxTokens },
    );
    const parsed = parseJudgeReply(reply);
    if (parsed === null) {
      this.stats.parseFailures++;
      return { retrieval: 0, thinking: 0 };
    }
    return parsed;
  }
}
