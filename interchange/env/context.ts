/**
 * What a route of the environment service sees while answering one request: the served
 * sources, the request's LLM session (null without `--judge-endpoint`), the server's defaults
 * and limits ({@link RequestContext}, given with the item's place as {@link ItemOptions}), and
 * {@link requireLlm}, the 501 of a route that needs the LLM backend.
 *
 * @module
 */
import type { FeedbackDetail } from "@creditlab/core";
import type { LlmSession } from "./llm_backend.ts";
import { EnvRequestError, type FieldReader } from "./request.ts";
import type { SourceSet } from "./sources.ts";

/** The flag that enables the LLM backend (named by every 501). */
export const LLM_FLAGS = "--judge-endpoint URL [--judge-model NAME]";

/** Limits of one request's work (flags of `serve-env`). */
export interface EnvWorkLimits {
  /** Most items per request (default 1024; more get 422). */
  maxItems: number;
  /** Most rounds per `/judge` item (default 64; more get 422). */
  maxRounds: number;
}

/** Defaults of {@link EnvWorkLimits}. */
export const DEFAULT_WORK_LIMITS: Readonly<EnvWorkLimits> = Object.freeze({
  maxItems: 1024,
  maxRounds: 64,
});

/** One request's view of the service. */
export interface RequestContext {
  sources: SourceSet;
  /** The request's LLM verifiers and judge; null when no endpoint is configured. */
  llm: LlmSession | null;
  /** Detail level of `/verify` items that name none. */
  defaultDetail: FeedbackDetail;
  limits: EnvWorkLimits;
}

/** What a route's parser of one item gets: the item's place in the body and its request. */
export interface ItemOptions {
  /** The item's place in the body: "" for the body itself, `items[2]`. */
  at: string;
  ctx: RequestContext;
}

/**
 * The request's LLM session, or a 501 saying which flags enable it; `what` names the resource
 * ("the verifier", "the round judge") and `why` the question it was needed for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FieldReader } from "./request.ts";
 * import { SourceSet } from "./sources.ts";
 * const ctx = { sources: new SourceSet([]), llm: null, defaultDetail: "error-type" as const,
 *   limits: DEFAULT_WORK_LIMITS };
 * const item = FieldReader.of({}, { at: "items[0]", allowed: [] });
 * assert.throws(() => requireLlm(ctx, item, { what: "the verifier", why: "question nq/test_0" }), /--judge-endpoint/);
 * ```
 */
export function requireLlm(
  ctx: RequestContext,
  item: FieldReader,
  opts: { what: string; why: string },
): LlmSession {
  if (ctx.llm) return ctx.llm;
  throw new EnvRequestError(
    501,
    `${item.where}: ${opts.what} of ${opts.why} is an LLM, and this server has none: ` +
      `start serve-env with ${LLM_FLAGS} (an OpenAI-compatible chat endpoint)`,
  );
}
