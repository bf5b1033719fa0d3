/**
 * evaluateEndpoint against real HTTP servers on 127.0.0.1: a question whose requests fail
 * (a server error after the retries, a prompt longer than the served model's context) is a
 * recorded failure scored 0, and the other questions are still evaluated.
 */
import assert from "node:assert/strict";
import type { Question, SearchTool } from "@creditlab/core";
import { initBackend, Rng, Transformer } from "@creditlab/kernels";
import { tinyModelConfig } from "@creditlab/kernels/testing";
import { WordTokenizer } from "@creditlab/agent";
import { EndpointPolicy } from "./endpoint.ts";
import { evaluateEndpoint } from "./evaluate_endpoint.ts";
import { fetchServedProtocol, resolveEndpointProtocol } from "./served_protocol.ts";
import { startServer } from "./server.ts";

const noSearch: SearchTool = { search: () => Promise.resolve([]) };
const question = (id: string, text: string): Question => ({
  id,
  question: text,
  goldenAnswers: ["bob"],
  benchmark: "nq",
  split: "test",
});
const common = {
  search: noSearch,
  maxSearchTurns: 1,
  topK: 3,
  maxTurnTokens: 8,
  temperature: 0,
  benchmark: "nq",
  split: "test",
};

Deno.test("evaluateEndpoint: a question that keeps failing is recorded and scored 0, the rest evaluated", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const { prompt } = await req.json();
    if (String(prompt).includes("crash")) return new Response("model crashed", { status: 500 });
    return Response.json({
      choices: [{ text: "<answer> bob", finish_reason: "stop", stop_reason: "</answer>" }],
    });
  });
  try {
    const policy = new EndpointPolicy({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      retries: 2,
      backoffMs: 1,
    });
    const summary = await evaluateEndpoint(
      [question("a", "who ?"), question("b", "crash ?"), question("c", "who else ?")],
      { ...common, policy },
    );
    assert.equal(summary.n, 3);
    assert.equal(summary.em, 2 / 3);
    assert.equal(summary.failures.length, 1);
    assert.equal(summary.failures[0]!.questionId, "b");
    assert.match(summary.failures[0]!.reason, /round 1: .*HTTP 500 \(3 attempts\): model crashed/);
    assert.deepEqual(summary.records.map((r) => r.answer), ["bob", null, "bob"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("evaluateEndpoint through serve: a prompt over the model's context is one failure, not an abort", async () => {
  await initBackend();
  const tokenizer = WordTokenizer.build(["question : who ? tools : search answer bob alice"]);
  const model = new Transformer(
    tinyModelConfig({ vocabSize: tokenizer.vocabSize, maxSeqLen: 128 }),
    {
      rng: new Rng(1),
    },
  );
  const server = await startServer({ model, tokenizer, port: 0 });
  try {
    const policy = new EndpointPolicy({ baseUrl: server.url, retries: 0 });
    const summary = await evaluateEndpoint(
      [question("short", "who ?"), question("long", "alice ".repeat(200) + "?")],
      { ...common, maxSearchTurns: 0, policy },
    );
    assert.equal(summary.n, 2);
    assert.deepEqual(summary.failures.map((f) => f.questionId), ["long"]);
    assert.match(summary.failures[0]!.reason, /HTTP 400 .*the model's maxSeqLen is 128/);
  } finally {
    await server.close();
    model.dispose();
  }
});

Deno.test("eval protocol: adopted from serve's /v1/models, a contradicting flag refused naming it", async () => {
  await initBackend();
  const tokenizer = WordTokenizer.build(["question : who ? tools : search answer bob"]);
  const model = new Transformer(tinyModelConfig({ vocabSize: tokenizer.vocabSize }), {
    rng: new Rng(1),
  });
  const server = await startServer({
    model,
    tokenizer,
    port: 0,
    protocol: { entityCoding: "slots" },
  });
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ object: "list", data: [{ id: "qwen", object: "model" }] }),
  );
  try {
    const served = await fetchServedProtocol(`${server.url}/v1`);
    assert.deepEqual(served, { promptFormat: "short", entityCoding: "slots" });
    // the defaults for URLs (search-r1, words) would score 0: the server's are adopted
    assert.deepEqual(resolveEndpointProtocol({}, served), served);
    assert.throws(
      () => resolveEndpointProtocol({ prompt: "search-r1", entityCoding: "words" }, served),
      /--prompt search-r1 \(it serves short\) and --entity-coding words \(it serves slots\)/,
    );
    // a server that advertises nothing: the flags, else Search-R1's prompt and words
    const none = await fetchServedProtocol(`http://127.0.0.1:${other.addr.port}`);
    assert.equal(none, null);
    assert.deepEqual(resolveEndpointProtocol({}, none), {
      promptFormat: "search-r1",
      entityCoding: "words",
    });
    assert.equal(await fetchServedProtocol("http://127.0.0.1:9/"), null);
  } finally {
    await server.close();
    await other.shutdown();
    model.dispose();
  }
});
