/**
 * The environment service (`deno task serve-env`): what an RL engine's multi-turn rollout and
 * reward function call during training, over HTTP — CAPF's privileged verifier, the round
 * judge of CW-GRPO and PURE, and the outcome reward with E-GRPO's entity share, for SearchWorld
 * worlds and the QA benchmarks (the search tool itself is `serve-retriever`'s `/retrieve`).
 *
 *     GET  /health    {"status": "ok"}
 *     GET  /v1/info   the data sources, which verifier and judge answer each, defaults, limits
 *     POST /verify    verify.ts    {question, draft, detail?}  -> {verdict, text, observation}
 *     POST /judge     judge.ts     {question, rounds: [...]}   -> {scores: [{round, retrieval, thinking}]}
 *     POST /reward    reward.ts    {question, response}        -> {reward, em, f1, cover_em, answer, entity_match, ...}
 *
 * A body is one item, answered by one result, or `{"items": [...]}`, answered by
 * `{"results": [...], "llm"?: {calls, cache_hits, parse_failures}}` in the same order. An item
 * names its question by `question_id` (`data_source`, `split` when ambiguous) or inline
 * (`question`, `answers`; sources.ts).
 *
 * Errors are JSON `{"error", "field"?}`: 400 naming the field of a bad body or item (no item of
 * the request is run), 404 / 405 for other paths and verbs, 408 for a body slower than the
 * limit, 413 for a body over `maxBodyBytes` (declared or streamed), 422 for more items or rounds
 * than the limits, 501 when an item needs the LLM backend and none is configured (naming
 * `--judge-endpoint`), 502 when the LLM endpoint fails. Bounded like the other servers
 * (datasets/retrieval/http_guard.ts): a request head must arrive within 10 s, items are checked
 * and run in slices of 10 ms that yield to the event loop, so `/health` and small requests are
 * answered while a large one runs; LLM calls are bounded by the chat client's concurrency.
 *
 * @module
 */
import type { FeedbackDetail } from "@creditlab/core";
import {
  ENTITY_MATCH_DEFAULTS,
  type GuardedService,
  guardedService,
  type HttpLimits,
  readBody,
  resolveLimits,
  serveGuarded,
  TimeSlicer,
} from "@creditlab/datasets";
import {
  DEFAULT_WORK_LIMITS,
  type EnvWorkLimits,
  type ItemOptions,
  LLM_FLAGS,
  type RequestContext,
} from "./context.ts";
import { parseJudgeItem, runJudge } from "./judge.ts";
import type { LlmBackend } from "./llm_backend.ts";
import { EnvRequestError, parseJsonBody, requestItems } from "./request.ts";
import { parseRewardItem, scoreReward } from "./reward.ts";
import { type EnvSource, SourceSet } from "./sources.ts";
import { FEEDBACK_DETAILS, parseVerifyItem, runVerify } from "./verify.ts";

/** The routes, as `GET /v1/info` lists them. */
export const ENV_ROUTES: readonly string[] = [
  "GET /health",
  "GET /v1/info",
  "POST /verify",
  "POST /judge",
  "POST /reward",
];

/** Options of {@link envHandler}. */
export interface EnvServiceOptions extends HttpLimits, Partial<EnvWorkLimits> {
  /** The data sources served (SearchWorld worlds, benchmarks). */
  sources: readonly EnvSource[];
  /** The LLM verifier and judge for questions without a gold chain (none: 501). */
  llm?: LlmBackend;
  /** Detail of `/verify` items that name none (default `error-type`, CAPF's example). */
  defaultDetail?: FeedbackDetail;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A route's work: check an item into a job, run a job. */
interface Route<J, R> {
  parse(value: unknown, opts: ItemOptions): J;
  run(job: J): R | Promise<R>;
}

/** A route with its job and result types erased (each route checks its own items). */
function route<J, R>(r: Route<J, R>): Route<unknown, unknown> {
  return r as unknown as Route<unknown, unknown>;
}

/**
 * The service's request handler (serve it with {@link serveEnv}, or embed it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const handle = envHandler({ sources: [] });
 * const res = await handle(new Request("http://127.0.0.1/reward", {
 *   method: "POST",
 *   body: JSON.stringify({ answers: ["Paris"], response: "<answer> paris </answer>" }),
 * }));
 * assert.equal((await res.json()).em, 1);
 * ```
 */
export function envHandler(opts: EnvServiceOptions): (req: Request) => Promise<Response> {
  const httpLimits = resolveLimits(opts, "envHandler");
  const limits: EnvWorkLimits = {
    maxItems: opts.maxItems ?? DEFAULT_WORK_LIMITS.maxItems,
    maxRounds: opts.maxRounds ?? DEFAULT_WORK_LIMITS.maxRounds,
  };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`envHandler: ${k} must be a positive integer, got ${v}`);
    }
  }
  const sources = new SourceSet(opts.sources);
  const defaultDetail = opts.defaultDetail ?? "error-type";
  if (!FEEDBACK_DETAILS.includes(defaultDetail)) {
    throw new RangeError(`envHandler: defaultDetail must be one of ${FEEDBACK_DETAILS.join(", ")}`);
  }
  const llm = opts.llm;
  const routes = new Map([
    ["/verify", route({ parse: parseVerifyItem, run: runVerify })],
    ["/judge", route({ parse: parseJudgeItem, run: runJudge })],
    ["/reward", route({ parse: parseRewardItem, run: scoreReward })],
  ]);
  const info = {
    service: "creditlab-env",
    version: 1,
    routes: ENV_ROUTES,
    sources: sources.all.map((s) => ({
      ...s.info,
      verifier: s.oracle ? "searchworld-oracle" : llm ? "llm" : "correctness-only",
      judge: s.oracle ? "searchworld-oracle" : llm ? "llm" : null,
    })),
    llm: llm ? { ...llm.info, api: "chat" } : null,
    inline_questions: { verifier: llm ? "llm" : "correctness-only", judge: llm ? "llm" : null },
    ...(llm ? {} : { enable_llm: LLM_FLAGS }),
    details: FEEDBACK_DETAILS,
    default_detail: defaultDetail,
    reward: {
      metrics: ["em", "f1", "cover_em", "entity_match"],
      reward: "em",
      entity_matching: ENTITY_MATCH_DEFAULTS.matching,
      entity_scope: ENTITY_MATCH_DEFAULTS.textScope,
    },
    limits: {
      max_body_bytes: httpLimits.maxBodyBytes,
      max_items: limits.maxItems,
      max_rounds: limits.maxRounds,
      header_timeout_ms: httpLimits.headerTimeoutMs,
      body_timeout_ms: httpLimits.bodyTimeoutMs,
    },
  };

  const batch = async (req: Request, route: Route<unknown, unknown>): Promise<Response> => {
    const read = await readBody(req, httpLimits);
    if (!read.ok) return json(read.status, { error: `body: ${read.message}`, field: "body" });
    const { items, batched } = requestItems(parseJsonBody(read.text), limits);
    const session = llm?.session() ?? null;
    const ctx: RequestContext = { sources, llm: session, defaultDetail, limits };
    const slicer = new TimeSlicer();
    // Every item is checked before any runs: a bad item costs no model call.
    const jobs: unknown[] = [];
    for (const it of items) {
      await slicer.pause();
      jobs.push(route.parse(it.value, { at: it.at, ctx }));
    }
    const pending: Promise<unknown>[] = [];
    for (const job of jobs) {
      await slicer.pause();
      pending.push(Promise.resolve().then(() => route.run(job)));
    }
    const results = await Promise.all(pending);
    if (!batched) return json(200, results[0]);
    return json(200, { results, ...(session ? { llm: session.stats() } : {}) });
  };

  return async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    try {
      if (path === "/health" || path === "/v1/info") {
        if (req.method !== "GET" && req.method !== "HEAD") {
          return json(405, { error: `use GET ${path}` }, { allow: "GET, HEAD" });
        }
        return json(200, path === "/health" ? { status: "ok" } : info);
      }
      const r = routes.get(path);
      if (!r) {
        return json(404, { error: `no route ${path} (routes: ${ENV_ROUTES.join(", ")})` });
      }
      if (req.method !== "POST") {
        return json(405, { error: `use POST ${path} with a JSON body` }, { allow: "POST" });
      }
      return await batch(req, r);
    } catch (e) {
      if (e instanceof EnvRequestError) {
        return json(e.status, { error: e.message, ...(e.field ? { field: e.field } : {}) });
      }
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof Error && e.name === "EndpointError") {
        return json(502, { error: `the LLM endpoint failed: ${message}` });
      }
      return json(500, { error: message });
    }
  };
}

/** Options of {@link serveEnv}. */
export interface ServeEnvOptions extends EnvServiceOptions {
  /** Interface to bind (default 127.0.0.1: the service has no authentication). */
  host?: string;
  /** TCP port (default 8092; 0 picks a free one). */
  port?: number;
}

/** A running environment service: its base URL, port, `shutdown` and `finished`. */
export type EnvServer = GuardedService;

/**
 * Serve the environment service behind the bounded-HTTP guard until `shutdown()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const server = serveEnv({ sources: [], port: 0 });
 * const res = await fetch(`${server.url}/health`);
 * assert.deepEqual(await res.json(), { status: "ok" });
 * await server.shutdown();
 * ```
 */
export function serveEnv(opts: ServeEnvOptions): EnvServer {
  const hostname = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 8092;
  const server = serveGuarded(envHandler(opts), { ...opts, hostname, port });
  return guardedService(server);
}
