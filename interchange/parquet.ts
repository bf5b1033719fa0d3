/**
 * Parquet encoding of interchange records through DuckDB (one row per record; nested lists and
 * structs; float32 per-token arrays, so advantages and log-probs are stored exactly). Written to
 * a temporary name and renamed, so a reader never sees half a file.
 *
 * @module
 */
import type { DuckDBInstance } from "@duckdb/node-api";
// The file itself, not @creditlab/datasets's mod.ts: the format stays core and DuckDB only (the
// package's mod.ts would load all of datasets, TensorFlow included, into the run store).
import { withDuckDb } from "@creditlab/datasets/duckdb";
import { withoutNullFields } from "./checker.ts";
import { InterchangeError } from "./errors.ts";
import type { TrajectoryRecord } from "./record.ts";
import { validateRecord } from "./validate.ts";
import { validateBatch } from "./validate_batch.ts";

/** The Parquet columns of the format and their DuckDB types (as `from_json` takes them). */
export const PARQUET_COLUMNS: Record<string, unknown> = {
  version: "INTEGER",
  uid: "VARCHAR",
  trajectory_id: "VARCHAR",
  data_source: "VARCHAR",
  question_id: "VARCHAR",
  question: "VARCHAR",
  ground_truth: {
    target: "VARCHAR[]",
    entities: "VARCHAR[]",
    chain: [{ query: "VARCHAR", entity: "VARCHAR", relation: "VARCHAR" }],
  },
  prompt_ids: "INTEGER[]",
  prompt_text: "VARCHAR",
  response_ids: "INTEGER[]",
  response_mask: "UTINYINT[]",
  rollout_log_probs: "FLOAT[]",
  turns: [{
    role: "VARCHAR",
    round: "INTEGER",
    start: "INTEGER",
    end: "INTEGER",
    text: "VARCHAR",
    action: "JSON",
    verdict: "JSON",
    reward: "DOUBLE",
  }],
  answer: "VARCHAR",
  outcome_reward: "DOUBLE",
  extras: {
    judge_scores: [{ round: "INTEGER", retrieval: "UTINYINT", thinking: "UTINYINT" }],
    entity_matches: [{ entity: "VARCHAR", matched: "BOOLEAN" }],
  },
  meta: "JSON",
  reward: "DOUBLE",
  advantages: "FLOAT[]",
  loss_weights: "FLOAT[]",
  method: "VARCHAR",
  method_record: "JSON",
};

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A DuckDB connection (of any instance: an in-memory one, or a run store's inside its transaction). */
export type DuckDbConnection = Awaited<ReturnType<DuckDBInstance["connect"]>>;

/**
 * Write `records` as a Parquet file (zstd) at exactly `path` through the DuckDB connection `c`,
 * with no temporary name: the caller renames (the run store writes its trajectory files so,
 * inside its transaction). {@link writeParquet} is this on a fresh in-memory DuckDB, then a
 * rename. The records are not checked here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withDuckDb } from "@creditlab/datasets";
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await withDuckDb(":memory:", (c) => copyRecordsToParquet(c, { records: [], path }));
 * assert.deepEqual(await readParquet(path), []);
 * await Deno.remove(path);
 * ```
 */
export async function copyRecordsToParquet(
  c: DuckDbConnection,
  opts: { records: readonly TrajectoryRecord[]; path: string },
): Promise<void> {
  const { records, path } = opts;
  const cols = Object.keys(PARQUET_COLUMNS).map((k) => `"${k}"`).join(", ");
  const spec = JSON.stringify([PARQUET_COLUMNS]);
  const table = "creditlab_trajectory_records";
  await c.run(
    `CREATE OR REPLACE TEMP TABLE ${table} AS SELECT ${cols} FROM (
       SELECT unnest(r) FROM (SELECT unnest(from_json($1::JSON, ${sqlString(spec)})) AS r))`,
    [JSON.stringify(records)],
  );
  try {
    await c.run(`COPY ${table} TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    await c.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

/**
 * Write records to a Parquet file (zstd), replacing it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * const rec = {
 *   version: 1, uid: "0", trajectory_id: "t0", data_source: "nq", question_id: "q1",
 *   ground_truth: { target: ["ann"] }, prompt_ids: [1], prompt_text: "question : who ?",
 *   response_ids: [7], response_mask: [1], advantages: [0.1],
 *   turns: [{ role: "policy" as const, round: 1, start: 0, end: 1, text: "<answer> ann </answer>" }],
 * };
 * await writeParquet(path, [rec]);
 * assert.equal((await readParquet(path))[0]!.advantages![0], Math.fround(0.1)); // stored as float32
 * await Deno.remove(path);
 * ```
 */
export async function writeParquet(
  path: string,
  records: readonly TrajectoryRecord[],
): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    await withDuckDb(":memory:", (c) => copyRecordsToParquet(c, { records, path: tmp }));
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** `v` with DuckDB's JSON-typed values (strings) parsed. */
function parsed(v: unknown): unknown {
  return typeof v === "string" ? JSON.parse(v) : v;
}

/** The columns stored as JSON text (parsed back; nulls inside them are the record's own). */
const JSON_COLUMNS = new Set(["meta", "method_record"]);
/** The columns of structs (or lists of structs), whose null fields are absent optionals. */
const STRUCT_COLUMNS = new Set(["ground_truth", "turns", "extras"]);

/**
 * A stored row as the record it encodes: JSON columns parsed, absent optional values dropped (a
 * null column, or a null field of a struct column: `ground_truth.entities`, a hop's `relation`,
 * `extras.judge_scores`, a turn's `action`), so a record reads back as it was written.
 */
function rowRecord(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined) continue;
    out[k] = JSON_COLUMNS.has(k) ? parsed(v) : STRUCT_COLUMNS.has(k) ? withoutNullFields(v) : v;
  }
  const turns = out["turns"];
  if (Array.isArray(turns)) {
    out["turns"] = turns.map((t: Record<string, unknown>) => {
      const o: Record<string, unknown> = { ...t };
      for (const k of ["action", "verdict"]) if (k in o) o[k] = parsed(o[k]);
      return o;
    });
  }
  return out;
}

/**
 * Read and check a Parquet file of records; errors name the file, the row (1-based) and the
 * field. A file missing a required column fails on that field of row 1.
 */
export async function readParquet(path: string): Promise<TrajectoryRecord[]> {
  const rows = await withDuckDb(":memory:", async (c) => {
    try {
      const r = await c.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(path)})`);
      return r.getRowObjectsJS() as Record<string, unknown>[];
    } catch (e) {
      throw new InterchangeError({ source: path, at: "file" }, {
        field: "",
        expected: "a Parquet file of trajectory records",
        got: (e as Error).message.split("\n")[0],
      });
    }
  });
  const recs = rows.map((row, i) => {
    const where = { source: path, at: `row ${i + 1}` };
    let rec: Record<string, unknown>;
    try {
      rec = rowRecord(row);
    } catch (e) {
      throw new InterchangeError(where, {
        field: "",
        expected: "JSON columns holding valid JSON",
        got: (e as Error).message,
      });
    }
    return validateRecord(rec, where);
  });
  validateBatch(recs, (i) => ({ source: path, at: `row ${i + 1}` }));
  return recs;
}
