/**
 * `serve` tested end to end: a tiny randomly initialised model and its tokenizer saved to a
 * temporary checkpoint, served on 127.0.0.1, queried through EndpointPolicy. The reference
 * for greedy decoding is an independent full-recompute loop over `model.forward` (no KV cache).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend, Rng, saveCheckpoint, tf, Transformer } from "@creditlab/kernels";
import { tinyModelConfig } from "@creditlab/kernels/testing";
import { WordTokenizer } from "@creditlab/agent";
import { type EndpointError, EndpointPolicy } from "./endpoint.ts";
import { generateLocal } from "./generate.ts";
import { startServer } from "./server.ts";
import { serveMain } from "./serve_cli.ts";

const CORPUS = [
  "question : who founded acme ? tools : search answer",
  "<think> acme was founded by bob smith . </think> <search> acme founder </search>",
  "<information> Doc 1(Title: Acme) Acme was founded by Bob Smith in 1990 . </information>",
  "<answer> bob smith </answer> alice carol dave paris france river city country",
];

function tinyModel(vocabSize: number, seed: number): Transformer {
  const config = tinyModelConfig({ vocabSize, nLayers: 2, maxSeqLen: 48 });
  // a large init std gives peaked next-token distributions (no near-ties for greedy)
  return new Transformer(config, { rng: new Rng(seed), initStd: 0.6 });
}

/** Greedy decoding by recomputing the full forward pass each step (no KV cache). */
function greedyReference(model: Transformer, prompt: Int32Array, steps: number): number[] {
  const seq = Array.from(prompt);
  const out: number[] = [];
  for (let s = 0; s < steps && seq.length < model.config.maxSeqLen; s++) {
    const row = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d(seq, [1, seq.length], "int32"));
      return tf.slice(logits, [0, seq.length - 1, 0], [1, 1, -1]).dataSync() as Float32Array;
    });
    let best = 0;
    for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
    out.push(best);
    seq.push(best);
  }
  return out;
}

async function fixture() {
  await initBackend();
  const tokenizer = WordTokenizer.build(CORPUS);
  const model = tinyModel(tokenizer.vocabSize, 7);
  const dir = await Deno.makeTempDir({ prefix: "creditlab-serve-" });
  const checkpoint = join(dir, "tiny.safetensors");
  await saveCheckpoint(checkpoint, model, {
    extra: { tokenizer: JSON.stringify(tokenizer.toJSON()) },
  });
  return { tokenizer, model, dir, checkpoint };
}

const PROMPT = "question : who founded acme ? tools : search answer";

Deno.test("serve a checkpoint: greedy round trip equals local greedy decoding, stops, seeds, chat", async () => {
  const { tokenizer, model, dir, checkpoint } = await fixture();
  const server = await startServer({ checkpoint, port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.modelName, "tiny");
    const policy = new EndpointPolicy({ baseUrl: server.url, model: "tiny", retries: 0 });
    const promptIds = tokenizer.encode(PROMPT, { addBos: true });
    const ref = greedyReference(model, promptIds, 12);

    // greedy: deterministic and equal to the reference
    const a = await policy.completion(PROMPT, { temperature: 0, maxTokens: 12 });
    const b = await policy.completion(PROMPT, { temperature: 0, maxTokens: 12 });
    assert.equal(a.text, b.text);
    const refTokens = ref.slice(
      0,
      ref.includes(tokenizer.eosId) ? ref.indexOf(tokenizer.eosId) : 12,
    );
    assert.equal(a.text, tokenizer.decode(refTokens));
    assert.equal(a.finishReason, refTokens.length === 12 ? "length" : "stop");
    assert.ok(refTokens.length >= 4, `reference too short to test stops: ${tokenizer.decode(ref)}`);

    // a one-token stop sequence: stop before the first occurrence of the 3rd generated token
    const stopTok = refTokens[2]!;
    const first = refTokens.indexOf(stopTok);
    const s1 = await policy.completion(PROMPT, {
      temperature: 0,
      maxTokens: 12,
      stop: [tokenizer.token(stopTok)],
    });
    assert.deepEqual(s1, {
      text: tokenizer.decode(refTokens.slice(0, first)),
      finishReason: "stop",
      stopReason: tokenizer.token(stopTok),
    });
    // a two-token stop sequence (tokens 3 and 4), also given as unnormalised text
    const pair = refTokens.slice(2, 4);
    let at = 0;
    while (!(refTokens[at] === pair[0] && refTokens[at + 1] === pair[1])) at++;
    const s2 = await policy.completion(PROMPT, {
      temperature: 0,
      maxTokens: 12,
      stop: ["never seen zzz", tokenizer.decode(pair).toUpperCase()],
    });
    const stop2 = tokenizer.decode(pair).toUpperCase();
    assert.deepEqual(s2, {
      text: tokenizer.decode(refTokens.slice(0, at)),
      finishReason: "stop",
      stopReason: stop2,
    });
    // generate() puts the stop sequence back exactly
    assert.deepEqual(
      await policy.generate([PROMPT], { temperature: 0, maxTokens: 12, stop: [stop2] }),
      [
        tokenizer.decode(refTokens.slice(0, at)) + stop2,
      ],
    );
    // generate() through the eval-loop path gives the same greedy text
    assert.deepEqual(await policy.generate([PROMPT], { temperature: 0, maxTokens: 12 }), [a.text]);

    // seeded sampling: same seed same text, equal to local generation with that seed
    const t1 = await policy.completion(PROMPT, { temperature: 1, maxTokens: 16, seed: 5 });
    const t2 = await policy.completion(PROMPT, { temperature: 1, maxTokens: 16, seed: 5 });
    assert.deepEqual(t1, t2);
    const local = await generateLocal(model, tokenizer, PROMPT, {
      maxTokens: 16,
      temperature: 1,
      topP: 1,
      rng: new Rng(5),
      stop: [],
      addBos: true,
    });
    assert.equal(t1.text, local.text);
    const others = await Promise.all(
      [6, 7, 8].map((seed) => policy.completion(PROMPT, { temperature: 1, maxTokens: 16, seed })),
    );
    assert.ok(
      others.some((o) => o.text !== t1.text),
      "different seeds should give different samples",
    );

    // chat: contents joined into one prompt
    const chat = await policy.complete(
      [{ role: "user", content: "question : who founded acme ?" }, {
        role: "user",
        content: "tools : search answer",
      }],
      { temperature: 0, maxTokens: 12 },
    );
    assert.equal(chat, a.text);

    // raw API shape, n > 1, usage, models list
    const raw = await (await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: [PROMPT, "alice"], max_tokens: 3, temperature: 0, n: 2 }),
    })).json();
    assert.equal(raw.object, "text_completion");
    assert.equal(raw.model, "tiny");
    assert.deepEqual(raw.choices.map((c: { index: number }) => c.index), [0, 1, 2, 3]);
    assert.equal(raw.choices[0].text, raw.choices[1].text); // greedy
    assert.equal(raw.usage.prompt_tokens, 2 * promptIds.length + 2 * 2);
    const models = await (await fetch(`${server.url}/v1/models`)).json();
    assert.deepEqual(models.data.map((m: { id: string }) => m.id), ["tiny"]);
    assert.ok(server.stats().requests >= 10);
  } finally {
    await server.close();
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: bad requests get 400 with the parameter named (and are not retried)", async () => {
  await initBackend();
  const tokenizer = WordTokenizer.build(CORPUS);
  const model = tinyModel(tokenizer.vocabSize, 3);
  const server = await startServer({ model, tokenizer, port: 0 });
  try {
    const policy = new EndpointPolicy({ baseUrl: server.url, retries: 2, backoffMs: 1 });
    const long = Array.from({ length: 60 }, () => "alice").join(" ");
    await assert.rejects(
      policy.completion(long, { temperature: 0, maxTokens: 2 }),
      (e: EndpointError) => {
        assert.equal(e.status, 400);
        assert.equal(e.attempts, 1);
        assert.match(e.message, /prompt is 61 tokens, the model's maxSeqLen is 48/);
        return true;
      },
    );
    const post = (body: unknown, path = "/v1/completions") =>
      fetch(`${server.url}${path}`, { method: "POST", body: JSON.stringify(body) }).then(async (
        r,
      ) => ({
        status: r.status,
        json: await r.json(),
      }));
    const bad = await post({ prompt: "alice", temperature: -1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.param, "temperature");
    assert.equal((await post({ prompt: [1, 2] })).json.error.param, "prompt");
    assert.equal((await post({ prompt: "a", stop: 3 })).json.error.param, "stop");
    assert.equal((await post({ prompt: "a", stream: true })).status, 400);
    assert.equal(
      (await post({ messages: [] }, "/v1/chat/completions")).json.error.param,
      "messages",
    );
    assert.equal((await post({ prompt: "a" }, "/v1/nothing")).status, 404);
    const notJson = await fetch(`${server.url}/v1/completions`, { method: "POST", body: "{x" });
    assert.equal(notJson.status, 400);
    assert.match((await notJson.json()).error.message, /not valid JSON/);
    // the maxSeqLen bound ends generation with "length"
    const near = Array.from({ length: 45 }, () => "alice").join(" ");
    const r = await policy.completion(near, { temperature: 0, maxTokens: 10 });
    assert.ok(tokenizer.encode(r.text).length <= 2, `at most 48 - 46 tokens fit, got ${r.text}`);
  } finally {
    await server.close();
    model.dispose();
  }
});

Deno.test("serve: a checkpoint without a tokenizer or with a mismatched one is a clear error", async () => {
  await initBackend();
  const tokenizer = WordTokenizer.build(CORPUS);
  const dir = await Deno.makeTempDir({ prefix: "creditlab-serve-bad-" });
  const model = tinyModel(tokenizer.vocabSize, 1);
  const small = tinyModel(tokenizer.vocabSize - 1, 1);
  try {
    const noTok = join(dir, "notok.safetensors");
    await saveCheckpoint(noTok, model);
    await assert.rejects(
      startServer({ checkpoint: noTok, port: 0 }),
      /notok\.safetensors: no tokenizer in its metadata/,
    );
    const mismatch = join(dir, "mismatch.safetensors");
    await saveCheckpoint(mismatch, small, {
      extra: { tokenizer: JSON.stringify(tokenizer.toJSON()) },
    });
    await assert.rejects(
      startServer({ checkpoint: mismatch, port: 0 }),
      new RegExp(
        `tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabSize is ${
          tokenizer.vocabSize - 1
        }`,
      ),
    );
    const badTok = join(dir, "badtok.safetensors");
    await saveCheckpoint(badTok, model, { extra: { tokenizer: "{" } });
    await assert.rejects(
      startServer({ checkpoint: badTok, port: 0 }),
      /extra\.tokenizer is invalid: .*not valid JSON/,
    );
    // the CLI reports usage errors with exit code 2
    assert.equal(await serveMain([]), 2);
    assert.equal(await serveMain(["--checkpoint", noTok, "--port", "x"]), 2);
    assert.equal(await serveMain(["--checkpoint", noTok, "--port", "0"]), 1);
  } finally {
    model.dispose();
    small.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
