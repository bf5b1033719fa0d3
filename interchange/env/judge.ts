/**
 * `POST /judge`: the round judge of CW-GRPO (and PURE). An item names a question and the
 * non-final rounds k = 1..K-1 of one trajectory, in order; the answer is each round's binary
 * scores, as the interchange record's `extras.judge_scores` holds them:
 *
 *     {"question_id": "searchworld-train-3",
 *      "rounds": [{"thinking": "...", "query": "vorla tesin birthplace",
 *                  "passages": [{"title": "vorla tesin", "text": "..."}]}]}
 *     -> {"scores": [{"round": 1, "retrieval": 1, "thinking": 1}]}
 *
 * A round is the policy's turn and the observation that answered it:
 * - the turn: `text` (the raw policy turn; its action parsed with agent/protocol.ts
 *   `parseAction`), or its parts `thinking` (the reasoning) and `query` (a search) or `draft`
 *   (CAPF's feedback call), rendered `<think> ... </think> <search> ... </search>`;
 * - the observation: `passages` (what the search returned: `{title, text}`, FlashRAG
 *   `{contents}`, Search-R1's `/retrieve` entries `{document: {contents}}`, or a contents
 *   string), rendered in Search-R1's `<information> Doc 1(Title: t) text ... </information>`
 *   (agent/protocol.ts `formatPassages`), or `observation`, the raw text.
 *
 * The item may carry the final `answer`; no judge is shown it (the CW-GRPO judge must not
 * consider whether the answer is right). Who answers: a SearchWorld question its world's
 * oracle judge (gold chain); a benchmark or inline question the LLM judge (`LlmRoundJudge`;
 * 501 without an LLM backend).
 *
 * @module
 */
import type { Action, JudgedRound, Question, RoundJudge, RoundScore } from "@creditlab/core";
import { formatPassages, parseAction } from "@creditlab/agent";
import { fromContents } from "@creditlab/datasets";
import { type ItemOptions, requireLlm } from "./context.ts";
import { isJsonObject } from "@creditlab/core";
import { FieldReader, typeName } from "./request.ts";
import { QUESTION_FIELDS, questionLabel, resolveQuestion } from "./sources.ts";

/** Fields of a `/judge` item. */
export const JUDGE_FIELDS: readonly string[] = [...QUESTION_FIELDS, "rounds", "answer"];

/** Fields of one round of a `/judge` item. */
export const ROUND_FIELDS: readonly string[] = [
  "text",
  "thinking",
  "query",
  "draft",
  "passages",
  "observation",
];

/** One judged round's scores (the interchange format's `JudgeScore`). */
export interface JudgeRoundResult extends RoundScore {
  /** 1-based round number. */
  round: number;
}

/** The answer to one `/judge` item. */
export interface JudgeResult {
  scores: JudgeRoundResult[];
}

/** A checked `/judge` item, ready to run. */
export interface JudgeJob {
  question: Question;
  rounds: JudgedRound[];
  judge: RoundJudge;
}

/** A passage of a `passages` list as title and text (see the module doc for the forms). */
function passageOf(v: unknown, reader: FieldReader, name: string): { title: string; text: string } {
  if (typeof v === "string") return fromContents(v);
  if (isJsonObject(v)) {
    const doc = isJsonObject(v.document) ? v.document : v;
    if (typeof doc.contents === "string") return fromContents(doc.contents);
    if (typeof doc.text === "string") {
      return { title: typeof doc.title === "string" ? doc.title : "", text: doc.text };
    }
  }
  throw reader.fail(
    name,
    `expected a passage: {title, text}, {contents}, {document: {contents}} or a string, got ${
      typeName(v)
    }`,
  );
}

/** One round of an item as the judge sees it. */
function roundOf(value: unknown, opts: { at: string; round: number }): JudgedRound {
  const r = FieldReader.of(value, { at: opts.at, allowed: ROUND_FIELDS });
  let policyText: string;
  let action: Action;
  const text = r.optionalString("text");
  if (text !== undefined) {
    for (const f of ["thinking", "query", "draft"]) {
      if (r.has(f)) throw r.fail(f, "give the raw turn in text or its parts, not both");
    }
    policyText = text;
    action = parseAction(text, { feedbackOffered: true, searchAllowed: true });
  } else {
    const thinking = r.optionalString("thinking");
    const query = r.optionalString("query");
    const draft = r.optionalString("draft");
    if (query !== undefined && draft !== undefined) {
      throw r.fail("draft", "a round has one action: a search query or a feedback draft");
    }
    action = query !== undefined
      ? { kind: "search", query }
      : draft !== undefined
      ? { kind: "feedback", draft }
      : { kind: "invalid", reason: "no action in this round" };
    policyText = [
      thinking === undefined ? "" : `<think> ${thinking} </think>`,
      query === undefined ? "" : `<search> ${query} </search>`,
      draft === undefined ? "" : `<feedback> ${draft} </feedback>`,
    ].filter((s) => s !== "").join(" ");
  }
  let observationText = "";
  if (r.has("passages")) {
    if (r.has("observation")) {
      throw r.fail("observation", "give the passages or the raw observation, not both");
    }
    const list = r.array("passages", { max: 1000, limitFlag: "1000 passages per round" });
    const passages = list.map((p, i) => ({
      id: String(i),
      score: 0,
      ...passageOf(p, r, `passages[${i}]`),
    }));
    observationText = formatPassages(passages);
  } else observationText = r.optionalString("observation") ?? "";
  return { round: opts.round, policyText, action, observationText };
}

/**
 * Check one `/judge` item (at `at` in the body) and pick its judge.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateWorld, worldPreset } from "@creditlab/datasets";
 * import { DEFAULT_WORK_LIMITS } from "./context.ts";
 * import { SourceSet } from "./sources.ts";
 * import { worldSource } from "./searchworld_source.ts";
 * const world = generateWorld(worldPreset("easy"), { seed: 1 });
 * const q = world.questions("train")[0]!;
 * const ctx = { sources: new SourceSet([worldSource(world)]), llm: null,
 *   defaultDetail: "error-type" as const, limits: DEFAULT_WORK_LIMITS };
 * const job = parseJudgeItem({ question_id: q.id, rounds: [{ query: "nothing" }] }, { at: "", ctx });
 * assert.deepEqual(await runJudge(job), { scores: [{ round: 1, retrieval: 0, thinking: 0 }] });
 * ```
 */
export function parseJudgeItem(value: unknown, { at, ctx }: ItemOptions): JudgeJob {
  const item = FieldReader.of(value, { at, allowed: JUDGE_FIELDS });
  item.optionalString("answer");
  const list = item.array("rounds", { max: ctx.limits.maxRounds, limitFlag: "--max-rounds" });
  const rounds = list.map((r, i) => roundOf(r, { at: item.path(`rounds[${i}]`), round: i + 1 }));
  const { question, source } = resolveQuestion(item, ctx.sources, {
    question: true,
    answers: false,
  });
  const judge = source?.oracle ? source.oracle.judge : requireLlm(ctx, item, {
    what: "the round judge",
    why: questionLabel(question, source),
  }).judge();
  return { question, rounds, judge };
}

/** Run a checked item: the judge's scores of its rounds, numbered from 1. */
export async function runJudge(job: JudgeJob): Promise<JudgeResult> {
  if (job.rounds.length === 0) return { scores: [] };
  const scores = await job.judge.score(job.question, job.rounds);
  if (scores.length !== job.rounds.length) {
    throw new Error(`the judge returned ${scores.length} scores for ${job.rounds.length} rounds`);
  }
  return {
    scores: scores.map((s, i) => ({
      round: job.rounds[i]!.round,
      retrieval: s.retrieval,
      thinking: s.thinking,
    })),
  };
}
