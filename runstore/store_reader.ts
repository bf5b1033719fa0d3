/**
 * The read side of the run store: runs, step metrics, evaluations and their items, the
 * trajectories of a step, and ad-hoc queries, over an open store file (the SQL: queries.ts).
 * {@link RunStore} (store.ts) is a reader with the writes; a store opened read-only reads only.
 *
 * @module
 */
import type { DuckDBInstance, DuckDBValue } from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import type { StoreConnection } from "./connection.ts";
import * as queries from "./queries.ts";
import type { RunFilter } from "./queries.ts";
import type { EvalItemRecord, EvalRecord, RunRecord, StepRecord } from "./records.ts";
import { readTrajectoryFile, readTrajectoryFileSummaries } from "./trajectory_files.ts";
import type { TrajectoryRow, TrajectorySummary } from "./trajectory_row.ts";

/** The reads of a run store; {@link RunStore} adds the writes and opens one. */
export class RunStoreReader {
  /** Path of the DuckDB file. */
  readonly path: string;
  /** Folder holding the DuckDB file and `trajectories/`. */
  readonly dir: string;
  readonly readOnly: boolean;
  /** The underlying DuckDB instance (for ad-hoc queries in notebooks). */
  readonly instance: DuckDBInstance;
  /** The store's DuckDB file. */
  protected readonly db: StoreConnection;

  protected constructor(db: StoreConnection) {
    this.db = db;
    this.path = db.path;
    this.dir = db.dir;
    this.readOnly = db.readOnly;
    this.instance = db.instance;
  }

  /** Close the connection and the database file. Idempotent. */
  close(): void {
    this.db.close();
  }

  /**
   * The latest run (highest sequence number) matching every given field, or undefined.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { join } from "node:path";
   * import { RunStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
   * const run = { experiment: "alpha", method: "grpo", arm: "baseline", seed: 1 };
   * await store.startRun({ ...run, config: {}, backend: "wasm", commit: "abc", preset: "smoke" });
   * const prev = await store.findRun({ experiment: "alpha", method: "grpo", arm: "baseline", seed: 1 });
   * assert.equal(prev?.status, "running");
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async findRun(q: RunFilter): Promise<RunRecord | undefined> {
    const runs = await this.listRuns(q);
    return runs[runs.length - 1];
  }

  /** Runs matching the filter, in creation order. */
  async listRuns(q: RunFilter = {}): Promise<RunRecord[]> {
    return await queries.listRuns(this.db, q);
  }

  /**
   * Step metrics of a run (optionally one metric), ordered by step then metric. Names logged
   * before the current convention come back under their current names
   * ({@link LEGACY_METRIC_NAMES}).
   */
  async steps(runId: string, metric?: string): Promise<StepRecord[]> {
    return await queries.steps(this.db, runId, metric);
  }

  /** The last step logged for a run, or null if none. */
  async lastStep(runId: string): Promise<number | null> {
    return await queries.lastStep(this.db, runId);
  }

  /** Evaluations (of one run, or all), ordered by run, step, benchmark, split. */
  async evals(runId?: string): Promise<EvalRecord[]> {
    return await queries.evals(this.db, runId);
  }

  /**
   * Per-question outcomes of evaluations (of one run, or all), ordered by run, step, benchmark,
   * split and question id.
   */
  async evalItems(
    q: { runId?: string; benchmark?: string; step?: number } = {},
  ): Promise<EvalItemRecord[]> {
    return await queries.evalItems(this.db, q);
  }

  /** Steps of a run that have a trajectory file, ascending. */
  async trajectorySteps(runId: string): Promise<number[]> {
    return await queries.trajectorySteps(this.db, runId);
  }

  /** Read back the trajectories of one step of a run (empty if none were written). */
  async readTrajectories(runId: string, step: number): Promise<TrajectoryRow[]> {
    return await queries.readStepFile(this.db, { runId, step }, readTrajectoryFile);
  }

  /**
   * The per-trajectory facts of one stored step without the per-token arrays and texts: row,
   * group, reward, outcome, search calls and the method record (read from the legacy columns
   * in older files). Empty if the step has no file.
   */
  async readTrajectorySummaries(runId: string, step: number): Promise<TrajectorySummary[]> {
    return await queries.readStepFile(this.db, { runId, step }, readTrajectoryFileSummaries);
  }

  /** Run a read query and return row objects (JS values; BIGINT becomes bigint). */
  async query(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return await this.db.rows(sql, params);
  }

  /** Run a read query and return it as an Apache Arrow table (numbers, strings, lists). */
  async queryArrow(sql: string, params: DuckDBValue[] = []): Promise<Table> {
    return await this.db.arrow(sql, params);
  }
}
