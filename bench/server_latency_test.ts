/**
 * bench/server_latency.ts's requests to the newer servers are accepted by those servers with
 * their default limits: the largest `/reward` batch of serve-env, serve-credit's small group and
 * the size of its large batch; and `--servers` refuses an unknown name.
 */
import assert from "node:assert/strict";
import { DEFAULT_HTTP_LIMITS } from "@creditlab/datasets";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_WORK_LIMITS } from "@creditlab/interchange";
import { BASELINE } from "../methods/mod.ts";
import {
  CREDIT_LARGE,
  CREDIT_SMALL,
  creditBody,
  envLargeBody,
  main,
  serveBenchEnv,
} from "./server_latency.ts";
import { withRegisteredCredit } from "./credit.ts";
import { JSON_HEADERS } from "./latency_load.ts";

Deno.test("server_latency: serve-env's defaults accept the large /reward batch", async () => {
  const { questions, server } = serveBenchEnv();
  try {
    const body = envLargeBody(questions);
    const bytes = new TextEncoder().encode(body).length;
    assert.ok(bytes <= DEFAULT_HTTP_LIMITS.maxBodyBytes, `${bytes} bytes`);
    assert.ok(bytes > DEFAULT_HTTP_LIMITS.maxBodyBytes - 64 * 1024, `${bytes} bytes`);
    const res = await fetch(`${server.url}/reward`, {
      method: "POST",
      headers: JSON_HEADERS,
      body,
    });
    const json = await res.json();
    assert.equal(res.status, 200, JSON.stringify(json));
    assert.equal(json.results.length, DEFAULT_WORK_LIMITS.maxItems);
    const right = json.results.filter((r: { reward: number }) => r.reward === 1).length;
    assert.equal(right, Math.ceil(DEFAULT_WORK_LIMITS.maxItems / 3));
    assert.ok(json.results.every((r: { entity_match: number | null }) => r.entity_match !== null));
  } finally {
    await server.shutdown();
  }
});

Deno.test("server_latency: serve-credit answers the small group; the large batch fits", async () => {
  const large = creditBody(CREDIT_LARGE);
  assert.ok(large.length < DEFAULT_MAX_BODY_BYTES);
  assert.ok(CREDIT_LARGE.trajectories >= 1000);
  await withRegisteredCredit(async (url) => {
    const res = await fetch(`${url}/credit`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: creditBody({ ...CREDIT_SMALL, seed: 2 }),
    });
    const json = await res.json();
    assert.equal(res.status, 200, JSON.stringify(json));
    assert.equal(json.method, BASELINE.name);
    assert.equal(json.outputs.length, CREDIT_SMALL.trajectories);
  });
});

Deno.test("server_latency: --servers refuses an unknown server, naming the four", async () => {
  await assert.rejects(
    () => main(["--servers", "credit,nope"]),
    /unknown server "nope" \(serve, retriever, credit, env\)/,
  );
});
