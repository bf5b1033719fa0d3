/**
 * The run store: a DuckDB file with its tables (schema.ts) and the trajectory files beside it
 * (interchange-format v1 Parquet, trajectory_files.ts); every write one transaction
 * (connection.ts). The reads are store_reader.ts's; here, opening a store and the writes. See
 * the package doc (mod.ts) for the layout and the guarantees.
 *
 * @module
 */
import { StoreConnection } from "./connection.ts";
import { type RunEnd, trackRun } from "./lifecycle.ts";
import { currentProcess } from "./process.ts";
import { type ReconciledRun, reconcileRuns } from "./reconcile.ts";
import {
  type EvalInput,
  type RecordedRun,
  type StartRunOptions,
  validateEvalInput,
  validateMetrics,
  validateRecordedRun,
  validateStartRun,
} from "./records.ts";
import { RUN_STATUSES, type RunStatus, SCHEMA, SCHEMA_VERSION } from "./schema.ts";
import { assertFiniteInt, dirname, num, sqlString } from "./sql.ts";
import { RunStoreReader } from "./store_reader.ts";
import { recordsOfRows } from "./trajectory_codec.ts";
import { trajectoryFilePaths, writeTrajectoryFile } from "./trajectory_files.ts";
import type { TrajectoryRow } from "./trajectory_row.ts";
import {
  deleteAfter,
  insertEval,
  insertRun,
  insertSteps,
  requireRun,
  setRunEnd,
  setRunning,
} from "./writes.ts";

export type { ReconciledRun } from "./reconcile.ts";

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

/**
 * A DuckDB-backed run store: the reads ({@link RunStoreReader}) and the writes. Create with
 * {@link RunStore.open}; close with {@link RunStore.close}. Writes from one process are
 * serialised (each is one transaction).
 */
export class RunStore extends RunStoreReader {
  /**
   * Runs found `running` when this store was opened for writing whose process had gone (killed
   * or crashed without recording an end), now recorded `interrupted` with the reason. Empty
   * when opened read-only.
   */
  reconciled: readonly ReconciledRun[] = [];

  private constructor(db: StoreConnection) {
    super(db);
  }

  /**
   * Open (and create if needed) the store at `path`. Opened for writing, it brings an older
   * store's tables up to date and records as `interrupted` every `running` run whose process is
   * gone ({@link RunStore.reconciled}; reconcile.ts): one recorded by another process of this
   * host that no longer runs (or whose liveness cannot be read), or one recorded before
   * processes were. Runs recorded on another host are left as they are.
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
    const db = await StoreConnection.open(path, { readOnly });
    const store = new RunStore(db);
    if (!readOnly) {
      await db.tx(async (c) => {
        for (const sql of SCHEMA) await c.run(sql);
        await c.run(
          `INSERT OR REPLACE INTO meta VALUES ('schema_version', ${sqlString(SCHEMA_VERSION)})`,
        );
      });
      try {
        store.reconciled = await reconcileRuns(db, await store.listRuns());
      } catch (e) {
        store.close();
        throw e;
      }
    } else {
      const t = await db.rows(
        `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'runs'`,
      );
      if (num(t[0]?.["n"], "tables") === 0) {
        store.close();
        throw new Error(`run store: ${path}: not a run store (no runs table)`);
      }
    }
    return store;
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
   * const id = await store.startRun({ method: "alpha", arm: "method", experiment: "alpha", config, seed: 1, backend: "wasm", commit: "abc", preset: "smoke" });
   * assert.equal(id, "r0001-alpha-s1");
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async startRun(opts: StartRunOptions): Promise<string> {
    this.#writable("startRun");
    validateStartRun(opts, "startRun");
    const config = JSON.stringify(opts.config ?? null);
    const started = (opts.startedAt ?? new Date()).toISOString();
    return await this.db.tx(async (c) => {
      return await insertRun(c, { opts, config, started, process: currentProcess() });
    });
  }

  /**
   * Log scalar metrics of one step (replacing values already logged for the same step and
   * metric). Non-finite values are stored as they are (NaN/Inf), so a diverging run shows.
   */
  async logStep(runId: string, step: number, metrics: Record<string, number>): Promise<void> {
    this.#writable("logStep");
    assertFiniteInt(step, `logStep(${runId}): step`);
    validateMetrics(metrics, (k) => `logStep(${runId}, ${step}): metric ${k}`);
    if (Object.keys(metrics).length === 0) return;
    await this.db.tx(async (c) => {
      await requireRun(c, runId, "logStep");
      await insertSteps(c, { runId, step, metrics });
    });
  }

  /** Log one evaluation result (replacing one already logged for the same step/benchmark/split). */
  async logEval(runId: string, ev: EvalInput): Promise<void> {
    this.#writable("logEval");
    const items = validateEvalInput(runId, ev);
    await this.db.tx(async (c) => {
      await requireRun(c, runId, "logEval");
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
      await this.db.tx(async (c) => {
        await requireRun(c, runId, "writeTrajectories");
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
   * const run = { method: "alpha", config: {}, seed: 0, backend: "external", commit: "abc", preset: "import" };
   * const id = await store.recordRun(run, { status: "completed", steps: [{ step: 0, metrics: { "reward/mean": 0.5 } }] });
   * assert.equal((await store.findRun({ method: "alpha" }))?.status, "completed");
   * assert.equal((await store.steps(id))[0]?.value, 0.5);
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async recordRun(opts: StartRunOptions, run: RecordedRun): Promise<string> {
    this.#writable("recordRun");
    validateStartRun(opts, "recordRun");
    validateRecordedRun(run);
    const records = run.steps.map((s, i) =>
      s.rows && recordsOfRows(s.rows, (j) => `recordRun: steps[${i}].rows[${j}]`)
    );
    const written: string[] = [];
    const started = (opts.startedAt ?? new Date()).toISOString();
    try {
      return await this.db.tx(async (c) => {
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
        const endedAt = (run.endedAt ?? new Date()).toISOString();
        await setRunEnd(c, { runId: id, status: run.status, endedAt, reason: run.reason ?? null });
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
    await this.db.tx(async (c) => {
      await requireRun(c, runId, "endRun");
      const endedAt = (o.endedAt ?? new Date()).toISOString();
      await setRunEnd(c, { runId, status, endedAt, reason: o.reason ?? null });
    });
  }

  /**
   * Mark a run as running again (on resume) in this process: status "running", no end time,
   * no reason.
   */
  async reopenRun(runId: string): Promise<void> {
    this.#writable("reopenRun");
    const p = currentProcess();
    await this.db.tx(async (c) => {
      await requireRun(c, runId, "reopenRun");
      await setRunning(c, runId, p);
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
   * const id = await store.startRun({ method: "alpha", config: {}, seed: 1, backend: "wasm", commit: "abc", preset: "smoke" });
   * await assert.rejects(store.track(id, () => Promise.reject(new RangeError("lr must be > 0"))));
   * const run = await store.findRun({ method: "alpha" });
   * assert.deepEqual([run?.status, run?.reason], ["failed", "RangeError: lr must be > 0"]);
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async track(runId: string, work: () => Promise<RunEnd>): Promise<RunEnd> {
    this.#writable("track");
    return await trackRun(
      runId,
      work,
      (end) =>
        this.endRun(runId, end.status, end.reason === undefined ? {} : { reason: end.reason }),
    );
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
    const out = await this.db.tx(async (c) => {
      await requireRun(c, runId, "truncateAfter");
      const { removed, files } = await deleteAfter(c, { runId, step });
      removedFiles.push(...files);
      return removed;
    });
    for (const f of removedFiles) await Deno.remove(`${this.dir}/${f}`).catch(() => undefined);
    return out;
  }
}
