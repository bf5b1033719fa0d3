/**
 * @creditlab/runstore: the run store (DESIGN.md section 8) and the provenance of its records. One
 * DuckDB file per results folder (default
 * `runs/creditlab.duckdb`) with the tables
 *
 * - `runs(id, method, arm, preset, experiment, config JSON, seed, backend, git_commit, status,
 *   started_at, ended_at, reason, pid, host, process_start)`
 * - `steps(run_id, step, metric, value)` — one row per logged scalar
 * - `evals(run_id, step, benchmark, split, n, em, f1, extra JSON)`
 * - `trajectory_files(run_id, step, path, rows)` — index of the Parquet files of sampled
 *   trajectories, which live beside the DuckDB file in `trajectories/<run id>/step-XXXXXX.parquet`.
 *   Each is a trajectory interchange-format v1 file (interchange/README.md, "Run-store files"):
 *   one record per trajectory with its tokens, turn spans (roles, rounds, texts, actions,
 *   verdicts), advantages, reward, outcome and `method_record`, the method's typed
 *   per-trajectory record (core's `MethodRecord`); `deno task credit` and `runs import` read it
 *   as any record file.
 *
 * Step metrics are named by core's convention (`METRIC` for the harness, `<method>/<name>` for
 * a method). Stores written before it are read under the new names (see
 * {@link LEGACY_METRIC_NAMES}); their trajectory files, in the legacy encoding (one column per
 * harness fact), are read by legacy_trajectories.ts, chosen by the file's Parquet schema, and the
 * oldest ones' `feedback_calls` and `contributions` columns as a method record
 * ({@link legacyMethodRecord}).
 *
 * Every write is one transaction (BEGIN ... COMMIT, ROLLBACK on error), so a writer killed at
 * any point leaves the store as it was before the write. A trajectory file is written to a
 * temporary name from inside the transaction (interchange's Parquet writer, DuckDB `COPY ... TO`
 * on the store's connection), renamed into place, and only then is its index row committed: a file without an index row is ignored by readers and
 * overwritten by the next write of that step.
 *
 * A finished run can also be recorded at once, run, steps and trajectory files in one
 * transaction ({@link RunStore.recordRun}; `deno task runs import` records external rollouts so).
 *
 * Resuming: {@link RunStore.findRun} finds the run of an (experiment, method, arm, seed) and
 * {@link RunStore.truncateAfter} drops what was logged after the last checkpoint.
 *
 * How runs end: {@link RunStore.track} records the status the work returns, `failed` with the
 * error when it throws, and `interrupted` with the signal on SIGINT/SIGTERM (lifecycle.ts);
 * every run records the process running it (process.ts), and opening a store for writing
 * records as `interrupted` a `running` run whose process is gone (killed, crashed). `runs.reason`
 * says why a run ended so; reports and resume tell `failed` from `interrupted` by the status.
 *
 * One process at a time may open a store for writing (DuckDB holds a file lock).
 *
 * Files: schema.ts (tables), records.ts (what goes in and comes out, and its checks), store.ts
 * (the store: opening it, the writes), store_reader.ts (its reads), connection.ts (the DuckDB
 * file, one transaction per write), writes.ts and queries.ts (its SQL), lifecycle.ts,
 * reconcile.ts and process.ts (how runs end), trajectory_row.ts (rows), trajectory_codec.ts
 * (rows as interchange records), trajectory_files.ts (the files), legacy_trajectories.ts (files
 * of older stores), eval_extra.ts (readers of evaluation extras), metric_names.ts (old metric
 * names), git.ts (the commit a record is made from), testing.ts (test helpers,
 * `@creditlab/runstore/testing`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * const tmp = await Deno.makeTempDir();
 * const store = await RunStore.open(join(tmp, "creditlab.duckdb"));
 * const id = await store.startRun({ method: "alpha", config: {}, seed: 1, backend: "wasm", commit: "abc", preset: "smoke" });
 * await store.logStep(id, 1, { "reward/mean": 0.25 });
 * await store.logEval(id, { benchmark: "searchworld", split: "test", n: 100, em: 0.31, f1: 0.4 });
 * await store.endRun(id, "completed");
 * assert.equal((await store.evals(id))[0]?.em, 0.31);
 * store.close();
 * await Deno.remove(tmp, { recursive: true });
 * ```
 * @module
 */
export { DEFAULT_STORE_PATH, type RunStatus } from "./schema.ts";
export type {
  EvalInput,
  EvalItem,
  EvalItemRecord,
  EvalRecord,
  RecordedRun,
  RecordedStep,
  RunRecord,
  StartRunOptions,
  StepRecord,
} from "./records.ts";
export { type EndRunOptions, type OpenOptions, type ReconciledRun, RunStore } from "./store.ts";
export type { RunStoreReader } from "./store_reader.ts";
export { type EndStatus, errorReason, INTERRUPT_SIGNALS, type RunEnd } from "./lifecycle.ts";
export { currentProcess, processAlive, type RunProcess } from "./process.ts";
export type { RunFilter } from "./queries.ts";
export {
  countSearchCalls,
  type RowQuestion,
  type RowsFromBatchOptions,
  type TrajectoryRow,
  trajectoryRowsFromBatch,
  type TrajectorySummary,
} from "./trajectory_row.ts";
export {
  recordFromRow,
  recordsOfRows,
  rowFromRecord,
  UNKNOWN_DATA_SOURCE,
  validateMethodRecord,
} from "./trajectory_codec.ts";
export {
  readTrajectoryFile,
  trajectoryFileEncoding,
  trajectoryFilePaths,
} from "./trajectory_files.ts";
export { LEGACY_TRAJECTORY_COLUMNS, legacyMethodRecord } from "./legacy_trajectories.ts";
export { type LookupScore, readByHops, readLookup } from "./eval_extra.ts";
export { currentMetricName, LEGACY_METRIC_NAMES } from "./metric_names.ts";
export { gitCommit, type GitCommitOptions } from "./git.ts";
