/**
 * The response layout of the format, from our turns: every turn after the prompt becomes a span
 * of `response_ids` with its role, round, text, action and verdict; the policy tokens get mask 1
 * and their sampling log-probs. And the group id of each `uid`. Depends on core only, so the run
 * store writes its trajectory files with the same code as `recordFromTrajectory` (convert.ts).
 *
 * @module
 */
import type { Turn } from "@creditlab/core";
import type { TrajectoryRecord, TurnSpan } from "./record.ts";

/** The response fields of a record, as {@link responseOfTurns} builds them. */
export type ResponseFields = Pick<
  TrajectoryRecord,
  "response_ids" | "response_mask" | "rollout_log_probs" | "turns"
>;

/**
 * The response of a trajectory whose turns after the prompt are `turns`: ids, mask (1 on policy
 * tokens), the policy turns' sampling log-probs (null unless every policy turn has them, or with
 * no response token) and one span per turn.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = responseOfTurns([
 *   { role: "policy", round: 1, tokens: Int32Array.of(7), text: "<search> a </search>", action: { kind: "search", query: "a" } },
 *   { role: "observation", round: 1, tokens: Int32Array.of(9, 9), text: "<information> b </information>" },
 * ]);
 * assert.deepEqual(r.response_mask, [1, 0, 0]);
 * assert.deepEqual(r.turns.map((t) => [t.start, t.end]), [[0, 1], [1, 3]]);
 * assert.equal(r.rollout_log_probs, null);
 * ```
 */
export function responseOfTurns(turns: readonly Turn[]): ResponseFields {
  const ids: number[] = [];
  const mask: number[] = [];
  const logProbs: number[] = [];
  let haveLogProbs = true;
  const spans: TurnSpan[] = turns.map((t) => {
    const start = ids.length;
    const policy = t.role === "policy" ? 1 : 0;
    for (let i = 0; i < t.tokens.length; i++) {
      ids.push(t.tokens[i]!);
      mask.push(policy);
      logProbs.push(policy === 1 ? (t.sampledLogProbs?.[i] ?? 0) : 0);
    }
    if (policy === 1 && t.sampledLogProbs?.length !== t.tokens.length) haveLogProbs = false;
    const span: TurnSpan = { role: t.role, round: t.round, start, end: ids.length, text: t.text };
    if (t.action !== undefined) span.action = t.action;
    if (t.verdict !== undefined) {
      span.verdict = { correct: t.verdict.correct, kind: t.verdict.kind };
    }
    return span;
  });
  return {
    response_ids: ids,
    response_mask: mask,
    rollout_log_probs: haveLogProbs && ids.length > 0 ? logProbs : null,
    turns: spans,
  };
}

/**
 * The group id of each `uid`: the uids themselves when every one is a canonical 32-bit integer
 * ("0", "17", "-3"), else 0, 1, 2, ... in order of first appearance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([...groupIdsOf(["17", "17", "-3"])], [17, 17, -3]);
 * assert.deepEqual([...groupIdsOf(["b", "a", "b"])], [0, 1, 0]);
 * ```
 */
export function groupIdsOf(uids: readonly string[]): Int32Array {
  const canonical = uids.every((u) => {
    const x = Number(u);
    return Number.isInteger(x) && x >= -2147483648 && x <= 2147483647 && String(x) === u;
  });
  if (canonical) return Int32Array.from(uids, Number);
  const index = new Map<string, number>();
  return Int32Array.from(uids, (u) => {
    let g = index.get(u);
    if (g === undefined) index.set(u, g = index.size);
    return g;
  });
}
