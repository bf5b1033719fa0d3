/**
 * The oracle round judge of SearchWorld (CW-GRPO, arXiv 2604.14267): scores each non-final
 * round against the question's gold chain instead of asking an LLM.
 *
 * Let the chain have hops j = 1..h; hop j's fact is the sentence
 * `the <r_j> of <e_{j-1}> is <e_j>` (e_0 = the start entity) that the corpus states verbatim,
 * in a passage of e_{j-1}. Texts are compared as word-token sequences (lower-case;
 * punctuation split off; the `Doc i(Title: ...)` framing does not matter). Rounds are processed in the given order; a
 * hop is "retrieved" once some earlier round's observation contained its fact.
 *
 * - retrieval_k = 1 iff round k's observation contains the fact of at least one hop not
 *   retrieved in rounds before k (relevant AND new). Feedback text never contains a fact.
 * - thinking_k = 1 iff round k's action is a search whose query targets the next unresolved
 *   hop j* (the smallest hop not retrieved before round k): the query contains the full name
 *   of e_{j*-1} as consecutive words, and, if it contains any relation id, r_{j*} is among
 *   them. No unresolved hop left (every fact already seen), a feedback call, an answer or an
 *   invalid action: 0.
 *
 * The judge does not look at whether the final answer is right (as the CW-GRPO prompt asks).
 * A question without a gold chain scores 0/0 on every round (the "unparseable = 0/0" rule).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OracleRoundJudge } from "./judge.ts";
 * const q = {
 *   id: "q",
 *   question: "which city is the birthplace of vorla tesin ?",
 *   goldenAnswers: ["kado rin"],
 *   benchmark: "searchworld",
 *   split: "train",
 *   metadata: { start: "vorla tesin" },
 *   goldChain: [{ query: "vorla tesin birthplace", entity: "kado rin", relation: "birthplace" }],
 * };
 * const scores = await new OracleRoundJudge().score(q, [{
 *   round: 1, policyText: "", action: { kind: "search", query: "vorla tesin birthplace" },
 *   observationText: "Doc 1(Title: vorla tesin) vorla tesin is a person . " +
 *     "the birthplace of vorla tesin is kado rin .",
 * }]);
 * assert.deepEqual(scores, [{ retrieval: 1, thinking: 1 }]);
 * ```
 * @module
 */
import { RELATION_IDS } from "./schema.ts";
import type { JudgedRound, Question, RoundJudge, RoundScore } from "@creditlab/core";
import { startEntity } from "./verifier.ts";

/** Lower-cased word tokens: letter/digit runs, each other non-space character alone. */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}\p{M}]+|[^\s]/gu) ?? [];
}

/** Whether `needle` occurs in `hay` as consecutive tokens. */
export function containsSeq(hay: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0) return false;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** One hop of a chain as the judge uses it. */
interface Hop {
  subject: string[];
  relation: string;
  /** `the <relation> of <subject> is <object>` as tokens. */
  fact: string[];
}

function hopsOf(q: Question): Hop[] | null {
  const chain = q.goldChain;
  const start = startEntity(q);
  if (!chain || chain.length === 0 || start === undefined) return null;
  const hops: Hop[] = [];
  let subject = start;
  for (const step of chain) {
    if (step.relation === undefined) return null;
    hops.push({
      subject: wordTokens(subject),
      relation: step.relation,
      fact: wordTokens(`the ${step.relation} of ${subject} is ${step.entity}`),
    });
    subject = step.entity;
  }
  return hops;
}

/** The oracle judge (see the module doc for the exact rules). */
export class OracleRoundJudge implements RoundJudge {
  /** Synchronous {@link score}. */
  scoreSync(question: Question, rounds: readonly JudgedRound[]): RoundScore[] {
    const hops = hopsOf(question);
    if (hops === null) return rounds.map(() => ({ retrieval: 0, thinking: 0 }));
    const seen = new Array<boolean>(hops.length).fill(false);
    const relationSet = new Set<string>(RELATION_IDS);
    return rounds.map((r) => {
      let thinking: 0 | 1 = 0;
      const next = seen.indexOf(false);
      if (r.action.kind === "search" && next >= 0) {
        const hop = hops[next]!;
        const q = wordTokens(r.action.query);
        const rels = q.filter((w) => relationSet.has(w));
        if (containsSeq(q, hop.subject) && (rels.length === 0 || rels.includes(hop.relation))) {
          thinking = 1;
        }
      }
      const obs = wordTokens(r.observationText);
      let retrieval: 0 | 1 = 0;
      const found: number[] = [];
      hops.forEach((h, j) => {
        if (!seen[j] && containsSeq(obs, h.fact)) found.push(j);
      });
      if (found.length > 0) retrieval = 1;
      for (const j of found) seen[j] = true;
      return { retrieval, thinking };
    });
  }

  /** Score the non-final rounds of one trajectory, in order. */
  score(question: Question, rounds: JudgedRound[]): Promise<RoundScore[]> {
    return Promise.resolve(this.scoreSync(question, rounds));
  }
}
