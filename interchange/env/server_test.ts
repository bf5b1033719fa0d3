/**
 * The environment server itself, over real HTTP on 127.0.0.1: `/health` and `/v1/info`,
 * routing errors, the body limit (413, declared or streamed), the item limit (422), small
 * requests answered while a large one runs, and the `serve-env` verb as a subprocess.
 */
import assert from "node:assert/strict";
import { spawnServer } from "@creditlab/serving/testing";
import { MAIN, runMain } from "../cli_testing.ts";
import { loadBenchmarkSources } from "./benchmark_source.ts";
import { loadWorldSource } from "./searchworld_source.ts";
import { postJson, withEnvServer } from "./testing.ts";

Deno.test("serve-env: /health, /v1/info and routing errors", async () => {
  const sources = [
    loadWorldSource("searchworld:easy"),
    ...await loadBenchmarkSources(["bamboogle"]),
  ];
  await withEnvServer({ sources, maxItems: 5 }, async (url) => {
    const health = await fetch(`${url}/health`);
    assert.deepEqual(await health.json(), { status: "ok" });
    assert.equal(health.headers.get("connection"), "close");
    const info = await (await fetch(`${url}/v1/info`)).json();
    assert.deepEqual(
      info.sources.map((
        s: Record<string, unknown>,
      ) => [s.data_source, s.kind, s.verifier, s.judge]),
      [
        ["searchworld", "searchworld", "searchworld-oracle", "searchworld-oracle"],
        ["bamboogle", "benchmark", "correctness-only", null],
      ],
    );
    assert.equal(info.sources[0].seed, 7);
    assert.equal(info.sources[0].preset, "easy");
    assert.deepEqual(info.sources[1].questions, { test: 125 });
    assert.equal(info.llm, null);
    assert.match(info.enable_llm, /--judge-endpoint/);
    assert.equal(info.limits.max_items, 5);
    assert.equal(info.limits.max_body_bytes, 4 * 1024 * 1024);

    const nf = await fetch(`${url}/retrieve`, { method: "POST", body: "{}" });
    assert.equal(nf.status, 404);
    assert.match((await nf.json()).error, /routes: GET \/health/);
    const get = await fetch(`${url}/verify`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    await get.body?.cancel();
    const post = await fetch(`${url}/health`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();

    const many = await postJson(url, "/reward", {
      items: Array.from({ length: 6 }, () => ({ answers: ["a"], answer: "a" })),
    });
    assert.equal(many.status, 422);
    assert.equal(many.body.field, "items");
    assert.match(many.body.error, /at most 5 \(--max-items\)/);
  });
});

Deno.test("serve-env: bodies over the limit get 413, declared or streamed", async () => {
  await withEnvServer({ sources: [], maxBodyBytes: 1000 }, async (url) => {
    const body = JSON.stringify({ answers: ["a"], answer: "a".repeat(2000) });
    const declared = await postJson(url, "/reward", body);
    assert.equal(declared.status, 413);
    assert.equal(declared.body.field, "body");
    assert.match(declared.body.error, /limit of 1000 bytes \(--max-body-bytes\)/);
    const bytes = new TextEncoder().encode(body);
    const streamed = await fetch(`${url}/judge`, {
      method: "POST",
      body: new ReadableStream({
        start(c) {
          c.enqueue(bytes.subarray(0, 600));
          c.enqueue(bytes.subarray(600));
          c.close();
        },
      }),
    });
    assert.equal(streamed.status, 413);
    await streamed.body?.cancel();
    const ok = await postJson(url, "/reward", { answers: ["a"], answer: "a" });
    assert.equal(ok.status, 200);
  });
});

Deno.test("serve-env: /health is answered while a large request runs", async () => {
  const sources = [loadWorldSource("searchworld:default")];
  await withEnvServer({ sources, maxBodyBytes: 16 * 1024 * 1024 }, async (url) => {
    // ~8 MB of rounds for the oracle judge to tokenize and scan (work done in 10 ms slices).
    const items = Array.from({ length: 1000 }, (_, i) => ({
      question_id: `searchworld-train-${i}`,
      rounds: Array.from({ length: 40 }, () => ({ query: "x y", observation: "z w ".repeat(50) })),
    }));
    let largeDone = 0;
    const large = postJson(url, "/judge", { items }).then((r) => {
      largeDone = performance.now();
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    const health = await fetch(`${url}/health`);
    const healthDone = performance.now();
    assert.equal(health.status, 200);
    await health.body?.cancel();
    const res = await large;
    assert.equal(res.status, 200);
    assert.equal(res.body.results.length, 1000);
    assert.ok(healthDone < largeDone, "/health waited for the large request");
  });
});

Deno.test({
  name: "serve-env: the CLI verb serves a world and stops on SIGTERM",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await spawnServer(MAIN, [
      "serve-env",
      "--world",
      "searchworld:easy",
      "--port",
      "0",
      "--max-items",
      "3",
    ]);
    try {
      const { url, text } = server;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(text, /searchworld \(1800\)/);
      const res = await postJson(url, "/verify", {
        question_id: "searchworld-train-0",
        draft: "vakek thegur",
      });
      assert.deepEqual(res.body.verdict, { correct: true, kind: "correct" });
      assert.equal((await (await fetch(`${url}/v1/info`)).json()).limits.max_items, 3);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
    const bad = await runMain(["serve-env", "--world", "searchworld:tiny"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown preset "tiny"/);
  },
});
