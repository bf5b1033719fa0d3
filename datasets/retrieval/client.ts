/**
 * A `SearchTool` for any server speaking Search-R1's `/retrieve` API (our `serve-retriever`,
 * or Search-R1's own E5/BM25 `retrieval_server.py` over the full wiki-18 index).
 *
 * Concurrent `search` calls made in the same tick with the same k are sent as one batched
 * request (Search-R1's server batches the encoder over `queries`). Network failures, timeouts,
 * HTTP 5xx and 429 are retried with exponential backoff; 4xx and malformed responses are not.
 * Every error is a {@link RetrieverError} naming the URL and what went wrong.
 *
 * Documents are read as Search-R1 does: `contents` = `"Title"\ntext` (the title's quotes are
 * removed); a document with `title`/`text` fields and no `contents` is also accepted. A
 * document without `id` (Search-R1's Lucene-backed BM25 server omits it) gets id "".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bm25Index } from "./bm25.ts";
 * import { serveRetriever } from "./server.ts";
 * const index = Bm25Index.build([{ id: "0", title: "Hamlet", text: "by Shakespeare" }]);
 * const server = serveRetriever(index, { port: 0 }); // or Search-R1's, e.g. http://127.0.0.1:8000
 * const tool = new RetrieverClient(server.url, { timeoutMs: 5000, retries: 2 });
 * const passages = await tool.search("who wrote hamlet", 3);
 * assert.equal(passages[0]?.title, "Hamlet");
 * await server.shutdown();
 * ```
 * @module
 */

import type { Passage, SearchTool } from "@creditlab/core";
import { fromContents } from "../corpus/contents.ts";

/** Options of {@link RetrieverClient}. */
export interface RetrieverClientOptions {
  /** Per-attempt timeout in milliseconds (default 30,000). */
  timeoutMs?: number;
  /** Retries after the first attempt on network errors, timeouts, 5xx and 429 (default 2). */
  retries?: number;
  /** Backoff before retry r (0-based) is `retryDelayMs * 2^r` (default 200). */
  retryDelayMs?: number;
  /** Most queries per request (default 256). */
  maxBatch?: number;
}

/** A retrieval request that failed, with the URL and (if any) the HTTP status. */
export class RetrieverError extends Error {
  constructor(readonly url: string, message: string, readonly status: number | null = null) {
    super(`RetrieverClient: POST ${url}: ${message}`);
    this.name = "RetrieverError";
  }
}

interface Pending {
  queries: string[];
  waiters: { resolve: (p: Passage[]) => void; reject: (e: unknown) => void }[];
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}

/** Parse a `/retrieve` response body into passages per query; throws naming the JSON path. */
export function parseRetrieveResponse(body: unknown, numQueries: number, url: string): Passage[][] {
  const bad = (path: string, what: string, got: unknown): never => {
    throw new RetrieverError(
      url,
      `malformed response: ${path}: expected ${what}, got ${typeName(got)}`,
    );
  };
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    bad("response", "an object {result}", body);
  }
  const result = (body as Record<string, unknown>)["result"];
  if (!Array.isArray(result)) return bad("response.result", "a list (one list per query)", result);
  if (result.length !== numQueries) {
    throw new RetrieverError(
      url,
      `malformed response: response.result has ${result.length} lists for ${numQueries} queries`,
    );
  }
  return result.map((hits, qi) => {
    if (!Array.isArray(hits)) return bad(`response.result[${qi}]`, "a list of documents", hits);
    return hits.map((item: unknown, j: number): Passage => {
      const path = `response.result[${qi}][${j}]`;
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        return bad(path, "an object", item);
      }
      const rec = item as Record<string, unknown>;
      let doc: unknown = rec;
      let score = Number.NaN;
      let docPath = path;
      if ("document" in rec) {
        doc = rec["document"];
        docPath = `${path}.document`;
        const s = rec["score"];
        score = typeof s === "number"
          ? s
          : typeof s === "string" && s.trim() !== ""
          ? Number(s)
          : Number.NaN;
        if (!Number.isFinite(score)) bad(`${path}.score`, "a number", s);
      }
      if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        return bad(docPath, "an object", doc);
      }
      const d = doc as Record<string, unknown>;
      const id = d["id"] === undefined || d["id"] === null ? "" : d["id"];
      if (typeof id !== "string" && typeof id !== "number") {
        return bad(`${docPath}.id`, "a string", id);
      }
      let title: string, text: string;
      if (d["contents"] !== undefined) {
        if (typeof d["contents"] !== "string") {
          return bad(`${docPath}.contents`, "a string", d["contents"]);
        }
        ({ title, text } = fromContents(d["contents"]));
      } else {
        if (typeof d["title"] !== "string") {
          return bad(`${docPath}.contents`, "a string (or title and text)", d["contents"]);
        }
        if (typeof d["text"] !== "string") return bad(`${docPath}.text`, "a string", d["text"]);
        title = d["title"];
        text = d["text"];
      }
      return { id: String(id), title, text, score };
    });
  });
}

/** A `SearchTool` backed by a `/retrieve` server. */
export class RetrieverClient implements SearchTool {
  /** The full endpoint URL (ends in `/retrieve`). */
  readonly url: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #maxBatch: number;
  #pending = new Map<number, Pending>();
  #scheduled = false;

  /** `url` is the server base (`http://host:port`) or the full `/retrieve` endpoint. */
  constructor(url: string, opts: RetrieverClientOptions = {}) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new TypeError(
        `RetrieverClient: url must be an absolute http(s) URL, got ${JSON.stringify(url)}`,
      );
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new TypeError(`RetrieverClient: url must be http(s), got ${u.protocol}`);
    }
    if (!u.pathname.endsWith("/retrieve")) u.pathname = u.pathname.replace(/\/?$/, "/retrieve");
    this.url = u.toString();
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#retries = opts.retries ?? 2;
    this.#retryDelayMs = opts.retryDelayMs ?? 200;
    this.#maxBatch = opts.maxBatch ?? 256;
    if (!(this.#timeoutMs > 0)) {
      throw new RangeError(`RetrieverClient: timeoutMs must be > 0, got ${this.#timeoutMs}`);
    }
    if (!Number.isInteger(this.#retries) || this.#retries < 0) {
      throw new RangeError(
        `RetrieverClient: retries must be an integer >= 0, got ${this.#retries}`,
      );
    }
    if (!Number.isInteger(this.#maxBatch) || this.#maxBatch < 1) {
      throw new RangeError(
        `RetrieverClient: maxBatch must be an integer >= 1, got ${this.#maxBatch}`,
      );
    }
  }

  /** Top-k passages for one query (coalesced with concurrent calls into one request). */
  search(query: string, k: number): Promise<Passage[]> {
    if (typeof query !== "string") {
      return Promise.reject(new TypeError("RetrieverClient.search: query must be a string"));
    }
    if (!Number.isInteger(k) || k < 1) {
      return Promise.reject(
        new RangeError(`RetrieverClient.search: k must be an integer >= 1, got ${k}`),
      );
    }
    return new Promise((resolve, reject) => {
      let p = this.#pending.get(k);
      if (p === undefined) {
        p = { queries: [], waiters: [] };
        this.#pending.set(k, p);
      }
      p.queries.push(query);
      p.waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [k, p] of pending) {
      for (let s = 0; s < p.queries.length; s += this.#maxBatch) {
        const qs = p.queries.slice(s, s + this.#maxBatch);
        const ws = p.waiters.slice(s, s + this.#maxBatch);
        this.searchBatch(qs, k).then(
          (res) => ws.forEach((w, i) => w.resolve(res[i]!)),
          (e) => ws.forEach((w) => w.reject(e)),
        );
      }
    }
  }

  /** Top-k passages for each query, in one request (with retries). */
  async searchBatch(queries: string[], k: number): Promise<Passage[][]> {
    if (queries.length === 0) return [];
    const body = JSON.stringify({ queries, topk: k, return_scores: true });
    let lastError: RetrieverError | null = null;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (attempt > 0) {
        await new Promise((r) => setTimeout(r, this.#retryDelayMs * 2 ** (attempt - 1)));
      }
      let res: Response;
      try {
        res = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (e) {
        const err = e as Error;
        const timedOut = err.name === "TimeoutError" || err.name === "AbortError";
        lastError = new RetrieverError(
          this.url,
          timedOut
            ? `timed out after ${this.#timeoutMs} ms`
            : `server unreachable (${err.message})`,
        );
        continue;
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        lastError = new RetrieverError(
          this.url,
          `connection lost while reading the response (${(e as Error).message})`,
          res.status,
        );
        continue;
      }
      if (res.status >= 500 || res.status === 429) {
        lastError = new RetrieverError(
          this.url,
          `HTTP ${res.status}: ${text.slice(0, 300)}`,
          res.status,
        );
        continue;
      }
      if (!res.ok) {
        throw new RetrieverError(this.url, `HTTP ${res.status}: ${text.slice(0, 300)}`, res.status);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new RetrieverError(
          this.url,
          `malformed JSON in the response (${(e as Error).message}): ${text.slice(0, 120)}`,
          res.status,
        );
      }
      return parseRetrieveResponse(parsed, queries.length, this.url);
    }
    const e = lastError!;
    throw new RetrieverError(
      e.url,
      `failed after ${this.#retries + 1} attempt(s): ${
        e.message.replace(/^RetrieverClient: POST \S+: /, "")
      }`,
      e.status,
    );
  }
}
