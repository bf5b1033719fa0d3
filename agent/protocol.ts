/**
 * The search-agent tag protocol of Search-R1 (Jin et al. 2025, arXiv 2503.09516;
 * code PeterGriffinJin/Search-R1), plus the training-only privileged feedback call of CAPF
 * (arXiv 2606.01830).
 *
 * A policy turn is free text with exactly one action block:
 *
 * - `<search> query </search>`: the environment answers `<information> Doc 1(Title: t) text ... </information>`;
 * - `<answer> a </answer>`: the episode ends, the reward is EM of `a`;
 * - `<feedback> draft </feedback>` (CAPF, training only, when offered): the privileged
 *   verifier answers `<verifier> ... </verifier>` and the policy may revise.
 *
 * Reasoning goes in `<think> ... </think>`. Generation stops at `</search>`, `</answer>` or
 * `</feedback>` ({@link STOP_TAGS}). An action that does not parse gets the fixed corrective
 * observation {@link INVALID_ACTION_TEXT}. The rollout enforces "at most N search turns, then
 * one turn with search disabled" by passing `searchAllowed: false` to {@link parseAction}.
 *
 * @example
 * ```ts
 * import { parseAction } from "./protocol.ts";
 * parseAction("<think> who ? </think> <search> capital of france </search>", {
 *   feedbackOffered: false,
 *   searchAllowed: true,
 * }); // { kind: "search", query: "capital of france" }
 * ```
 * @module
 */

import type { Action, Passage, Question } from "@creditlab/core";

/** The names of the protocol's tags. */
export type TagName = "think" | "search" | "information" | "answer" | "feedback" | "verifier";

/** Every tag name, in the order the tokenizer assigns their ids. */
export const TAG_NAMES: readonly TagName[] = [
  "think",
  "search",
  "information",
  "answer",
  "feedback",
  "verifier",
] as const;

/**
 * The tag tokens, open then close for each tag:
 * `<think> </think> <search> </search> <information> </information> <answer> </answer>
 * <feedback> </feedback> <verifier> </verifier>`.
 */
export const TAG_TOKENS: readonly string[] = TAG_NAMES.flatMap((t) => [`<${t}>`, `</${t}>`]);

/** Generation of a policy turn stops right after any of these (the tag is kept in the turn). */
export const STOP_TAGS: readonly ["</search>", "</answer>", "</feedback>"] = [
  "</search>",
  "</answer>",
  "</feedback>",
] as const;

/** Tags only the environment writes; a policy turn that contains one is invalid. */
const ENVIRONMENT_TAGS: ReadonlySet<TagName> = new Set(["information", "verifier"]);

/** Tags that carry an action. */
const ACTION_TAGS: ReadonlySet<TagName> = new Set(["search", "answer", "feedback"]);

/**
 * Search-R1's fixed corrective observation for an invalid action, verbatim from
 * `search_r1/llm_agent/generation.py` (`execute_predictions`), without its surrounding newlines.
 */
export const INVALID_ACTION_TEXT =
  "My previous action is invalid. If I want to search, I should put the query between <search> and </search>. If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.";

/**
 * The corrective observation for an invalid action. Without feedback it is exactly
 * {@link INVALID_ACTION_TEXT}; when the feedback call is offered (CAPF training rollouts) one
 * sentence naming `<feedback>` is inserted before "Let me try again." (our adaptation).
 *
 * @example
 * ```ts
 * invalidActionText({ feedbackOffered: false }) === INVALID_ACTION_TEXT; // true
 * ```
 */
export function invalidActionText(opts: { feedbackOffered: boolean }): string {
  if (!opts.feedbackOffered) return INVALID_ACTION_TEXT;
  return INVALID_ACTION_TEXT.replace(
    " Let me try again.",
    " If I want feedback on a draft answer, I should put the draft between <feedback> and </feedback>. Let me try again.",
  );
}

/** Options of {@link buildPrompt}. */
export interface PromptOptions {
  /** Whether the feedback call is offered (CAPF training rollouts only; never at evaluation). */
  feedbackOffered: boolean;
  /**
   * Search budget of the rollout. `0` means no search tool (the prompt then lists only
   * `answer`); any positive value lists `search`. The budget itself is enforced by the
   * rollout, not stated in the short prompt (it would cost context and never varies in a run).
   */
  maxSearchTurns: number;
}

/**
 * The SHORT prompt for the small word-level policy: `question : {q} tools : search answer`,
 * with `feedback` listed before `answer` when the feedback call is offered, so its
 * availability is visible to the policy. (Search-R1's long instruction is
 * {@link searchR1Prompt}, for real LLMs behind an endpoint.)
 *
 * @example
 * ```ts
 * import type { Question } from "@creditlab/core";
 * buildPrompt({ question: "Who?" } as Question, { feedbackOffered: true, maxSearchTurns: 4 });
 * // "question : Who? tools : search feedback answer"
 * ```
 */
export function buildPrompt(question: Question | string, opts: PromptOptions): string {
  const q = questionText(question, "buildPrompt");
  if (!Number.isInteger(opts.maxSearchTurns) || opts.maxSearchTurns < 0) {
    throw new RangeError(
      `buildPrompt: maxSearchTurns must be a non-negative integer, got ${opts.maxSearchTurns}`,
    );
  }
  const tools = [
    ...(opts.maxSearchTurns > 0 ? ["search"] : []),
    ...(opts.feedbackOffered ? ["feedback"] : []),
    "answer",
  ];
  return `question : ${q} tools : ${tools.join(" ")}`;
}

/**
 * Search-R1's instruction template (`make_prefix`, template "base", in
 * `scripts/data_process/nq_search.py`), for real LLM policies behind an endpoint. When
 * `feedbackOffered`, one sentence about `<feedback>` is added before "Question:" (our
 * adaptation for CAPF; Search-R1 has no such call).
 *
 * @example
 * ```ts
 * searchR1Prompt("Who wrote Hamlet?").endsWith("Question: Who wrote Hamlet?\n"); // true
 * ```
 */
export function searchR1Prompt(
  question: Question | string,
  opts: { feedbackOffered?: boolean } = {},
): string {
  const q = questionText(question, "searchR1Prompt");
  const feedback = opts.feedbackOffered
    ? "Before answering, you can get feedback on a draft answer by <feedback> draft </feedback> and it will return the feedback between <verifier> and </verifier>. "
    : "";
  return "Answer the given question. " +
    "You must conduct reasoning inside <think> and </think> first every time you get new information. " +
    "After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query </search> and it will return the top searched results between <information> and </information>. " +
    "You can search as many times as your want. " +
    "If you find no further external knowledge needed, you can directly provide the answer inside <answer> and </answer>, without detailed illustrations. For example, <answer> Beijing </answer>. " +
    feedback +
    `Question: ${q}\n`;
}

function questionText(question: Question | string, op: string): string {
  const q = typeof question === "string" ? question : question.question;
  if (typeof q !== "string" || q.trim() === "") {
    const id = typeof question === "string" ? "" : ` (question id ${JSON.stringify(question.id)})`;
    throw new Error(`${op}: the question text is empty${id}`);
  }
  return q.trim();
}

/**
 * The search observation in Search-R1's format (`_passages2string`):
 * `<information> Doc 1(Title: t1) text1\nDoc 2(Title: t2) text2 </information>`.
 * Whitespace inside titles and texts is collapsed to single spaces.
 *
 * @example
 * ```ts
 * formatPassages([{ id: "a", title: "Paris", text: "Capital of France.", score: 1 }]);
 * // "<information> Doc 1(Title: Paris) Capital of France. </information>"
 * ```
 */
export function formatPassages(passages: readonly Passage[]): string {
  const docs = passages.map((p, i) => {
    if (typeof p.title !== "string" || typeof p.text !== "string") {
      throw new TypeError(
        `formatPassages: passage ${i} (id ${JSON.stringify(p.id)}) needs string title and text`,
      );
    }
    return `Doc ${i + 1}(Title: ${collapse(p.title)}) ${collapse(p.text)}`;
  });
  return docs.length === 0
    ? "<information> </information>"
    : `<information> ${docs.join("\n")} </information>`;
}

/**
 * The privileged verifier's reply to a feedback call: `<verifier> text </verifier>`.
 *
 * @example
 * ```ts
 * formatFeedback("that is a city , not a country"); // "<verifier> that is a city , not a country </verifier>"
 * ```
 */
export function formatFeedback(text: string): string {
  return `<verifier> ${collapse(text)} </verifier>`;
}

function collapse(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** What {@link parseAction} is told about the current turn. */
export interface ParseOptions {
  /** The feedback call is offered in this rollout (CAPF training only). */
  feedbackOffered: boolean;
  /** Search is still allowed in this turn (false in the final turn after N searches). */
  searchAllowed: boolean;
}

const TAG_RE = /<(\/?)(think|search|information|answer|feedback|verifier)>/g;

/**
 * Parse one policy turn into an {@link Action}, strictly.
 *
 * Rules (anything else is `{ kind: "invalid", reason }`):
 * - tags must be balanced and never nested (an action inside `<think>` is nested);
 * - the policy may not write `<information>` or `<verifier>` (environment tags);
 * - at least one action block; several blocks must all be `<answer>` (the last one counts,
 *   as in Search-R1's evaluation); a search and an answer in one turn is invalid;
 * - nothing but whitespace after the last action block (generation stops at the stop tag);
 * - the query / answer / draft must be non-empty (whitespace is collapsed);
 * - `<search>` only when `searchAllowed`, `<feedback>` only when `feedbackOffered`.
 *
 * @example
 * ```ts
 * parseAction("<answer> a </answer> <answer> b </answer>", { feedbackOffered: false, searchAllowed: true });
 * // { kind: "answer", text: "b" }
 * parseAction("<search> q", { feedbackOffered: false, searchAllowed: true }).kind; // "invalid"
 * ```
 */
export function parseAction(text: string, opts: ParseOptions): Action {
  const invalid = (reason: string): Action => ({ kind: "invalid", reason });
  const blocks: { tag: TagName; content: string; end: number }[] = [];
  let open: { tag: TagName; start: number } | null = null;
  for (const m of text.matchAll(TAG_RE)) {
    const closing = m[1] === "/";
    const tag = m[2] as TagName;
    const at = m.index;
    if (ENVIRONMENT_TAGS.has(tag)) {
      return invalid(`the policy wrote the environment tag <${closing ? "/" : ""}${tag}>`);
    }
    if (!closing) {
      if (open !== null) return invalid(`<${tag}> is nested inside <${open.tag}>`);
      open = { tag, start: at + m[0].length };
      continue;
    }
    if (open === null) return invalid(`</${tag}> without a matching <${tag}>`);
    if (open.tag !== tag) return invalid(`</${tag}> closes <${open.tag}>`);
    if (ACTION_TAGS.has(tag)) {
      blocks.push({ tag, content: collapse(text.slice(open.start, at)), end: at + m[0].length });
    }
    open = null;
  }
  if (open !== null) return invalid(`<${open.tag}> is not closed`);
  const last = blocks[blocks.length - 1];
  if (last === undefined) {
    return invalid(
      `no action: expected <search>, <answer>${opts.feedbackOffered ? " or <feedback>" : ""}`,
    );
  }
  const kinds = [...new Set(blocks.map((b) => b.tag))];
  if (kinds.length > 1) {
    return invalid(`several actions in one turn (${kinds.join(", ")})`);
  }
  if (blocks.length > 1 && last.tag !== "answer") {
    return invalid(`several <${last.tag}> blocks in one turn`);
  }
  if (text.slice(last.end).trim() !== "") return invalid(`text after </${last.tag}>`);
  if (last.content === "") return invalid(`empty <${last.tag}>`);
  switch (last.tag) {
    case "search":
      if (!opts.searchAllowed) return invalid("search is not allowed in this turn");
      return { kind: "search", query: last.content };
    case "feedback":
      if (!opts.feedbackOffered) return invalid("feedback is not offered in this rollout");
      return { kind: "feedback", draft: last.content };
    default:
      return { kind: "answer", text: last.content };
  }
}

/**
 * Put back the stop tag an OpenAI-compatible server removed. Servers stop BEFORE a stop
 * sequence and leave it out of the text; the protocol keeps it in the turn. If `text` has an
 * unclosed `<search>`, `<answer>` or `<feedback>` as its last opened tag and `stop` lists the
 * matching closing tag, that closing tag is appended (with a space). Otherwise `text` is
 * returned unchanged. Linear time in `text`.
 *
 * @example
 * ```ts
 * restoreStopTag("<search> q", STOP_TAGS); // "<search> q </search>"
 * ```
 */
export function restoreStopTag(text: string, stop: readonly string[]): string {
  let lastOpen: { tag: string; index: number } | null = null;
  for (const m of text.matchAll(TAG_RE)) {
    if (m[1] === "/") {
      if (lastOpen !== null && lastOpen.tag === m[2]) lastOpen = null;
    } else lastOpen = { tag: m[2]!, index: m.index };
  }
  if (lastOpen === null) return text;
  const close = `</${lastOpen.tag}>`;
  if (!stop.includes(close)) return text;
  return `${text.trimEnd()} ${close}`; // trimEnd: linear (a /\s+$/ regex is quadratic)
}
