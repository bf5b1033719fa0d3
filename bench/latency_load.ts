/**
 * Latency of small requests while large ones run, for any HTTP server: two in-process clients of
 * small requests, the large requests' client in a worker, quantiles of wall and "charged" time
 * (wall time capped by this process's CPU time meanwhile) and, optionally, the event loop's
 * stalls. The servers and their requests are in server_latency.ts.
 *
 * @module
 */
import process from "node:process";

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
  /** Sum of the large answers' sizes in their unit (completion tokens, queries, outputs). */
  largeUnits: number;
}

/** A source of large requests, running back to back from {@link LargeClient.start}. */
interface LargeClient {
  start(): void;
  /** Stop after the request in flight; what was done. */
  stop(): Promise<{ requests: number; ms: number; units: number }>;
}

/**
 * How a large JSON answer's size is read: `usage.completion_tokens`, or the length of the
 * array `result` (serve-retriever), `outputs` (serve-credit) or `results` (serve-env).
 */
export type AnswerUnits = "usage" | "result" | "outputs" | "results";

/** Headers of every JSON request (serve-credit refuses a body without its content type). */
export const JSON_HEADERS = { "content-type": "application/json" };

/**
 * The large requests' client in a worker (its own event loop, as a separate client process
 * would be): POST `body` (JSON) to `url` back to back; `units` reads a JSON answer's size.
 */
function workerClient(url: string, body: string, units: AnswerUnits): LargeClient {
  const code = `
    let on = true, requests = 0, ms = 0, units = 0;
    self.onmessage = async (e) => {
      if (e.data === "stop") { on = false; return; }
      while (on) {
        const t = performance.now();
        const res = await fetch(${JSON.stringify(url)}, {
          method: "POST", headers: ${JSON.stringify(JSON_HEADERS)}, body: e.data,
        });
        const json = await res.json();
        if (res.status !== 200) { self.postMessage({ error: JSON.stringify(json) }); return; }
        ms += performance.now() - t;
        requests++;
        units += ${units === "usage" ? "json.usage.completion_tokens" : `json.${units}.length`};
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

/** A server's small requests: the `i`th of client `client`. */
export type SmallRequest = (client: number, i: number) => Promise<Response>;

/**
 * Two clients of small requests (alternating `small(client, i)`) until `samples` were answered
 * (at most `maxSeconds`), while `large` runs back to back (none: the idle latency).
 */
async function underLoad(
  small: SmallRequest,
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

/**
 * One server's figures: the small requests' latency idle and while large ones (POST `body` to
 * `url`) run back to back, and the large requests' throughput, in `rate` (units per second).
 */
export async function measure(
  small: SmallRequest,
  opts: {
    large: { url: string; body: string; units: AnswerUnits; rate: string };
    setting: Record<string, string>;
    samples: number;
    trace: boolean;
  },
) {
  const idle = await underLoad(small, { large: null, samples: 100, maxSeconds: 30 });
  const monitor = opts.trace ? stallMonitor() : null;
  const large = workerClient(opts.large.url, opts.large.body, opts.large.units);
  const loaded = await underLoad(small, { large, samples: opts.samples, maxSeconds: 120 });
  return {
    setting: opts.setting,
    idle: { wall: idle.wall, charged: idle.charged },
    underLoad: { wall: loaded.wall, charged: loaded.charged },
    large: {
      requests: loaded.largeRequests,
      meanSeconds: loaded.largeSeconds / Math.max(1, loaded.largeRequests),
      [opts.large.rate]: Math.round(loaded.largeUnits / loaded.largeSeconds),
    },
    ...(monitor ? { stalls: monitor.stop() } : {}),
  };
}
