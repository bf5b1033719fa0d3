/**
 * The environment as services (`deno task serve-env`): what an RL engine's multi-turn tool
 * rollout and reward function call during training, over HTTP on 127.0.0.1 — CAPF's privileged
 * verifier (`POST /verify`), the round judge of CW-GRPO and PURE (`POST /judge`), the outcome
 * reward EM/F1 with E-GRPO's entity share (`POST /reward`), for SearchWorld worlds (their
 * oracle verifier and judge) and the seven QA benchmarks (an LLM verifier and judge through
 * an OpenAI-compatible chat endpoint). The search tool is `serve-retriever`'s `/retrieve`.
 * API: interchange/README.md, section "The environment as services".
 *
 * - server.ts: routes, limits, errors ({@link serveEnv}, {@link envHandler});
 * - verify.ts, judge.ts, reward.ts: one route each (item checks and answers);
 * - sources.ts, searchworld_source.ts, benchmark_source.ts: the data served, questions by id;
 * - llm_backend.ts: the LLM verifier and judge, one session per request;
 * - request.ts, context.ts: body and field checks, errors, a request's view of the service.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadWorldSource, serveEnv } from "./mod.ts";
 * const server = serveEnv({ sources: [loadWorldSource("searchworld:easy")], port: 0 });
 * const res = await fetch(`${server.url}/verify`, {
 *   method: "POST",
 *   body: JSON.stringify({ question_id: "searchworld-train-0", draft: "nobody", detail: "correctness" }),
 * });
 * assert.deepEqual((await res.json()).verdict, { correct: false, kind: "wrong" });
 * await server.shutdown();
 * ```
 * @module
 */
export {
  EnvRequestError,
  FieldReader,
  parseJsonBody,
  type RequestItems,
  requestItems,
} from "./request.ts";
export {
  DEFAULT_WORK_LIMITS,
  type EnvWorkLimits,
  type ItemOptions,
  LLM_FLAGS,
  type RequestContext,
  requireLlm,
} from "./context.ts";
export {
  type EnvSource,
  indexQuestions,
  type InlineNeeds,
  type OracleBackend,
  QUESTION_FIELDS,
  questionLabel,
  type ResolvedQuestion,
  resolveQuestion,
  type SourceKind,
  SourceSet,
} from "./sources.ts";
export {
  loadWorldSource,
  parseWorldSpec,
  worldSource,
  type WorldSpec,
} from "./searchworld_source.ts";
export {
  BENCHMARK_NAMES,
  benchmarkSource,
  loadBenchmarkSources,
  parseBenchmarkList,
} from "./benchmark_source.ts";
export {
  LlmBackend,
  type LlmBackendInfo,
  type LlmCallStats,
  LlmSession,
  NO_CHAT_CLIENT,
} from "./llm_backend.ts";
export {
  FEEDBACK_DETAILS,
  parseVerifyItem,
  runVerify,
  VERIFY_FIELDS,
  type VerifyJob,
  type VerifyResult,
} from "./verify.ts";
export {
  JUDGE_FIELDS,
  type JudgeJob,
  type JudgeResult,
  type JudgeRoundResult,
  parseJudgeItem,
  ROUND_FIELDS,
  runJudge,
} from "./judge.ts";
export {
  agentResponseText,
  type EntityMatching,
  type EntityScope,
  extractAnswer,
  parseRewardItem,
  REWARD_FIELDS,
  type RewardJob,
  type RewardResult,
  scoreReward,
} from "./reward.ts";
export {
  ENV_ROUTES,
  envHandler,
  type EnvServer,
  type EnvServiceOptions,
  serveEnv,
  type ServeEnvOptions,
} from "./server.ts";
