/**
 * `deno task serve --checkpoint PATH [--port N] [--host 127.0.0.1]`: serve a local checkpoint
 * over the OpenAI-compatible HTTP API (`/v1/completions`, `/v1/chat/completions`,
 * `/v1/models`, `/health`), so the endpoint client and the evaluation of endpoint policies
 * are always exercised against a real server (DESIGN.md section 6).
 *
 * Generation: the prompt is encoded with the checkpoint's word tokenizer (from
 * `extra.tokenizer`), with `<bos>` prepended unless the prompt already starts with it
 * (`addBos`, default true); tokens are sampled one at a time with the model's KV-cache
 * {@link Decoder} and `sampleToken` (temperature 0 = greedy argmax; seeded with the request's
 * `seed`, otherwise with a fork of the server's generator). Generation ends at `<eos>`
 * (`finish_reason: "stop"`, not in the text), when the generated tokens end with the tokens of
 * a stop sequence (`"stop"`, the stop sequence is NOT in the text, as OpenAI servers do; as
 * vLLM does, the choice's `stop_reason` names it, and is null for `<eos>` and `"length"`), at
 * `max_tokens` or the model's `maxSeqLen` (`"length"`). The text is the generated tokens
 * decoded (space-joined, no leading space): join it to the prompt with a space.
 *
 * Chat requests: the messages' contents are joined with "\n" into one prompt (roles are not
 * marked: the small policy has no chat template).
 *
 * `/v1/models` advertises how the model expects to be prompted, so `deno task eval --policy URL`
 * adopts it: `data[0].creditlab = { prompt_format: "short", entity_coding: "slots" | "words",
 * max_seq_len }` (the entity coding from the checkpoint's `extra.entityCoding`).
 *
 * Limits (options of {@link startServer}, flags of `deno task serve`): a body over
 * `maxBodyBytes` (4 MiB) gets 413; more than `maxPrompts` (256) prompts, `n` over 16, or
 * prompts x n x min(max_tokens, maxSeqLen) over `maxRequestTokens` (65,536) gets 400 naming
 * the limit; a request head must arrive within 10 s and its body within 30 s (408); other
 * methods get 405 with `Allow`. A large body is parsed in pieces and generation yields to the
 * event loop between tokens, every 10 ms, or every 2 ms while other requests are moving
 * (datasets' time_slicer.ts), so `/health` and small requests are answered while a large
 * request runs (p99 under 50 ms: `deno task bench server_latency`);
 * {@link RunningServer.close} aborts generations in flight (503) and returns promptly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, Rng, saveCheckpoint, Transformer } from "@creditlab/kernels";
 * import { WordTokenizer } from "@creditlab/agent";
 * import { join } from "node:path";
 * await initBackend();
 * // A checkpoint with its tokenizer in the metadata, as training writes it.
 * const tokenizer = WordTokenizer.build(["question : who ? tools : search answer bob"]);
 * const model = new Transformer({
 *   vocabSize: tokenizer.vocabSize,
 *   dModel: 16,
 *   nLayers: 1,
 *   nHeads: 2,
 *   nKvHeads: 1,
 *   ffnHidden: 32,
 *   maxSeqLen: 64,
 *   ropeTheta: 10000,
 *   normEps: 1e-6,
 *   tiedEmbeddings: true,
 * }, { rng: new Rng(1) });
 * const dir = await Deno.makeTempDir();
 * const checkpoint = join(dir, "final.safetensors");
 * await saveCheckpoint(checkpoint, model, { extra: { tokenizer: JSON.stringify(tokenizer.toJSON()) } });
 * model.dispose();
 * const server = await startServer({ checkpoint, port: 0 }); // any free port
 * console.log(server.url); // http://127.0.0.1:PORT
 * const models = await (await fetch(`${server.url}/v1/models`)).json();
 * assert.equal(models.data[0].id, "final");
 * await server.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

import { initBackend, Rng, type Transformer } from "@creditlab/kernels";
import type { WordTokenizer } from "@creditlab/agent";
import {
  guardedUrl,
  type HttpLimits,
  parseJsonSliced,
  readBody,
  resolveLimits,
  serveGuarded,
  TimeSlicer,
} from "@creditlab/datasets";
import { generateLocal, loadServedModel, type LocalGeneration } from "./generate.ts";
import {
  apiError,
  BadRequest,
  intParam,
  messagesParam,
  numParam,
  promptParam,
  stopParam,
} from "./request_params.ts";

/** Where the served model comes from. */
export type ServeSource =
  | { checkpoint: string }
  | { model: Transformer; tokenizer: WordTokenizer };

/** How a served model expects its prompts (advertised in `/v1/models` as `creditlab`). */
export interface ServedProtocol {
  /** The prompt template: our policies are trained on the short prompt. */
  promptFormat: "short" | "search-r1";
  /** SearchWorld entity coding the policy was trained with. */
  entityCoding: "slots" | "words";
}

/** Options of {@link startServer}. */
export interface ServeOptions extends HttpLimits {
  /** Port (default 8000; 0 = any free port). */
  port?: number;
  /** Host to bind (default 127.0.0.1). */
  host?: string;
  /** The model id reported by `/v1/models` and in replies (default: the checkpoint file name, or "local"). */
  modelName?: string;
  /** Seed of the generator used for requests without a `seed` (default 0). */
  seed?: number;
  /** Prepend `<bos>` to prompts that do not start with it (default true). */
  addBos?: boolean;
  /** Most prompts in one request (default 256). */
  maxPrompts?: number;
  /** Most tokens one request may ask for: prompts x n x min(max_tokens, maxSeqLen) (default 65,536). */
  maxRequestTokens?: number;
  /**
   * Advertised prompt format and entity coding (default: short, and the checkpoint's
   * `extra.entityCoding`, else "words").
   */
  protocol?: Partial<ServedProtocol>;
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port` (the API is under `/v1`). */
  url: string;
  port: number;
  modelName: string;
  /** Requests answered so far, by outcome. */
  stats(): { requests: number; errors: number; completionTokens: number };
  /** What `/v1/models` advertises. */
  protocol: ServedProtocol;
  /**
   * Stop the server: generations in flight are aborted (answered 503), then the server
   * shuts down (and disposes the model if it was loaded from a checkpoint).
   */
  close(): Promise<void>;
}
/**
 * Start the OpenAI-compatible server. Resolves once it listens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, Rng, Transformer } from "@creditlab/kernels";
 * import { WordTokenizer } from "@creditlab/agent";
 * import { EndpointPolicy } from "./endpoint.ts";
 * await initBackend();
 * const tokenizer = WordTokenizer.build(["question : who ? tools : search answer bob"]);
 * const model = new Transformer({
 *   vocabSize: tokenizer.vocabSize,
 *   dModel: 16,
 *   nLayers: 1,
 *   nHeads: 2,
 *   nKvHeads: 1,
 *   ffnHidden: 32,
 *   maxSeqLen: 64,
 *   ropeTheta: 10000,
 *   normEps: 1e-6,
 *   tiedEmbeddings: true,
 * }, { rng: new Rng(1) });
 * const s = await startServer({ model, tokenizer, port: 0 });
 * const policy = new EndpointPolicy({ baseUrl: s.url });
 * const [c] = await policy.generateCompletions(["question : who ?"], { maxTokens: 4, temperature: 0 });
 * assert.ok(c!.finishReason === "stop" || c!.finishReason === "length");
 * await s.close();
 * model.dispose();
 * ```
 */
export async function startServer(opts: ServeSource & ServeOptions): Promise<RunningServer> {
  await initBackend();
  const owned = "checkpoint" in opts;
  const { model, tokenizer, extra } = owned
    ? await loadServedModel(opts.checkpoint)
    : { ...opts, extra: {} as Record<string, string> };
  const modelName = opts.modelName ??
    (owned ? opts.checkpoint.split(/[\\/]/).pop()!.replace(/\.safetensors$/, "") : "local");
  const addBos = opts.addBos ?? true;
  const limits = resolveLimits(opts, "startServer");
  const maxPrompts = opts.maxPrompts ?? 256;
  const maxRequestTokens = opts.maxRequestTokens ?? 65_536;
  for (const [name, v] of Object.entries({ maxPrompts, maxRequestTokens })) {
    if (!Number.isInteger(v) || v < 1) {
      if (owned) model.dispose();
      throw new RangeError(`startServer: ${name} must be a positive integer, got ${v}`);
    }
  }
  const coding = opts.protocol?.entityCoding ?? extra["entityCoding"] ?? "words";
  if (coding !== "slots" && coding !== "words") {
    if (owned) model.dispose();
    throw new Error(
      `startServer: entity coding must be slots or words, got ${JSON.stringify(coding)}`,
    );
  }
  const protocol: ServedProtocol = {
    promptFormat: opts.protocol?.promptFormat ?? "short",
    entityCoding: coding,
  };
  const maxSeqLen = model.config.maxSeqLen;
  const serverRng = new Rng(opts.seed ?? 0);
  const counts = { requests: 0, errors: 0, completionTokens: 0 };
  const stopping = new AbortController();
  let nextId = 0;

  const generateChoices = async (prompts: string[], body: Record<string, unknown>) => {
    const maxTokens = intParam(body.max_tokens ?? body.max_completion_tokens, "max_tokens", 16, 1);
    const temperature = numParam(body.temperature, "temperature", 1, 0, 100);
    const topP = numParam(body.top_p, "top_p", 1, Number.MIN_VALUE, 1);
    const n = intParam(body.n, "n", 1, 1);
    if (n > 16) throw new BadRequest(`n must be at most 16, got ${n}`, "n");
    if (prompts.length > maxPrompts) {
      throw new BadRequest(
        `${prompts.length} prompts, at most ${maxPrompts} per request (--max-prompts)`,
        "prompt",
      );
    }
    const work = prompts.length * n * Math.min(maxTokens, maxSeqLen);
    if (work > maxRequestTokens) {
      throw new BadRequest(
        `${prompts.length} prompts x n ${n} x max_tokens ${
          Math.min(maxTokens, maxSeqLen)
        } = ${work} tokens, at most ${maxRequestTokens} per request (--max-request-tokens)`,
        "max_tokens",
      );
    }
    const seed = body.seed === undefined || body.seed === null
      ? undefined
      : intParam(body.seed, "seed", 0, -(2 ** 31));
    const stop = stopParam(body.stop);
    if (body.stream === true) {
      throw new BadRequest("streaming is not supported by this server", "stream");
    }
    const rng = seed === undefined ? serverRng.fork() : new Rng(seed);
    const slicer = new TimeSlicer({ signal: stopping.signal });
    const choices: (LocalGeneration & { index: number })[] = [];
    for (const prompt of prompts) {
      for (let k = 0; k < n; k++) {
        const g = await generateLocal(model, tokenizer, prompt, {
          maxTokens,
          temperature,
          topP,
          rng,
          stop,
          addBos,
          slicer,
        });
        choices.push({ ...g, index: choices.length });
      }
    }
    return choices;
  };

  const usage = (choices: LocalGeneration[]) => {
    const prompt = choices.reduce((a, c) => a + c.promptTokens, 0);
    const completion = choices.reduce((a, c) => a + c.completionTokens, 0);
    counts.completionTokens += completion;
    return {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    };
  };

  const handle = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname.replace(/\/+$/, "");
    const getOnly = (res: () => Response) =>
      req.method === "GET" || req.method === "HEAD"
        ? res()
        : notAllowed(`${path || "/"} accepts GET, got ${req.method}`, "GET, HEAD");
    if (path === "/health" || path === "") return getOnly(() => Response.json({ status: "ok" }));
    if (path === "/v1/models") {
      return getOnly(() =>
        Response.json({
          object: "list",
          data: [{
            id: modelName,
            object: "model",
            owned_by: "creditlab",
            creditlab: {
              prompt_format: protocol.promptFormat,
              entity_coding: protocol.entityCoding,
              max_seq_len: maxSeqLen,
            },
          }],
        })
      );
    }
    const isCompletions = path === "/v1/completions";
    const isChat = path === "/v1/chat/completions";
    if (!isCompletions && !isChat) return apiError(404, `no route ${req.method} ${path}`, null);
    if (req.method !== "POST") return notAllowed(`${path} accepts POST, got ${req.method}`, "POST");
    const read = await readBody(req, limits);
    if (!read.ok) return apiError(read.status, read.message, null);
    let body: Record<string, unknown>;
    try {
      // a large body is parsed in slices (sliced_json.ts), as generation runs
      const slicer = new TimeSlicer({ signal: stopping.signal });
      const parsed: unknown = await parseJsonSliced(read.text, { slicer });
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new BadRequest("the request body must be a JSON object");
      }
      body = parsed as Record<string, unknown>;
    } catch (e) {
      if (stopping.signal.aborted) throw e;
      return apiError(
        400,
        e instanceof BadRequest
          ? e.message
          : `the request body is not valid JSON: ${(e as Error).message}`,
        null,
      );
    }
    const created = Math.floor(Date.now() / 1000);
    /** The OpenAI response around generated choices; `fields` gives a choice's own fields. */
    type Choice = Awaited<ReturnType<typeof generateChoices>>[number];
    const respond = (
      kind: { idPrefix: string; object: string },
      choices: Choice[],
      fields: (c: Choice) => Record<string, unknown>,
    ) =>
      Response.json({
        id: `${kind.idPrefix}-${nextId++}`,
        object: kind.object,
        created,
        model: modelName,
        choices: choices.map((c) => ({
          index: c.index,
          ...fields(c),
          finish_reason: c.finishReason,
          stop_reason: c.stopReason,
        })),
        usage: usage(choices),
      });
    if (isCompletions) {
      const prompts = promptParam(body.prompt);
      return respond(
        { idPrefix: "cmpl", object: "text_completion" },
        await generateChoices(prompts, body),
        (c) => ({ text: c.text, logprobs: null }),
      );
    }
    const prompt = messagesParam(body.messages);
    return respond(
      { idPrefix: "chatcmpl", object: "chat.completion" },
      await generateChoices([prompt], body),
      (c) => ({ message: { role: "assistant", content: c.text } }),
    );
  };

  const server = serveGuarded(
    async (req) => {
      counts.requests++;
      try {
        const res = await handle(req);
        if (!res.ok) counts.errors++;
        return res;
      } catch (e) {
        counts.errors++;
        if (e instanceof BadRequest) return apiError(400, e.message, e.param);
        if (stopping.signal.aborted) {
          return apiError(503, "the server is shutting down", null, "server_error");
        }
        return apiError(500, `generation failed: ${(e as Error).message}`, null, "server_error");
      }
    },
    { ...limits, hostname: opts.host ?? "127.0.0.1", port: opts.port ?? 8000 },
  );
  let closed = false;
  return {
    url: guardedUrl(server),
    port: server.port,
    modelName,
    protocol,
    stats: () => ({ ...counts }),
    async close() {
      if (closed) return;
      closed = true;
      stopping.abort(new Error("the server is shutting down"));
      await server.shutdown();
      if (owned) model.dispose();
    },
  };
}

function notAllowed(message: string, allow: string): Response {
  const res = apiError(405, message, null);
  res.headers.set("allow", allow);
  return res;
}
