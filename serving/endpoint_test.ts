/**
 * EndpointPolicy against real HTTP servers on 127.0.0.1 that misbehave on purpose
 * (5xx, sleeping, malformed JSON, closed port). The round trip against our own
 * `serve` of a real checkpoint is in serve_test.ts.
 */
import assert from "node:assert/strict";
import { STOP_TAGS } from "@creditlab/agent";
import { endedOnEos, turnText } from "./completion.ts";
import { EndpointError, EndpointPolicy, type EndpointStats } from "./endpoint.ts";

type Handler = (req: Request, body: Record<string, unknown>) => Response | Promise<Response>;

async function withServer(handler: Handler, fn: (url: string) => Promise<void>): Promise<void> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => handler(req, await req.json().catch(() => ({}))),
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

const ok = (text: string, finish = "stop") =>
  Response.json({
    id: "x",
    object: "text_completion",
    choices: [{ index: 0, text, finish_reason: finish }],
  });

const fast = { retries: 3, backoffMs: 1, maxBackoffMs: 4 };

/** The client's counters: those given, every other one 0. */
const counters = (nonZero: Partial<EndpointStats>): EndpointStats => ({
  requests: 0,
  succeeded: 0,
  failures: 0,
  retries: 0,
  timeouts: 0,
  ...nonZero,
});
const sampling = { temperature: 0, maxTokens: 8 };

Deno.test("retries 5xx with backoff, then succeeds", async () => {
  let calls = 0;
  await withServer(
    () => ++calls <= 2 ? new Response("busy", { status: 503 }) : ok("hello"),
    async (url) => {
      const p = new EndpointPolicy({ baseUrl: url, ...fast });
      const c = await p.completion("hi", sampling);
      assert.deepEqual(c, { text: "hello", finishReason: "stop", stopReason: undefined });
      assert.equal(calls, 3);
      assert.deepEqual(p.stats(), counters({ requests: 3, succeeded: 1, retries: 2 }));
    },
  );
});

Deno.test("5xx after all retries: error names URL, status and body", async () => {
  await withServer(() => new Response("model crashed", { status: 500 }), async (url) => {
    const p = new EndpointPolicy({ baseUrl: `${url}/v1/`, ...fast, retries: 2 });
    const err = await p.completion("hi", sampling).then(() => null, (e) => e);
    assert.ok(err instanceof EndpointError);
    assert.equal(err.kind, "http");
    assert.equal(err.status, 500);
    assert.equal(err.attempts, 3);
    assert.equal(err.url, `${url}/v1/completions`);
    assert.match(
      err.message,
      new RegExp(`POST ${url}/v1/completions: HTTP 500 \\(3 attempts\\): model crashed`),
    );
    assert.deepEqual(p.stats(), counters({ requests: 3, failures: 1, retries: 2 }));
  });
});

Deno.test("4xx is not retried", async () => {
  let calls = 0;
  await withServer(() => {
    calls++;
    return Response.json({ error: "bad max_tokens" }, { status: 400 });
  }, async (url) => {
    const p = new EndpointPolicy({ baseUrl: url, ...fast });
    await assert.rejects(p.completion("hi", sampling), (e: EndpointError) => {
      assert.equal(e.kind, "http");
      assert.equal(e.status, 400);
      assert.match(e.message, /HTTP 400 \(1 attempt\): \{"error":"bad max_tokens"\}/);
      return true;
    });
    assert.equal(calls, 1);
  });
});

Deno.test("a sleeping server times out, is retried, then a clear timeout error", async () => {
  let calls = 0;
  const gate = Promise.withResolvers<void>();
  await withServer(async () => {
    calls++;
    await gate.promise; // sleep until the test has seen the client give up
    return ok("late");
  }, async (url) => {
    using _release = { [Symbol.dispose]: () => gate.resolve() };
    const p = new EndpointPolicy({ baseUrl: url, timeoutMs: 50, retries: 1, backoffMs: 1 });
    await assert.rejects(p.completion("hi", sampling), (e: EndpointError) => {
      assert.equal(e.kind, "timeout");
      assert.equal(e.attempts, 2);
      assert.match(e.message, /completions: timed out after 50 ms \(2 attempts\)/);
      return true;
    });
    assert.equal(calls, 2);
    assert.equal(p.stats().timeouts, 2);
  });
});

Deno.test("slow once then fast: the timeout is retried and succeeds", async () => {
  let calls = 0;
  const gate = Promise.withResolvers<void>();
  await withServer(async () => {
    if (++calls === 1) await gate.promise;
    return ok("fine");
  }, async (url) => {
    using _release = { [Symbol.dispose]: () => gate.resolve() };
    const p = new EndpointPolicy({ baseUrl: url, timeoutMs: 100, retries: 2, backoffMs: 1 });
    assert.equal((await p.completion("hi", sampling)).text, "fine");
    assert.deepEqual(p.stats(), counters({ requests: 2, succeeded: 1, retries: 1, timeouts: 1 }));
  });
});

Deno.test("malformed JSON and wrong shapes are retried, then clear errors", async () => {
  let calls = 0;
  await withServer((req) => {
    calls++;
    const path = new URL(req.url).pathname;
    if (path === "/v1/completions") {
      return new Response('{"choices": [{"text": "trunc', {
        headers: { "content-type": "application/json" },
      });
    }
    return Response.json({ choices: [{ message: { role: "assistant" } }] });
  }, async (url) => {
    const p = new EndpointPolicy({ baseUrl: url, ...fast });
    await assert.rejects(p.completion("hi", sampling), (e: EndpointError) => {
      assert.equal(e.kind, "malformed");
      assert.equal(e.attempts, 4);
      assert.match(
        e.message,
        /\/v1\/completions: HTTP 200 reply is malformed \(4 attempts\): not JSON .*\{"choices": \[\{"text": "trunc/,
      );
      return true;
    });
    await assert.rejects(
      p.complete([{ role: "user", content: "hi" }], sampling),
      (e: EndpointError) => {
        assert.equal(e.kind, "malformed");
        assert.match(
          e.message,
          /chat\/completions: HTTP 200 reply is malformed \(4 attempts\): choices\[0\]\.message\.content is missing/,
        );
        return true;
      },
    );
    assert.equal(calls, 8);
    assert.equal(p.stats().failures, 2);
  });
  await withServer(() => Response.json({ object: "error" }), async (url) => {
    const p = new EndpointPolicy({ baseUrl: url, ...fast });
    await assert.rejects(
      p.completion("hi", sampling),
      /malformed \(4 attempts\): no choices \(got \{"object":"error"\}\)/,
    );
  });
  // a flaky server: one reply without choices, one truncated, then a good one
  let n = 0;
  await withServer(
    () =>
      ++n === 1
        ? Response.json({ object: "error" })
        : n === 2
        ? new Response('{"choices": [')
        : ok("fine"),
    async (url) => {
      const p = new EndpointPolicy({ baseUrl: url, ...fast });
      assert.equal((await p.completion("hi", sampling)).text, "fine");
      assert.deepEqual(p.stats(), counters({ requests: 3, succeeded: 1, retries: 2 }));
    },
  );
});

Deno.test("unreachable server: retried, then an error naming the URL", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => ok("x"));
  const port = server.addr.port;
  await server.shutdown();
  const p = new EndpointPolicy({ baseUrl: `http://127.0.0.1:${port}`, retries: 2, backoffMs: 1 });
  await assert.rejects(p.completion("hi", sampling), (e: EndpointError) => {
    assert.equal(e.kind, "unreachable");
    assert.equal(e.attempts, 3);
    assert.match(
      e.message,
      new RegExp(`POST http://127.0.0.1:${port}/v1/completions: server unreachable`),
    );
    return true;
  });
  assert.equal(p.stats().requests, 3);
});

Deno.test("request bodies: sampling fields, seeds per prompt, auth, order kept, stop tag restored", async () => {
  const seen: Record<string, unknown>[] = [];
  let auth: string | null = null;
  await withServer((req, body) => {
    seen.push(body);
    auth = req.headers.get("authorization");
    const prompt = String(body.prompt);
    // echo: stop before the closing tag like a real server, or run out of tokens
    return prompt === "long" ? ok("<think> still", "length") : ok(`<search> ${prompt}`);
  }, async (url) => {
    const p = new EndpointPolicy({ baseUrl: url, model: "tiny", apiKey: "k", concurrency: 2 });
    const out = await p.generate(["a", "b", "long", "c"], {
      stop: STOP_TAGS,
      maxTokens: 5,
      temperature: 0.7,
      topP: 0.9,
      seed: 10,
    });
    assert.deepEqual(out, [
      "<search> a </search>",
      "<search> b </search>",
      "<think> still",
      "<search> c </search>",
    ]);
    assert.equal(auth, "Bearer k");
    const byPrompt = new Map(seen.map((b) => [b.prompt, b]));
    assert.deepEqual(byPrompt.get("b"), {
      model: "tiny",
      max_tokens: 5,
      temperature: 0.7,
      n: 1,
      stop: ["</search>", "</answer>", "</feedback>"],
      top_p: 0.9,
      seed: 11,
      prompt: "b",
    });
    assert.equal(byPrompt.get("c")?.seed, 13);
    const raw = await p.generate(["z"], {
      stop: STOP_TAGS,
      maxTokens: 5,
      temperature: 0,
      restoreStop: false,
    });
    assert.deepEqual(raw, ["<search> z"]);
    assert.equal(seen.at(-1)?.seed, undefined);
  });
});

Deno.test("chat API: messages sent, content returned; generate with api chat", async () => {
  const seen: Record<string, unknown>[] = [];
  await withServer((_req, body) => {
    seen.push(body);
    const msgs = body.messages as { content: string }[];
    return Response.json({
      choices: [{
        index: 0,
        message: { role: "assistant", content: `re: ${msgs.at(-1)!.content}` },
        finish_reason: "stop",
      }],
    });
  }, async (url) => {
    const p = new EndpointPolicy({ baseUrl: url, api: "chat" });
    const text = await p.complete([{ role: "system", content: "judge" }, {
      role: "user",
      content: "q",
    }], {
      temperature: 0,
      maxTokens: 4,
    });
    assert.equal(text, "re: q");
    assert.deepEqual(seen[0]?.messages, [{ role: "system", content: "judge" }, {
      role: "user",
      content: "q",
    }]);
    assert.equal(seen[0]?.stop, undefined);
    assert.deepEqual(await p.generate(["x"], { maxTokens: 4, temperature: 0 }), ["re: x"]);
  });
});

Deno.test("concurrency is bounded", async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  await withServer(async (_req, body) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 15));
    inFlight--;
    return ok(String(body.prompt));
  }, async (url) => {
    const p = new EndpointPolicy({ baseUrl: url, concurrency: 3 });
    const prompts = Array.from({ length: 10 }, (_, i) => `p${i}`);
    assert.deepEqual(await p.generate(prompts, { maxTokens: 1, temperature: 0 }), prompts);
    assert.ok(maxInFlight <= 3, `max in flight ${maxInFlight}`);
    assert.ok(maxInFlight >= 1);
    assert.equal(p.stats().requests, 10);
  });
});

Deno.test("bad options are rejected with the field name", () => {
  assert.throws(() => new EndpointPolicy({ baseUrl: "nope" }), /baseUrl "nope" is not a URL/);
  assert.throws(() => new EndpointPolicy({ baseUrl: "ftp://x" }), /http\(s\)/);
  assert.throws(() => new EndpointPolicy({ baseUrl: "http://x", concurrency: 0 }), /concurrency/);
  assert.throws(() => new EndpointPolicy({ baseUrl: "http://x", retries: -1 }), /retries/);
  const p = new EndpointPolicy({ baseUrl: "http://127.0.0.1:1/v1" });
  assert.equal(p.baseUrl, "http://127.0.0.1:1");
});

Deno.test("stop_reason (vLLM) restores the exact stop string; null means EOS, nothing restored", async () => {
  const replies: Record<string, Record<string, unknown>> = {
    tag: { text: "<search> q", finish_reason: "stop", stop_reason: "</search>" },
    eos: { text: "<search> q", finish_reason: "stop", stop_reason: null },
    tokenId: { text: "<answer> a", finish_reason: "stop", stop_reason: 151643 },
    other: { text: "<answer> a", finish_reason: "stop", stop_reason: "\n\n" },
    length: { text: "<answer> a", finish_reason: "length", stop_reason: null },
    unreported: { text: "<answer> a", finish_reason: "stop" },
  };
  await withServer(
    (_req, body) => Response.json({ choices: [{ index: 0, ...replies[String(body.prompt)] }] }),
    async (url) => {
      const p = new EndpointPolicy({ baseUrl: url });
      const names = Object.keys(replies);
      const out = await p.generate(names, { stop: STOP_TAGS, maxTokens: 4, temperature: 0 });
      assert.deepEqual(Object.fromEntries(names.map((n, i) => [n, out[i]])), {
        tag: "<search> q</search>",
        eos: "<search> q",
        tokenId: "<answer> a",
        other: "<answer> a",
        length: "<answer> a",
        unreported: "<answer> a </answer>",
      });
      const cs = await p.generateCompletions(["eos", "tag", "unreported"], {
        maxTokens: 4,
        temperature: 0,
      });
      assert.deepEqual(cs.map(endedOnEos), [true, false, false]);
      assert.deepEqual(cs[1], {
        text: "<search> q",
        finishReason: "stop",
        stopReason: "</search>",
      });
      assert.equal(turnText(cs[1]!, ["</answer>"]), "<search> q");
    },
  );
});
