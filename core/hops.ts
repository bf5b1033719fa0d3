/**
 * Hop counts: the number of hops of a question's gold chain (SearchWorld's `metadata.hops`) and
 * EM over the questions of one hop count, as evaluations record it and reports read it.
 *
 * @module
 */
import type { Question } from "./question.ts";

/** EM over the questions of one hop count (`extra.byHops` of a SearchWorld evaluation). */
export interface HopScore {
  n: number;
  em: number;
}

/**
 * Hop count of a question (`metadata.hops`), or null.
 *
 * @example
 * ```ts
 * const q = { id: "a", question: "?", goldenAnswers: ["x"], benchmark: "b", split: "test" };
 * questionHops({ ...q, metadata: { hops: 3 } }); // 3
 * questionHops(q); // null
 * ```
 */
export function questionHops(q: Question): number | null {
  const h = q.metadata?.["hops"];
  return typeof h === "number" && Number.isInteger(h) && h > 0 ? h : null;
}
