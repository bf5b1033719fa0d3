/**
 * `deno task bench server_latency [--samples 600] [--servers serve,retriever,credit,env]
 * [--trace] [--out FILE]`: latency of small requests while large ones run, on `serve` (a tiny
 * checkpoint), `serve-retriever` (BM25 over a synthetic corpus), `serve-credit` (credit of
 * interchange records) and `serve-env` (the environment services over a SearchWorld world),
 * issue 23's target being p99 < 50 ms. Written to bench/results/server_latency.json with the
 * machine, backend and commit.
 *
 * Per server: two clients send small requests back to back (alternately `GET /health` and one
 * small request) while large requests run back to back, until `--samples` small requests have
 * been answered:
 *
 * - `serve`: a 2-token greedy completion; large: 16 prompts x n 8 x 40 sampled tokens.
 * - `retriever`: a 1-query retrieval; large: 12,000 queries, topk 1 (a ~3.5 MB answer).
 * - `credit`: `POST /credit` of one group of 8 trajectories x 64 response tokens for the
 *   baseline method (`BASELINE.name`, JSON); large: the same for 2,048 trajectories (256 groups
 *   of 8) x 512 response tokens, a JSON body of ~25 MB (the default limit is 512 MiB).
 * - `env`: `POST /verify` (detail hint) or `POST /reward` of one SearchWorld question by id;
 *   large: `POST /reward` of 1,024 items (the default `--max-items`), full multi-turn responses
 *   that fill the default 4 MiB body limit.
 *
 * The credit records are bench/credit.ts's synthetic ones (judge scores included, so no LLM
 * call); the env world is `searchworld:default` as `serve-env --world` serves it, and its
 * requests name questions by id. Every large request is within its server's default limits.
 *
 * The large requests' client runs in a worker (its own event loop, as another process would
 * be), so its reading of large answers is not charged to the server; the load tests
 * (`*_limits_test.ts`) keep every client in-process. Latencies are given as wall time and as
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
import { HELP_OPTION, parseArgsOrHelp, stringDefaults } from "@creditlab/core/cli";
import { initBackend, Rng, Transformer } from "@creditlab/kernels";
import { tinyModelConfig } from "@creditlab/kernels/testing";
import { WordTokenizer } from "@creditlab/agent";
import type { Question } from "@creditlab/core";
import {
  Bm25Index,
  DEFAULT_HTTP_LIMITS,
  DEFAULT_WORLD_SEED,
  generateWorld,
  serveRetriever,
  syntheticCorpus,
  worldPreset,
} from "@creditlab/datasets";
import { startServer } from "@creditlab/serving";
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_WORK_LIMITS,
  type EnvServer,
  serveEnv,
  worldSource,
} from "@creditlab/interchange";
import "../methods/mod.ts";
import { BASELINE } from "../methods/mod.ts";
import { benchCommit } from "./commit.ts";
import { JSON_HEADERS, type LatencySummary, measure, type SmallRequest } from "./latency_load.ts";
export { type LatencySummary, summarizeLatencies } from "./latency_load.ts";
import { type SyntheticOptions, syntheticRecords, withRegisteredCredit } from "./credit.ts";
import { benchMachine, sharedMachineCaveat, writeBenchResult } from "./record.ts";

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
  const small: SmallRequest = (_c, i) =>
    i % 2 === 0 ? fetch(`${url}/health`) : fetch(`${url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: "alice", max_tokens: 2, temperature: 0 }),
    });
  const body = JSON.stringify({
    prompt: Array.from({ length: 16 }, () => "question : who founded acme ?"),
    n: 8,
    max_tokens: 40,
    temperature: 1,
  });
  try {
    return await measure(small, {
      large: { url: `${url}/v1/completions`, body, units: "usage", rate: "tokensPerSecond" },
      setting: {
        model: "tiny (2 layers, dModel 16, maxSeqLen 48)",
        small: "alternately GET /health and a 2-token greedy completion",
        large: "16 prompts x n 8 x 40 tokens at temperature 1",
      },
      samples,
      trace,
    });
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
  const small: SmallRequest = (c, i) =>
    i % 2 === 0 ? fetch(`${url}/health`) : fetch(`${url}/retrieve`, {
      method: "POST",
      body: JSON.stringify({ queries: [queries[(c * 1000 + i) % 1000]] }),
    });
  const body = JSON.stringify({ queries, topk: 1 });
  try {
    return await measure(small, {
      large: { url: `${url}/retrieve`, body, units: "result", rate: "queriesPerSecond" },
      setting: {
        index: "BM25 over 3,000 synthetic passages (Zipf words)",
        small: "alternately GET /health and a 1-query retrieval (topk 3)",
        large: "12,000 queries, topk 1 (the answer is ~3.5 MB)",
      },
      samples,
      trace,
    });
  } finally {
    await server.shutdown();
  }
}

/** serve-credit's small request: one group of the baseline method (seeded, judge scores in). */
export const CREDIT_SMALL: Readonly<SyntheticOptions> = { trajectories: 8, tokens: 64, group: 8 };

/** serve-credit's large request: 2,048 trajectories in groups of 8, 512 response tokens. */
export const CREDIT_LARGE: Readonly<SyntheticOptions> = {
  trajectories: 2048,
  tokens: 512,
  group: 8,
};

/**
 * A `POST /credit` JSON body: bench/credit.ts's synthetic records for the baseline method.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BASELINE } from "../methods/mod.ts";
 * const body = JSON.parse(creditBody({ trajectories: 4, tokens: 16, group: 4 }));
 * assert.equal(body.method, BASELINE.name);
 * assert.equal(body.records.length, 4);
 * ```
 */
export function creditBody(opts: SyntheticOptions): string {
  return JSON.stringify({ method: BASELINE.name, records: syntheticRecords(opts) });
}

/** A body's size: `24.9 MB`, `21.6 kB`; a limit's: `512 MiB`. */
const size = (bytes: number) =>
  bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

async function measureCredit(samples: number, trace: boolean) {
  const small = creditBody({ ...CREDIT_SMALL, seed: 2 });
  const large = creditBody(CREDIT_LARGE);
  if (large.length > DEFAULT_MAX_BODY_BYTES) {
    throw new Error(`bench server_latency: the large /credit body is over the server's limit`);
  }
  const shape = (o: Readonly<SyntheticOptions>) =>
    `${o.trajectories} trajectories (groups of ${o.group}) x ${o.tokens} response tokens`;
  return await withRegisteredCredit(async (url) => {
    const smallRequest: SmallRequest = (_c, i) =>
      i % 2 === 0
        ? fetch(`${url}/health`)
        : fetch(`${url}/credit`, { method: "POST", headers: JSON_HEADERS, body: small });
    return await measure(smallRequest, {
      large: { url: `${url}/credit`, body: large, units: "outputs", rate: "trajectoriesPerSecond" },
      setting: {
        method: BASELINE.name,
        records: "bench/credit.ts syntheticRecords: 256 prompt tokens, judge scores included",
        small: `alternately GET /health and POST /credit of ${shape(CREDIT_SMALL)} (${
          size(small.length)
        } JSON)`,
        large: `POST /credit of ${shape(CREDIT_LARGE)} (${size(large.length)} JSON; limit ${
          mib(DEFAULT_MAX_BODY_BYTES)
        })`,
      },
      samples,
      trace,
    });
  });
}

/** Passage text that pads an observation (no entity of the world, nothing to escape). */
const FILLER = "the passage goes on about other matters of the place and its people . ";

/**
 * A Search-R1 style response to a SearchWorld question along its gold chain: per hop a thought,
 * a search and its passage (the first one `pad` characters longer), then the answer: the gold
 * one when `right`, else the chain's first entity that is not a gold answer (or "nobody").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const q = {
 *   id: "q", question: "where ?", goldenAnswers: ["b"], benchmark: "searchworld", split: "train",
 *   goldChain: [{ query: "a r1", entity: "c", relation: "r1" }, { query: "c r2", entity: "b", relation: "r2" }],
 * };
 * const r = agentResponse(q, true, 10);
 * assert.match(r, /<answer> b <\/answer>$/);
 * assert.equal(agentResponse(q, true).length + 10, r.length);
 * assert.match(agentResponse(q, false), /<answer> c <\/answer>$/);
 * ```
 */
export function agentResponse(q: Question, right: boolean, pad = 0): string {
  const chain = q.goldChain ?? [];
  const parts = chain.map((step, k) =>
    `<think> next : the ${step.relation} . </think>\n<search> ${step.query} </search>\n` +
    `<information> Doc 1(Title: ${step.entity}) ${step.query} is ${step.entity} . ${
      k === 0 ? FILLER.repeat(Math.ceil(pad / FILLER.length)).slice(0, pad) : ""
    }</information>\n`
  );
  const gold = q.goldenAnswers[0]!;
  const wrong = chain.find((step) => !q.goldenAnswers.includes(step.entity))?.entity ?? "nobody";
  const answer = right ? gold : wrong;
  return `${parts.join("")}<think> so it is ${answer} . </think>\n<answer> ${answer} </answer>`;
}

/** serve-env's world: `serve-env --world searchworld:default`'s. */
const ENV_PRESET = "default";

/**
 * serve-env on a free port with its default limits, serving the world of
 * `serve-env --world searchworld:default`; and that world's training questions, which the
 * requests name by id.
 */
export function serveBenchEnv(): { questions: Question[]; server: EnvServer } {
  const world = generateWorld(worldPreset(ENV_PRESET), { seed: DEFAULT_WORLD_SEED });
  const server = serveEnv({ sources: [worldSource(world, { preset: ENV_PRESET })], port: 0 });
  return { questions: world.questions("train"), server };
}

/**
 * The largest `POST /reward` body serve-env's default limits accept: `maxItems` items (a
 * question by id and a response, a third of them right), responses padded so that the body
 * fills `maxBodyBytes` (less 1 KiB).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const q = {
 *   id: "q", question: "where ?", goldenAnswers: ["b"], benchmark: "searchworld", split: "train",
 *   goldChain: [{ query: "a r1", entity: "b", relation: "r1" }],
 * };
 * const body = envLargeBody([q], { maxItems: 4, maxBodyBytes: 8192 });
 * assert.equal(JSON.parse(body).items.length, 4);
 * assert.ok(body.length <= 8192 - 1024 && body.length > 8192 - 1024 - 4);
 * ```
 */
export function envLargeBody(
  questions: readonly Question[],
  limits: { maxItems: number; maxBodyBytes: number } = {
    maxItems: DEFAULT_WORK_LIMITS.maxItems,
    maxBodyBytes: DEFAULT_HTTP_LIMITS.maxBodyBytes,
  },
): string {
  const body = (pad: number) =>
    JSON.stringify({
      items: Array.from({ length: limits.maxItems }, (_, i) => {
        const q = questions[i % questions.length]!;
        return { question_id: q.id, response: agentResponse(q, i % 3 === 0, pad) };
      }),
    });
  const target = limits.maxBodyBytes - 1024;
  const pad = Math.floor((target - body(0).length) / limits.maxItems);
  if (pad < 0) throw new Error("bench server_latency: the /reward items do not fit the body limit");
  return body(pad);
}

async function measureEnv(samples: number, trace: boolean) {
  const { questions, server } = serveBenchEnv();
  const large = envLargeBody(questions);
  const url = server.url;
  const smallRequest: SmallRequest = (c, i) => {
    if (i % 2 === 0) return fetch(`${url}/health`);
    const q = questions[(c * 1000 + i) % questions.length]!;
    const [path, item] = i % 4 === 1
      ? ["/verify", { question_id: q.id, draft: q.goldChain?.[0]?.entity ?? "", detail: "hint" }]
      : ["/reward", { question_id: q.id, response: agentResponse(q, i % 3 === 0) }];
    return fetch(`${url}${path}`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify(item),
    });
  };
  try {
    return await measure(smallRequest, {
      large: { url: `${url}/reward`, body: large, units: "results", rate: "itemsPerSecond" },
      setting: {
        world: `searchworld:${ENV_PRESET} (seed ${DEFAULT_WORLD_SEED}), questions by id`,
        small: "alternately GET /health and one item: POST /verify (detail hint) or POST /reward",
        large: `POST /reward of ${DEFAULT_WORK_LIMITS.maxItems} items (the default limit), ` +
          `full responses, ${size(large.length)} (limit ${mib(DEFAULT_HTTP_LIMITS.maxBodyBytes)})`,
      },
      samples,
      trace,
    });
  } finally {
    await server.shutdown();
  }
}

/** The measured servers by `--servers` name. */
const SERVERS = {
  serve: measureServe,
  retriever: measureRetriever,
  credit: measureCredit,
  env: measureEnv,
} as const;

/** The usage text (`--help`). */
const USAGE = "usage: deno task bench server_latency [--samples 600] " +
  `[--servers ${Object.keys(SERVERS).join(",")}] [--trace] [--out FILE]`;

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgsOrHelp(USAGE, {
    args,
    options: {
      ...stringDefaults({ samples: "600", servers: Object.keys(SERVERS).join(",") }),
      trace: { type: "boolean", default: false },
      out: { type: "string" },
      help: HELP_OPTION,
    },
  });
  if (parsed === 0) return 0;
  const { values } = parsed;
  const samples = Number(values.samples);
  if (!Number.isInteger(samples) || samples < 10) {
    throw new Error(`bench server_latency: --samples: expected an integer >= 10, got ${samples}`);
  }
  const servers = values.servers.split(",").map((s) => s.trim());
  const isServer = (s: string): s is keyof typeof SERVERS => Object.hasOwn(SERVERS, s);
  for (const s of servers) {
    if (!isServer(s)) {
      throw new Error(
        `bench server_latency: --servers: unknown server "${s}" (${
          Object.keys(SERVERS).join(", ")
        })`,
      );
    }
  }
  const loadAverageAtStart = Deno.loadavg();
  const backend = await initBackend();
  const results: Record<string, unknown> = {};
  for (const s of servers.filter(isServer)) {
    results[s] = await SERVERS[s](samples, values.trace);
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
