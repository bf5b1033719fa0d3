/**
 * Trajectory rows to and from the columns of a Parquet trajectory file: checks of a row before it
 * is written, the conversion both ways, and the method record of files written before the
 * `method_record` column.
 *
 * @module
 */
import type { MethodRecord, RoundSeries } from "@creditlab/core";
import { type Columns, columns, num, parseJson, str } from "./sql.ts";
import type { TrajectoryRow, TrajectorySummary } from "./trajectory_row.ts";

const ROLE_NAMES = new Set(["policy", "observation", "feedback"]);

/** Check a row before it is written (one entry per token, one role per turn text); throws naming the field. */
export function validateRow(r: TrajectoryRow, where: string): void {
  const n = r.tokens.length;
  for (const k of ["roles", "roundIds", "lossMask", "advantages"] as const) {
    if (!Array.isArray(r[k]) && !ArrayBuffer.isView(r[k])) {
      throw new Error(`run store: ${where}.${k}: expected an array`);
    }
    if (r[k].length !== n) {
      throw new Error(
        `run store: ${where}.${k}: length ${r[k].length}, expected ${n} (one per token)`,
      );
    }
  }
  if (r.texts.length !== r.turnRoles.length) {
    throw new Error(
      `run store: ${where}.turnRoles: length ${r.turnRoles.length}, expected ${r.texts.length} (one per turn text)`,
    );
  }
  for (const role of r.turnRoles) {
    if (!ROLE_NAMES.has(role)) {
      throw new Error(`run store: ${where}.turnRoles: unknown role ${JSON.stringify(role)}`);
    }
  }
  if (typeof r.questionId !== "string") {
    throw new Error(`run store: ${where}.questionId: expected a string`);
  }
  for (const k of ["groupId", "row", "toolCalls"] as const) {
    if (!Number.isInteger(r[k])) throw new Error(`run store: ${where}.${k}: expected an integer`);
  }
  if (r.methodRecord !== undefined) validateMethodRecord(r.methodRecord, `${where}.methodRecord`);
}

/**
 * Check the generic parts of a method record: an object; `rounds` a label and a list of
 * numbers; `calls` non-negative integers by name. Throws naming the field.
 */
export function validateMethodRecord(rec: unknown, where: string): asserts rec is MethodRecord {
  if (typeof rec !== "object" || rec === null || Array.isArray(rec)) {
    throw new Error(`run store: ${where}: expected an object`);
  }
  const { rounds, calls } = rec as Record<string, unknown>;
  if (rounds !== undefined) {
    const r = rounds as Partial<RoundSeries> | null;
    if (
      typeof r !== "object" || r === null || typeof r.label !== "string" ||
      !Array.isArray(r.values) || !r.values.every((v) => typeof v === "number")
    ) {
      throw new Error(`run store: ${where}.rounds: expected { label: string, values: number[] }`);
    }
  }
  if (calls !== undefined) {
    if (typeof calls !== "object" || calls === null || Array.isArray(calls)) {
      throw new Error(`run store: ${where}.calls: expected an object of counts`);
    }
    for (const [k, v] of Object.entries(calls)) {
      if (!Number.isInteger(v) || (v as number) < 0) {
        throw new Error(`run store: ${where}.calls.${k}: expected an integer >= 0, got ${v}`);
      }
    }
  }
}

/** The stored columns of a row (non-finite numbers become null). */
export function toStoredRow(r: TrajectoryRow): Record<string, unknown> {
  const finite = (a: ArrayLike<number>) => Array.from(a, (x) => (Number.isFinite(x) ? x : null));
  return {
    question_id: r.questionId,
    group_id: r.groupId,
    row: r.row,
    tokens: Array.from(r.tokens),
    roles: Array.from(r.roles),
    round_ids: Array.from(r.roundIds),
    loss_mask: finite(r.lossMask),
    advantages: finite(r.advantages),
    texts: r.texts,
    turn_roles: r.turnRoles,
    reward: Number.isFinite(r.reward) ? r.reward : null,
    outcome: r.outcome,
    tool_calls: r.toolCalls,
    method_record: r.methodRecord ?? null,
    answer: r.answer ?? null,
    extra: r.extra ?? null,
  };
}

function numList(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new Error(`run store: trajectory ${what}: expected a list`);
  return v.map((x) => (x === null ? NaN : num(x, what)));
}

function strList(v: unknown, what: string): string[] {
  if (!Array.isArray(v)) throw new Error(`run store: trajectory ${what}: expected a list`);
  return v.map((x) => str(x, what));
}

/** The outcome columns of a stored row: reward (NaN where stored as null), outcome, search calls. */
function outcomeColumns(c: Columns): Pick<TrajectorySummary, "reward" | "outcome" | "toolCalls"> {
  return {
    reward: c.numOrNaN("reward"),
    outcome: c.num("outcome"),
    toolCalls: c.num("tool_calls"),
  };
}

/** `out` with the method record of stored row `r` ({@link storedMethodRecord}), if it has one. */
function withMethodRecord<T extends { methodRecord?: MethodRecord }>(
  out: T,
  r: Record<string, unknown>,
): T {
  const rec = storedMethodRecord(r);
  if (rec !== undefined) out.methodRecord = rec;
  return out;
}

/** A row read back from its stored columns. */
export function fromStoredRow(r: Record<string, unknown>): TrajectoryRow {
  const c = columns(r);
  const out = withMethodRecord<TrajectoryRow>({
    questionId: c.str("question_id"),
    groupId: c.num("group_id"),
    row: c.num("row"),
    tokens: numList(r["tokens"], "tokens"),
    roles: numList(r["roles"], "roles"),
    roundIds: numList(r["round_ids"], "round_ids"),
    lossMask: numList(r["loss_mask"], "loss_mask"),
    advantages: numList(r["advantages"], "advantages"),
    texts: strList(r["texts"], "texts"),
    turnRoles: strList(r["turn_roles"], "turn_roles"),
    ...outcomeColumns(c),
  }, r);
  if (typeof r["answer"] === "string") out.answer = r["answer"];
  const extra = parseJson(r["extra"]);
  if (extra !== null && extra !== undefined) out.extra = extra as Record<string, unknown>;
  return out;
}

/**
 * The method record of a trajectory file written before the `method_record` column: its
 * `contributions` column (per non-final round, one judged round each) becomes a per-round
 * series labelled "contribution" with that many `judge` calls, and a positive
 * `feedback_calls` becomes `feedback` calls. Undefined when neither holds anything.
 *
 * @example
 * ```ts
 * legacyMethodRecord({ contributions: [1, 0], feedback_calls: 0 });
 * // { rounds: { label: "contribution", values: [1, 0] }, calls: { judge: 2 } }
 * ```
 */
export function legacyMethodRecord(r: Record<string, unknown>): MethodRecord | undefined {
  const c = r["contributions"];
  const fb = r["feedback_calls"];
  const calls: Record<string, number> = {};
  let rounds: RoundSeries | undefined;
  if (Array.isArray(c) && c.length > 0) {
    rounds = { label: "contribution", values: numList(c, "contributions") };
    calls.judge = c.length;
  }
  if (fb !== null && fb !== undefined && num(fb, "feedback_calls") > 0) {
    calls.feedback = num(fb, "feedback_calls");
  }
  if (rounds === undefined && Object.keys(calls).length === 0) return undefined;
  return {
    ...(rounds ? { rounds } : {}),
    ...(Object.keys(calls).length > 0 ? { calls } : {}),
  };
}

/** The method record of a stored row: `method_record`, or the legacy columns of older files. */
export function storedMethodRecord(r: Record<string, unknown>): MethodRecord | undefined {
  if (!("method_record" in r)) return legacyMethodRecord(r);
  const v = parseJson(r["method_record"]);
  if (v === null || v === undefined) return undefined;
  validateMethodRecord(v, "trajectory method_record");
  return v;
}

/** The summary of a stored row read without its per-token arrays and texts. */
export function summaryFromStoredRow(r: Record<string, unknown>): TrajectorySummary {
  const c = columns(r);
  return withMethodRecord<TrajectorySummary>({
    row: c.num("row"),
    groupId: c.num("group_id"),
    questionId: c.str("question_id"),
    ...outcomeColumns(c),
  }, r);
}
