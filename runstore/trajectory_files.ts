/**
 * The trajectory files of the run store: `<dir>/trajectories/<run id>/step-XXXXXX.parquet`, one
 * per stored step, indexed by the `trajectory_files` table. The store writes each as an
 * interchange-format v1 Parquet file (one record per trajectory, through interchange's writer,
 * on the store's connection inside its transaction: written to a temporary name, indexed, renamed,
 * committed) and reads it through interchange's reader. Files of stores written before are in
 * the legacy encoding (legacy_trajectories.ts); which one a file is comes from its Parquet schema.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  copyRecordsToParquet,
  groupIdsOf,
  readParquet,
  type TrajectoryRecord,
} from "@creditlab/interchange/format";
import {
  isLegacyTrajectoryColumns,
  readLegacyTrajectoryFile,
  readLegacyTrajectorySummaries,
} from "./legacy_trajectories.ts";
import { dirname, str } from "./sql.ts";
import { sqlString } from "./sql.ts";
import { rowFromRecord, summaryOfRow } from "./trajectory_codec.ts";
import type { TrajectoryRow, TrajectorySummary } from "./trajectory_row.ts";

/** Where a step's file goes: `rel` (as indexed), `final` and `tmp` (written first) paths. */
export interface TrajectoryFilePaths {
  rel: string;
  final: string;
  tmp: string;
}

/**
 * The paths of the trajectory file of one step of a run in the store folder `dir`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = trajectoryFilePaths("runs", { runId: "r0001-alpha-s1", step: 9 });
 * assert.equal(p.rel, "trajectories/r0001-alpha-s1/step-000009.parquet");
 * assert.equal(p.final, "runs/trajectories/r0001-alpha-s1/step-000009.parquet");
 * ```
 */
export function trajectoryFilePaths(
  dir: string,
  opts: { runId: string; step: number },
): TrajectoryFilePaths {
  const rel = `trajectories/${opts.runId}/step-${String(opts.step).padStart(6, "0")}.parquet`;
  const final = `${dir}/${rel}`;
  return { rel, final, tmp: `${final}.tmp-${Deno.pid}` };
}

/**
 * Inside the caller's transaction on `c`: write a step's (checked) records to `file.tmp` as an
 * interchange Parquet file, with `method` = the run's method, index it as `file.rel`, and rename
 * it to `file.final`. The index row commits with the transaction; a failure before leaves the
 * temporary file for the caller to remove.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { RunStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
 * const id = await store.startRun({ method: "alpha", config: {}, seed: 1, backend: "wasm", commit: "abc", preset: "smoke" });
 * const path = await store.writeTrajectories(id, 0, []); // writeTrajectoryFile, in one transaction
 * assert.equal(path, trajectoryFilePaths(dir, { runId: id, step: 0 }).final);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTrajectoryFile(
  c: DuckDBConnection,
  opts: { runId: string; step: number; records: TrajectoryRecord[]; file: TrajectoryFilePaths },
): Promise<void> {
  const { runId, step, file } = opts;
  const m = await c.runAndReadAll(`SELECT method FROM runs WHERE id = $1`, [runId]);
  const method = str(m.getRowObjectsJS()[0]?.["method"], "method");
  const records = opts.records.map((r) => ({ ...r, method }));
  await Deno.mkdir(dirname(file.final), { recursive: true });
  await copyRecordsToParquet(c, { records, path: file.tmp });
  await c.run(
    `INSERT OR REPLACE INTO trajectory_files VALUES ($1, $2, $3, $4)`,
    [runId, step, file.rel, records.length],
  );
  await Deno.rename(file.tmp, file.final);
}

/** A read query over the store's DuckDB connection. */
export type ReadRows = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * The encoding of a trajectory file, from its Parquet schema: `interchange` (format v1: the
 * `version` and `response_ids` columns) or `legacy` (`tokens`, `roles`, `round_ids`, ...).
 * Throws naming the file otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DuckDBInstance } from "@duckdb/node-api";
 * import { writeRecords } from "@creditlab/interchange/format";
 * const c = await (await DuckDBInstance.create(":memory:")).connect();
 * const rows = async (sql: string) =>
 *   (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await writeRecords(path, []);
 * assert.equal(await trajectoryFileEncoding(rows, path), "interchange");
 * c.closeSync();
 * await Deno.remove(path);
 * ```
 */
export async function trajectoryFileEncoding(
  rows: ReadRows,
  path: string,
): Promise<"interchange" | "legacy"> {
  const cols = (await rows(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`))
    .map((r) => String(r["column_name"]));
  if (cols.includes("version") && cols.includes("response_ids")) return "interchange";
  if (isLegacyTrajectoryColumns(cols)) return "legacy";
  throw new Error(
    `run store: ${path}: not a trajectory file (neither the interchange format's columns nor the legacy ones; found ${
      cols.join(", ")
    })`,
  );
}

/** Interchange records as rows, in file order (group ids from the file's uids). */
function rowsOfRecords(records: readonly TrajectoryRecord[]): TrajectoryRow[] {
  const groups = groupIdsOf(records.map((r) => r.uid));
  return records.map((rec, index) => rowFromRecord(rec, { index, groupId: groups[index]! }));
}

/**
 * The rows of a trajectory file, in row order: an interchange file through interchange's reader
 * (checked as any record file), a legacy one through the legacy reader.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { RunStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
 * const id = await store.startRun({ method: "alpha", config: {}, seed: 1, backend: "wasm", commit: "abc", preset: "smoke" });
 * const path = await store.writeTrajectories(id, 0, [{
 *   questionId: "q", groupId: 0, row: 0, tokens: [1, 7], roles: [0, 1], roundIds: [0, 1],
 *   lossMask: [0, 1], advantages: [0, 0.5], texts: ["p", "<answer> x </answer>"],
 *   turnRoles: ["observation", "policy"], reward: 1, outcome: 1, toolCalls: 0,
 * }]);
 * const rows = await readTrajectoryFile((sql) => store.query(sql), path);
 * assert.deepEqual(rows[0]!.spans, [{ role: "policy", round: 1, start: 0, end: 1, text: "<answer> x </answer>" }]);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readTrajectoryFile(rows: ReadRows, path: string): Promise<TrajectoryRow[]> {
  if (await trajectoryFileEncoding(rows, path) === "legacy") {
    return await readLegacyTrajectoryFile(rows, path);
  }
  return rowsOfRecords(await readParquet(path));
}

/**
 * The per-trajectory summaries of a trajectory file ({@link readTrajectoryFile}), in row order:
 * a legacy file is read without its per-token columns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DuckDBInstance } from "@duckdb/node-api";
 * import { writeRecords } from "@creditlab/interchange/format";
 * const c = await (await DuckDBInstance.create(":memory:")).connect();
 * const rows = async (sql: string) =>
 *   (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await writeRecords(path, []);
 * assert.deepEqual(await readTrajectoryFileSummaries(rows, path), []);
 * c.closeSync();
 * await Deno.remove(path);
 * ```
 */
export async function readTrajectoryFileSummaries(
  rows: ReadRows,
  path: string,
): Promise<TrajectorySummary[]> {
  if (await trajectoryFileEncoding(rows, path) === "legacy") {
    return await readLegacyTrajectorySummaries(rows, path);
  }
  return rowsOfRecords(await readParquet(path)).map(summaryOfRow);
}
