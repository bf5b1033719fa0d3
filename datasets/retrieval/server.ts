/**
 * A retrieval HTTP server speaking Search-R1's `/retrieve` API
 * (PeterGriffinJin/Search-R1 `search_r1/search/retrieval_server.py`), so our BM25 index and a
 * user's E5 wiki-18 server are interchangeable behind {@link RetrieverClient}.
 *
 * Request: `POST /retrieve` with JSON `{ queries: string[], topk?: number, return_scores?: boolean }`.
 * As in Search-R1, a missing, null or 0 `topk` means the server default, and `return_scores`
 * defaults to false.
 *
 * Response: `{ result: [...] }`, one list per query, best first:
 * - `return_scores: true`:  `[[{ document: { id, contents }, score }, ...], ...]`
 * - `return_scores: false`: `[[{ id, contents }, ...], ...]`
 *
 * `document` is the corpus row as Search-R1 stores it: `contents` = `"Title"\ntext`.
 * Invalid requests get HTTP 422 `{ detail: "..." }` (FastAPI's status for a failed request
 * model), other paths 404, other methods 405 with an `Allow` header. `GET /health` answers
 * `{ status: "ok" }`.
 *
 * Limits (options of {@link serveRetriever}, flags of `deno task serve-retriever`): bodies over
 * `maxBodyBytes` (4 MiB) get 413; more than `maxQueries` (4096) queries, `topk` over `maxTopk`
 * (1000) or queries x topk over `maxResults` (20,000 passages) get 422 naming the limit, so
 * every accepted request can be answered; a request head must arrive within 10 s and its body
 * within 30 s (else 408). A large body is parsed, searched and its answer encoded in slices
 * that yield to the event loop (10 ms, or 2 ms while other requests are moving), so `/health`
 * and small requests are answered while a large request runs (http_guard.ts, time_slicer.ts,
 * sliced_json.ts; p99 under 50 ms: `deno task bench server_latency`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bm25Index } from "./bm25.ts";
 * const server = serveRetriever(Bm25Index.build([{ id: "0", title: "Lilu", text: "a demon" }]), {
 *   port: 0,
 * });
 * const res = await fetch(`${server.url}/retrieve`, {
 *   method: "POST",
 *   body: JSON.stringify({ queries: ["lilu"], topk: 3, return_scores: true }),
 * });
 * const { result } = await res.json(); // per query: [{ document: { id, contents }, score }]
 * assert.equal(result[0][0].document.contents, '"Lilu"\na demon');
 * await server.shutdown();
 * ```
 * @module
 */

import type { Passage } from "@creditlab/core";
import { toContents } from "../corpus/contents.ts";
import {
  type GuardedService,
  guardedService,
  type HttpLimits,
  readBody,
  resolveLimits,
  serveGuarded,
  TimeSlicer,
} from "./http_guard.ts";
import { JsonChunks, parseJsonSliced } from "./sliced_json.ts";

/** A synchronous top-k searcher (a `Bm25Index` is one). */
export interface SyncSearcher {
  search(query: string, k: number): Passage[];
}

/** Options of {@link serveRetriever} and {@link retrieveHandler}. */
export interface RetrieverServerOptions extends HttpLimits {
  /** TCP port (default 8000, Search-R1's; 0 picks a free port). */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** topk when the request omits it or sends 0/null (default 3). */
  defaultTopk?: number;
  /** Largest accepted topk (default 1000). */
  maxTopk?: number;
  /** Most queries in one request (default 4096). */
  maxQueries?: number;
  /** Most passages in one answer, queries x topk (default 20,000). */
  maxResults?: number;
}

/** A running server: its base URL (POST `${url}/retrieve`), port, `shutdown` and `finished`. */
export type RetrieverServer = GuardedService;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}

/** The request handler alone (for embedding in another server). */
export function retrieveHandler(
  searcher: SyncSearcher,
  opts: RetrieverServerOptions = {},
): (req: Request) => Promise<Response> {
  const defaultTopk = opts.defaultTopk ?? 3;
  const maxTopk = opts.maxTopk ?? 1000;
  const maxQueries = opts.maxQueries ?? 4096;
  const maxResults = opts.maxResults ?? 20_000;
  for (const [name, v] of Object.entries({ defaultTopk, maxTopk, maxQueries, maxResults })) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`retrieveHandler: ${name} must be a positive integer, got ${v}`);
    }
  }
  const limits = resolveLimits(opts, "retrieveHandler");
  return async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    if (path === "/health") {
      if (req.method === "GET" || req.method === "HEAD") return json(200, { status: "ok" });
      return notAllowed(req.method, "GET, HEAD");
    }
    if (path !== "/retrieve") {
      return json(404, { detail: `Not Found: ${path} (use POST /retrieve)` });
    }
    if (req.method !== "POST") return notAllowed(req.method, "POST");
    const read = await readBody(req, limits);
    if (!read.ok) return json(read.status, { detail: `body: ${read.message}` });
    // Large bodies are parsed, searched and encoded in slices that yield to the event loop.
    const slicer = new TimeSlicer();
    let body: unknown;
    try {
      body = await parseJsonSliced(read.text, { slicer });
    } catch (e) {
      return json(422, { detail: `body: malformed JSON (${(e as Error).message})` });
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return json(422, {
        detail: `body: expected an object {queries, topk, return_scores}, got ${typeName(body)}`,
      });
    }
    const { queries, topk, return_scores: returnScores } = body as Record<string, unknown>;
    if (!Array.isArray(queries)) {
      return json(422, {
        detail: `body.queries: expected a list of strings, got ${typeName(queries)}`,
      });
    }
    if (queries.length > maxQueries) {
      return json(422, {
        detail:
          `body.queries: ${queries.length} queries, at most ${maxQueries} per request (--max-queries)`,
      });
    }
    for (let i = 0; i < queries.length; i++) {
      if (typeof queries[i] !== "string") {
        return json(422, {
          detail: `body.queries[${i}]: expected a string, got ${typeName(queries[i])}`,
        });
      }
    }
    let k = defaultTopk;
    if (topk !== undefined && topk !== null && topk !== 0) {
      if (typeof topk !== "number" || !Number.isInteger(topk) || topk < 0 || topk > maxTopk) {
        return json(422, {
          detail: `body.topk: expected an integer in [0, ${maxTopk}], got ${JSON.stringify(topk)}`,
        });
      }
      k = topk;
    }
    if (queries.length * k > maxResults) {
      return json(422, {
        detail: `body: ${queries.length} queries x topk ${k} = ${
          queries.length * k
        } passages, at most ${maxResults} per request (--max-results); send fewer queries per request`,
      });
    }
    if (returnScores !== undefined && typeof returnScores !== "boolean") {
      return json(422, {
        detail: `body.return_scores: expected a boolean, got ${typeName(returnScores)}`,
      });
    }
    try {
      // One query at a time, yielding between slices so other requests are served in between;
      // each query's list is serialised as it is found and encoded in 64 K chunks (no step
      // encodes the whole answer).
      const out = new JsonChunks();
      out.write(`{"result":[`);
      for (let i = 0; i < queries.length; i++) {
        await slicer.pause();
        const found = searcher.search(queries[i] as string, k).map((p) => {
          const document = { id: p.id, contents: toContents(p) };
          return returnScores === true ? { document, score: p.score } : document;
        });
        out.write(`${i > 0 ? "," : ""}${JSON.stringify(found)}`);
      }
      out.write("]}");
      return new Response(await out.bytes(slicer), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    } catch (e) {
      return json(500, { detail: `search failed: ${(e as Error).message}` });
    }
  };
}

function notAllowed(method: string, allow: string): Response {
  return new Response(
    JSON.stringify({ detail: `Method Not Allowed: ${method} (use ${allow})` }),
    { status: 405, headers: { "content-type": "application/json", allow } },
  );
}

/**
 * Serve `searcher` on `host:port` (default 127.0.0.1:8000) until `shutdown()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bm25Index } from "./bm25.ts";
 * import { RetrieverClient } from "./client.ts";
 * const index = Bm25Index.build([{ id: "0", title: "Lilu", text: "a demon" }]);
 * const server = serveRetriever(index, { port: 0 });
 * const client = new RetrieverClient(server.url);
 * assert.deepEqual(await client.search("lilu", 3), index.search("lilu", 3));
 * await server.shutdown();
 * ```
 */
export function serveRetriever(
  searcher: SyncSearcher,
  opts: RetrieverServerOptions = {},
): RetrieverServer {
  const hostname = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`serveRetriever: port must be an integer in [0, 65535], got ${port}`);
  }
  const server = serveGuarded(retrieveHandler(searcher, opts), { ...opts, hostname, port });
  return guardedService(server);
}
