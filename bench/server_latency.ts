/**
 * `deno task bench server_latency [--samples 600] [--servers serve,retriever] [--trace]
 * [--out FILE]`: latency of small requests while large ones run, on `serve` (a tiny checkpoint)
 * and `serve-retriever` (BM25 over a synthetic corpus), issue 23's target being p99 < 50 ms.
 * Written to bench/results/server_latency.json with the machine, backend and commit.
 *
 * Per server: two clients send small requests back to back (alternately `GET /health` and one
 * small request: a 2-token completion, a 1-query retrieval) while large requests run back to
 * back (serve: 16 prompts x n 8 x 40 sampled tokens; retriever: 12,000 queries, topk 1), until
 * `--samples` small requests have been answered. The large requests' client runs in a worker
 * (its own event loop, as another process would be), so its reading of 3.5 MB answers is not
 * charged to the server; the load tests (`*_limits_test.ts`) keep every client in-process. Latencies are given as wall time and as
 * "charged" time (wall time capped by this process's CPU time meanwhile, as the load tests do:
 * on an idle machine they are equal, on a shared one time given to other processes is not
 * counted). Also recorded: the small requests' latency with no large request running, and the
 * large requests' throughput (the price of slicing).
 *
 * `--trace` also reports the event loop's stalls: the gaps over 10 ms between the turns of a
 * timer chain, i.e. the longest stretches of work that did not yield.
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { initBackend, Rng, Transformer } from "@creditlab/kernels";
import { tinyModelConfig } from "@creditlab/kernels/testing";
import { WordTokenizer } from "@creditlab/agent";
import { Bm25Index, serveRetriever, syntheticCorpus } from "@creditlab/datasets";
import { startServer } from "@creditlab/serving";
import { benchCommit } from "./commit.ts";
import { benchMachine, sharedMachineCaveat, writeBenchResult } from "./record.ts";

/** Quantiles of a sample, in ms. */
export interface LatencySummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The p50, p90, p99 and max of `xs` (nearest rank).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = summarizeLatencies(Array.from({ length: 100 }, (_, i) => i + 1));
 * assert.deepEqual(s, { n: 100, p50: 50, p90: 90, p99: 99, max: 100 });
 * ```
 */
export function summarizeLatencies(xs: readonly number[]): LatencySummary {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(q(0.5)), p90: r(q(0.9)), p99: r(q(0.99)), max: r(q(1)) };
}

interface LoadResult {
  wall: LatencySummary;
  charged: LatencySummary;
  largeRequests: number;
  largeSeconds: number;
  /** Sum of the large answers' sizes in their unit (completion tokens, queries). */
  largeUnits: number;
}

/** A source of large requests, running back to back from {@link LargeClient.start}. */
interface LargeClient {
  start(): void;
  /** Stop after the request in flight; what was done. */
  stop(): Promise<{ requests: number; ms: number; units: number }>;
}

/**
 * The large requests' client in a worker (its own event loop, as a separate client process
 * would be): POST `body` to `url` back to back; `units` reads a JSON answer's size.
 */
function workerClient(url: string, body: string, units: "usage" | "result"): LargeClient {
  const code = `
    let on = true, requests = 0, ms = 0, units = 0;
    self.onmessage = async (e) => {
      if (e.data === "stop") { on = false; return; }
      while (on) {
        const t = performance.now();
        const res = await fetch(${JSON.stringify(url)}, { method: "POST", body: e.data });
        const json = await res.json();
        if (res.status !== 200) { self.postMessage({ error: JSON.stringify(json) }); return; }
        ms += performance.now() - t;
        requests++;
        units += ${units === "usage" ? "json.usage.completion_tokens" : "json.result.length"};
      }
      self.postMessage({ requests, ms, units });
    };`;
  const src = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  const worker = new Worker(src, { type: "module" });
  const done = new Promise<{ requests: number; ms: number; units: number }>((resolve, reject) => {
    worker.onmessage = (e) => {
      if (e.data.error) reject(new Error(`bench server_latency: large request: ${e.data.error}`));
      else resolve(e.data);
    };
    worker.onerror = (e) => reject(new Error(`bench server_latency: worker: ${e.message}`));
  });
  return {
    start: () => worker.postMessage(body),
    async stop() {
      worker.postMessage("stop");
      try {
        return await done;
      } finally {
        worker.terminate();
        URL.revokeObjectURL(src);
      }
    },
  };
}

/**
 * Two clients of small requests (alternating `small(client, i)`) until `samples` were answered
 * (at most `maxSeconds`), while `large` runs back to back (none: the idle latency).
 */
async function underLoad(
  small: (client: number, i: number) => Promise<Response>,
  opts: { large: LargeClient | null; samples: number; maxSeconds: number },
): Promise<LoadResult> {
  for (let i = 0; i < 10; i++) await (await small(0, i)).text(); // warm up
  const wall: number[] = [];
  const charged: number[] = [];
  opts.large?.start();
  if (opts.large !== null) await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  const client = async (c: number) => {
    for (let i = 0; wall.length < opts.samples; i++) {
      if (performance.now() - t0 > opts.maxSeconds * 1000) break;
      const t = performance.now(), cpu = process.cpuUsage();
      const res = await small(c, i);
      const body = await res.text();
      if (res.status !== 200) throw new Error(`bench server_latency: ${res.status} ${body}`);
      const ms = performance.now() - t;
      const used = process.cpuUsage(cpu);
      wall.push(ms);
      charged.push(Math.min(ms, (used.user + used.system) / 1000));
    }
  };
  await Promise.all([client(0), client(1)]);
  const large = await opts.large?.stop() ?? { requests: 0, ms: 0, units: 0 };
  return {
    wall: summarizeLatencies(wall),
    charged: summarizeLatencies(charged),
    largeRequests: large.requests,
    largeSeconds: Math.round(large.ms) / 1000,
    largeUnits: large.units,
  };
}

/**
 * Gaps over `overMs` between the turns of a chain of zero-delay timers (event-loop stalls), as
 * charged time: wall time capped by this process's CPU time over the gap.
 */
function stallMonitor(overMs = 10): { stop(): LatencySummary & { over10ms: number } } {
  const gaps: number[] = [];
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let on = true;
  const tick = () => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const used = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    const gap = Math.min(now - last, used);
    if (gap > overMs) gaps.push(gap);
    last = now;
    lastCpu = cpu;
    if (on) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  return {
    stop() {
      on = false;
      return { ...summarizeLatencies(gaps.length > 0 ? gaps : [0]), over10ms: gaps.length };
    },
  };
}

async function measureServe(samples: number, trace: boolean) {
  const corpus = [
    "question : who founded acme ? tools : search answer",
    "<think> acme was founded by bob smith . </think> <search> acme founder </search>",
    "<answer> bob smith </answer> alice carol dave paris france river city country",
  ];
  const tokenizer = WordTokenizer.build(corpus);
  const model = new Transformer(
    tinyModelConfig({ vocabSize: tokenizer.vocabSize, nLayers: 2, maxSeqLen: 48 }),
    { rng: new Rng(5), initStd: 0.6 },
  );
  const server = await startServer({ model, tokenizer, port: 0 });
  const url = server.url;
  const small = (_c: number, i: number) =>
    i % 2 === 0 ? fetch(`${url}/health`) : fetch(`${url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: "alice", max_tokens: 2, temperature: 0 }),
    });
  const largeBody = JSON.stringify({
    prompt: Array.from({ length: 16 }, () => "question : who founded acme ?"),
    n: 8,
    max_tokens: 40,
    temperature: 1,
  });
  try {
    const idle = await underLoad(small, { large: null, samples: 100, maxSeconds: 30 });
    const monitor = trace ? stallMonitor() : null;
    const large = workerClient(`${url}/v1/completions`, largeBody, "usage");
    const loaded = await underLoad(small, { large, samples, maxSeconds: 120 });
    return {
      setting: {
        model: "tiny (2 layers, dModel 16, maxSeqLen 48)",
        small: "alternately GET /health and a 2-token greedy completion",
        large: "16 prompts x n 8 x 40 tokens at temperature 1",
      },
      idle: { wall: idle.wall, charged: idle.charged },
      underLoad: { wall: loaded.wall, charged: loaded.charged },
      large: {
        requests: loaded.largeRequests,
        meanSeconds: loaded.largeSeconds / Math.max(1, loaded.largeRequests),
        tokensPerSecond: Math.round(loaded.largeUnits / loaded.largeSeconds),
      },
      ...(monitor ? { stalls: monitor.stop() } : {}),
    };
  } finally {
    await server.close();
    model.dispose();
  }
}

async function measureRetriever(samples: number, trace: boolean) {
  const { docs, queries } = syntheticCorpus({ numDocs: 3000, numQueries: 12_000 }, {
    rng: new Rng(3),
  });
  const server = serveRetriever(Bm25Index.build(docs), { port: 0, maxQueries: 12_000 });
  const url = server.url;
  const small = (c: number, i: number) =>
    i % 2 === 0 ? fetch(`${url}/health`) : fetch(`${url}/retrieve`, {
      method: "POST",
      body: JSON.stringify({ queries: [queries[(c * 1000 + i) % 1000]] }),
    });
  const largeBody = JSON.stringify({ queries, topk: 1 });
  try {
    const idle = await underLoad(small, { large: null, samples: 100, maxSeconds: 30 });
    const monitor = trace ? stallMonitor() : null;
    const large = workerClient(`${url}/retrieve`, largeBody, "result");
    const loaded = await underLoad(small, { large, samples, maxSeconds: 120 });
    return {
      setting: {
        index: "BM25 over 3,000 synthetic passages (Zipf words)",
        small: "alternately GET /health and a 1-query retrieval (topk 3)",
        large: "12,000 queries, topk 1 (the answer is ~3.5 MB)",
      },
      idle: { wall: idle.wall, charged: idle.charged },
      underLoad: { wall: loaded.wall, charged: loaded.charged },
      large: {
        requests: loaded.largeRequests,
        meanSeconds: loaded.largeSeconds / Math.max(1, loaded.largeRequests),
        queriesPerSecond: Math.round(loaded.largeUnits / loaded.largeSeconds),
      },
      ...(monitor ? { stalls: monitor.stop() } : {}),
    };
  } finally {
    await server.shutdown();
  }
}

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      samples: { type: "string", default: "600" },
      servers: { type: "string", default: "serve,retriever" },
      trace: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task bench server_latency [--samples 600] [--servers serve,retriever] [--trace] [--out FILE]",
    );
    return 0;
  }
  const samples = Number(values.samples);
  if (!Number.isInteger(samples) || samples < 10) {
    throw new Error(`bench server_latency: --samples: expected an integer >= 10, got ${samples}`);
  }
  const servers = values.servers.split(",").map((s) => s.trim());
  for (const s of servers) {
    if (s !== "serve" && s !== "retriever") {
      throw new Error(`bench server_latency: --servers: unknown server "${s}" (serve, retriever)`);
    }
  }
  const loadAverageAtStart = Deno.loadavg();
  const backend = await initBackend();
  const results: Record<string, unknown> = {};
  for (const s of servers) {
    results[s] = s === "serve"
      ? await measureServe(samples, values.trace)
      : await measureRetriever(samples, values.trace);
    console.error(`${s}: ${JSON.stringify(results[s])}`);
  }
  const p99 = (s: string) =>
    (results[s] as { underLoad: { charged: LatencySummary } } | undefined)?.underLoad.charged.p99;
  const targets = Object.fromEntries(servers.map((s) => [`${s}P99Under50ms`, {
    target: 50,
    measured: p99(s),
    met: (p99(s) ?? Infinity) < 50,
    of: "p99 of small requests under load, charged ms",
  }]));
  const result = {
    benchmark: "server_latency",
    machine: { ...benchMachine(), loadAverageAtStart, loadAverageAtEnd: Deno.loadavg() },
    backend,
    commit: await benchCommit(),
    setting: { samples, clients: 2, largeClient: "worker", sliceMs: 10, busySliceMs: 2 },
    servers: results,
    targets,
    caveat: sharedMachineCaveat(loadAverageAtStart, "at start; wall times are inflated"),
  };
  const outPath = values.out ?? new URL("./results/server_latency.json", import.meta.url);
  await writeBenchResult(outPath, result);
  console.log(JSON.stringify(targets, null, 2));
  return 0;
}
