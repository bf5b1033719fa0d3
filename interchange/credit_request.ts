/**
 * A request to the credit service (credit_server.ts), from the HTTP request to the inputs of
 * credit.ts `creditRecords`: its body read within the server's {@link Limits} (413 over
 * `maxBodyBytes`, checked on `Content-Length` and while reading; 408 for a body slower than
 * `bodyTimeoutMs`) and decoded by its content type (415 for neither): a JSON object
 * `{method, config?, records, seed?, step?}` parsed from its bytes in pieces, or an Arrow IPC
 * stream of records with method, config, seed and step in the query string. Then the method's
 * name and config, seed and step, and every record are validated one by one (400 naming the
 * field, or the record's `InterchangeError`). Every long loop awaits the request's
 * `TimeSlicer`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeSlicer } from "@creditlab/datasets";
 * const req = new Request("http://127.0.0.1/credit", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ method: "m", records: [], seeds: 1 }),
 * });
 * const err = await readCreditRequest(req, new URL(req.url), {
 *   method: () => { throw new Error("not reached: the body is refused first"); },
 *   limits: { maxBodyBytes: 1024, bodyTimeoutMs: 1000 },
 *   slicer: new TimeSlicer(),
 * }).catch((e) => e);
 * assert.ok(err instanceof HttpError);
 * assert.deepEqual([err.status, err.extra], [400, { field: "seeds" }]);
 * ```
 * @module
 */
import { isJsonObject } from "@creditlab/core";
import { parseJsonSliced, type TimeSlicer } from "@creditlab/datasets";
import type { Method } from "@creditlab/train";
import { ARROW_STREAM_TYPE, recordsFromArrowSliced } from "./arrow.ts";
import { mergeConfig } from "./config.ts";
import type { Where } from "./errors.ts";
import type { TrajectoryRecord } from "./record.ts";
import { validateRecord } from "./validate.ts";
import { BatchChecker } from "./validate_batch.ts";

/** A 4xx answer with the field at fault (and headers, e.g. `Allow`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The server's resolved limits. */
export interface Limits {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
}

/**
 * The body's bytes, refusing more than `maxBodyBytes` (413) whatever the declared length, and
 * a body that has not arrived within `bodyTimeoutMs` (408). The chunks are joined with
 * `pause()` between copies.
 */
async function readBody(
  req: Request,
  limits: Limits,
  pause: () => Promise<void>,
): Promise<Uint8Array> {
  const max = limits.maxBodyBytes;
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > max) {
    await req.body?.cancel().catch(() => {});
    throw new HttpError(413, `body of ${declared} bytes is over the limit of ${max} bytes`);
  }
  if (req.body === null) throw new HttpError(400, "expected a JSON body", { field: "body" });
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), limits.bodyTimeoutMs);
  });
  try {
    for (;;) {
      const r = await Promise.race([reader.read(), timeout]);
      if (r === "timeout") {
        await reader.cancel().catch(() => {});
        throw new HttpError(
          408,
          `the request body did not arrive within ${limits.bodyTimeoutMs} ms`,
          { field: "body" },
        );
      }
      if (r.done) break;
      size += r.value.length;
      if (size > max) {
        await reader.cancel().catch(() => {});
        throw new HttpError(413, `body is over the limit of ${max} bytes`);
      }
      chunks.push(r.value);
    }
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    await pause();
    out.set(c, off);
    off += c.length;
  }
  return out;
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

async function jsonRequest(bytes: Uint8Array, slicer: TimeSlicer): Promise<CreditRequest> {
  let body: unknown;
  try {
    body = await parseJsonSliced(bytes, { slicer }); // JSON.parse's value or error, in pieces
  } catch (e) {
    throw new HttpError(400, `body is not valid JSON (${(e as Error).message})`, { field: "body" });
  }
  if (!isJsonObject(body)) {
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
async function arrowRequest(
  bytes: Uint8Array,
  url: URL,
  pause: () => Promise<void>,
): Promise<CreditRequest> {
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
    records: await recordsFromArrowSliced(bytes, "request body", pause),
    seed: num("seed"),
    step: num("step"),
  };
}

/** A credit request's inputs, validated. */
export interface CreditInputs {
  /** The body is an Arrow IPC stream (else JSON). */
  arrow: boolean;
  /** The method named by `?method=` or the body's `method`. */
  method: Method<unknown>;
  /** The body's config merged over the method's defaults (and accepted by its `loss`). */
  config: unknown;
  /** The context's seed and step, when the request gives them. */
  seed: number | undefined;
  step: number | undefined;
  /** The records, each validated (validate.ts) and checked against the batch. */
  records: TrajectoryRecord[];
}

/** Where record i of a request came from (for errors). */
export function recordWhere(i: number): Where {
  return { source: "request body", at: `records[${i}]` };
}

/**
 * The validated inputs of a `POST /credit` request (see the module doc): `method` resolves the
 * method's name (its error is the 400's message), `limits` bound the body, and every long loop
 * awaits `slicer`'s pause.
 */
export async function readCreditRequest(
  req: Request,
  url: URL,
  opts: { method: (name: string) => Method<unknown>; limits: Limits; slicer: TimeSlicer },
): Promise<CreditInputs> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const arrow = type.startsWith(ARROW_STREAM_TYPE);
  if (!arrow && !/^application\/json\b/.test(type)) {
    throw new HttpError(
      415,
      `expected Content-Type application/json or ${ARROW_STREAM_TYPE}, got ${JSON.stringify(type)}`,
    );
  }
  const { slicer } = opts;
  const pause = () => slicer.pause();
  const bytes = await readBody(req, opts.limits, pause);
  const body = arrow ? await arrowRequest(bytes, url, pause) : await jsonRequest(bytes, slicer);
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
  if (body.config !== undefined && !isJsonObject(body.config)) {
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
  // validate.ts validateRecord of every record, then validate_batch.ts's checks, one by one
  const raw = body.records;
  const records: TrajectoryRecord[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    await pause();
    records[i] = validateRecord(raw[i], recordWhere(i));
  }
  const batch = new BatchChecker(records, recordWhere);
  for (let i = 0; i < records.length; i++) {
    await pause();
    batch.check(i);
  }
  return { arrow, method, config, seed, step, records };
}
