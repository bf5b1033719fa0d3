import assert from "node:assert/strict";
import { Bm25Index } from "./bm25.ts";
import { parseRetrieveResponse, RetrieverClient, RetrieverError } from "./client.ts";
import { retrieveHandler, serveRetriever } from "./server.ts";
import type { Doc } from "@creditlab/core";

const DOCS: Doc[] = [
  {
    id: "d0",
    title: "Lilu (mythology)",
    text: "Lilu is a masculine Akkadian word for a spirit or demon.",
  },
  {
    id: "d1",
    title: "Gallu",
    text: "In Mesopotamian religion, gallu were demons of the underworld.",
  },
  { id: "d2", title: "Alû", text: "Alû is a demon of Babylonian mythology." },
  { id: "d3", title: "Evan Morris", text: "Evan L. Morris was a lobbyist for Genentech." },
];

async function post(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}/retrieve`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

Deno.test("server: Search-R1 /retrieve response shape, with and without scores", async () => {
  const index = Bm25Index.build(DOCS);
  const server = serveRetriever(index, { port: 0 });
  try {
    const withScores = await post(server.url, {
      queries: ["demon underworld", "lobbyist"],
      topk: 2,
      return_scores: true,
    });
    assert.equal(withScores.status, 200);
    const top = index.search("demon underworld", 2);
    assert.deepEqual(withScores.json, {
      result: [
        top.map((p) => ({
          document: { id: p.id, contents: `"${p.title}"\n${p.text}` },
          score: p.score,
        })),
        [{
          document: {
            id: "d3",
            contents: '"Evan Morris"\nEvan L. Morris was a lobbyist for Genentech.',
          },
          score: index.search("lobbyist", 1)[0]!.score,
        }],
      ],
    });
    const noScores = await post(server.url, { queries: ["lobbyist"], topk: 1 });
    assert.deepEqual(noScores.json, {
      result: [[{
        id: "d3",
        contents: '"Evan Morris"\nEvan L. Morris was a lobbyist for Genentech.',
      }]],
    });
    // topk 0 / missing means the server default (3).
    const dflt = await post(server.url, {
      queries: ["demon demons"],
      topk: 0,
      return_scores: true,
    });
    assert.equal((dflt.json as { result: unknown[][] }).result[0]!.length, 3);
  } finally {
    await server.shutdown();
  }
});

Deno.test("server: bad requests get 422/404/405 naming the field", async () => {
  const server = serveRetriever(Bm25Index.build(DOCS), { port: 0 });
  try {
    const cases: [unknown, RegExp][] = [
      ["not json", /body: malformed JSON/],
      [[1], /body: expected an object/],
      [{ topk: 3 }, /body\.queries: expected a list of strings, got undefined/],
      [{ queries: ["a", 3] }, /body\.queries\[1\]: expected a string, got number/],
      [{ queries: ["a"], topk: -1 }, /body\.topk: expected an integer/],
      [{ queries: ["a"], topk: 2.5 }, /body\.topk/],
      [{ queries: ["a"], return_scores: "yes" }, /body\.return_scores: expected a boolean/],
    ];
    for (const [body, re] of cases) {
      const r = await post(server.url, body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.match((r.json as { detail: string }).detail, re);
    }
    const notFound = await fetch(`${server.url}/search`, { method: "POST", body: "{}" });
    assert.equal(notFound.status, 404);
    await notFound.body?.cancel();
    const get = await fetch(`${server.url}/retrieve`);
    assert.equal(get.status, 405);
    await get.body?.cancel();
  } finally {
    await server.shutdown();
  }
});

Deno.test("client: round trip through our server equals the index, batched into one request", async () => {
  const index = Bm25Index.build(DOCS);
  let requests = 0;
  const handler = retrieveHandler(index);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    requests++;
    return handler(req);
  });
  try {
    const client = new RetrieverClient(`http://127.0.0.1:${server.addr.port}`, { timeoutMs: 5000 });
    assert.equal(client.url, `http://127.0.0.1:${server.addr.port}/retrieve`);
    const queries = [
      "demon",
      "lilu akkadian",
      "genentech",
      "nothing matches zzz",
      "alu babylonian",
    ];
    const got = await Promise.all(queries.map((q) => client.search(q, 3)));
    assert.equal(requests, 1);
    assert.deepEqual(got, queries.map((q) => index.search(q, 3)));
    // Different k in the same tick: one request per k.
    await Promise.all([client.search("demon", 1), client.search("demon", 2)]);
    assert.equal(requests, 3);
    assert.deepEqual(await client.searchBatch(["gallu"], 1), [index.search("gallu", 1)]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("client: unreachable server, 5xx with retries, 4xx, malformed JSON, timeout", async () => {
  // Unreachable: a port that was just freed.
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const dead = new RetrieverClient(`http://127.0.0.1:${deadPort}`, { retries: 1, retryDelayMs: 1 });
  await assert.rejects(
    dead.search("x", 3),
    (e) =>
      e instanceof RetrieverError &&
      /failed after 2 attempt\(s\): server unreachable/.test(e.message),
  );

  let calls = 0;
  let release: () => void = () => {};
  const hang = new Promise<void>((r) => (release = r));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    await req.body?.cancel();
    calls++;
    if (path === "/flaky/retrieve" && calls % 2 === 1) {
      return new Response("overloaded", { status: 503 });
    }
    if (path === "/flaky/retrieve") {
      return Response.json({
        result: [[{ document: { id: 1, contents: '"T"\nbody' }, score: "2.5" }]],
      });
    }
    if (path === "/500/retrieve") return new Response("boom", { status: 500 });
    if (path === "/400/retrieve") return new Response("bad", { status: 400 });
    if (path === "/garbage/retrieve") return new Response("<html>not json", { status: 200 });
    if (path === "/shape/retrieve") {
      return Response.json({ result: [[{ document: { contents: 5 }, score: 1 }]] });
    }
    if (path === "/slow/retrieve") await hang;
    return Response.json({ result: [[]] });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    calls = 0;
    const flaky = new RetrieverClient(`${base}/flaky`, { retries: 1, retryDelayMs: 1 });
    assert.deepEqual(await flaky.search("q", 1), [{
      id: "1",
      title: "T",
      text: "body",
      score: 2.5,
    }]);
    assert.equal(calls, 2);
    calls = 0;
    const five = new RetrieverClient(`${base}/500`, { retries: 2, retryDelayMs: 1 });
    await assert.rejects(
      five.search("q", 1),
      (e) =>
        e instanceof RetrieverError && e.status === 500 &&
        /failed after 3 attempt\(s\): HTTP 500: boom/.test(e.message),
    );
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      new RetrieverClient(`${base}/400`, { retries: 3 }).search("q", 1),
      /HTTP 400: bad/,
    );
    assert.equal(calls, 1);
    await assert.rejects(
      new RetrieverClient(`${base}/garbage`).search("q", 1),
      /malformed JSON in the response/,
    );
    await assert.rejects(
      new RetrieverClient(`${base}/shape`).search("q", 1),
      /response\.result\[0\]\[0\]\.document\.contents: expected a string, got number/,
    );
    await assert.rejects(
      new RetrieverClient(`${base}/slow`, { timeoutMs: 50, retries: 0 }).search("q", 1),
      /timed out after 50 ms/,
    );
  } finally {
    release();
    await server.shutdown();
  }
});

Deno.test("client: argument and response validation", () => {
  assert.throws(() => new RetrieverClient("not a url"), /absolute http\(s\) URL/);
  assert.throws(() => new RetrieverClient("ftp://x"), /must be http/);
  assert.throws(() => new RetrieverClient("http://x", { retries: -1 }), /retries/);
  assert.throws(() => parseRetrieveResponse({ result: [] }, 1, "u"), /has 0 lists for 1 queries/);
  assert.throws(
    () => parseRetrieveResponse({ res: [] }, 1, "u"),
    /response\.result: expected a list/,
  );
  assert.throws(
    () =>
      parseRetrieveResponse({ result: [[{ document: { contents: "a" }, score: null }]] }, 1, "u"),
    /\.score: expected a number/,
  );
  // A doc without scores (return_scores false) and a title/text document are accepted.
  assert.deepEqual(
    parseRetrieveResponse({ result: [[{ id: "7", title: "A", text: "b" }]] }, 1, "u"),
    [[{ id: "7", title: "A", text: "b", score: Number.NaN }]],
  );
});

Deno.test("client: search rejects bad k", async () => {
  const c = new RetrieverClient("http://127.0.0.1:9");
  await assert.rejects(c.search("q", 0), /k must be an integer >= 1/);
});
