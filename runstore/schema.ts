/**
 * The run store's layout: its tables (DuckDB DDL), the run statuses and the fields runs can be
 * filtered by. Trajectory files are interchange-format v1 (trajectory_files.ts; the columns of
 * older ones: legacy_trajectories.ts).
 *
 * @module
 */

/** Default location of the run store, relative to the repository root. */
export const DEFAULT_STORE_PATH = "runs/creditlab.duckdb";

/**
 * Lifecycle state of a run: `running` while its process works on it; `completed`; `diverged`
 * (stopped after too many non-finite steps); `failed` (its work threw: `reason` holds the
 * error); `interrupted` (a signal, a stop requested by the caller, or its process found gone:
 * `reason` says which). Interrupted and failed runs with a checkpoint resume from it.
 */
export type RunStatus = "running" | "completed" | "failed" | "diverged" | "interrupted";

/** Every run status. */
export const RUN_STATUSES: readonly RunStatus[] = [
  "running",
  "completed",
  "failed",
  "diverged",
  "interrupted",
];

/** Fields of `runs` that `listRuns` and `findRun` filter by. */
export const RUN_FILTER_KEYS: readonly string[] = ["experiment", "method", "arm", "seed", "preset"];

/** The tables of a run store (created if absent when a store is opened for writing). */
export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta(key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS runs(
    id VARCHAR PRIMARY KEY,
    seq INTEGER NOT NULL,
    method VARCHAR NOT NULL CHECK (method <> ''),
    arm VARCHAR NOT NULL,
    preset VARCHAR NOT NULL,
    experiment VARCHAR NOT NULL,
    config JSON,
    seed INTEGER NOT NULL,
    backend VARCHAR NOT NULL,
    git_commit VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    started_at VARCHAR NOT NULL,
    ended_at VARCHAR,
    reason VARCHAR,
    pid INTEGER,
    host VARCHAR,
    process_start VARCHAR)`,
  // Columns added in schema version 2 (stores created before get them on open).
  `ALTER TABLE runs ADD COLUMN IF NOT EXISTS reason VARCHAR`,
  `ALTER TABLE runs ADD COLUMN IF NOT EXISTS pid INTEGER`,
  `ALTER TABLE runs ADD COLUMN IF NOT EXISTS host VARCHAR`,
  `ALTER TABLE runs ADD COLUMN IF NOT EXISTS process_start VARCHAR`,
  `CREATE TABLE IF NOT EXISTS steps(
    run_id VARCHAR NOT NULL,
    step INTEGER NOT NULL,
    metric VARCHAR NOT NULL CHECK (metric <> ''),
    value DOUBLE,
    PRIMARY KEY (run_id, step, metric))`,
  `CREATE TABLE IF NOT EXISTS evals(
    run_id VARCHAR NOT NULL,
    step INTEGER NOT NULL,
    benchmark VARCHAR NOT NULL CHECK (benchmark <> ''),
    split VARCHAR NOT NULL,
    n INTEGER NOT NULL CHECK (n >= 0),
    em DOUBLE,
    f1 DOUBLE,
    extra JSON,
    PRIMARY KEY (run_id, step, benchmark, split))`,
  `CREATE TABLE IF NOT EXISTS eval_items(
    run_id VARCHAR NOT NULL,
    step INTEGER NOT NULL,
    benchmark VARCHAR NOT NULL,
    split VARCHAR NOT NULL,
    question_id VARCHAR NOT NULL CHECK (question_id <> ''),
    em DOUBLE NOT NULL CHECK (em >= 0 AND em <= 1),
    f1 DOUBLE NOT NULL CHECK (f1 >= 0 AND f1 <= 1),
    tool_calls INTEGER NOT NULL,
    hops INTEGER,
    answer VARCHAR,
    PRIMARY KEY (run_id, step, benchmark, split, question_id))`,
  `CREATE TABLE IF NOT EXISTS trajectory_files(
    run_id VARCHAR NOT NULL,
    step INTEGER NOT NULL,
    path VARCHAR NOT NULL,
    rows INTEGER NOT NULL,
    PRIMARY KEY (run_id, step))`,
];

/**
 * Schema version recorded in `meta`. 2: `runs` records why a run ended (`reason`) and the
 * process running it (`pid`, `host`, `process_start`).
 */
export const SCHEMA_VERSION = "2";
