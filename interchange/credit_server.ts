/**
 * The credit service (`deno task serve-credit`): an engine's driver process POSTs a batch of
 * interchange records every step and gets each trajectory's advantages back, as
 * {@link creditRecords} computes them (the same as `deno task credit` and our trainer).
 *
 *     GET  /health            {"status":"ok","format":"creditlab.trajectory","version":1,"methods":[...]}
 *     POST /credit[?method=]  {"method":"cw-grpo","config":{...},"records":[...]}   (application/json)
 *       200 {"format","version","method","metrics":{...},"outputs":[{trajectory_id, uid, reward,
 *            advantages, loss_weights, method_record}, ...]}   (outputs in the order of records)
 *     POST /credit?method=NAME[&config=JSON]   an Arrow IPC stream of records
 *                                              (application/vnd.apache.arrow.stream; arrow.ts)
 *       200 the outputs as an Arrow IPC stream (or JSON with Accept: application/json)
 *
 * Errors are JSON `{"error", "field"?, "at"?}`: 400 for a bad body, record, method name or config
 * (the field named), 404 / 405 for other paths and verbs, 411 without a length, 413 for a body
 * over the limit (checked on `Content-Length` and while reading), 415 for a body neither JSON nor
 * Arrow, 500
 * otherwise.
 *
 * @module
 */
import type { JudgedRound, RoundJudge, Trajectory } from "@creditlab/core";
import type { Method } from "@creditlab/train";
import { mergeConfig } from "./config.ts";
import { creditRecords } from "./credit.ts";
import { ARROW_STREAM_TYPE, outputsToArrow, recordsFromArrow } from "./arrow.ts";
import { InterchangeError } from "./errors.ts";
import { FORMAT_NAME, FORMAT_VERSION, type TrajectoryRecord } from "./record.ts";
import { validateRecord } from "./validate.ts";
import { validateBatch } from "./validate_batch.ts";

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
  /** Largest accepted body in bytes (default {@link DEFAULT_MAX_BODY_BYTES}). */
  maxBodyBytes?: number;
}

/** A 4xx answer with the field at fault. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The body's bytes, refusing more than `max` (413) whatever the declared length. */
async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > max) {
    throw new HttpError(413, `body of ${declared} bytes is over the limit of ${max} bytes`);
  }
  if (req.body === null) throw new HttpError(400, "expected a JSON body", { field: "body" });
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new HttpError(413, `body is over the limit of ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const BODY_FIELDS = new Set(["method", "config", "records", "seed", "step"]);

/** A request's inputs, from a JSON or an Arrow body. */
interface CreditRequest {
  method: unknown;
  config: unknown;
  records: unknown;
  seed: unknown;
  step: unknown;
}

function jsonRequest(bytes: Uint8Array): CreditRequest {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new HttpError(400, `body is not valid JSON (${(e as Error).message})`, { field: "body" });
  }
  if (!isObj(body)) {
    throw new HttpError(400, "expected a JSON object {method, config?, records}", {
      field: "body",
    });
  }
  for (const k of Object.keys(body)) {
    if (!BODY_FIELDS.has(k)) {
      throw new HttpError(
        400,
        `unknown field ${JSON.stringify(k)} (fields: ${[...BODY_FIELDS].join(", ")})`,
        { field: k },
      );
    }
  }
  return {
    method: body.method,
    config: body.config,
    records: body.records,
    seed: body.seed,
    step: body.step,
  };
}

/** An Arrow body: the records; method, config, seed and step from the query string. */
function arrowRequest(bytes: Uint8Array, url: URL): CreditRequest {
  const q = url.searchParams;
  const num = (k: string): unknown => {
    const v = q.get(k);
    return v === null ? undefined : Number(v);
  };
  let config: unknown;
  const c = q.get("config");
  if (c !== null) {
    try {
      config = JSON.parse(c);
    } catch (e) {
      throw new HttpError(400, `config is not valid JSON (${(e as Error).message})`, {
        field: "config",
      });
    }
  }
  return {
    method: q.get("method") ?? undefined,
    config,
    records: recordsFromArrow(bytes, "request body"),
    seed: num("seed"),
    step: num("step"),
  };
}

async function credit(req: Request, url: URL, opts: CreditServiceOptions): Promise<Response> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const arrow = type.startsWith(ARROW_STREAM_TYPE);
  if (!arrow && !/^application\/json\b/.test(type)) {
    throw new HttpError(
      415,
      `expected Content-Type application/json or ${ARROW_STREAM_TYPE}, got ${JSON.stringify(type)}`,
    );
  }
  const bytes = await readBody(req, opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  const body = arrow ? arrowRequest(bytes, url) : jsonRequest(bytes);
  const name = url.searchParams.get("method") ?? body.method;
  if (typeof name !== "string") {
    throw new HttpError(400, 'expected the method\'s name in "method" (or ?method=)', {
      field: "method",
    });
  }
  let method: Method<unknown>;
  try {
    method = opts.method(name);
  } catch (e) {
    throw new HttpError(400, (e as Error).message, { field: "method" });
  }
  if (body.config !== undefined && !isObj(body.config)) {
    throw new HttpError(
      400,
      "expected config to be an object (merged over the method's defaults)",
      {
        field: "config",
      },
    );
  }
  const config = mergeConfig(method.defaults, body.config ?? {});
  try {
    method.loss(config); // runs the method's config validation
  } catch (e) {
    throw new HttpError(400, `config: ${(e as Error).message}`, { field: "config" });
  }
  const intField = (k: "seed" | "step"): number | undefined => {
    const v = body[k];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw new HttpError(400, `expected ${k} to be an integer`, { field: k });
    }
    return v;
  };
  const seed = intField("seed");
  const step = intField("step");
  if (!Array.isArray(body.records) || body.records.length === 0) {
    throw new HttpError(400, "expected records: a non-empty array of trajectory records", {
      field: "records",
    });
  }
  const whereOf = (i: number) => ({ source: "request body", at: `records[${i}]` });
  const records: TrajectoryRecord[] = body.records.map((r, i) => validateRecord(r, whereOf(i)));
  validateBatch(records, whereOf);
  const out = await creditRecords(records, method, {
    config,
    judgedRounds: opts.judgedRounds,
    whereOf,
    ...(opts.judge ? { judge: opts.judge } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(step !== undefined ? { step } : {}),
  });
  const accept = (req.headers.get("accept") ?? "").toLowerCase();
  const answerArrow = accept.includes(ARROW_STREAM_TYPE) ||
    (arrow && !accept.includes("application/json"));
  if (answerArrow) {
    return new Response(
      outputsToArrow({ method: method.name, metrics: out.metrics, records: out.records }),
      { status: 200, headers: { "content-type": ARROW_STREAM_TYPE } },
    );
  }
  return json(200, {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    method: method.name,
    metrics: out.metrics,
    outputs: out.records.map((r) => ({
      trajectory_id: r.trajectory_id,
      uid: r.uid,
      reward: r.reward,
      advantages: r.advantages,
      loss_weights: r.loss_weights,
      method_record: r.method_record,
    })),
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
  return async (req) => {
    const url = new URL(req.url);
    try {
      if (url.pathname === "/health") {
        if (req.method !== "GET") throw new HttpError(405, "use GET /health");
        return json(200, {
          status: "ok",
          format: FORMAT_NAME,
          version: FORMAT_VERSION,
          methods: opts.methodNames(),
          maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        });
      }
      if (url.pathname === "/credit") {
        if (req.method !== "POST") throw new HttpError(405, "use POST /credit with a JSON body");
        return await credit(req, url, opts);
      }
      throw new HttpError(404, `no route ${url.pathname} (routes: GET /health, POST /credit)`);
    } catch (e) {
      if (e instanceof HttpError) return json(e.status, { error: e.message, ...e.extra });
      if (e instanceof InterchangeError) {
        return json(400, { error: e.message, field: e.field, at: e.at });
      }
      return json(500, { error: (e as Error).message });
    }
  };
}

/** Options of {@link serveCredit}. */
export interface ServeCreditOptions extends CreditServiceOptions {
  /** Port on 127.0.0.1 (0 = any free port). Default 8091. */
  port?: number;
  /** Called once listening, with the base URL. */
  onListen?: (url: string) => void;
  signal?: AbortSignal;
}

/**
 * Serve the credit service on 127.0.0.1 (never another interface: it has no authentication).
 * Returns the server and its base URL.
 */
export function serveCredit(opts: ServeCreditOptions): { server: Deno.HttpServer; url: string } {
  const handler = creditHandler(opts);
  let url = "";
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: opts.port ?? 8091,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onListen: ({ port }) => {
      url = `http://127.0.0.1:${port}`;
      opts.onListen?.(url);
    },
  }, handler);
  const addr = server.addr as Deno.NetAddr;
  url = `http://127.0.0.1:${addr.port}`;
  return { server, url };
}
