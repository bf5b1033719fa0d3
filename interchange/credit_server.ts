/**
 * The credit service (`deno task serve-credit`): an engine's driver process POSTs a batch of
 * interchange records every step and gets each trajectory's advantages back, as
 * {@link creditRecords} computes them (the same as `deno task credit` and our trainer).
 *
 *     GET  /health            {"status":"ok","format":"creditlab.trajectory","version":1,"methods":[...]}
 *     POST /credit[?method=]  {"method":"<name>","config":{...},"records":[...]}   (application/json)
 *       200 {"format","version","method","metrics":{...},"outputs":[{trajectory_id, uid, reward,
 *            advantages, loss_weights, method_record}, ...]}   (outputs in the order of records)
 *     POST /credit?method=NAME[&config=JSON]   an Arrow IPC stream of records
 *                                              (application/vnd.apache.arrow.stream; arrow.ts)
 *       200 the outputs as an Arrow IPC stream (or JSON with Accept: application/json)
 *
 * Errors are JSON `{"error", "field"?, "at"?}`: 400 for a bad body, record, method name or config
 * (the field named), 404 / 405 for other paths and verbs (405 with `Allow`), 408 for a body
 * slower than `bodyTimeoutMs`, 413 for a body over `maxBodyBytes` (checked on `Content-Length`
 * and while reading), 415 for a body neither JSON nor Arrow, 500 otherwise. A request is read
 * and validated by credit_request.ts; this file routes it, computes the credit and answers.
 *
 * Bounded like the other servers (datasets/retrieval/http_guard.ts `serveGuarded`): a request
 * head must arrive within `headerTimeoutMs` (10 s; else 408 and the connection closed), a body
 * within `bodyTimeoutMs` (30 s) and `maxBodyBytes` (512 MiB), one request per connection. A
 * request's work runs in slices of a `TimeSlicer` (10 ms, 2 ms while other requests move) that
 * yield to the event loop, so `/health` and small batches are answered while a large batch
 * runs: the JSON body is parsed from its bytes in pieces (sliced_json.ts `parseJsonSliced`), an
 * Arrow body decoded a few rows at a time; records are validated one by one; the credit is
 * computed in slices (credit.ts: per record, the batch in chunks of rows, and on slices of whole
 * groups the calls a method declares group-local — grpo's step, every method's rewards; the
 * steps of methods that report metrics over the whole batch and run on it at
 * once); the JSON answer is written output by output and encoded in chunks (`JsonChunks`), an
 * Arrow answer in record batches of 128 rows. The advantages are the same bit for bit.
 *
 * @module
 */
import type { JudgedRound, RoundJudge, SearchTool, Trajectory } from "@creditlab/core";
import {
  type GuardedService,
  guardedService,
  JsonChunks,
  resolveLimits,
  serveGuarded,
  TimeSlicer,
} from "@creditlab/datasets";
import type { Method } from "@creditlab/train";
import { creditRecords } from "./credit.ts";
import { ARROW_STREAM_TYPE, outputsToArrowSliced } from "./arrow.ts";
import { HttpError, type Limits, readCreditRequest, recordWhere } from "./credit_request.ts";
import { InterchangeError } from "./errors.ts";
import { FORMAT_NAME, FORMAT_VERSION } from "./record.ts";

/** Default body limit: 512 MiB (a 512 x 4,096-token batch with log-probs is about 60 MB). */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024 * 1024;

/** Options of {@link creditHandler}. */
export interface CreditServiceOptions {
  /** A registered method by name (throws listing the names for an unknown one). */
  method: (name: string) => Method<unknown>;
  /** Names of the registered methods (for /health). */
  methodNames: () => string[];
  /** What a round judge is asked about a trajectory (methods/round_judge.ts). */
  judgedRounds: (t: Trajectory) => JudgedRound[];
  /** Fallback round judge for records without `extras.judge_scores` (an LLM endpoint). */
  judge?: RoundJudge;
  /**
   * The search tool granted to the methods (`--retriever URL`: a `RetrieverClient` of the
   * `serve-retriever` the rollouts used); StepSearch needs it. Absent: one that refuses.
   */
  search?: SearchTool;
  /** Largest accepted body in bytes (default {@link DEFAULT_MAX_BODY_BYTES}). */
  maxBodyBytes?: number;
  /** Time for the whole body to arrive once the head has (ms, default 30000); else 408. */
  bodyTimeoutMs?: number;
}

async function credit(
  req: Request,
  url: URL,
  opts: CreditServiceOptions,
  limits: Limits,
): Promise<Response> {
  // Every long loop of the request (reading, validating, crediting, answering) pauses here: it
  // yields to the event loop once its slice is used up.
  const slicer = new TimeSlicer();
  const pause = () => slicer.pause();
  const { arrow, method, config, seed, step, records } = await readCreditRequest(req, url, {
    method: opts.method,
    limits,
    slicer,
  });
  const out = await creditRecords(records, method, {
    config,
    judgedRounds: opts.judgedRounds,
    whereOf: recordWhere,
    pause,
    ...(opts.judge ? { judge: opts.judge } : {}),
    ...(opts.search ? { search: opts.search } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(step !== undefined ? { step } : {}),
  });
  const accept = (req.headers.get("accept") ?? "").toLowerCase();
  const answerArrow = accept.includes(ARROW_STREAM_TYPE) ||
    (arrow && !accept.includes("application/json"));
  if (answerArrow) {
    const answer = { method: method.name, metrics: out.metrics, records: out.records };
    return new Response(await outputsToArrowSliced(answer, pause), {
      status: 200,
      headers: { "content-type": ARROW_STREAM_TYPE },
    });
  }
  // JSON.stringify of {format, version, method, metrics, outputs}, written output by output
  const answer = new JsonChunks();
  answer.write(
    `{"format":${JSON.stringify(FORMAT_NAME)},"version":${JSON.stringify(FORMAT_VERSION)},` +
      `"method":${JSON.stringify(method.name)},"metrics":${JSON.stringify(out.metrics)},` +
      `"outputs":[`,
  );
  for (const [i, r] of out.records.entries()) {
    await pause();
    answer.write(`${i > 0 ? "," : ""}${
      JSON.stringify({
        trajectory_id: r.trajectory_id,
        uid: r.uid,
        reward: r.reward,
        advantages: r.advantages,
        loss_weights: r.loss_weights,
        method_record: r.method_record,
      })
    }`);
  }
  answer.write("]}");
  return new Response(await answer.bytes(slicer), {
    status: 200,
    headers: { "content-type": "application/json" },
  });
}

/**
 * The service's request handler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getMethod, methodNames } from "@creditlab/train";
 * import "../methods/mod.ts";
 * import { judgedRounds } from "../methods/round_judge.ts";
 * const handle = creditHandler({ method: getMethod, methodNames, judgedRounds });
 * const res = await handle(new Request("http://127.0.0.1/health"));
 * assert.equal((await res.json()).status, "ok");
 * ```
 */
export function creditHandler(opts: CreditServiceOptions): (req: Request) => Promise<Response> {
  const { maxBodyBytes, bodyTimeoutMs } = resolveLimits({
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    ...(opts.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: opts.bodyTimeoutMs } : {}),
  }, "creditHandler");
  const limits: Limits = { maxBodyBytes, bodyTimeoutMs };
  return async (req) => {
    const url = new URL(req.url);
    try {
      if (url.pathname === "/health") {
        if (req.method !== "GET") throw new HttpError(405, "use GET /health", {}, { allow: "GET" });
        return Response.json({
          status: "ok",
          format: FORMAT_NAME,
          version: FORMAT_VERSION,
          methods: opts.methodNames(),
          maxBodyBytes,
        });
      }
      if (url.pathname === "/credit") {
        if (req.method !== "POST") {
          throw new HttpError(405, "use POST /credit with a JSON body", {}, { allow: "POST" });
        }
        return await credit(req, url, opts, limits);
      }
      throw new HttpError(404, `no route ${url.pathname} (routes: GET /health, POST /credit)`);
    } catch (e) {
      if (e instanceof HttpError) {
        return Response.json({ error: e.message, ...e.extra }, {
          status: e.status,
          headers: e.headers,
        });
      }
      if (e instanceof InterchangeError) {
        return Response.json({ error: e.message, field: e.field, at: e.at }, { status: 400 });
      }
      return Response.json({ error: (e as Error).message }, { status: 500 });
    }
  };
}

/** Options of {@link serveCredit}. */
export interface ServeCreditOptions extends CreditServiceOptions {
  /** Port on 127.0.0.1 (0 = any free port). Default 8091. */
  port?: number;
  /** Time for a request head to arrive after the connection opens (ms, default 10000). */
  headerTimeoutMs?: number;
  /** Called once listening, with the base URL. */
  onListen?: (url: string) => void;
  /** Aborting it shuts the server down (as `shutdown()`). */
  signal?: AbortSignal;
}

/** A running credit service. */
export interface CreditServer extends GuardedService {
  /** The same service (`server.finished` resolves once it has stopped). */
  server: GuardedService;
}

/**
 * Serve the credit service on 127.0.0.1 (never another interface: it has no authentication),
 * behind the bounded-HTTP guard (see the module doc), until `shutdown()` or `signal` aborts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getMethod, methodNames } from "@creditlab/train";
 * import "../methods/mod.ts";
 * import { judgedRounds } from "../methods/round_judge.ts";
 * const s = serveCredit({ method: getMethod, methodNames, judgedRounds, port: 0 });
 * const res = await fetch(`${s.url}/health`, { method: "POST" });
 * assert.deepEqual([res.status, res.headers.get("allow")], [405, "GET"]);
 * await res.body?.cancel();
 * await s.shutdown();
 * ```
 */
export function serveCredit(opts: ServeCreditOptions): CreditServer {
  const handler = creditHandler(opts);
  const service = guardedService(serveGuarded(handler, {
    hostname: "127.0.0.1",
    port: opts.port ?? 8091,
    ...(opts.headerTimeoutMs !== undefined ? { headerTimeoutMs: opts.headerTimeoutMs } : {}),
  }));
  const signal = opts.signal;
  if (signal?.aborted) void service.shutdown();
  else signal?.addEventListener("abort", () => void service.shutdown(), { once: true });
  opts.onListen?.(service.url);
  return { ...service, server: service };
}
