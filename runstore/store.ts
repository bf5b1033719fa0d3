/**
 * The run store: a DuckDB file with its tables (schema.ts) and the trajectory files beside it
 * (interchange-format v1 Parquet, trajectory_files.ts); every write one transaction. See the package doc (mod.ts) for the layout and the
 * guarantees.
 *
 * @module
 */

import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { tableFromArrays } from "apache-arrow";
import type { Table } from "apache-arrow";
import * as queries from "./queries.ts";
import type { RunFilter, StoreReader } from "./queries.ts";
import {
  type EvalInput,
  type EvalItemRecord,
  type EvalRecord,
  type RecordedRun,
  type RunRecord,
  type StartRunOptions,
  type StepRecord,
  validateEvalInput,
} from "./records.ts";
import { errorReason, onInterrupt, type RunEnd } from "./lifecycle.ts";
import { currentProcess, describeProcess, processAlive } from "./process.ts";
import { RUN_STATUSES, type RunStatus, SCHEMA, SCHEMA_VERSION } from "./schema.ts";
import { assertFiniteInt, dirname, num, sqlString } from "./sql.ts";
import { recordsOfRows } from "./trajectory_codec.ts";
import { trajectoryFilePaths, writeTrajectoryFile } from "./trajectory_files.ts";
import type { TrajectoryRow, TrajectorySummary } from "./trajectory_row.ts";
import { deleteAfter, insertEval, insertRun, insertSteps } from "./writes.ts";

/** Options of {@link RunStore.open}. */
export interface OpenOptions {
  /** Open without write access (reports). The file must exist. */
  readOnly?: boolean;
}

/** Options of {@link RunStore.endRun}. */
export interface EndRunOptions {
  /** End time (default: now). */
  endedAt?: Date;
  /** Why the run ended so (an error, a signal...); stored in `runs.reason`. */
  reason?: string;
}

/** A run found `running` on opening the store whose process had gone, now `interrupted`. */
export interface ReconciledRun {
  id: string;
  /** The reason recorded. */
  reason: string;
}

/**
 * A DuckDB-backed run store. Create with {@link RunStore.open}; close with {@link RunStore.close}.
 * Writes from one process are serialised (each is one transaction).
 */
export class RunStore {
  /** Path of the DuckDB file. */
  readonly path: string;
  /** Folder holding the DuckDB file and `trajectories/`. */
  readonly dir: string;
  readonly readOnly: boolean;
  #instance: DuckDBInstance;
  #conn: DuckDBConnection;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /**
   * Runs found `running` when this store was opened for writing whose process had gone (killed
   * or crashed without recording an end), now recorded `interrupted` with the reason. Empty
   * when opened read-only.
   */
  reconciled: readonly ReconciledRun[] = [];
  /** The store as the read queries see it. */
  readonly #reader: StoreReader;

  private constructor(
    path: string,
    instance: DuckDBInstance,
    conn: DuckDBConnection,
    readOnly: boolean,
  ) {
    this.path = path;
    this.dir = dirname(path);
    this.#reader = { dir: this.dir, rows: (sql, params) => this.#rows(sql, params) };
    this.instance = instance;
    this.#instance = instance;
    this.#conn = conn;
    this.readOnly = readOnly;
  }

  /** The underlying DuckDB instance (for ad-hoc queries in notebooks). */
  readonly instance: DuckDBInstance;

  /**
   * Open (and create if needed) the store at `path`. Opened for writing, it brings an older
   * store's tables up to date and records as `interrupted` every `running` run whose process is
   * gone ({@link RunStore.reconciled}): one recorded by another process of this host that no
   * longer runs (or whose liveness cannot be read), or one recorded before processes were.
   * DuckDB lets one process at a time open a store for writing and every writer keeps it open
   * while its runs run, so no process is left working on such a run. Runs recorded on another
   * host are left as they are.
   *
   * @example
   * ```ts
   * import { join } from "node:path";
   * const dir = await Deno.makeTempDir();
   * const store = await RunStore.open(join(dir, "creditlab.duckdb")); // created if absent
   * store.close();
   * const reader = await RunStore.open(join(dir, "creditlab.duckdb"), { readOnly: true });
   * reader.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async open(path: string, opts: OpenOptions = {}): Promise<RunStore> {
    const readOnly = opts.readOnly ?? false;
    if (readOnly) {
      try {
        await Deno.stat(path);
      } catch {
        throw new Error(
          `run store: ${path}: no such store (open read-only needs an existing file)`,
        );
      }
    } else {
      await Deno.mkdir(dirname(path), { recursive: true });
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(
        path,
        readOnly ? { access_mode: "READ_ONLY" } : {},
      );
    } catch (e) {
      throw new Error(`run store: cannot open ${path}: ${(e as Error).message}`);
    }
    const conn = await instance.connect();
    const store = new RunStore(path, instance, conn, readOnly);
    if (!readOnly) {
      await store.#tx(async (c) => {
        for (const sql of SCHEMA) await c.run(sql);
        await c.run(
          `INSERT OR REPLACE INTO meta VALUES ('schema_version', ${sqlString(SCHEMA_VERSION)})`,
        );
      });
      try {
        store.reconciled = await store.#reconcile();
      } catch (e) {
        store.close();
        throw e;
      }
    } else {
      const t = await store.#rows(
        `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'runs'`,
      );
      if (num(t[0]?.["n"], "tables") === 0) {
        store.close();
        throw new Error(`run store: ${path}: not a run store (no runs table)`);
      }
    }
    return store;
  }

  /** Close the connection and the database file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.closeSync();
    this.#instance.closeSync();
  }

  /** Record as interrupted every running run whose process is gone (see {@link RunStore.open}). */
  async #reconcile(): Promise<ReconciledRun[]> {
    const me = currentProcess();
    const found = new Date().toISOString();
    const out: ReconciledRun[] = [];
    for (const run of await this.listRuns()) {
      if (run.status !== "running") continue;
      const p = run.process ?? null;
      let reason: string;
      if (p === null) {
        reason =
          `no process recorded (a run from before processes were) and none holds the store: found on opening it at ${found}`;
      } else {
        if (p.pid === me.pid && p.host === me.host && p.start === me.start) continue;
        // Another host (a shared file system, whose locks may not hold): cannot tell. A live
        // process on this host does not hold the store now, but may open it again: leave it.
        if (p.host !== me.host || processAlive(p) === true) continue;
        reason = `${
          describeProcess(p, run.startedAt)
        } ended without recording how the run ended (killed, e.g. SIGKILL or out of memory, or crashed): found on opening the store at ${found}`;
      }
      await this.#tx(async (c) => {
        await c.run(
          `UPDATE runs SET status = 'interrupted', reason = $2 WHERE id = $1 AND status = 'running'`,
          [run.id, reason],
        );
      });
      out.push({ id: run.id, reason });
    }
    return out;
  }

  async #rows(sql: string, params?: DuckDBValue[]): Promise<Record<string, unknown>[]> {
    const r = await this.#conn.runAndReadAll(sql, params);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Run `fn` inside one transaction, serialised with every other write of this store. */
  #tx<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`run store: ${this.path} is closed`));
    const run = async (): Promise<T> => {
      const c = this.#conn;
      await c.run("BEGIN TRANSACTION");
      try {
        const out = await fn(c);
        await c.run("COMMIT");
        return out;
      } catch (e) {
        try {
          await c.run("ROLLBACK");
        } catch {
          // the transaction may already be aborted; the original error matters
        }
        throw e;
      }
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => undefined);
    return p;
  }

  #writable(op: string): void {
    if (this.readOnly) throw new Error(`run store: ${op}: ${this.path} is open read-only`);
  }

  /**
   * Record a new run (status "running") and return its id, `r0001-<method>-s<seed>`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { join } from "node:path";
   * const dir = await Deno.makeTempDir();
   * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
   * const config = { method: { clipLow: 0.2 } };
   * const id = await store.startRun({ method: "capf", arm: "method", experiment: "capf", config, seed: 1, backend: "wasm", commit: "abc", preset: "smoke" });
   * assert.equal(id, "r0001-capf-s1");
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async startRun(opts: StartRunOptions): Promise<string> {
    this.#writable("startRun");
    if (!opts.method) throw new Error("run store: startRun: method must be a non-empty string");
    assertFiniteInt(opts.seed, "startRun: seed");
    const config = JSON.stringify(opts.config ?? null);
    const started = (opts.startedAt ?? new Date()).toISOString();
    return await this.#tx(async (c) => {
      return await insertRun(c, { opts, config, started, process: currentProcess() });
    });
  }

  async #requireRun(c: DuckDBConnection, runId: string, op: string): Promise<void> {
    const r = await c.runAndReadAll(`SELECT count(*) AS n FROM runs WHERE id = $1`, [runId]);
    if (num(r.getRowObjectsJS()[0]?.["n"], "count") === 0) {
      throw new Error(`run store: ${op}: unknown run id ${JSON.stringify(runId)}`);
    }
  }

  /**
   * Log scalar metrics of one step (replacing values already logged for the same step and
   * metric). Non-finite values are stored as they are (NaN/Inf), so a diverging run shows.
   */
  async logStep(runId: string, step: number, metrics: Record<string, number>): Promise<void> {
    this.#writable("logStep");
    assertFiniteInt(step, `logStep(${runId}): step`);
    const entries = Object.entries(metrics);
    for (const [k, v] of entries) {
      if (typeof v !== "number") {
        throw new Error(`run store: logStep(${runId}, ${step}): metric ${k}: expected a number`);
      }
    }
    if (entries.length === 0) return;
    await this.#tx(async (c) => {
      await this.#requireRun(c, runId, "logStep");
      await insertSteps(c, { runId, step, metrics });
    });
  }

  /** Log one evaluation result (replacing one already logged for the same step/benchmark/split). */
  async logEval(runId: string, ev: EvalInput): Promise<void> {
    this.#writable("logEval");
    const items = validateEvalInput(runId, ev);
    await this.#tx(async (c) => {
      await this.#requireRun(c, runId, "logEval");
      await insertEval(c, { runId, ev, items });
    });
  }

  /**
   * Write the sampled trajectories of one step as an interchange-format v1 Parquet file
   * (`<dir>/trajectories/<run id>/step-<step>.parquet`), replacing an earlier file of that step.
   * Returns the file path.
   */
  async writeTrajectories(runId: string, step: number, rows: TrajectoryRow[]): Promise<string> {
    this.#writable("writeTrajectories");
    assertFiniteInt(step, `writeTrajectories(${runId}): step`);
    const records = recordsOfRows(rows, (i) => `writeTrajectories(${runId}, ${step}): rows[${i}]`);
    const file = trajectoryFilePaths(this.dir, { runId, step });
    try {
      await this.#tx(async (c) => {
        await this.#requireRun(c, runId, "writeTrajectories");
        await writeTrajectoryFile(c, { runId, step, records, file });
      });
    } catch (e) {
      await Deno.remove(file.tmp).catch(() => undefined);
      throw e;
    }
    return file.final;
  }

  /**
   * Record a finished run at once, in one transaction: the run, its step metrics and trajectory
   * files, and how it ended (e.g. rollouts imported from another trainer). On any failure
   * nothing is recorded and no file of it is left. Returns the run id.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { join } from "node:path";
   * const dir = await Deno.makeTempDir();
   * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
   * const run = { method: "grpo", config: {}, seed: 0, backend: "external", commit: "abc", preset: "import" };
   * const id = await store.recordRun(run, { status: "completed", steps: [{ step: 0, metrics: { "reward/mean": 0.5 } }] });
   * assert.equal((await store.findRun({ method: "grpo" }))?.status, "completed");
   * assert.equal((await store.steps(id))[0]?.value, 0.5);
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async recordRun(opts: StartRunOptions, run: RecordedRun): Promise<string> {
    this.#writable("recordRun");
    if (!opts.method) throw new Error("run store: recordRun: method must be a non-empty string");
    assertFiniteInt(opts.seed, "recordRun: seed");
    if (!RUN_STATUSES.includes(run.status) || (run.status as RunStatus) === "running") {
      throw new Error(`run store: recordRun: status must be a final status, got ${run.status}`);
    }
    const seen = new Set<number>();
    for (const [i, s] of run.steps.entries()) {
      assertFiniteInt(s.step, `recordRun: steps[${i}].step`);
      if (seen.has(s.step)) throw new Error(`run store: recordRun: step ${s.step} given twice`);
      seen.add(s.step);
      for (const [k, v] of Object.entries(s.metrics ?? {})) {
        if (typeof v !== "number") {
          throw new Error(`run store: recordRun: steps[${i}].metrics.${k}: expected a number`);
        }
      }
    }
    const records = run.steps.map((s, i) =>
      s.rows && recordsOfRows(s.rows, (j) => `recordRun: steps[${i}].rows[${j}]`)
    );
    const written: string[] = [];
    const started = (opts.startedAt ?? new Date()).toISOString();
    try {
      return await this.#tx(async (c) => {
        const process = currentProcess();
        const config = JSON.stringify(opts.config ?? null);
        const id = await insertRun(c, { opts, config, started, process });
        for (const [i, s] of run.steps.entries()) {
          await insertSteps(c, { runId: id, step: s.step, metrics: s.metrics ?? {} });
          const recs = records[i];
          if (recs === undefined) continue;
          const file = trajectoryFilePaths(this.dir, { runId: id, step: s.step });
          written.push(file.tmp, file.final);
          await writeTrajectoryFile(c, { runId: id, step: s.step, records: recs, file });
        }
        await c.run(`UPDATE runs SET status = $2, ended_at = $3, reason = $4 WHERE id = $1`, [
          id,
          run.status,
          (run.endedAt ?? new Date()).toISOString(),
          run.reason ?? null,
        ]);
        return id;
      });
    } catch (e) {
      for (const f of written) await Deno.remove(f).catch(() => undefined);
      const dirs = new Set(written.map((f) => dirname(f)));
      for (const d of dirs) await Deno.remove(d).catch(() => undefined); // only when empty
      throw e;
    }
  }

  /**
   * Set a run's final status, end time and (optional) reason. The third argument may also be
   * the end time itself (`Date`), as before reasons were recorded.
   */
  async endRun(
    runId: string,
    status: RunStatus,
    opts: EndRunOptions | Date = {},
  ): Promise<void> {
    this.#writable("endRun");
    const o: EndRunOptions = opts instanceof Date ? { endedAt: opts } : opts;
    if (!RUN_STATUSES.includes(status)) {
      throw new Error(`run store: endRun(${runId}): unknown status ${JSON.stringify(status)}`);
    }
    if (o.reason !== undefined && typeof o.reason !== "string") {
      throw new Error(`run store: endRun(${runId}): reason must be a string`);
    }
    await this.#tx(async (c) => {
      await this.#requireRun(c, runId, "endRun");
      await c.run(`UPDATE runs SET status = $2, ended_at = $3, reason = $4 WHERE id = $1`, [
        runId,
        status,
        (o.endedAt ?? new Date()).toISOString(),
        o.reason ?? null,
      ]);
    });
  }

  /**
   * Mark a run as running again (on resume) in this process: status "running", no end time,
   * no reason.
   */
  async reopenRun(runId: string): Promise<void> {
    this.#writable("reopenRun");
    const p = currentProcess();
    await this.#tx(async (c) => {
      await this.#requireRun(c, runId, "reopenRun");
      await c.run(
        `UPDATE runs SET status = 'running', ended_at = NULL, reason = NULL, pid = $2, host = $3,
           process_start = $4 WHERE id = $1`,
        [runId, p.pid, p.host, p.start],
      );
    });
  }

  /**
   * Do the work of running run `runId` and record how it ended: the {@link RunEnd} `work`
   * returns; `failed` with the error when it throws (the error is rethrown); `interrupted` with
   * the signal when the process gets SIGINT or SIGTERM meanwhile, after which the process exits
   * with 128 + the signal number (see lifecycle.ts). Returns what `work` returned.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { join } from "node:path";
   * const dir = await Deno.makeTempDir();
   * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
   * const id = await store.startRun({ method: "grpo", config: {}, seed: 1, backend: "wasm", commit: "abc", preset: "smoke" });
   * await assert.rejects(store.track(id, () => Promise.reject(new RangeError("lr must be > 0"))));
   * const run = await store.findRun({ method: "grpo" });
   * assert.deepEqual([run?.status, run?.reason], ["failed", "RangeError: lr must be > 0"]);
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async track(runId: string, work: () => Promise<RunEnd>): Promise<RunEnd> {
    this.#writable("track");
    const stop = onInterrupt((signal) =>
      this.endRun(runId, "interrupted", { reason: `signal ${signal}` })
    );
    let end: RunEnd;
    try {
      end = await work();
    } catch (e) {
      stop();
      try {
        await this.endRun(runId, "failed", { reason: errorReason(e) });
      } catch (recording) {
        throw new AggregateError(
          [e, recording],
          `${errorReason(e)} (recording run ${runId} as failed failed too: ${
            errorReason(recording)
          })`,
        );
      }
      throw e;
    }
    stop();
    await this.endRun(runId, end.status, end.reason === undefined ? {} : { reason: end.reason });
    return end;
  }

  /**
   * Drop every step metric, evaluation and trajectory file of `runId` logged after `step`
   * (a resumed run restarts from its checkpoint at `step`). Returns what was removed.
   */
  async truncateAfter(
    runId: string,
    step: number,
  ): Promise<{ steps: number; evals: number; evalItems: number; trajectoryFiles: number }> {
    this.#writable("truncateAfter");
    assertFiniteInt(step, `truncateAfter(${runId}): step`);
    const removedFiles: string[] = [];
    const out = await this.#tx(async (c) => {
      await this.#requireRun(c, runId, "truncateAfter");
      const { removed, files } = await deleteAfter(c, { runId, step });
      removedFiles.push(...files);
      return removed;
    });
    for (const f of removedFiles) await Deno.remove(`${this.dir}/${f}`).catch(() => undefined);
    return out;
  }

  /**
   * The latest run (highest sequence number) matching every given field, or undefined.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { join } from "node:path";
   * const dir = await Deno.makeTempDir();
   * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
   * const run = { experiment: "capf", method: "grpo", arm: "baseline", seed: 1 };
   * await store.startRun({ ...run, config: {}, backend: "wasm", commit: "abc", preset: "smoke" });
   * const prev = await store.findRun({ experiment: "capf", method: "grpo", arm: "baseline", seed: 1 });
   * assert.equal(prev?.status, "running");
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async findRun(
    q: RunFilter,
  ): Promise<RunRecord | undefined> {
    const runs = await this.listRuns(q);
    return runs[runs.length - 1];
  }

  /** Runs matching the filter, in creation order. */
  async listRuns(
    q: RunFilter = {},
  ): Promise<RunRecord[]> {
    return await queries.listRuns(this.#reader, q);
  }

  /**
   * Step metrics of a run (optionally one metric), ordered by step then metric. Names logged
   * before the current convention come back under their current names
   * ({@link LEGACY_METRIC_NAMES}).
   */
  async steps(runId: string, metric?: string): Promise<StepRecord[]> {
    return await queries.steps(this.#reader, runId, metric);
  }

  /** The last step logged for a run, or null if none. */
  async lastStep(runId: string): Promise<number | null> {
    return await queries.lastStep(this.#reader, runId);
  }

  /** Evaluations (of one run, or all), ordered by run, step, benchmark, split. */
  async evals(runId?: string): Promise<EvalRecord[]> {
    return await queries.evals(this.#reader, runId);
  }

  /**
   * Per-question outcomes of evaluations (of one run, or all), ordered by run, step, benchmark,
   * split and question id.
   */
  async evalItems(
    q: { runId?: string; benchmark?: string; step?: number } = {},
  ): Promise<EvalItemRecord[]> {
    return await queries.evalItems(this.#reader, q);
  }

  /** Steps of a run that have a trajectory file, ascending. */
  async trajectorySteps(runId: string): Promise<number[]> {
    return await queries.trajectorySteps(this.#reader, runId);
  }

  /** Read back the trajectories of one step of a run (empty if none were written). */
  async readTrajectories(runId: string, step: number): Promise<TrajectoryRow[]> {
    return await queries.readTrajectories(this.#reader, runId, step);
  }

  /**
   * The per-trajectory facts of one stored step without the per-token arrays and texts: row,
   * group, reward, outcome, search calls and the method record (read from the legacy columns
   * in older files). Empty if the step has no file.
   */
  async readTrajectorySummaries(runId: string, step: number): Promise<TrajectorySummary[]> {
    return await queries.readTrajectorySummaries(this.#reader, runId, step);
  }

  /** Run a read query and return row objects (JS values; BIGINT becomes bigint). */
  async query(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return await this.#rows(sql, params);
  }

  /** Run a read query and return it as an Apache Arrow table (numbers, strings, lists). */
  async queryArrow(sql: string, params: DuckDBValue[] = []): Promise<Table> {
    const r = await this.#conn.runAndReadAll(sql, params);
    const cols = r.getColumnsObjectJS();
    const out: Record<string, unknown[]> = {};
    for (const [k, v] of Object.entries(cols)) {
      out[k] = v.map((x) => (typeof x === "bigint" ? Number(x) : x));
    }
    // deno-lint-ignore no-explicit-any
    return tableFromArrays(out as any);
  }
}
