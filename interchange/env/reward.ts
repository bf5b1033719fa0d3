/**
 * `POST /reward`: the outcome reward of a response (Search-R1's EM, with token F1 and cover-EM
 * beside it, datasets/metrics.ts) and E-GRPO's entity share, for any served or inline question:
 *
 *     {"question_id": "searchworld-train-3", "response": "<search> ... </search> ... <answer> kado rin </answer>"}
 *     -> {"reward": 1, "em": 1, "f1": 1, "cover_em": 1, "answer": "kado rin",
 *         "entity_match": 0.5, "entity_matches": [{"entity": "...", "matched": true}, ...]}
 *
 * - The answer is `answer` as given, or the last `<answer> ... </answer>` of `response`
 *   (Search-R1 `qa_em.extract_solution` on the response alone: Search-R1 scores prompt +
 *   response and skips the prompt's example answer; we receive the response only). No answer:
 *   `answer` null and every score 0.
 * - `reward` = `em`: the outcome reward of Search-R1 and of our trainer (`exactMatch`).
 * - `entity_match` (E-GRPO, arXiv 2510.24694): gamma, the share of the gold entities (the
 *   question's `goldEntities`, SearchWorld's, or the item's `entities`) found in the agent's own
 *   text of `response` — `<information>` and `<verifier>` blocks removed (observations never
 *   count) and, with scope `before-final-answer`, the text from the last `<answer>` on — exactly
 *   `entityMatchRate` over `agentText` (datasets/entities.ts, which E-GRPO uses), with the default
 *   matching and scope unless the item names others. Null without entities or without a
 *   `response`. E-GRPO's shaped reward (alpha * gamma normalised over the group) is the
 *   engine's or `serve-credit`'s: it needs the whole group.
 *
 * @module
 */
import {
  answerScores,
  ENTITY_MATCH_DEFAULTS,
  entityFound,
  type EntityMatching,
  entityMatchRate,
  type EntityTextScope,
} from "@creditlab/datasets";
import type { RequestContext } from "./context.ts";
import { FieldReader } from "./request.ts";
import { QUESTION_FIELDS, resolveQuestion } from "./sources.ts";

/** The text scopes of the entity match (datasets/entities.ts). */
export type EntityScope = EntityTextScope;
export type { EntityMatching };

/** Fields of a `/reward` item. */
export const REWARD_FIELDS: readonly string[] = [
  ...QUESTION_FIELDS,
  "response",
  "answer",
  "entities",
  "entity_matching",
  "entity_scope",
];

/** The answer to one `/reward` item. */
export interface RewardResult {
  /** The outcome reward: `em`. */
  reward: number;
  em: 0 | 1;
  f1: number;
  cover_em: 0 | 1;
  /** The answer scored (null when the response has none). */
  answer: string | null;
  /** gamma: share of the gold entities in the agent's own text; null without entities. */
  entity_match: number | null;
  /** Each gold entity and whether it was found (the interchange `extras.entity_matches`). */
  entity_matches: { entity: string; matched: boolean }[] | null;
}

/**
 * The last `<answer> ... </answer>` of a response, trimmed; null when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(extractAnswer("<answer> a </answer> then <answer> Paris </answer>"), "Paris");
 * assert.equal(extractAnswer("<answer> unclosed"), null);
 * ```
 */
export function extractAnswer(response: string): string | null {
  let last: string | null = null;
  for (const m of response.matchAll(/<answer>([\s\S]*?)<\/answer>/g)) last = m[1]!.trim();
  return last;
}

/**
 * The agent's own text of a response: observation blocks (`<information>`, `<verifier>`, an
 * unclosed one to the end) replaced by a newline, as E-GRPO's `agentText` joins policy turns;
 * with `before-final-answer`, cut before the last `<answer>` when the response has an answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = "<search> a </search><information> Doc 1(Title: b) b </information><answer> c </answer>";
 * assert.equal(agentResponseText(r, "before-final-answer"), "<search> a </search>\n");
 * ```
 */
export function agentResponseText(response: string, scope: EntityScope): string {
  let text = response;
  if (scope === "before-final-answer" && extractAnswer(response) !== null) {
    text = text.slice(0, text.lastIndexOf("<answer>"));
  }
  return text.replace(/<(information|verifier)>[\s\S]*?(?:<\/\1>|$)/g, "\n");
}

/** A checked `/reward` item, ready to score. */
export interface RewardJob {
  answers: readonly string[];
  /** The answer to score, or the response to take it from. */
  answer: string | null;
  response: string | undefined;
  entities: readonly string[] | undefined;
  matching: EntityMatching;
  scope: EntityScope;
}

/**
 * Check one `/reward` item (at `at` in the body).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_WORK_LIMITS } from "./context.ts";
 * import { SourceSet } from "./sources.ts";
 * const ctx = { sources: new SourceSet([]), llm: null, defaultDetail: "error-type" as const,
 *   limits: DEFAULT_WORK_LIMITS };
 * const job = parseRewardItem({ answers: ["Paris"], answer: "Paris, France" }, { at: "", ctx });
 * const r = scoreReward(job);
 * assert.deepEqual([r.em, r.f1, r.cover_em], [0, 2 / 3, 1]);
 * ```
 */
export function parseRewardItem(
  value: unknown,
  opts: { at: string; ctx: RequestContext },
): RewardJob {
  const item = FieldReader.of(value, { at: opts.at, allowed: REWARD_FIELDS });
  const response = item.optionalString("response");
  const answer = item.optionalString("answer");
  if (response !== undefined && answer !== undefined) {
    throw item.fail("answer", "give the response (its last <answer> is scored) or the answer");
  }
  if (response === undefined && answer === undefined) {
    throw item.fail("response", "expected the response text (or the extracted answer in answer)");
  }
  const { question } = resolveQuestion(item, opts.ctx.sources, { question: false, answers: true });
  const given = item.optionalStrings("entities");
  if (given !== undefined && question.goldEntities !== undefined) {
    throw item.fail("entities", `question ${question.id} has its own gold entities`);
  }
  return {
    answers: question.goldenAnswers,
    answer: answer ?? null,
    response,
    entities: given ?? question.goldEntities,
    matching: item.optionalOneOf("entity_matching", ["normalized-substring", "token-set"]) ??
      ENTITY_MATCH_DEFAULTS.matching,
    scope: item.optionalOneOf("entity_scope", ["before-final-answer", "all-policy-text"]) ??
      ENTITY_MATCH_DEFAULTS.textScope,
  };
}

/** Score a checked item (synchronous, pure). */
export function scoreReward(job: RewardJob): RewardResult {
  const answer = job.response !== undefined ? extractAnswer(job.response) : job.answer;
  const s = answer === null ? { em: 0 as const, f1: 0, coverEm: 0 as const } : answerScores(
    answer,
    job.answers,
  );
  let entityMatch: number | null = null;
  let matches: RewardResult["entity_matches"] = null;
  if (job.entities !== undefined && job.entities.length > 0 && job.response !== undefined) {
    const text = agentResponseText(job.response, job.scope);
    entityMatch = entityMatchRate(job.entities, text, { matching: job.matching });
    matches = job.entities.map((entity) => ({
      entity,
      matched: entityFound(entity, text, job.matching),
    }));
  }
  return {
    reward: s.em,
    em: s.em,
    f1: s.f1,
    cover_em: s.coverEm,
    answer,
    entity_match: entityMatch,
    entity_matches: matches,
  };
}
