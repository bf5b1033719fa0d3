/**
 * Strict checks of one interchange record ({@link validateRecord}): types, lengths, the turn
 * spans tiling the response, the mask agreeing with the roles, the judge scores covering rounds
 * 1..K-1. The values are checked by checker.ts; a batch together by validate_batch.ts. Every
 * failure is an {@link InterchangeError} naming source, place, field and what was expected.
 *
 * @module
 */
import { isJsonObject } from "@creditlab/core";
import { Checker } from "./checker.ts";
import type { Where } from "./errors.ts";
import { FORMAT_VERSION, type TrajectoryRecord } from "./record.ts";

const FIELDS = new Set([
  "version",
  "uid",
  "trajectory_id",
  "data_source",
  "question_id",
  "question",
  "ground_truth",
  "prompt_ids",
  "prompt_text",
  "response_ids",
  "response_mask",
  "rollout_log_probs",
  "turns",
  "answer",
  "outcome_reward",
  "extras",
  "meta",
  "reward",
  "advantages",
  "loss_weights",
  "method",
  "method_record",
]);
const TURN_FIELDS = new Set([
  "role",
  "round",
  "start",
  "end",
  "text",
  "action",
  "verdict",
  "reward",
]);
const ROLES = new Set(["policy", "observation", "feedback"]);
const GROUND_TRUTH_FIELDS = new Set(["target", "entities", "chain"]);
const HOP_FIELDS = new Set(["query", "entity", "relation"]);

/** The last policy round K of a record's turns (0 when it has no policy turn). */
export function lastPolicyRound(rec: Pick<TrajectoryRecord, "turns">): number {
  let k = 0;
  for (const t of rec.turns) if (t.role === "policy" && t.round > k) k = t.round;
  return k;
}

/**
 * Check one record strictly and return it typed. Unknown fields are errors (a typo must not
 * silently drop an input).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = {
 *   version: 1, uid: "0", trajectory_id: "t0", data_source: "nq", question_id: "q1",
 *   ground_truth: { target: ["paris"] }, prompt_ids: [1, 2], prompt_text: "question : ?",
 *   response_ids: [7, 8, 9], response_mask: [1, 1, 0],
 *   turns: [
 *     { role: "policy", round: 1, start: 0, end: 2, text: "<search> x </search>" },
 *     { role: "observation", round: 1, start: 2, end: 3, text: "<information> y </information>" },
 *   ],
 * };
 * validateRecord(rec, { source: "a.jsonl", at: "line 1" }); // passes
 * assert.throws(
 *   () => validateRecord({ ...rec, response_mask: [1, 0, 0] }, { source: "a.jsonl", at: "line 1" }),
 *   /a.jsonl: line 1: field response_mask\[1\]: expected 1 \(token 1 is in turns\[0\], a policy turn\), got 0/,
 * );
 * ```
 */
export function validateRecord(value: unknown, where: Where): TrajectoryRecord {
  const c: Checker = new Checker(where);
  if (!isJsonObject(value)) c.fail("", "a JSON object (one trajectory)", value);
  const v = value;
  for (const k of Object.keys(v)) {
    if (!FIELDS.has(k)) {
      c.fail(k, `a field of format version ${FORMAT_VERSION}`, "an unknown field");
    }
  }
  if (v.version !== FORMAT_VERSION) c.fail("version", String(FORMAT_VERSION), v.version);
  for (const k of ["uid", "trajectory_id", "data_source", "question_id"]) {
    c.str(v[k], k, { nonEmpty: true });
  }
  c.optStr(v.question, "question");
  // An empty target is allowed only beside an outcome reward: the producer scored the outcome
  // and did not carry its gold answers (our trainer's run-store files; README "Run-store files").
  checkGroundTruth(c, v.ground_truth, { scored: typeof v.outcome_reward === "number" });
  c.ids(v.prompt_ids, "prompt_ids");
  c.str(v.prompt_text, "prompt_text");
  const n = c.ids(v.response_ids, "response_ids").length;
  const mask = c.aligned(v.response_mask, "response_mask", n);
  if (v.rollout_log_probs !== undefined && v.rollout_log_probs !== null) {
    c.aligned(v.rollout_log_probs, "rollout_log_probs", n);
  }
  checkTurns(c, v.turns, mask);
  c.optStr(v.answer, "answer");
  c.optFinite(v.outcome_reward, "outcome_reward");
  if (v.extras !== undefined && v.extras !== null) {
    checkExtras(c, v.extras, lastPolicyRound(v as unknown as TrajectoryRecord));
  }
  if (v.meta !== undefined && v.meta !== null && !isJsonObject(v.meta)) {
    c.fail("meta", "an object (free-form JSON)", v.meta);
  }
  c.optFinite(v.reward, "reward");
  for (const k of ["advantages", "loss_weights"]) {
    if (v[k] !== undefined && v[k] !== null) c.aligned(v[k], k, n);
  }
  c.optStr(v.method, "method");
  if (v.method_record !== undefined && v.method_record !== null) {
    checkMethodRecord(c, v.method_record);
  }
  return v as unknown as TrajectoryRecord;
}

/** `ground_truth`: its target (empty only when `scored`), entities and chain, nothing else. */
function checkGroundTruth(c: Checker, gt: unknown, opts: { scored: boolean }): void {
  if (!isJsonObject(gt)) {
    c.fail(
      "ground_truth",
      "an object {target: string[], entities?: string[], chain?: {query, entity, relation?}[]}",
      gt,
    );
  }
  for (const k of Object.keys(gt)) {
    if (!GROUND_TRUTH_FIELDS.has(k)) {
      c.fail(`ground_truth.${k}`, [...GROUND_TRUTH_FIELDS].join(", "), k);
    }
  }
  if (c.strList(gt.target, "ground_truth.target").length === 0 && !opts.scored) {
    c.fail(
      "ground_truth.target",
      "at least one accepted answer (or an outcome_reward: then it may be empty)",
      gt.target,
    );
  }
  if (gt.entities !== undefined && gt.entities !== null) {
    c.strList(gt.entities, "ground_truth.entities");
  }
  if (gt.chain !== undefined && gt.chain !== null) checkChain(c, gt.chain);
}

/** `ground_truth.chain`: the gold hops in order, each `{query, entity, relation?}`. */
function checkChain(c: Checker, chain: unknown, field = "ground_truth.chain"): void {
  if (!Array.isArray(chain)) {
    c.fail(field, "an array of gold hops {query, entity, relation?} (the gold tool calls)", chain);
  }
  chain.forEach((h: unknown, i: number) => {
    const f = `${field}[${i}]`;
    if (!isJsonObject(h)) {
      c.fail(f, "a gold hop {query: string, entity: string, relation?: string}", h);
    }
    for (const k of Object.keys(h)) {
      if (!HOP_FIELDS.has(k)) c.fail(`${f}.${k}`, `a hop field (${[...HOP_FIELDS].join(", ")})`, k);
    }
    c.str(h.query, `${f}.query`);
    c.str(h.entity, `${f}.entity`);
    c.optStr(h.relation, `${f}.relation`);
  });
}

/**
 * `turns`: spans tiling the response tokens in order, each with its fields, an action only on a
 * policy turn and a verdict only on a feedback one, the response `mask` 1 on policy tokens and
 * 0 on the others.
 */
function checkTurns(c: Checker, turns: unknown, mask: readonly number[]): void {
  const n = mask.length;
  if (!Array.isArray(turns)) c.fail("turns", "an array of turn spans", turns);
  let pos = 0;
  turns.forEach((t: unknown, i: number) => {
    const f = `turns[${i}]`;
    if (!isJsonObject(t)) c.fail(f, "a turn span {role, round, start, end, text}", t);
    for (const k of Object.keys(t)) {
      if (!TURN_FIELDS.has(k)) {
        c.fail(`${f}.${k}`, `a turn field (${[...TURN_FIELDS].join(", ")})`, k);
      }
    }
    if (typeof t.role !== "string" || !ROLES.has(t.role)) {
      c.fail(`${f}.role`, "policy, observation or feedback", t.role);
    }
    c.int(t.round, `${f}.round`, t.role === "policy" ? 1 : 0);
    if (t.start !== pos) {
      c.fail(`${f}.start`, `${pos} (turns tile response_ids in order, without gaps)`, t.start);
    }
    const end = c.int(t.end, `${f}.end`, pos);
    if (end > n) c.fail(`${f}.end`, `at most ${n} (the response length)`, end);
    c.str(t.text, `${f}.text`);
    if (t.action !== undefined && t.action !== null) {
      if (t.role !== "policy") c.fail(`${f}.action`, "an action only on a policy turn", t.action);
      c.action(t.action, `${f}.action`);
    }
    if (t.verdict !== undefined && t.verdict !== null) {
      if (t.role !== "feedback") {
        c.fail(`${f}.verdict`, "a verdict only on a feedback turn", t.verdict);
      }
      c.verdict(t.verdict, `${f}.verdict`);
    }
    c.optFinite(t.reward, `${f}.reward`);
    const want = t.role === "policy" ? 1 : 0;
    for (let j = pos; j < end; j++) {
      if (mask[j] !== want) {
        c.fail(
          `response_mask[${j}]`,
          `${want} (token ${j} is in ${f}, ${
            t.role === "observation" ? "an" : "a"
          } ${t.role} turn)`,
          mask[j],
        );
      }
    }
    pos = end;
  });
  if (pos !== n) {
    c.failText("turns", `spans covering all ${n} response tokens`, `spans ending at ${pos}`);
  }
}

/** `extras`: judge scores of rounds 1..K-1 (`K` the last policy round), entity matches. */
function checkExtras(c: Checker, x: unknown, K: number): void {
  if (!isJsonObject(x)) c.fail("extras", "an object {judge_scores?, entity_matches?}", x);
  for (const k of Object.keys(x)) {
    if (k !== "judge_scores" && k !== "entity_matches") {
      c.fail(`extras.${k}`, "judge_scores or entity_matches", k);
    }
  }
  if (x.judge_scores !== undefined && x.judge_scores !== null) {
    const js = x.judge_scores;
    if (!Array.isArray(js)) {
      c.fail("extras.judge_scores", "an array of {round, retrieval, thinking}", js);
    }
    if (js.length !== Math.max(0, K - 1)) {
      c.failText(
        "extras.judge_scores",
        `${Math.max(0, K - 1)} scores (rounds 1..K-1 of the ${K} policy rounds)`,
        `${js.length}`,
      );
    }
    js.forEach((s: unknown, i: number) => {
      const f = `extras.judge_scores[${i}]`;
      if (!isJsonObject(s)) c.fail(f, "{round, retrieval, thinking}", s);
      if (s.round !== i + 1) c.fail(`${f}.round`, String(i + 1), s.round);
      for (const k of ["retrieval", "thinking"]) {
        if (s[k] !== 0 && s[k] !== 1) c.fail(`${f}.${k}`, "0 or 1", s[k]);
      }
    });
  }
  if (x.entity_matches !== undefined && x.entity_matches !== null) {
    const em = x.entity_matches;
    if (!Array.isArray(em)) c.fail("extras.entity_matches", "an array of {entity, matched}", em);
    em.forEach((m: unknown, i: number) => {
      const f = `extras.entity_matches[${i}]`;
      if (!isJsonObject(m)) c.fail(f, "{entity, matched}", m);
      c.str(m.entity, `${f}.entity`);
      if (typeof m.matched !== "boolean") c.fail(`${f}.matched`, "true or false", m.matched);
    });
  }
}

/** `method_record`: an object whose `rounds` is a labelled series and `calls` counts. */
function checkMethodRecord(c: Checker, r: unknown): void {
  if (!isJsonObject(r)) c.fail("method_record", "an object (the method's record)", r);
  if (r.rounds !== undefined) {
    const s = r.rounds;
    if (
      !isJsonObject(s) || typeof s.label !== "string" || !Array.isArray(s.values) ||
      !s.values.every((x) => typeof x === "number")
    ) c.fail("method_record.rounds", "{label: string, values: number[]}", s);
  }
  if (r.calls !== undefined) {
    if (!isJsonObject(r.calls)) c.fail("method_record.calls", "an object of counts", r.calls);
    for (const [k, x] of Object.entries(r.calls)) {
      if (typeof x !== "number" || !Number.isInteger(x) || x < 0) {
        c.fail(`method_record.calls.${k}`, "an integer >= 0", x);
      }
    }
  }
}
