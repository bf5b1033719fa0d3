/**
 * `deno task serve-env`: the environment as services (interchange/env/): CAPF's privileged
 * verifier (`POST /verify`), the round judge of CW-GRPO and PURE (`POST /judge`) and the
 * reward with E-GRPO's entity share (`POST /reward`) over HTTP, for an RL engine's multi-turn
 * tool rollout and reward function. SearchWorld worlds answer with their oracle verifier and
 * judge; the QA benchmarks and inline questions with an LLM behind an OpenAI-compatible chat
 * endpoint (`--judge-endpoint`), without which those two routes answer 501.
 *
 * @module
 */
import { HELP_OPTION, parseVerbArgs, stringOptions } from "@creditlab/core/cli";
import type { FeedbackDetail } from "@creditlab/core";
import { DEFAULT_HTTP_LIMITS, DEFAULT_QA_DIR, DEFAULT_WORLD_SEED } from "@creditlab/datasets";
import {
  DEFAULT_WORK_LIMITS,
  type EnvSource,
  FEEDBACK_DETAILS,
  LlmBackend,
  loadBenchmarkSources,
  loadWorldSource,
  parseBenchmarkList,
  serveEnv,
} from "@creditlab/interchange";

/** The verb's usage text. */
export const SERVE_ENV_USAGE =
  `usage: deno task serve-env [--world searchworld:PRESET]... [--world-seed ${DEFAULT_WORLD_SEED}]
       [--benchmarks nq,hotpotqa,...|all] [--qa-dir DIR]
       [--judge-endpoint URL] [--judge-model NAME] [--judge-api-key-env VAR]
       [--judge-concurrency 8] [--judge-timeout 120] [--detail error-type]
       [--port 8092] [--host 127.0.0.1] [--max-body-bytes ${DEFAULT_HTTP_LIMITS.maxBodyBytes}]
       [--max-items ${DEFAULT_WORK_LIMITS.maxItems}] [--max-rounds ${DEFAULT_WORK_LIMITS.maxRounds}]

The environment of RL training as HTTP services (interchange/README.md, "The environment as
services"), for an engine's multi-turn tool rollout and reward function:
  GET  /health, GET /v1/info   status; sources, verifier and judge backends, defaults, limits
  POST /verify   {question_id | question + answers, draft, detail?} -> {verdict, text, observation}
  POST /judge    {question_id | question, rounds: [{thinking, query, passages}, ...]}
                 -> {scores: [{round, retrieval, thinking}, ...]}
  POST /reward   {question_id | answers, response | answer, entities?}
                 -> {reward, em, f1, cover_em, answer, entity_match, entity_matches}
A body is one item or {"items": [...]} (answered {"results": [...]}).

  --world searchworld:PRESET      a SearchWorld world (easy, default, hard; searchworld-ood:PRESET
                                  for its out-of-domain twin), questions by id, with its oracle
                                  verifier and judge; --world-seed: the seed of data export
  --benchmarks LIST|all           QA benchmarks from --qa-dir (default ${DEFAULT_QA_DIR}),
                                  questions by id (the default variant of each split); reward EM/F1
  --judge-endpoint URL            OpenAI-compatible chat endpoint answering /verify and /judge for
                                  benchmark and inline questions (without it: 501, except /verify
                                  at detail correctness); --judge-model NAME: its model;
                                  --judge-api-key-env VAR: the environment variable holding its key
  --detail LEVEL                  /verify detail when an item names none: ${
    FEEDBACK_DETAILS.join(", ")
  }
Limits: bodies over --max-body-bytes get 413; more than --max-items items or --max-rounds rounds
per judged trajectory get 422; a bad field gets 400 naming it. Binds 127.0.0.1 unless --host
(the service has no authentication).`;

function positiveInt(flag: string, v: string): number {
  const x = Number(v);
  if (v.trim() === "" || !Number.isInteger(x) || x < 1) {
    throw new Error(`--${flag}: expected a positive integer, got ${JSON.stringify(v)}`);
  }
  return x;
}

/** Entry point: serves until SIGINT or SIGTERM. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseVerbArgs("serve-env", SERVE_ENV_USAGE, {
    args,
    options: {
      world: { type: "string", multiple: true },
      ...stringOptions("benchmarks", "judge-endpoint", "judge-model", "judge-api-key-env"),
      "world-seed": { type: "string", default: String(DEFAULT_WORLD_SEED) },
      "qa-dir": { type: "string", default: DEFAULT_QA_DIR },
      "judge-concurrency": { type: "string", default: "8" },
      "judge-timeout": { type: "string", default: "120" },
      detail: { type: "string", default: "error-type" },
      port: { type: "string", default: "8092" },
      host: { type: "string", default: "127.0.0.1" },
      "max-body-bytes": { type: "string", default: String(DEFAULT_HTTP_LIMITS.maxBodyBytes) },
      "max-items": { type: "string", default: String(DEFAULT_WORK_LIMITS.maxItems) },
      "max-rounds": { type: "string", default: String(DEFAULT_WORK_LIMITS.maxRounds) },
      help: HELP_OPTION,
    },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  const detail = v.detail as FeedbackDetail;
  if (!FEEDBACK_DETAILS.includes(detail)) {
    throw new Error(
      `--detail: expected one of ${FEEDBACK_DETAILS.join(", ")}, got ${v.detail}`,
    );
  }
  const port = Number(v.port);
  if (v.port.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port: expected an integer in 0..65535, got ${v.port}`);
  }
  const seed = Number(v["world-seed"]);
  if (!Number.isInteger(seed)) {
    throw new Error(`--world-seed: expected an integer, got ${v["world-seed"]}`);
  }
  const t0 = performance.now();
  const sources: EnvSource[] = (v.world ?? []).map((w) => loadWorldSource(w, { seed }));
  if (v.benchmarks !== undefined) {
    sources.push(
      ...await loadBenchmarkSources(parseBenchmarkList(v.benchmarks), { dir: v["qa-dir"] }),
    );
  }
  let llm: LlmBackend | undefined;
  const endpoint = v["judge-endpoint"];
  if (endpoint !== undefined) {
    const keyVar = v["judge-api-key-env"];
    const apiKey = keyVar === undefined ? undefined : Deno.env.get(keyVar);
    if (keyVar !== undefined && !apiKey) {
      throw new Error(`--judge-api-key-env: ${keyVar} is not set`);
    }
    // The endpoint client is loaded only when an endpoint is given.
    const { EndpointPolicy } = await import("@creditlab/serving");
    const client = new EndpointPolicy({
      baseUrl: endpoint,
      api: "chat",
      concurrency: positiveInt("judge-concurrency", v["judge-concurrency"]),
      timeoutMs: Math.ceil(positiveInt("judge-timeout", v["judge-timeout"]) * 1000),
      ...(v["judge-model"] ? { model: v["judge-model"] } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    llm = new LlmBackend(client, { endpoint: client.baseUrl, model: client.model });
  } else if (v["judge-model"] !== undefined || v["judge-api-key-env"] !== undefined) {
    throw new Error("--judge-model and --judge-api-key-env need --judge-endpoint URL");
  }
  const server = serveEnv({
    sources,
    ...(llm ? { llm } : {}),
    defaultDetail: detail,
    host: v.host,
    port,
    maxBodyBytes: positiveInt("max-body-bytes", v["max-body-bytes"]),
    maxItems: positiveInt("max-items", v["max-items"]),
    maxRounds: positiveInt("max-rounds", v["max-rounds"]),
  });
  const served = sources.map((s) => `${s.dataSource} (${s.size})`).join(", ") ||
    "inline questions only";
  console.error(
    `serve-env: ${served}; verifier/judge LLM: ${
      llm ? `${llm.info.model} at ${llm.info.endpoint}` : "none (--judge-endpoint)"
    }; ready in ${((performance.now() - t0) / 1000).toFixed(1)} s; listening on ${server.url}`,
  );
  const stop = () => void server.shutdown();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    await server.finished;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  return 0;
}
