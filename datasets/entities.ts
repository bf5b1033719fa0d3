/**
 * Gold entities in an agent's own text: which text is the agent's (its policy turns, the final
 * answer optionally cut), and whether a gold entity is found there. The testbed's matching, used by
 * E-GRPO's entity match rate (Zhao et al., arXiv 2510.24694) and by the environment service's
 * `/reward`:
 *
 *     gamma_i = |{ e in E : e is found in the agent's reasoning and queries of o_i }| / |E|
 *
 * with E the question's ground-truth entities.
 *
 * @module
 */
import type { Trajectory } from "@creditlab/core";
import { normalizeAnswer } from "./metrics.ts";

/**
 * How a gold entity is found in the agent's text (both sides normalised like Search-R1's
 * `normalize_answer`: lower-case, ASCII punctuation and the articles a/an/the removed).
 * - `"normalized-substring"`: the entity's normalised words appear consecutively, as whole words.
 * - `"token-set"`: every word of the entity appears somewhere in the text (any order).
 */
export type EntityMatching = "normalized-substring" | "token-set";

/**
 * Which text counts as the agent's "reasoning and queries".
 * - `"before-final-answer"`: every policy turn's text, the final answer round cut before its
 *   `<answer>` tag (the answer itself does not count: it is already scored by EM).
 * - `"all-policy-text"`: every policy turn's text including the answer.
 * Observations (retrieved passages) never count: entities must be identified BY the agent.
 */
export type EntityTextScope = "before-final-answer" | "all-policy-text";

/** The matching and scope used when a caller names none (E-GRPO's defaults too). */
export const ENTITY_MATCH_DEFAULTS: Readonly<
  { matching: EntityMatching; textScope: EntityTextScope }
> = Object.freeze({ matching: "normalized-substring", textScope: "before-final-answer" });

/**
 * The agent's own text of a trajectory: its policy turns, joined by newlines. With
 * `before-final-answer`, a turn whose action is the final answer is cut before its last
 * `<answer>` tag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Trajectory } from "@creditlab/core";
 * const policy = (text: string, round: number, kind: "search" | "answer") => ({
 *   role: "policy" as const,
 *   text,
 *   round,
 *   tokens: new Int32Array(0),
 *   action: kind === "search" ? { kind, query: "q" } : { kind, text: "x" },
 * });
 * const traj: Trajectory = {
 *   questionId: "q",
 *   groupId: 0,
 *   reward: 0,
 *   meta: {},
 *   turns: [
 *     policy("<think> ... </think> <search> q </search>", 1, "search"),
 *     policy("<think> so x </think> <answer> x </answer>", 2, "answer"),
 *   ],
 * };
 * assert.equal(
 *   agentText(traj, "before-final-answer"),
 *   "<think> ... </think> <search> q </search>\n<think> so x </think> ",
 * );
 * ```
 */
export function agentText(traj: Trajectory, scope: EntityTextScope): string {
  const policy = traj.turns.filter((t) => t.role === "policy");
  return policy.map((t, i) => {
    if (scope === "before-final-answer" && i === policy.length - 1 && t.action?.kind === "answer") {
      const cut = t.text.lastIndexOf("<answer>");
      return cut >= 0 ? t.text.slice(0, cut) : "";
    }
    return t.text;
  }).join("\n");
}

/**
 * Whether an entity occurs in a text under a matching rule (both normalised with Search-R1's
 * `normalize_answer`). An entity that normalises to "" never matches.
 *
 * @example
 * ```ts
 * entityFound("The Eiffel Tower", "we visit eiffel tower today", "normalized-substring"); // true
 * entityFound("Tower Eiffel", "we visit eiffel tower today", "token-set"); // true
 * ```
 */
export function entityFound(entity: string, text: string, matching: EntityMatching): boolean {
  const e = normalizeAnswer(entity);
  if (e === "") return false;
  const t = normalizeAnswer(text);
  if (matching === "normalized-substring") return ` ${t} `.includes(` ${e} `);
  const words = new Set(t.split(" "));
  return e.split(" ").every((w) => words.has(w));
}

/**
 * gamma: the share of `entities` found in `text` (0 when there are none). Duplicate
 * entities (after normalisation) count once.
 *
 * @example
 * ```ts
 * entityMatchRate(["Paris", "France"], "search paris", { matching: "normalized-substring" }); // 0.5
 * ```
 */
export function entityMatchRate(
  entities: readonly string[],
  text: string,
  opts: { matching: EntityMatching },
): number {
  const unique = [...new Set(entities.map(normalizeAnswer).filter((e) => e !== ""))];
  if (unique.length === 0) return 0;
  let found = 0;
  for (const e of unique) if (entityFound(e, text, opts.matching)) found++;
  return found / unique.length;
}
