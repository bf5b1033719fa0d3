/**
 * A client for any OpenAI-compatible text-generation server (vLLM, SGLang, llama.cpp,
 * Ollama, or our own `deno task serve`): `/v1/completions` and `/v1/chat/completions`.
 *
 * Requests go through one bounded-concurrency queue per client; each attempt has a timeout;
 * network errors, timeouts, HTTP 5xx, 408 and 429, and malformed replies (not JSON, or
 * without the expected `choices`) are retried with exponential backoff (`backoffMs *
 * 2^attempt`, capped at `maxBackoffMs`, no jitter so runs are reproducible); other 4xx fail at
 * once. Every error names the URL and what was wrong. Counters of
 * requests, retries and failures are kept ({@link EndpointPolicy.stats}).
 *
 * OpenAI-compatible servers stop BEFORE a stop sequence and leave it out of the text. The
 * search-agent protocol keeps the stop tag in the turn, so {@link EndpointPolicy.generate}
 * puts it back ({@link turnText}: exactly, from vLLM's `stop_reason` when the server reports
 * it, as our `serve` does; else by {@link restoreStopTag}) unless `restoreStop: false`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STOP_TAGS } from "@creditlab/agent";
 * // A stand-in for vLLM on a free port: it stopped before "</search>" and says so.
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   Response.json({
 *     choices: [{ text: "<search> acme founder ", finish_reason: "stop", stop_reason: "</search>" }],
 *   }));
 * const policy = new EndpointPolicy({ baseUrl: `http://127.0.0.1:${server.addr.port}`, model: "qwen" });
 * const [turn] = await policy.generate(["question : who founded acme ? tools : search answer"], {
 *   stop: STOP_TAGS, maxTokens: 64, temperature: 0,
 * });
 * assert.equal(turn, "<search> acme founder </search>"); // the stop tag put back
 * await server.shutdown();
 * ```
 * @module
 */

import type { ChatClient, ChatMessage, Completion, SamplingOptions } from "./completion.ts";
import { turnText } from "./completion.ts";
import {
  describe,
  finishReason,
  firstChoice,
  MalformedReply,
  nonNegativeInt,
  positiveInt,
  snippet,
  stopReason,
} from "./reply.ts";

/** Why a request finally failed. */
export type EndpointErrorKind = "unreachable" | "timeout" | "http" | "malformed";

/** A request that failed after its retries (or at once, for 4xx and malformed replies). */
export class EndpointError extends Error {
  /** Failure class. */
  readonly kind: EndpointErrorKind;
  /** The URL requested. */
  readonly url: string;
  /** HTTP status, for `http` (and `malformed` replies that had one). */
  readonly status: number | undefined;
  /** Attempts made. */
  readonly attempts: number;

  constructor(
    message: string,
    info: { kind: EndpointErrorKind; url: string; status?: number; attempts: number },
  ) {
    super(message);
    this.name = "EndpointError";
    this.kind = info.kind;
    this.url = info.url;
    this.status = info.status;
    this.attempts = info.attempts;
  }
}

/** Options of {@link EndpointPolicy}. */
export interface EndpointOptions {
  /** Server root, e.g. `http://127.0.0.1:8000` (a trailing `/v1` is accepted). */
  baseUrl: string;
  /** The `model` field of requests (default `"default"`). */
  model?: string;
  /** Sent as `Authorization: Bearer <apiKey>` when given. */
  apiKey?: string;
  /** Which API {@link EndpointPolicy.generate} uses (default `"completions"`). */
  api?: "completions" | "chat";
  /** Maximum requests in flight (default 8). */
  concurrency?: number;
  /** Per-attempt timeout in ms (default 120000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff in ms (default 500), doubled each retry. */
  backoffMs?: number;
  /** Backoff ceiling in ms (default 8000). */
  maxBackoffMs?: number;
}

/** Counters of an {@link EndpointPolicy}. */
export interface EndpointStats {
  /** HTTP attempts sent (including retries). */
  requests: number;
  /** Calls that succeeded. */
  succeeded: number;
  /** Calls that finally failed. */
  failures: number;
  /** Attempts that were retried. */
  retries: number;
  /** Attempts that timed out. */
  timeouts: number;
}
/** A bounded-concurrency, retrying OpenAI-compatible client. */
export class EndpointPolicy implements ChatClient {
  readonly baseUrl: string;
  readonly model: string;
  readonly #apiKey: string | undefined;
  readonly #api: "completions" | "chat";
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #stats: EndpointStats = {
    requests: 0,
    succeeded: 0,
    failures: 0,
    retries: 0,
    timeouts: 0,
  };

  constructor(opts: EndpointOptions) {
    let url: URL;
    try {
      url = new URL(opts.baseUrl);
    } catch {
      throw new TypeError(`EndpointPolicy: baseUrl ${JSON.stringify(opts.baseUrl)} is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(
        `EndpointPolicy: baseUrl must be http(s), got ${JSON.stringify(opts.baseUrl)}`,
      );
    }
    this.baseUrl = url.href.replace(/\/+$/, "").replace(/\/v1$/, "");
    this.model = opts.model ?? "default";
    this.#apiKey = opts.apiKey;
    this.#api = opts.api ?? "completions";
    this.#limit = positiveInt(opts.concurrency ?? 8, "concurrency");
    this.#timeoutMs = positiveInt(opts.timeoutMs ?? 120_000, "timeoutMs");
    this.#retries = nonNegativeInt(opts.retries ?? 3, "retries");
    this.#backoffMs = nonNegativeInt(opts.backoffMs ?? 500, "backoffMs");
    this.#maxBackoffMs = nonNegativeInt(opts.maxBackoffMs ?? 8000, "maxBackoffMs");
  }

  /** A copy of the counters. */
  stats(): EndpointStats {
    return { ...this.#stats };
  }

  /**
   * One completion from `/v1/completions`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
   *   Response.json({ choices: [{ text: "<answer> bob", finish_reason: "length" }] }));
   * const policy = new EndpointPolicy({ baseUrl: `http://127.0.0.1:${server.addr.port}` });
   * const { text, finishReason } = await policy.completion("question : who ?", { temperature: 0, maxTokens: 16 });
   * assert.deepEqual([text, finishReason], ["<answer> bob", "length"]);
   * await server.shutdown();
   * ```
   */
  async completion(prompt: string, opts: SamplingOptions): Promise<Completion> {
    const url = `${this.baseUrl}/v1/completions`;
    return await this.#post(url, { ...this.#body(opts), prompt }, (json) => {
      const choice = firstChoice(json);
      if (typeof choice.text !== "string") {
        throw new MalformedReply(`choices[0].text is ${describe(choice.text)}, expected a string`);
      }
      return {
        text: choice.text,
        finishReason: finishReason(choice),
        stopReason: stopReason(choice),
      };
    });
  }

  /** One reply from `/v1/chat/completions`. */
  async chat(messages: readonly ChatMessage[], opts: SamplingOptions): Promise<Completion> {
    const url = `${this.baseUrl}/v1/chat/completions`;
    if (messages.length === 0) throw new Error(`EndpointPolicy.chat: no messages for ${url}`);
    return await this.#post(url, { ...this.#body(opts), messages }, (json) => {
      const choice = firstChoice(json);
      const message = choice.message as { content?: unknown } | null | undefined;
      if (message === null || typeof message !== "object" || typeof message.content !== "string") {
        throw new MalformedReply(
          `choices[0].message.content is ${describe(message?.content)}, expected a string`,
        );
      }
      return {
        text: message.content,
        finishReason: finishReason(choice),
        stopReason: stopReason(choice),
      };
    });
  }

  /** {@link ChatClient}: the text of one chat reply. */
  async complete(messages: ChatMessage[], opts: SamplingOptions): Promise<string> {
    return (await this.chat(messages, opts)).text;
  }

  /**
   * One completion per prompt (concurrently, bounded), in input order. With a `seed`,
   * prompt i is sampled with `seed + i` so identical prompts still give independent samples.
   * With `api: "chat"` each prompt is sent as one user message.
   */
  generateCompletions(prompts: readonly string[], opts: SamplingOptions): Promise<Completion[]> {
    return Promise.all(prompts.map((prompt, i) => {
      const o: SamplingOptions = { ...opts };
      if (opts.seed !== undefined) o.seed = opts.seed + i;
      return this.#api === "chat"
        ? this.chat([{ role: "user", content: prompt }], o)
        : this.completion(prompt, o);
    }));
  }

  /**
   * The eval loop's call: {@link generateCompletions}, each text with its stop sequence put
   * back by {@link turnText} (unless `restoreStop: false`).
   */
  async generate(
    prompts: readonly string[],
    opts: SamplingOptions & { restoreStop?: boolean },
  ): Promise<string[]> {
    const { restoreStop, ...sampling } = opts;
    const out = await this.generateCompletions(prompts, sampling);
    return out.map((c) =>
      (restoreStop ?? true) && opts.stop !== undefined ? turnText(c, opts.stop) : c.text
    );
  }

  #body(opts: SamplingOptions): Record<string, unknown> {
    if (!Number.isFinite(opts.temperature) || opts.temperature < 0) {
      throw new RangeError(`EndpointPolicy: temperature must be >= 0, got ${opts.temperature}`);
    }
    positiveInt(opts.maxTokens, "maxTokens");
    const body: Record<string, unknown> = {
      model: this.model,
      max_tokens: opts.maxTokens,
      temperature: opts.temperature,
      n: 1,
    };
    if (opts.stop !== undefined && opts.stop.length > 0) body.stop = [...opts.stop];
    if (opts.topP !== undefined) body.top_p = opts.topP;
    if (opts.seed !== undefined) body.seed = opts.seed;
    return body;
  }

  async #acquire(): Promise<void> {
    if (this.#active < this.#limit) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next(); // the slot passes to the next waiter
    else this.#active--;
  }

  async #post<T>(
    url: string,
    body: Record<string, unknown>,
    extract: (json: unknown) => T,
  ): Promise<T> {
    await this.#acquire();
    try {
      const out = await this.#postWithRetries(url, body, extract);
      this.#stats.succeeded++;
      return out;
    } catch (e) {
      this.#stats.failures++;
      throw e;
    } finally {
      this.#release();
    }
  }

  async #postWithRetries<T>(
    url: string,
    body: Record<string, unknown>,
    extract: (json: unknown) => T,
  ): Promise<T> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    const payload = JSON.stringify(body);
    for (let attempt = 1;; attempt++) {
      const last = attempt > this.#retries;
      const outcome = await this.#attempt(url, headers, payload, extract);
      if (outcome.kind === "ok") return outcome.value;
      if (outcome.retryable && !last) {
        this.#stats.retries++;
        const wait = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (attempt - 1));
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      const tries = `${attempt} attempt${attempt === 1 ? "" : "s"}`;
      const info = { kind: outcome.kind, url, attempts: attempt };
      switch (outcome.kind) {
        case "timeout":
          throw new EndpointError(
            `POST ${url}: timed out after ${this.#timeoutMs} ms (${tries})`,
            info,
          );
        case "unreachable":
          throw new EndpointError(
            `POST ${url}: server unreachable (${outcome.detail}) (${tries})`,
            info,
          );
        case "malformed":
          throw new EndpointError(
            `POST ${url}: HTTP ${outcome.status} reply is malformed (${tries}): ${outcome.detail}`,
            { ...info, status: outcome.status },
          );
        case "http":
          throw new EndpointError(
            `POST ${url}: HTTP ${outcome.status} (${tries}): ${snippet(outcome.detail)}`,
            { ...info, status: outcome.status },
          );
      }
    }
  }

  async #attempt<T>(
    url: string,
    headers: Record<string, string>,
    payload: string,
    extract: (json: unknown) => T,
  ): Promise<
    | { kind: "ok"; value: T }
    | { kind: "timeout"; retryable: true }
    | { kind: "unreachable"; retryable: true; detail: string }
    | { kind: "malformed"; retryable: true; status: number; detail: string }
    | { kind: "http"; retryable: boolean; status: number; detail: string }
  > {
    this.#stats.requests++;
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, this.#timeoutMs);
    try {
      const res = await fetch(url, { method: "POST", headers, body: payload, signal: ctrl.signal });
      const text = await res.text();
      if (res.ok) {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          return {
            kind: "malformed",
            retryable: true,
            status: res.status,
            detail: `not JSON (${(e as Error).message}): ${snippet(text)}`,
          };
        }
        try {
          return { kind: "ok", value: extract(json) };
        } catch (e) {
          if (!(e instanceof MalformedReply)) throw e;
          return { kind: "malformed", retryable: true, status: res.status, detail: e.message };
        }
      }
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      return { kind: "http", retryable, status: res.status, detail: text };
    } catch (e) {
      if (timedOut) {
        this.#stats.timeouts++;
        return { kind: "timeout", retryable: true };
      }
      return { kind: "unreachable", retryable: true, detail: (e as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
