/**
 * LEGACY: the reader of trajectory files written before the run store wrote the interchange
 * format (stores of earlier runs, e.g. the repro stores of `/work/repro`). Those files have one column per
 * harness fact ({@link LEGACY_TRAJECTORY_COLUMNS}: token-aligned `tokens`, `roles`,
 * `round_ids`, `loss_mask`, `advantages` over prompt and response, `texts` and `turn_roles` per
 * turn, ...), and the oldest ones `feedback_calls` and `contributions` instead of
 * `method_record`. Nothing writes them any more; the store reads one through this module only
 * when the file has these columns (trajectory_files.ts decides from the Parquet schema).
 *
 * @module
 */
import type { MethodRecord, RoundSeries } from "@creditlab/core";
import { type Columns, columns, num, parseJson, sqlString, str } from "./sql.ts";
import { validateMethodRecord } from "./trajectory_codec.ts";
import type { TrajectoryRow, TrajectorySummary } from "./trajectory_row.ts";

/** Columns of a legacy trajectory file and their DuckDB types. */
export const LEGACY_TRAJECTORY_COLUMNS: Record<string, string> = {
  question_id: "VARCHAR",
  group_id: "INTEGER",
  row: "INTEGER",
  tokens: "INTEGER[]",
  roles: "TINYINT[]",
  round_ids: "INTEGER[]",
  loss_mask: "FLOAT[]",
  advantages: "FLOAT[]",
  texts: "VARCHAR[]",
  turn_roles: "VARCHAR[]",
  reward: "DOUBLE",
  outcome: "DOUBLE",
  tool_calls: "INTEGER",
  method_record: "JSON",
  answer: "VARCHAR",
  extra: "JSON",
};

/** The per-token and per-turn columns a summary leaves out. */
const ARRAY_COLUMNS = [
  "tokens",
  "roles",
  "round_ids",
  "loss_mask",
  "advantages",
  "texts",
  "turn_roles",
];

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

/** A row read back from the columns of a legacy file. */
export function fromLegacyRow(r: Record<string, unknown>): TrajectoryRow {
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

/** The method record of a legacy row: `method_record`, or the columns of older files. */
function storedMethodRecord(r: Record<string, unknown>): MethodRecord | undefined {
  if (!("method_record" in r)) return legacyMethodRecord(r);
  const v = parseJson(r["method_record"]);
  if (v === null || v === undefined) return undefined;
  validateMethodRecord(v, "trajectory method_record");
  return v;
}

/** The summary of a legacy row read without its per-token arrays and texts. */
function summaryFromLegacyRow(r: Record<string, unknown>): TrajectorySummary {
  const c = columns(r);
  return withMethodRecord<TrajectorySummary>({
    row: c.num("row"),
    groupId: c.num("group_id"),
    questionId: c.str("question_id"),
    ...outcomeColumns(c),
  }, r);
}

/** Whether Parquet columns `names` are a legacy trajectory file's. */
export function isLegacyTrajectoryColumns(names: readonly string[]): boolean {
  return ["tokens", "roles", "round_ids", "turn_roles"].every((c) => names.includes(c));
}

/** A read query over the store's DuckDB connection. */
type Rows = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * The rows of a legacy trajectory file, in row order; `rows` runs a read query.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DuckDBInstance } from "@duckdb/node-api";
 * const c = await (await DuckDBInstance.create(":memory:")).connect();
 * const rows = async (sql: string) =>
 *   (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await rows(`COPY (SELECT 'q0' AS question_id, 0 AS group_id, 0 AS "row", [1, 2] AS tokens,
 *   [0, 1] AS roles, [0, 1] AS round_ids, [0, 1]::FLOAT[] AS loss_mask,
 *   [0, 0.5]::FLOAT[] AS advantages, ['p', 'a'] AS texts, ['observation', 'policy'] AS turn_roles,
 *   1.0 AS reward, 1.0 AS outcome, 0 AS tool_calls) TO '${path}' (FORMAT parquet)`);
 * assert.deepEqual((await readLegacyTrajectoryFile(rows, path))[0]!.advantages, [0, 0.5]);
 * c.closeSync();
 * await Deno.remove(path);
 * ```
 */
export async function readLegacyTrajectoryFile(rows: Rows, path: string): Promise<TrajectoryRow[]> {
  const out = await rows(`SELECT * FROM read_parquet(${sqlString(path)}) ORDER BY "row"`);
  return out.map(fromLegacyRow);
}

/** The summaries of a legacy trajectory file (read without its per-token arrays), in row order. */
export async function readLegacyTrajectorySummaries(
  rows: Rows,
  path: string,
): Promise<TrajectorySummary[]> {
  const out = await rows(
    `SELECT * EXCLUDE (${ARRAY_COLUMNS.join(", ")}) FROM read_parquet(${
      sqlString(path)
    }) ORDER BY "row"`,
  );
  return out.map(summaryFromLegacyRow);
}
