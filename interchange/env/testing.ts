/**
 * Test helpers of the environment service: a real server on 127.0.0.1 port 0
 * ({@link withEnvServer}), JSON requests ({@link postJson}), and a minimal OpenAI-compatible chat
 * server that records what it was asked ({@link startChatStub}).
 *
 * @module
 */
import { serveEnv, type ServeEnvOptions } from "./server.ts";

/**
 * Run `fn` against a real environment server on 127.0.0.1 (a free port), then shut it down.
 *
 * @example
 * ```ts
 * await withEnvServer({ sources: [] }, async (url) => {
 *   await (await fetch(`${url}/health`)).body?.cancel();
 * });
 * ```
 */
export async function withEnvServer(
  opts: Omit<ServeEnvOptions, "port" | "host">,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = serveEnv({ ...opts, port: 0 });
  try {
    await fn(server.url);
  } finally {
    await server.shutdown();
  }
}

/** A JSON answer: its status and parsed body. */
export interface JsonAnswer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/**
 * POST `body` (serialised unless a string) to `url + path`; the status and the JSON answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * await withEnvServer({ sources: [] }, async (url) => {
 *   const { status } = await postJson(url, "/reward", { answers: ["a"], answer: "a" });
 *   assert.equal(status, 200);
 * });
 * ```
 */
export async function postJson(url: string, path: string, body: unknown): Promise<JsonAnswer> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A request the chat stub received. */
export interface StubRequest {
  path: string;
  model: unknown;
  messages: { role: string; content: string }[];
}

/** A running chat stub. */
export interface ChatStub {
  /** Base URL (`/v1/chat/completions` beneath it). */
  url: string;
  /** Every request received, in order. */
  requests: StubRequest[];
  close(): Promise<void>;
}

/**
 * A minimal OpenAI-compatible chat server on 127.0.0.1: every `POST /v1/chat/completions`
 * is recorded and answered `{"choices": [{"message": {"role": "assistant", "content":
 * reply(messages)}, "finish_reason": "stop"}]}`; with `status`, every request gets that
 * status instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const stub = startChatStub({ reply: () => "hi" });
 * const res = await fetch(`${stub.url}/v1/chat/completions`, {
 *   method: "POST",
 *   body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }),
 * });
 * assert.equal((await res.json()).choices[0].message.content, "hi");
 * assert.equal(stub.requests.length, 1);
 * await stub.close();
 * ```
 */
export function startChatStub(
  opts: { reply: (messages: StubRequest["messages"]) => string; status?: number },
): ChatStub {
  const requests: StubRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = await req.json().catch(() => ({}));
    requests.push({ path, model: body.model, messages: body.messages ?? [] });
    if (opts.status !== undefined) {
      return Response.json({ error: { message: "stub failure" } }, { status: opts.status });
    }
    if (path !== "/v1/chat/completions") {
      return Response.json({ error: "no route" }, { status: 404 });
    }
    return Response.json({
      choices: [{
        index: 0,
        message: { role: "assistant", content: opts.reply(body.messages ?? []) },
        finish_reason: "stop",
      }],
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    close: () => server.shutdown(),
  };
}
