/**
 * `POST /verify`: CAPF's privileged feedback call. An item names a question and a draft answer;
 * the answer is what the privileged verifier says about the draft at a detail level
 * (`correctness`, `error-type`, `hint`; core's `FeedbackDetail`):
 *
 *     {"question_id": "searchworld-train-3", "draft": "kado rin", "detail": "hint"}
 *     -> {"verdict": {"correct": false, "kind": "wrong-hop"}, "text": "wrong hop : ...",
 *         "observation": "<verifier> wrong hop : ... </verifier>"}
 *
 * `verdict` is the interchange record's feedback-turn `verdict`; `observation` is the text the
 * rollout appends after the policy's `<feedback> draft </feedback>` (agent/protocol.ts
 * `formatFeedback`). Who answers: a SearchWorld question its world's verifier (gold chain); a
 * benchmark or inline question the LLM verifier (`LlmVerifier`: exact match decides
 * correctness, the model explains an error without revealing the answer). `correctness` needs
 * no model, so it is answered without an LLM backend too; the other levels then get 501.
 *
 * @module
 */
import type {
  FeedbackDetail,
  FeedbackVerdict,
  PrivilegedVerifier,
  Question,
} from "@creditlab/core";
import { formatFeedback } from "@creditlab/agent";
import { LlmVerifier } from "@creditlab/methods";
import { type ItemOptions, requireLlm } from "./context.ts";
import { NO_CHAT_CLIENT } from "./llm_backend.ts";
import { FieldReader } from "./request.ts";
import { QUESTION_FIELDS, questionLabel, resolveQuestion } from "./sources.ts";

/** The detail levels, least revealing first. */
export const FEEDBACK_DETAILS: readonly FeedbackDetail[] = ["correctness", "error-type", "hint"];

/** Fields of a `/verify` item. */
export const VERIFY_FIELDS: readonly string[] = [...QUESTION_FIELDS, "draft", "detail"];

/** The answer to one `/verify` item. */
export interface VerifyResult {
  /** Whether the draft is correct and the kind of feedback (a record's feedback-turn verdict). */
  verdict: FeedbackVerdict;
  /** The feedback text shown to the policy. */
  text: string;
  /** `<verifier> text </verifier>`: the observation the rollout appends. */
  observation: string;
}

/** A checked `/verify` item, ready to run. */
export interface VerifyJob {
  question: Question;
  draft: string;
  verifier: PrivilegedVerifier;
}

/**
 * Check one `/verify` item (at `at` in the body) and pick its verifier.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_WORK_LIMITS } from "./context.ts";
 * import { SourceSet } from "./sources.ts";
 * const ctx = { sources: new SourceSet([]), llm: null, defaultDetail: "error-type" as const,
 *   limits: DEFAULT_WORK_LIMITS };
 * const job = parseVerifyItem(
 *   { question: "Which country hosted the 2014 Winter Olympics?", answers: ["Russia"],
 *     draft: "Sochi", detail: "correctness" },
 *   { at: "", ctx },
 * );
 * assert.deepEqual(await runVerify(job), {
 *   verdict: { correct: false, kind: "wrong" },
 *   text: "The draft answer is incorrect.",
 *   observation: "<verifier> The draft answer is incorrect. </verifier>",
 * });
 * ```
 */
export function parseVerifyItem(value: unknown, { at, ctx }: ItemOptions): VerifyJob {
  const item = FieldReader.of(value, { at, allowed: VERIFY_FIELDS });
  const draft = item.string("draft");
  const detail = item.optionalOneOf("detail", FEEDBACK_DETAILS) ?? ctx.defaultDetail;
  const { question, source } = resolveQuestion(item, ctx.sources, {
    question: true,
    answers: true,
  });
  let verifier: PrivilegedVerifier;
  if (source?.oracle) verifier = source.oracle.verifier(detail);
  else if (ctx.llm === null && detail === "correctness") {
    verifier = new LlmVerifier(NO_CHAT_CLIENT, { detail });
  } else {
    const why = questionLabel(question, source);
    verifier = requireLlm(ctx, item, { what: `the ${detail} verifier`, why }).verifier(detail);
  }
  return { question, draft, verifier };
}

/** Run a checked item: the verifier's feedback on the draft. */
export async function runVerify(job: VerifyJob): Promise<VerifyResult> {
  const fb = await job.verifier.verify(job.question, job.draft);
  return {
    verdict: { correct: fb.correct, kind: fb.kind },
    text: fb.text,
    observation: formatFeedback(fb.text),
  };
}
