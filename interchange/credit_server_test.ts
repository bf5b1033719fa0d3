/**
 * `serve-credit` over real HTTP on 127.0.0.1: the same advantages as the trainer (bit for bit,
 * every method, StepSearch with the rollouts' search tool; a 500 saying the service has no policy
 * weights for a method that asks for the policy scorer), 413 for bodies over the limit (declared
 * or streamed), 400 naming the field for bad records, methods, configs and bodies, and the CLI
 * verb itself as a subprocess (with `--retriever URL`: a real `serve-retriever`'s).
 */
import assert from "node:assert/strict";
import type { SearchTool } from "@creditlab/core";
import { getMethod, methodNames } from "@creditlab/train";
import { spawnServer } from "@creditlab/serving/testing";
import { judgedRounds } from "../methods/round_judge.ts";
import { MAIN, runMain } from "./cli_testing.ts";
import { serveCredit } from "./credit_server.ts";
import { ARROW_STREAM_TYPE, outputsFromArrow, recordsToArrow } from "./arrow.ts";
import {
  asksForPolicyScorer,
  exportRecords,
  inProcessCredit,
  policyScorerRefusal,
  rolloutTest,
  withRetriever,
} from "./testing.ts";

/**
 * Run `fn` on the URL of the service on a free port, shut down (and stopped) afterwards;
 * `search`: the search tool the rollouts used (StepSearch's).
 */
async function withServer(
  opts: { maxBodyBytes?: number; search?: SearchTool },
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const ac = new AbortController();
  const s = serveCredit({
    method: getMethod,
    methodNames,
    judgedRounds,
    port: 0,
    signal: ac.signal,
    ...opts,
  });
  try {
    await fn(s.url);
  } finally {
    ac.abort();
    await s.server.finished;
  }
}

/**
 * Run `fn` on the URL of `deno task serve-credit --port 0 ...flags` (a subprocess), stopped
 * afterwards.
 */
async function withServeCredit(
  flags: readonly string[],
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = await spawnServer(MAIN, ["serve-credit", "--port", "0", ...flags]);
  try {
    await fn(server.url);
  } finally {
    await server.stop();
  }
}

function post(url: string, body: unknown, type = "application/json"): Promise<Response> {
  return fetch(`${url}/credit`, {
    method: "POST",
    headers: { "content-type": type },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** POST /credit?method=METHOD with an Arrow IPC stream body. */
function postArrow(url: string, method: string, body: BodyInit): Promise<Response> {
  return fetch(`${url}/credit?method=${method}`, {
    method: "POST",
    headers: { "content-type": ARROW_STREAM_TYPE },
    body,
  });
}

/** Assert the status of the response and discard its body. */
async function expectStatus(response: Promise<Response>, status: number): Promise<void> {
  const res = await response;
  assert.equal(res.status, status);
  await res.body?.cancel();
}

rolloutTest(
  "serve-credit: POST /credit answers the trainer's advantages bit for bit, every method",
  { judge: true },
  async ({ rollouts, records }) => {
    await withServer({ search: rollouts.testbed.search }, async (url) => {
      const health = await (await fetch(`${url}/health`)).json();
      assert.equal(health.status, "ok");
      assert.equal(health.version, 1);
      assert.deepEqual(health.methods, methodNames());
      for (const name of methodNames()) {
        if (asksForPolicyScorer(getMethod(name))) {
          // The service has no policy weights: a 500 saying so, for either body.
          const refusal = policyScorerRefusal(name);
          const res = await post(url, { method: name, records });
          assert.equal(res.status, 500, name);
          assert.equal((await res.json()).error, refusal);
          const ar = await postArrow(url, name, recordsToArrow(records));
          assert.equal(ar.status, 500, `${name} (arrow)`);
          assert.equal((await ar.json()).error, refusal);
          continue;
        }
        const want = await inProcessCredit(getMethod(name), { rollouts });
        const res = await post(url, { method: name, records });
        assert.equal(res.status, 200, await res.clone().text());
        const body = await res.json();
        assert.equal(body.method, name);
        assert.deepEqual(body.metrics, want.metrics);
        assert.equal(body.outputs.length, records.length);
        body.outputs.forEach((o: Record<string, unknown>, i: number) => {
          assert.equal(o.trajectory_id, records[i]!.trajectory_id);
          assert.deepEqual(Float32Array.from(o.advantages as number[]), want.advantages[i]);
          assert.equal(o.reward, want.rewards[i]);
          assert.deepEqual(o.method_record, want.records[i]);
        });
        // The same batch as an Arrow IPC stream, answered in Arrow.
        const ar = await postArrow(url, name, recordsToArrow(records));
        assert.equal(ar.status, 200, ar.status === 200 ? "" : await ar.clone().text());
        assert.equal(ar.headers.get("content-type"), ARROW_STREAM_TYPE);
        const got = outputsFromArrow(new Uint8Array(await ar.arrayBuffer()));
        assert.equal(got.method, name);
        assert.deepEqual(got.metrics, want.metrics);
        got.outputs.forEach((o, i) => {
          assert.deepEqual(o.advantages, want.advantages[i], `${name} arrow row ${i}`);
          assert.equal(o.reward, want.rewards[i]);
          assert.deepEqual(o.method_record, want.records[i]);
        });
      }
    });
  },
);

rolloutTest("serve-credit: 413 over the body limit, 400 naming the field, 404/405/415", {
  judge: true,
}, async ({ rollouts, records }) => {
  await withServer({ maxBodyBytes: 2048 }, (smallUrl) =>
    withServer({}, async (url) => {
      // Declared length over the limit.
      const big = await post(smallUrl, { method: "grpo", records });
      assert.equal(big.status, 413);
      assert.match((await big.json()).error, /over the limit of 2048 bytes/);
      // A streamed body (no Content-Length) over the limit.
      const bytes = new TextEncoder().encode(JSON.stringify({ method: "grpo", records }));
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += 1000) c.enqueue(bytes.subarray(i, i + 1000));
          c.close();
        },
      });
      const streamed = fetch(`${smallUrl}/credit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: stream,
      });
      await expectStatus(streamed, 413);

      const bad = structuredClone(records);
      bad[3]!.response_mask[0] = 1 - bad[3]!.response_mask[0]!;
      const r1 = await post(url, { method: "grpo", records: bad });
      assert.equal(r1.status, 400);
      const e1 = await r1.json();
      assert.equal(e1.field, "response_mask[0]");
      assert.equal(e1.at, "records[3]");
      assert.match(e1.error, /request body: records\[3\]: field response_mask\[0\]: expected/);

      const r2 = await post(url, { method: "nope", records });
      assert.equal(r2.status, 400);
      const e2 = await r2.json();
      assert.equal(e2.field, "method");
      assert.ok(
        e2.error.includes(`unknown method "nope"; registered: ${methodNames().join(", ")}`),
        e2.error,
      );

      const r3 = await post(url, {
        method: "capf",
        config: { attenuation: { factor: 7 } },
        records,
      });
      assert.equal(r3.status, 400);
      assert.equal((await r3.json()).field, "config");

      const r4 = await post(url, "{not json");
      assert.equal(r4.status, 400);
      assert.equal((await r4.json()).field, "body");

      const r5 = await post(url, { method: "grpo", records: [], extra: 1 });
      assert.equal(r5.status, 400);
      assert.equal((await r5.json()).field, "extra");

      const r6 = await post(url, { method: "grpo", records: [] });
      assert.equal(r6.status, 400);
      assert.equal((await r6.json()).field, "records");

      const noScores = await exportRecords(rollouts, { judge: false });
      const r7 = await post(url, { method: "cw-grpo", records: noScores });
      assert.equal(r7.status, 400);
      assert.equal((await r7.json()).field, "extras.judge_scores");

      const ra = await postArrow(url, "grpo", recordsToArrow(bad));
      assert.equal(ra.status, 400);
      assert.deepEqual(
        { field: (await ra.json()).field },
        { field: "response_mask[0]" },
        "an Arrow body's error is JSON and names the field",
      );
      const rb = await postArrow(url, "grpo", "not arrow");
      assert.equal(rb.status, 400);
      assert.match((await rb.json()).error, /expected an Arrow IPC stream/);

      await expectStatus(post(url, "{}", "text/plain"), 415);
      await expectStatus(fetch(`${url}/credit`), 405);
      await expectStatus(fetch(`${url}/nothing`), 404);
    }));
});

Deno.test({
  name: "serve-credit: the CLI verb serves on 127.0.0.1 with its body limit, and answers --help",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const help = await runMain(["serve-credit", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: deno task serve-credit/);
    assert.match(help.stdout, /--retriever URL/);
    await withServeCredit(["--max-body-bytes", "100"], async (url) => {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await (await fetch(`${url}/health`)).json()).maxBodyBytes, 100);
      await expectStatus(post(url, { method: "grpo", records: [], pad: "x".repeat(200) }), 413);
    });
  },
});

rolloutTest(
  "serve-credit --retriever URL: StepSearch searches the rollouts' retriever, as the trainer does",
  { judge: true },
  async ({ rollouts, records }) => {
    const stepsearch = getMethod("stepsearch");
    const want = await inProcessCredit(stepsearch, { rollouts });
    await withRetriever(
      rollouts,
      (retriever) =>
        withServeCredit(["--retriever", retriever], async (url) => {
          const res = await post(url, { method: "stepsearch", records });
          assert.equal(res.status, 200, await res.clone().text());
          const body = await res.json();
          assert.deepEqual(body.metrics, want.metrics);
          assert.equal(body.metrics["stepsearch/no_gold_share"], 0);
          body.outputs.forEach((o: Record<string, unknown>, i: number) => {
            assert.deepEqual(Float32Array.from(o.advantages as number[]), want.advantages[i]);
            assert.deepEqual(o.method_record, want.records[i]);
          });
        }),
    );
    // Without a search tool the request fails, saying how to give one.
    await withServer({}, async (url) => {
      const res = await post(url, { method: "stepsearch", records });
      assert.equal(res.status, 500);
      assert.match((await res.json()).error, /no search tool was given.*--retriever URL/);
    });
  },
);
