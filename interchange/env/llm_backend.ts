/**
 * The LLM backend of the environment service, for questions without a gold chain (the QA
 * benchmarks and inline questions): CAPF's privileged verifier ({@link LlmVerifier}) and the
 * round judge of CW-GRPO and PURE ({@link LlmRoundJudge}), both through one {@link ChatClient}
 * (serving's `EndpointPolicy` on an OpenAI-compatible chat endpoint: `--judge-endpoint URL
 * --judge-model NAME`).
 *
 * Each request gets its own verifiers and judge ({@link LlmBackend.session}), so their reply
 * caches dedupe the identical drafts or rounds of one batch (a group's repeated answers) and
 * are dropped with the request: a long-lived service holds no growing cache. The request's
 * model calls, cache hits and parse failures are reported with its answer.
 *
 * @module
 */
import type { FeedbackDetail } from "@creditlab/core";
import { type ChatClient, LlmRoundJudge, LlmVerifier } from "@creditlab/methods";

/** Which model answers (reported by `GET /v1/info`). */
export interface LlmBackendInfo {
  /** The endpoint's base URL. */
  endpoint: string;
  /** The `model` of its requests. */
  model: string;
}

/** Model-call counters of one request. */
export interface LlmCallStats {
  /** Chat completions requested. */
  calls: number;
  /** Drafts or rounds answered from the request's cache. */
  cache_hits: number;
  /** Replies that did not parse (verifier kind `unknown`, judge scores 0/0). */
  parse_failures: number;
}

/** The verifiers and judge of one request (see the module doc). */
export class LlmSession {
  readonly #client: ChatClient;
  readonly #verifiers = new Map<FeedbackDetail, LlmVerifier>();
  #judge: LlmRoundJudge | undefined;

  constructor(client: ChatClient) {
    this.#client = client;
  }

  /** CAPF's LLM verifier at `detail` (`correctness` never calls the model: EM decides). */
  verifier(detail: FeedbackDetail): LlmVerifier {
    let v = this.#verifiers.get(detail);
    if (!v) {
      v = new LlmVerifier(this.#client, { detail });
      this.#verifiers.set(detail, v);
    }
    return v;
  }

  /** The LLM round judge. */
  judge(): LlmRoundJudge {
    this.#judge ??= new LlmRoundJudge(this.#client);
    return this.#judge;
  }

  /** The model calls of this request so far. */
  stats(): LlmCallStats {
    const out: LlmCallStats = { calls: 0, cache_hits: 0, parse_failures: 0 };
    for (const v of this.#verifiers.values()) {
      out.calls += v.stats.calls;
      out.cache_hits += v.stats.cacheHits;
      out.parse_failures += v.stats.parseFailures;
    }
    if (this.#judge) {
      out.calls += this.#judge.stats.calls;
      out.cache_hits += this.#judge.stats.cacheHits;
      out.parse_failures += this.#judge.stats.parseFailures;
    }
    return out;
  }
}

/**
 * An LLM backend: a chat client and what `/v1/info` says about it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const chat = { complete: () => Promise.resolve('{"kind": "wrong", "feedback": "Not it."}') };
 * const llm = new LlmBackend(chat, { endpoint: "http://127.0.0.1:8000", model: "judge" });
 * const session = llm.session();
 * const q = { id: "q", question: "Who?", goldenAnswers: ["Ann"], benchmark: "nq", split: "test" };
 * assert.equal((await session.verifier("error-type").verify(q, "Bob")).text, "Not it.");
 * assert.equal(session.stats().calls, 1);
 * ```
 */
export class LlmBackend {
  readonly #client: ChatClient;
  /** The endpoint and model. */
  readonly info: LlmBackendInfo;

  constructor(client: ChatClient, info: LlmBackendInfo) {
    this.#client = client;
    this.info = info;
  }

  /** Fresh verifiers and judge for one request. */
  session(): LlmSession {
    return new LlmSession(this.#client);
  }
}

/**
 * A chat client that refuses every call: backs the `correctness` verifier when no LLM is
 * configured (that level decides by exact match and never asks a model).
 */
export const NO_CHAT_CLIENT: ChatClient = {
  complete: () => Promise.reject(new Error("no LLM endpoint (start with --judge-endpoint URL)")),
};
