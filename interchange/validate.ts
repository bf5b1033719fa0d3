/**
 * Strict checks of interchange records: one record ({@link validateRecord}: types, lengths,
 * the turn spans tiling the response, the mask agreeing with the roles, the judge scores
 * covering rounds 1..K-1) and a batch ({@link validateBatch}: unique trajectory ids, one
 * question per group, one ground truth per question). Every failure is an
 * {@link InterchangeError} naming source, place, field and what was expected.
 *
 * @module
 */
import { InterchangeError, shown, type Where } from "./errors.ts";
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
const FEEDBACK_KINDS = new Set([
  "correct",
  "wrong-type",
  "wrong-hop",
  "missing-entity",
  "wrong",
  "unknown",
]);
const ACTION_FIELD: Record<string, string> = {
  search: "query",
  answer: "text",
  feedback: "draft",
  invalid: "reason",
};

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks of one record, bound to where it came from. */
class Checker {
  constructor(readonly where: Where) {}

  fail(field: string, expected: string, got?: unknown): never {
    throw new InterchangeError(this.where, {
      field,
      expected,
      ...(arguments.length > 2 ? { got: shown(got) } : {}),
    });
  }

  /** As {@link fail}, with `got` already rendered as text. */
  failText(field: string, expected: string, got: string): never {
    throw new InterchangeError(this.where, { field, expected, got });
  }

  str(v: unknown, field: string, opts: { nonEmpty?: boolean } = {}): string {
    if (typeof v !== "string") this.fail(field, "a string", v);
    if (opts.nonEmpty && v === "") this.fail(field, "a non-empty string", v);
    return v;
  }

  optStr(v: unknown, field: string): void {
    if (v !== undefined && v !== null) this.str(v, field);
  }

  int(v: unknown, field: string, min: number): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > 2147483647) {
      this.fail(field, `an integer >= ${min}`, v);
    }
    return v;
  }

  finite(v: unknown, field: string): number {
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(field, "a finite number", v);
    return v;
  }

  optFinite(v: unknown, field: string): void {
    if (v !== undefined && v !== null) this.finite(v, field);
  }

  strList(v: unknown, field: string): string[] {
    if (!Array.isArray(v)) this.fail(field, "an array of strings", v);
    v.forEach((x, i) => this.str(x, `${field}[${i}]`));
    return v;
  }

  /** Token ids: integers in [0, 2^31). */
  ids(v: unknown, field: string): number[] {
    if (!Array.isArray(v)) this.fail(field, "an array of token ids", v);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 2147483647) {
        this.fail(`${field}[${i}]`, "a token id (an integer >= 0)", x);
      }
    }
    return v;
  }

  /** A per-response-token array of finite numbers, `n` long. */
  aligned(v: unknown, field: string, n: number): number[] {
    if (!Array.isArray(v)) this.fail(field, `an array of ${n} numbers (one per response token)`, v);
    if (v.length !== n) {
      this.failText(field, `${n} entries (one per response token)`, `${v.length} entries`);
    }
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (typeof x !== "number" || !Number.isFinite(x)) {
        this.fail(`${field}[${i}]`, "a finite number", x);
      }
    }
    return v;
  }

  action(v: unknown, field: string): void {
    if (!isObj(v)) this.fail(field, `an action object {kind, ...}`, v);
    const key = typeof v.kind === "string" ? ACTION_FIELD[v.kind] : undefined;
    if (key === undefined) {
      this.fail(`${field}.kind`, `one of ${Object.keys(ACTION_FIELD).join(", ")}`, v.kind);
    }
    this.str(v[key], `${field}.${key}`);
  }

  verdict(v: unknown, field: string): void {
    if (!isObj(v)) this.fail(field, "a verdict {correct, kind}", v);
    if (typeof v.correct !== "boolean") this.fail(`${field}.correct`, "true or false", v.correct);
    if (typeof v.kind !== "string" || !FEEDBACK_KINDS.has(v.kind)) {
      this.fail(`${field}.kind`, `one of ${[...FEEDBACK_KINDS].join(", ")}`, v.kind);
    }
  }
}

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
  if (!isObj(value)) c.fail("", "a JSON object (one trajectory)", value);
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
  const gt = v.ground_truth;
  if (!isObj(gt)) c.fail("ground_truth", "an object {target: string[], entities?: string[]}", gt);
  for (const k of Object.keys(gt)) {
    if (k !== "target" && k !== "entities") c.fail(`ground_truth.${k}`, "target or entities", k);
  }
  // An empty target is allowed only beside an outcome reward: the producer scored the outcome
  // and did not carry its gold answers (our trainer's run-store files; README "Run-store files").
  const scored = typeof v.outcome_reward === "number";
  if (c.strList(gt.target, "ground_truth.target").length === 0 && !scored) {
    c.fail(
      "ground_truth.target",
      "at least one accepted answer (or an outcome_reward: then it may be empty)",
      gt.target,
    );
  }
  if (gt.entities !== undefined && gt.entities !== null) {
    c.strList(gt.entities, "ground_truth.entities");
  }
  c.ids(v.prompt_ids, "prompt_ids");
  c.str(v.prompt_text, "prompt_text");
  const n = c.ids(v.response_ids, "response_ids").length;
  const mask = c.aligned(v.response_mask, "response_mask", n);
  if (v.rollout_log_probs !== undefined && v.rollout_log_probs !== null) {
    c.aligned(v.rollout_log_probs, "rollout_log_probs", n);
  }
  if (!Array.isArray(v.turns)) c.fail("turns", "an array of turn spans", v.turns);
  let pos = 0;
  v.turns.forEach((t: unknown, i: number) => {
    const f = `turns[${i}]`;
    if (!isObj(t)) c.fail(f, "a turn span {role, round, start, end, text}", t);
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
  c.optStr(v.answer, "answer");
  c.optFinite(v.outcome_reward, "outcome_reward");
  if (v.extras !== undefined && v.extras !== null) {
    const x = v.extras;
    if (!isObj(x)) c.fail("extras", "an object {judge_scores?, entity_matches?}", x);
    for (const k of Object.keys(x)) {
      if (k !== "judge_scores" && k !== "entity_matches") {
        c.fail(`extras.${k}`, "judge_scores or entity_matches", k);
      }
    }
    if (x.judge_scores !== undefined && x.judge_scores !== null) {
      const K = lastPolicyRound(v as unknown as TrajectoryRecord);
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
        if (!isObj(s)) c.fail(f, "{round, retrieval, thinking}", s);
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
        if (!isObj(m)) c.fail(f, "{entity, matched}", m);
        c.str(m.entity, `${f}.entity`);
        if (typeof m.matched !== "boolean") c.fail(`${f}.matched`, "true or false", m.matched);
      });
    }
  }
  if (v.meta !== undefined && v.meta !== null && !isObj(v.meta)) {
    c.fail("meta", "an object (free-form JSON)", v.meta);
  }
  c.optFinite(v.reward, "reward");
  for (const k of ["advantages", "loss_weights"]) {
    if (v[k] !== undefined && v[k] !== null) c.aligned(v[k], k, n);
  }
  c.optStr(v.method, "method");
  if (v.method_record !== undefined && v.method_record !== null) {
    const r = v.method_record;
    if (!isObj(r)) c.fail("method_record", "an object (the method's record)", r);
    if (r.rounds !== undefined) {
      const s = r.rounds;
      if (
        !isObj(s) || typeof s.label !== "string" || !Array.isArray(s.values) ||
        !s.values.every((x) => typeof x === "number")
      ) c.fail("method_record.rounds", "{label: string, values: number[]}", s);
    }
    if (r.calls !== undefined) {
      if (!isObj(r.calls)) c.fail("method_record.calls", "an object of counts", r.calls);
      for (const [k, x] of Object.entries(r.calls)) {
        if (typeof x !== "number" || !Number.isInteger(x) || x < 0) {
          c.fail(`method_record.calls.${k}`, "an integer >= 0", x);
        }
      }
    }
  }
  return v as unknown as TrajectoryRecord;
}

/**
 * Check a batch of (individually valid) records together: trajectory ids unique, every group
 * (`uid`) about one question, and every question with one data source and ground truth.
 * `whereOf(i)` says where record i came from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = (id: string, q: string) => ({ trajectory_id: id, uid: "g", question_id: q,
 *   data_source: "nq", ground_truth: { target: ["a"] } }) as never;
 * assert.throws(
 *   () => validateBatch([rec("t0", "q1"), rec("t1", "q2")], (i) => ({ source: "b.jsonl", at: `line ${i + 1}` })),
 *   /b.jsonl: line 2: field question_id: expected "q1" \(group "g" is about question q1, line 1\)/,
 * );
 * ```
 */
export function validateBatch(
  records: readonly TrajectoryRecord[],
  whereOf: (i: number) => Where,
): void {
  const ids = new Map<string, number>();
  const groups = new Map<string, number>();
  const questions = new Map<string, number>();
  records.forEach((r, i) => {
    const fail = (field: string, expected: string, got: unknown): never => {
      throw new InterchangeError(whereOf(i), { field, expected, got: shown(got) });
    };
    const seen = ids.get(r.trajectory_id);
    if (seen !== undefined) {
      fail("trajectory_id", `a unique id (already used at ${whereOf(seen).at})`, r.trajectory_id);
    }
    ids.set(r.trajectory_id, i);
    const g = groups.get(r.uid);
    if (g === undefined) groups.set(r.uid, i);
    else if (records[g]!.question_id !== r.question_id) {
      fail(
        "question_id",
        `${JSON.stringify(records[g]!.question_id)} (group ${
          JSON.stringify(r.uid)
        } is about question ${records[g]!.question_id}, ${whereOf(g).at})`,
        r.question_id,
      );
    }
    const q = questions.get(r.question_id);
    if (q === undefined) questions.set(r.question_id, i);
    else {
      const first = records[q]!;
      const at = `question ${r.question_id} at ${whereOf(q).at}`;
      if (first.data_source !== r.data_source) {
        fail("data_source", `${JSON.stringify(first.data_source)} (as for ${at})`, r.data_source);
      }
      const gt = (x: TrajectoryRecord) =>
        JSON.stringify([x.ground_truth.target, x.ground_truth.entities ?? null]);
      if (gt(first) !== gt(r)) {
        fail("ground_truth", `${gt(first)} (as for ${at})`, gt(r));
      }
    }
  });
}
