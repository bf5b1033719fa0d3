/**
 * LLM helpers of the methods: a minimal structural chat interface (serving's
 * `EndpointPolicy` implements it for any OpenAI-compatible server), JSON extraction from model
 * output, content hashing for caches, and {@link LlmVerifier} — CAPF's privileged verifier for
 * open-domain data, where no gold chain exists.
 *
 * @module
 */
import type {
  FeedbackDetail,
  PrivilegedVerifier,
  Question,
  VerifierFeedback,
} from "@creditlab/core";
import { exactMatch, normalizeAnswer } from "@creditlab/datasets";

/** One chat message (OpenAI chat-completions shape). */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Sampling options of one chat completion. */
export interface ChatOptions {
  temperature: number;
  maxTokens: number;
  stop?: string[];
}

/**
 * Anything that completes a chat (structural: `EndpointPolicy` against `/v1/chat/completions`
 * implements it). Must reject (throw) on transport errors — a failed call is never a silent
 * empty string.
 */
export interface ChatClient {
  complete(messages: ChatMessage[], opts: ChatOptions): Promise<string>;
}

/**
 * The first balanced top-level JSON object in `text` (models often wrap JSON in prose or a
 * ```json fence), parsed; null when there is none or it does not parse.
 *
 * @example
 * ```ts
 * extractJsonObject('sure: ```json\n{"a": 1}\n```'); // { a: 1 }
 * extractJsonObject("no json"); // null
 * ```
 */
export function extractJsonObject(text: string): Record<string, unknown> | null {
  for (let start = text.indexOf("{"); start >= 0; start = text.indexOf("{", start + 1)) {
    let depth = 0;
    let inString = false;
    let escaped = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === "\\") escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === "{") depth++;
      else if (ch === "}") {
        depth--;
        if (depth === 0) {
          try {
            const v: unknown = JSON.parse(text.slice(start, i + 1));
            if (v !== null && typeof v === "object" && !Array.isArray(v)) {
              return v as Record<string, unknown>;
            }
          } catch {
            // not JSON from this brace: try the next one
          }
          break;
        }
      }
    }
  }
  return null;
}

/**
 * SHA-256 of a string, hex (cache keys of LLM judges and verifiers).
 *
 * @example
 * ```ts
 * await contentHash("abc"); // "ba7816bf..."
 * ```
 */
export async function contentHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Error kinds an LLM verifier may report (the non-"correct" kinds of {@link VerifierFeedback}). */
const ERROR_KINDS = ["wrong-type", "wrong-hop", "missing-entity", "wrong"] as const;
type ErrorKind = (typeof ERROR_KINDS)[number];

/** Generic feedback per kind (used when the model's explanation is missing or would leak). */
export const KIND_TEXT: Readonly<Record<VerifierFeedback["kind"], string>> = {
  "correct": "The draft answer is correct.",
  "wrong-type":
    "The draft answer is the wrong type of thing: it does not answer what the question asks for.",
  "wrong-hop":
    "The draft answer is an intermediate entity on the reasoning path, not the final answer.",
  "missing-entity": "The draft answer is incomplete: it misses part of what the question asks for.",
  "wrong": "The draft answer is incorrect.",
  "unknown": "The draft answer is not correct.",
};

/** How much a privileged verifier reveals (core's levels; `"correctness"` needs no model call). */
export type { FeedbackDetail };

/**
 * The verifier's system prompt, written from CAPF's description (arXiv 2606.01830, section 1
 * and Figure 1): the feedback says whether and how the submitted answer is wrong or
 * incomplete, without giving the answer away. `detail` is `error-type` or `hint`.
 */
export function verifierSystemPrompt(detail: Exclude<FeedbackDetail, "correctness">): string {
  const hint = detail === "hint"
    ? "\n- Then add one short hint about what the agent should look up next (a relation or property, never the answer)."
    : "";
  return `You are a privileged answer verifier for a question-answering agent that is being trained.
You see the question, the reference answers (which the agent must never see), and the agent's draft answer.
The draft has already been checked and is NOT an exact match of any reference answer.
Explain briefly what is wrong or missing in the draft, so that the agent can search again and revise it.

Rules:
- Never reveal a reference answer, any part of it, or any word of it. Do not hint at its spelling.
- Say what kind of error it is: the draft names the wrong type of thing (for example a city when a country is asked),
  an intermediate entity rather than the final one, an incomplete answer, or simply a wrong answer.${hint}
- At most two sentences, addressed to the agent.

Reply with one JSON object and nothing else:
{"kind": "wrong-type" | "wrong-hop" | "missing-entity" | "wrong", "feedback": "<your explanation>"}`;
}

/** The user message of one verification. */
export function verifierUserPrompt(question: Question, draft: string): string {
  return [
    `Question: ${question.question}`,
    `Reference answers: ${question.goldenAnswers.map((g) => JSON.stringify(g)).join(", ")}`,
    `Draft answer: ${JSON.stringify(draft)}`,
  ].join("\n");
}

/** Counters of an {@link LlmVerifier}. */
export interface LlmVerifierStats {
  /** Chat completions requested (cache misses). */
  calls: number;
  /** Drafts accepted by exact match without a call. */
  exactMatches: number;
  /** Replies that had no parseable JSON or an unknown kind (reported as kind "unknown"). */
  parseFailures: number;
  /** Explanations replaced by the generic text because they contained a reference answer. */
  leaksRedacted: number;
  cacheHits: number;
}

/** Options of {@link LlmVerifier}. */
export interface LlmVerifierOptions {
  /** What the feedback may reveal (default `"error-type"`, the paper's example). */
  detail?: FeedbackDetail;
  /** Sampling temperature (default 0: deterministic verification). */
  temperature?: number;
  /** Token budget of one reply (default 128). */
  maxTokens?: number;
}

/**
 * CAPF's privileged verifier for open-domain questions: exact match against the golden
 * answers decides correctness (the same Search-R1 EM the reward uses, so the verifier never
 * contradicts the reward); for a wrong draft at detail `error-type` or `hint` an LLM explains
 * what is wrong without revealing the answer (at `correctness` no model is called). An explanation that contains a normalised golden answer is replaced by the
 * generic text of its kind. Replies are cached by content hash of (question, golds, draft).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Question } from "@creditlab/core";
 * const question: Question = {
 *   id: "q",
 *   question: "Which country hosted the 2014 Winter Olympics?",
 *   goldenAnswers: ["Russia"],
 *   benchmark: "nq",
 *   split: "test",
 * };
 * // Any ChatClient: serving's EndpointPolicy on a chat model, or (here) a stand-in.
 * const chat = {
 *   complete: () =>
 *     Promise.resolve('{"kind": "wrong-type", "feedback": "Sochi is a city; the question asks for a country."}'),
 * };
 * const verifier = new LlmVerifier(chat);
 * const fb = await verifier.verify(question, "Sochi");
 * assert.deepEqual(fb, {
 *   correct: false,
 *   kind: "wrong-type",
 *   text: "Sochi is a city; the question asks for a country.",
 * });
 * ```
 */
export class LlmVerifier implements PrivilegedVerifier {
  readonly stats: LlmVerifierStats = {
    calls: 0,
    exactMatches: 0,
    parseFailures: 0,
    leaksRedacted: 0,
    cacheHits: 0,
  };
  readonly #cache = new Map<string, Promise<VerifierFeedback>>();
  readonly #temperature: number;
  readonly #maxTokens: number;
  /** The detail level this verifier answers at. */
  readonly detail: FeedbackDetail;

  constructor(private readonly client: ChatClient, opts: LlmVerifierOptions = {}) {
    this.detail = opts.detail ?? "error-type";
    this.#temperature = opts.temperature ?? 0;
    this.#maxTokens = opts.maxTokens ?? 128;
  }

  async verify(question: Question, draft: string): Promise<VerifierFeedback> {
    if (question.goldenAnswers.length === 0) {
      throw new Error(`LlmVerifier: question ${question.id} has no golden answers`);
    }
    if (exactMatch(draft, question.goldenAnswers) === 1) {
      this.stats.exactMatches++;
      return { correct: true, kind: "correct", text: KIND_TEXT.correct };
    }
    if (this.detail === "correctness") {
      return { correct: false, kind: "wrong", text: KIND_TEXT.wrong };
    }
    const system = verifierSystemPrompt(this.detail);
    const user = verifierUserPrompt(question, draft);
    const key = await contentHash(`${system}\n---\n${user}`);
    const hit = this.#cache.get(key);
    if (hit) {
      this.stats.cacheHits++;
      return hit;
    }
    const pending = this.#ask(question, system, user);
    this.#cache.set(key, pending);
    pending.catch(() => this.#cache.delete(key));
    return pending;
  }

  async #ask(question: Question, system: string, user: string): Promise<VerifierFeedback> {
    this.stats.calls++;
    const reply = await this.client.complete(
      [{ role: "system", content: system }, { role: "user", content: user }],
      { temperature: this.#temperature, maxTokens: this.#maxTokens },
    );
    const obj = extractJsonObject(reply);
    const kind = obj?.kind;
    if (
      obj === null || typeof kind !== "string" || !(ERROR_KINDS as readonly string[]).includes(kind)
    ) {
      this.stats.parseFailures++;
      return { correct: false, kind: "unknown", text: KIND_TEXT.unknown };
    }
    const k = kind as ErrorKind;
    const explanation = typeof obj.feedback === "string" ? obj.feedback.trim() : "";
    if (explanation === "") return { correct: false, kind: k, text: KIND_TEXT[k] };
    if (leaksAnswer(explanation, question.goldenAnswers)) {
      this.stats.leaksRedacted++;
      return { correct: false, kind: k, text: KIND_TEXT[k] };
    }
    return { correct: false, kind: k, text: explanation };
  }
}

/**
 * Whether `text` contains some golden answer as a whole-word phrase after `normalizeAnswer`.
 *
 * @example
 * ```ts
 * leaksAnswer("The answer is Russia.", ["Russia"]); // true
 * leaksAnswer("Think about countries.", ["Russia"]); // false
 * ```
 */
export function leaksAnswer(text: string, golds: readonly string[]): boolean {
  const t = ` ${normalizeAnswer(text)} `;
  return golds.some((g) => {
    const n = normalizeAnswer(g);
    return n !== "" && t.includes(` ${n} `);
  });
}
