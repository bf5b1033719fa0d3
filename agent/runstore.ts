/**
 * The run store (DESIGN.md section 8): one DuckDB file per results folder (default
 * `runs/creditlab.duckdb`) with the tables
 *
 * - `runs(id, method, arm, preset, experiment, config JSON, seed, backend, git_commit, status,
 *   started_at, ended_at)`
 * - `steps(run_id, step, metric, value)` — one row per logged scalar
 * - `evals(run_id, step, benchmark, split, n, em, f1, extra JSON)`
 * - `trajectory_files(run_id, step, path, rows)` — index of the Parquet files of sampled
 *   trajectories, which live beside the DuckDB file in `trajectories/<run id>/step-XXXXXX.parquet`.
 *   Their columns are harness facts (tokens, roles, rounds, advantages, reward, outcome, search
 *   calls, ...) plus one generic JSON column, `method_record`: the method's typed
 *   per-trajectory record (core's `MethodRecord`).
 *
 * Step metrics are named by core's convention (`METRIC` for the harness, `<method>/<name>` for
 * a method). Stores written before it are read under the new names (see
 * {@link LEGACY_METRIC_NAMES}); their trajectory files' `feedback_calls` and `contributions`
 * columns are read as a method record ({@link legacyMethodRecord}).
 *
 * Every write is one transaction (BEGIN ... COMMIT, ROLLBACK on error), so a writer killed at
 * any point leaves the store as it was before the write. A trajectory file is written to a
 * temporary name from inside the transaction (DuckDB `COPY ... TO`), renamed into place, and
 * only then is its index row committed: a file without an index row is ignored by readers and
 * overwritten by the next write of that step.
 *
 * Resuming: {@link RunStore.findRun} finds the run of an (experiment, method, arm, seed) and
 * {@link RunStore.truncateAfter} drops what was logged after the last checkpoint.
 *
 * One process at a time may open a store for writing (DuckDB holds a file lock).
 *
 * @example
 * ```ts
 * const store = await RunStore.open("runs/creditlab.duckdb");
 * const id = await store.startRun({ method: "grpo", config: {}, seed: 1, backend: "wasm", commit: "abc", preset: "smoke" });
 * await store.logStep(id, 1, { "reward/mean": 0.25 });
 * await store.logEval(id, { benchmark: "searchworld", split: "test", n: 100, em: 0.31, f1: 0.4 });
 * await store.endRun(id, "completed");
 * store.close();
 * ```
 * @module
 */

import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { tableFromArrays } from "apache-arrow";
import type { Table } from "apache-arrow";
import { type MethodRecord, METRIC, type RolloutBatch, type RoundSeries } from "@creditlab/core";

/** Default location of the run store, relative to the repository root. */
export const DEFAULT_STORE_PATH = "runs/creditlab.duckdb";

/** Lifecycle state of a run. */
export type RunStatus = "running" | "completed" | "failed" | "diverged" | "interrupted";

const RUN_STATUSES: readonly RunStatus[] = [
  "running",
  "completed",
  "failed",
  "diverged",
  "interrupted",
];

const RUN_FILTER_KEYS: readonly string[] = ["experiment", "method", "arm", "seed", "preset"];

/** What {@link RunStore.startRun} needs. */
export interface StartRunOptions {
  /** Registry name of the method trained (e.g. "grpo", "capf"). */
  method: string;
  /** The full typed config of the run (stored as JSON). */
  config: unknown;
  seed: number;
  /** Backend name from `initBackend` (e.g. "wasm"). */
  backend: string;
  /** Git commit of the code (or "unknown"). */
  commit: string;
  /** Preset name (e.g. "smoke", "default"). */
  preset: string;
  /** Arm of the experiment: conventionally "baseline" or "method" (default "method"). */
  arm?: string;
  /** Experiment the run belongs to (default: the method name). `reproduce capf` uses "capf". */
  experiment?: string;
  /** Start time (default: now). Only stored, never used for ordering. */
  startedAt?: Date;
}

/** One row of `runs`. */
export interface RunRecord {
  id: string;
  method: string;
  arm: string;
  preset: string;
  experiment: string;
  /** Parsed config JSON. */
  config: unknown;
  seed: number;
  backend: string;
  gitCommit: string;
  status: RunStatus;
  /** ISO 8601 time. */
  startedAt: string;
  /** ISO 8601 time, or null while running. */
  endedAt: string | null;
}

/** One row of `steps`. */
export interface StepRecord {
  runId: string;
  step: number;
  metric: string;
  value: number;
}

/** An evaluation result as logged. */
export interface EvalInput {
  benchmark: string;
  split: string;
  /** Number of questions evaluated. */
  n: number;
  /** Exact match in [0, 1]. */
  em: number;
  /** Token F1 in [0, 1]. */
  f1: number;
  /** Training step the evaluated policy comes from (default: the run's last logged step, or 0). */
  step?: number;
  /** Anything else (cover-EM, failures, sampling settings...). */
  extra?: Record<string, unknown>;
  /**
   * Per-question outcomes (table `eval_items`): what paired comparisons of arms need, since
   * every arm of an experiment is evaluated on the same questions. Optional: an aggregate-only
   * evaluation (an endpoint run summarised elsewhere) stores none.
   */
  items?: readonly EvalItem[];
}

/** The outcome of one held-out question in one evaluation (a row of `eval_items`). */
export interface EvalItem {
  questionId: string;
  /** Exact match in [0, 1]. */
  em: number;
  /** Token F1 in [0, 1]. */
  f1: number;
  /** Search calls of the episode. */
  toolCalls: number;
  /** Hop count of the question, or null when it has none. */
  hops: number | null;
  /** The final answer, or null when the episode ended without one. */
  answer: string | null;
}

/** One row of `eval_items`, with its evaluation's key. */
export interface EvalItemRecord extends EvalItem {
  runId: string;
  step: number;
  benchmark: string;
  split: string;
}

/** One row of `evals`. */
export interface EvalRecord {
  runId: string;
  step: number;
  benchmark: string;
  split: string;
  n: number;
  em: number;
  f1: number;
  extra: Record<string, unknown>;
}

/** EM over the questions of one hop count (`extra.byHops` of a SearchWorld evaluation). */
export interface HopScore {
  n: number;
  em: number;
}

/**
 * The recorded EM per hop count of an evaluation (`extra.byHops`, written by the evaluations of
 * agent/evaluate.ts), keyed "1".."4"; entries without a finite `n` and `em` are left out, and an
 * evaluation without the field gives null.
 *
 * @example
 * ```ts
 * import { readByHops } from "./runstore.ts";
 * readByHops({ toolCalls: 1, byHops: { "1": { n: 50, em: 0.4 } } }); // { "1": { n: 50, em: 0.4 } }
 * readByHops({ toolCalls: 1 }); // null
 * ```
 */
export function readByHops(extra: Record<string, unknown>): Record<string, HopScore> | null {
  const by = extra["byHops"];
  if (typeof by !== "object" || by === null) return null;
  const out: Record<string, HopScore> = {};
  for (const [hop, v] of Object.entries(by)) {
    if (typeof v !== "object" || v === null) continue;
    const { n, em } = v as Record<string, unknown>;
    if (typeof n === "number" && typeof em === "number" && Number.isFinite(em)) {
      out[hop] = { n, em };
    }
  }
  return out;
}

/** The lookup probe of an evaluation, as recorded in `evals.extra.lookup` (agent/lookup.ts). */
export interface LookupScore {
  accuracy: number;
  chance: number;
  n: number;
}

/**
 * Read the teacher-forced lookup probe from an evaluation's `extra`; null when it was not
 * recorded (evaluations of benchmarks without gold chains, or older runs).
 *
 * @example
 * ```ts
 * import { readLookup } from "./runstore.ts";
 * readLookup({ lookup: { accuracy: 0.5, chance: 0.4, n: 150, missed: 0 } }); // { accuracy: 0.5, chance: 0.4, n: 150 }
 * readLookup({ toolCalls: 1 }); // null
 * ```
 */
export function readLookup(extra: Record<string, unknown>): LookupScore | null {
  const l = extra["lookup"];
  if (typeof l !== "object" || l === null) return null;
  const { accuracy, chance, n } = l as Record<string, unknown>;
  if (typeof accuracy !== "number" || typeof chance !== "number" || typeof n !== "number") {
    return null;
  }
  if (!Number.isFinite(accuracy) || !Number.isFinite(chance) || n <= 0) return null;
  return { accuracy, chance, n };
}

/**
 * One sampled trajectory of one training step, as stored in Parquet. Per-token arrays are
 * aligned (same length = the row's unpadded token count).
 */
export interface TrajectoryRow {
  questionId: string;
  groupId: number;
  /** Row index in the step's batch. */
  row: number;
  /** Token ids. */
  tokens: number[];
  /** Role code per token ({@link ROLE_CODE}: 0 prompt/pad, 1 policy, 2 observation, 3 feedback). */
  roles: number[];
  /** Policy round per token (0 for the prompt). */
  roundIds: number[];
  /** Loss mask per token (1 trainable). */
  lossMask: number[];
  /** The method's per-token advantage (0 where the mask is 0). */
  advantages: number[];
  /** Text of each turn, in order (prompt first). */
  texts: string[];
  /** Role of each turn ("policy" | "observation" | "feedback"). */
  turnRoles: string[];
  /** Final reward after the method's shaping. */
  reward: number;
  /** Outcome EM (0 or 1) of the final answer. */
  outcome: number;
  /** Number of search calls. */
  toolCalls: number;
  /**
   * The method's per-trajectory record, when it keeps one (column `method_record`, JSON): the
   * generic parts typed, plus whatever else the method keeps.
   */
  methodRecord?: MethodRecord;
  /** The final answer, if any. */
  answer?: string;
  /** Anything else (stored as JSON). */
  extra?: Record<string, unknown>;
}

const TRAJECTORY_COLUMNS: Record<string, string> = {
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

const SCHEMA = [
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
    ended_at VARCHAR)`,
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

const SCHEMA_VERSION = "1";

/**
 * Step-metric names written before core's `METRIC` convention, and their names now:
 * {@link RunStore.steps} reads an old store's rows under the new names, so one name per metric
 * reaches every reader. (Method metrics logged under an old prefix keep their names.)
 */
export const LEGACY_METRIC_NAMES: Readonly<Record<string, string>> = Object.freeze({
  loss: METRIC.loss,
  pgLoss: METRIC.pgLoss,
  klLoss: METRIC.klLoss,
  kl: METRIC.kl,
  approxKl: METRIC.behaviourKl,
  approxKlK3: METRIC.behaviourKlK3,
  clipFraction: METRIC.clipFraction,
  clipFractionDual: METRIC.dualClipFraction,
  ratioMean: METRIC.ratioMean,
  ratioMax: METRIC.ratioMax,
  grad_norm: METRIC.gradNorm,
  micro_batches: METRIC.microBatches,
  updates: METRIC.updates,
  skipped_nonfinite: METRIC.skippedNonFinite,
});

/** The current name of a logged metric name ({@link LEGACY_METRIC_NAMES}). */
export function currentMetricName(name: string): string {
  return Object.hasOwn(LEGACY_METRIC_NAMES, name) ? LEGACY_METRIC_NAMES[name]! : name;
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function num(v: unknown, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new Error(`run store: ${what}: expected a number, got ${typeof v}`);
}

function str(v: unknown, what: string): string {
  if (typeof v === "string") return v;
  throw new Error(`run store: ${what}: expected a string, got ${typeof v}`);
}

function parseJson(v: unknown): unknown {
  return typeof v === "string" ? JSON.parse(v) : v;
}

function assertFiniteInt(v: number, what: string): void {
  if (!Number.isInteger(v)) throw new Error(`run store: ${what}: expected an integer, got ${v}`);
}

/** Options of {@link RunStore.open}. */
export interface OpenOptions {
  /** Open without write access (reports). The file must exist. */
  readOnly?: boolean;
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

  private constructor(
    path: string,
    instance: DuckDBInstance,
    conn: DuckDBConnection,
    readOnly: boolean,
  ) {
    this.path = path;
    this.dir = dirname(path);
    this.instance = instance;
    this.#instance = instance;
    this.#conn = conn;
    this.readOnly = readOnly;
  }

  /** The underlying DuckDB instance (for ad-hoc queries in notebooks). */
  readonly instance: DuckDBInstance;

  /**
   * Open (and create if needed) the store at `path`.
   *
   * @example
   * ```ts
   * const store = await RunStore.open("runs/creditlab.duckdb");
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
          `INSERT OR IGNORE INTO meta VALUES ('schema_version', ${sqlString(SCHEMA_VERSION)})`,
        );
      });
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
   * const id = await store.startRun({ method: "capf", arm: "method", experiment: "capf", config, seed: 1, backend: "wasm", commit: "abc", preset: "smoke" });
   * ```
   */
  async startRun(opts: StartRunOptions): Promise<string> {
    this.#writable("startRun");
    if (!opts.method) throw new Error("run store: startRun: method must be a non-empty string");
    assertFiniteInt(opts.seed, "startRun: seed");
    const config = JSON.stringify(opts.config ?? null);
    const started = (opts.startedAt ?? new Date()).toISOString();
    return await this.#tx(async (c) => {
      const r = await c.runAndReadAll(`SELECT coalesce(max(seq), 0) + 1 AS s FROM runs`);
      const seq = num(r.getRowObjectsJS()[0]?.["s"], "seq");
      const safeMethod = opts.method.replace(/[^A-Za-z0-9_.-]/g, "_");
      const id = `r${String(seq).padStart(4, "0")}-${safeMethod}-s${opts.seed}`;
      await c.run(
        `INSERT INTO runs VALUES ($1, $2, $3, $4, $5, $6, $7::JSON, $8, $9, $10, 'running', $11, NULL)`,
        [
          id,
          seq,
          opts.method,
          opts.arm ?? "method",
          opts.preset,
          opts.experiment ?? opts.method,
          config,
          opts.seed,
          opts.backend,
          opts.commit,
          started,
        ],
      );
      return id;
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
      const values = entries.map((_, i) => `($1, $2, $${2 * i + 3}, $${2 * i + 4}::DOUBLE)`);
      const params: DuckDBValue[] = [runId, step];
      for (const [k, v] of entries) params.push(k, v);
      await c.run(`INSERT OR REPLACE INTO steps VALUES ${values.join(", ")}`, params);
    });
  }

  /** Log one evaluation result (replacing one already logged for the same step/benchmark/split). */
  async logEval(runId: string, ev: EvalInput): Promise<void> {
    this.#writable("logEval");
    if (ev.step !== undefined) assertFiniteInt(ev.step, `logEval(${runId}): step`);
    assertFiniteInt(ev.n, `logEval(${runId}, ${ev.benchmark}): n`);
    for (const k of ["em", "f1"] as const) {
      const v = ev[k];
      if (typeof v !== "number" || Number.isNaN(v) || v < 0 || v > 1) {
        throw new Error(
          `run store: logEval(${runId}, ${ev.benchmark}): ${k} must be a number in [0, 1], got ${v}`,
        );
      }
    }
    const items = ev.items ?? [];
    const seen = new Set<string>();
    items.forEach((it, i) => {
      const where = `logEval(${runId}, ${ev.benchmark}): items[${i}]`;
      if (typeof it.questionId !== "string" || it.questionId === "") {
        throw new Error(`run store: ${where}.questionId: expected a non-empty string`);
      }
      if (seen.has(it.questionId)) {
        throw new Error(`run store: ${where}.questionId: duplicate question ${it.questionId}`);
      }
      seen.add(it.questionId);
      for (const k of ["em", "f1"] as const) {
        const v = it[k];
        if (typeof v !== "number" || Number.isNaN(v) || v < 0 || v > 1) {
          throw new Error(`run store: ${where}.${k}: expected a number in [0, 1], got ${v}`);
        }
      }
      assertFiniteInt(it.toolCalls, `${where}.toolCalls`);
      if (it.hops !== null) assertFiniteInt(it.hops, `${where}.hops`);
    });
    if (items.length > 0 && items.length !== ev.n) {
      throw new Error(
        `run store: logEval(${runId}, ${ev.benchmark}): ${items.length} items for n = ${ev.n}`,
      );
    }
    await this.#tx(async (c) => {
      await this.#requireRun(c, runId, "logEval");
      let step = ev.step;
      if (step === undefined) {
        const r = await c.runAndReadAll(
          `SELECT coalesce(max(step), 0) AS s FROM steps WHERE run_id = $1`,
          [runId],
        );
        step = num(r.getRowObjectsJS()[0]?.["s"], "step");
      }
      await c.run(
        `INSERT OR REPLACE INTO evals VALUES ($1, $2, $3, $4, $5, $6::DOUBLE, $7::DOUBLE, $8::JSON)`,
        [runId, step, ev.benchmark, ev.split, ev.n, ev.em, ev.f1, JSON.stringify(ev.extra ?? {})],
      );
      await c.run(
        `DELETE FROM eval_items WHERE run_id = $1 AND step = $2 AND benchmark = $3 AND split = $4`,
        [runId, step, ev.benchmark, ev.split],
      );
      const chunk = 256;
      for (let i = 0; i < items.length; i += chunk) {
        const part = items.slice(i, i + chunk);
        const params: DuckDBValue[] = [runId, step, ev.benchmark, ev.split];
        const values = part.map((it) => {
          const b = params.length;
          params.push(it.questionId, it.em, it.f1, it.toolCalls, it.hops, it.answer);
          return `($1, $2, $3, $4, $${b + 1}, $${b + 2}::DOUBLE, $${b + 3}::DOUBLE, $${
            b + 4
          }::INTEGER, $${b + 5}::INTEGER, $${b + 6})`;
        });
        await c.run(`INSERT INTO eval_items VALUES ${values.join(", ")}`, params);
      }
    });
  }

  /**
   * Write the sampled trajectories of one step as Parquet
   * (`<dir>/trajectories/<run id>/step-<step>.parquet`), replacing an earlier file of that step.
   * Returns the file path.
   */
  async writeTrajectories(runId: string, step: number, rows: TrajectoryRow[]): Promise<string> {
    this.#writable("writeTrajectories");
    assertFiniteInt(step, `writeTrajectories(${runId}): step`);
    rows.forEach((r, i) => validateRow(r, `writeTrajectories(${runId}, ${step}): rows[${i}]`));
    const rel = `trajectories/${runId}/step-${String(step).padStart(6, "0")}.parquet`;
    const final = `${this.dir}/${rel}`;
    const tmp = `${final}.tmp-${Deno.pid}`;
    await Deno.mkdir(dirname(final), { recursive: true });
    const json = JSON.stringify(rows.map(toStoredRow));
    const structType = JSON.stringify([TRAJECTORY_COLUMNS]);
    const cols = Object.keys(TRAJECTORY_COLUMNS).map((k) => `"${k}"`).join(", ");
    try {
      await this.#tx(async (c) => {
        await this.#requireRun(c, runId, "writeTrajectories");
        await c.run(
          `CREATE OR REPLACE TEMP TABLE traj_tmp AS SELECT ${cols} FROM (SELECT unnest(from_json($1::JSON, ${
            sqlString(structType)
          }), recursive := true))`,
          [json],
        );
        await c.run(
          `COPY (SELECT * FROM traj_tmp ORDER BY "row") TO ${
            sqlString(tmp)
          } (FORMAT parquet, COMPRESSION zstd)`,
        );
        await c.run(`DROP TABLE traj_tmp`);
        await c.run(
          `INSERT OR REPLACE INTO trajectory_files VALUES ($1, $2, $3, $4)`,
          [runId, step, rel, rows.length],
        );
        await Deno.rename(tmp, final);
      });
    } catch (e) {
      await Deno.remove(tmp).catch(() => undefined);
      throw e;
    }
    return final;
  }

  /** Set a run's final status and end time. */
  async endRun(runId: string, status: RunStatus, endedAt: Date = new Date()): Promise<void> {
    this.#writable("endRun");
    if (!RUN_STATUSES.includes(status)) {
      throw new Error(`run store: endRun(${runId}): unknown status ${JSON.stringify(status)}`);
    }
    await this.#tx(async (c) => {
      await this.#requireRun(c, runId, "endRun");
      await c.run(`UPDATE runs SET status = $2, ended_at = $3 WHERE id = $1`, [
        runId,
        status,
        endedAt.toISOString(),
      ]);
    });
  }

  /** Mark a run as running again (on resume): status "running", no end time. */
  async reopenRun(runId: string): Promise<void> {
    this.#writable("reopenRun");
    await this.#tx(async (c) => {
      await this.#requireRun(c, runId, "reopenRun");
      await c.run(`UPDATE runs SET status = 'running', ended_at = NULL WHERE id = $1`, [runId]);
    });
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
      const count = async (t: string) =>
        num(
          (await c.runAndReadAll(
            `SELECT count(*) AS n FROM ${t} WHERE run_id = $1 AND step > $2`,
            [runId, step],
          )).getRowObjectsJS()[0]?.["n"],
          "count",
        );
      const res = {
        steps: await count("steps"),
        evals: await count("evals"),
        evalItems: await count("eval_items"),
        trajectoryFiles: await count("trajectory_files"),
      };
      const files = await c.runAndReadAll(
        `SELECT path FROM trajectory_files WHERE run_id = $1 AND step > $2`,
        [runId, step],
      );
      for (const r of files.getRowObjectsJS()) removedFiles.push(str(r["path"], "path"));
      for (const t of ["steps", "evals", "eval_items", "trajectory_files"]) {
        await c.run(`DELETE FROM ${t} WHERE run_id = $1 AND step > $2`, [runId, step]);
      }
      return res;
    });
    for (const f of removedFiles) await Deno.remove(`${this.dir}/${f}`).catch(() => undefined);
    return out;
  }

  /**
   * The latest run (highest sequence number) matching every given field, or undefined.
   *
   * @example
   * ```ts
   * const prev = await store.findRun({ experiment: "capf", method: "grpo", arm: "baseline", seed: 1 });
   * ```
   */
  async findRun(
    q: { experiment?: string; method?: string; arm?: string; seed?: number; preset?: string },
  ): Promise<RunRecord | undefined> {
    const runs = await this.listRuns(q);
    return runs[runs.length - 1];
  }

  /** Runs matching the filter, in creation order. */
  async listRuns(
    q: { experiment?: string; method?: string; arm?: string; seed?: number; preset?: string } = {},
  ): Promise<RunRecord[]> {
    const where: string[] = [];
    const params: DuckDBValue[] = [];
    for (const [k, v] of Object.entries(q)) {
      if (v === undefined) continue;
      if (!RUN_FILTER_KEYS.includes(k)) {
        throw new Error(
          `run store: listRuns: unknown filter field ${JSON.stringify(k)}; expected one of ${
            RUN_FILTER_KEYS.join(", ")
          }`,
        );
      }
      params.push(v as DuckDBValue);
      where.push(`${k} = $${params.length}`);
    }
    const rows = await this.#rows(
      `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq`,
      params,
    );
    return rows.map((r) => ({
      id: str(r["id"], "id"),
      method: str(r["method"], "method"),
      arm: str(r["arm"], "arm"),
      preset: str(r["preset"], "preset"),
      experiment: str(r["experiment"], "experiment"),
      config: parseJson(r["config"]),
      seed: num(r["seed"], "seed"),
      backend: str(r["backend"], "backend"),
      gitCommit: str(r["git_commit"], "git_commit"),
      status: str(r["status"], "status") as RunStatus,
      startedAt: str(r["started_at"], "started_at"),
      endedAt: r["ended_at"] === null ? null : str(r["ended_at"], "ended_at"),
    }));
  }

  /**
   * Step metrics of a run (optionally one metric), ordered by step then metric. Names logged
   * before the current convention come back under their current names
   * ({@link LEGACY_METRIC_NAMES}).
   */
  async steps(runId: string, metric?: string): Promise<StepRecord[]> {
    const names = metric === undefined ? [] : [
      metric,
      ...Object.keys(LEGACY_METRIC_NAMES).filter((k) => LEGACY_METRIC_NAMES[k] === metric),
    ];
    const rows = await this.#rows(
      `SELECT * FROM steps WHERE run_id = $1 ${
        names.length === 0 ? "" : `AND metric IN (${names.map((_, i) => `$${i + 2}`).join(", ")})`
      } ORDER BY step, metric`,
      [runId, ...names],
    );
    let renamed = false;
    const out = rows.map((r) => {
      const logged = str(r["metric"], "metric");
      const name = currentMetricName(logged);
      renamed ||= name !== logged;
      return {
        runId: str(r["run_id"], "run_id"),
        step: num(r["step"], "step"),
        metric: name,
        value: r["value"] === null ? NaN : num(r["value"], "value"),
      };
    });
    if (renamed) {
      out.sort((a, b) =>
        a.step - b.step || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0)
      );
    }
    return out;
  }

  /** The last step logged for a run, or null if none. */
  async lastStep(runId: string): Promise<number | null> {
    const r = await this.#rows(`SELECT max(step) AS s FROM steps WHERE run_id = $1`, [runId]);
    const s = r[0]?.["s"];
    return s === null || s === undefined ? null : num(s, "step");
  }

  /** Evaluations (of one run, or all), ordered by run, step, benchmark, split. */
  async evals(runId?: string): Promise<EvalRecord[]> {
    const rows = await this.#rows(
      `SELECT e.* FROM evals e JOIN runs r ON r.id = e.run_id ${
        runId === undefined ? "" : "WHERE e.run_id = $1"
      } ORDER BY r.seq, e.step, e.benchmark, e.split`,
      runId === undefined ? [] : [runId],
    );
    return rows.map((r) => ({
      runId: str(r["run_id"], "run_id"),
      step: num(r["step"], "step"),
      benchmark: str(r["benchmark"], "benchmark"),
      split: str(r["split"], "split"),
      n: num(r["n"], "n"),
      em: r["em"] === null ? NaN : num(r["em"], "em"),
      f1: r["f1"] === null ? NaN : num(r["f1"], "f1"),
      extra: (parseJson(r["extra"]) ?? {}) as Record<string, unknown>,
    }));
  }

  /**
   * Per-question outcomes of evaluations (of one run, or all), ordered by run, step, benchmark,
   * split and question id.
   */
  async evalItems(
    q: { runId?: string; benchmark?: string; step?: number } = {},
  ): Promise<EvalItemRecord[]> {
    const where: string[] = [];
    const params: DuckDBValue[] = [];
    if (q.runId !== undefined) where.push(`i.run_id = $${params.push(q.runId)}`);
    if (q.benchmark !== undefined) where.push(`i.benchmark = $${params.push(q.benchmark)}`);
    if (q.step !== undefined) where.push(`i.step = $${params.push(q.step)}`);
    const rows = await this.#rows(
      `SELECT i.* FROM eval_items i JOIN runs r ON r.id = i.run_id ${
        where.length ? `WHERE ${where.join(" AND ")}` : ""
      } ORDER BY r.seq, i.step, i.benchmark, i.split, i.question_id`,
      params,
    );
    return rows.map((r) => ({
      runId: str(r["run_id"], "run_id"),
      step: num(r["step"], "step"),
      benchmark: str(r["benchmark"], "benchmark"),
      split: str(r["split"], "split"),
      questionId: str(r["question_id"], "question_id"),
      em: num(r["em"], "em"),
      f1: num(r["f1"], "f1"),
      toolCalls: num(r["tool_calls"], "tool_calls"),
      hops: r["hops"] === null ? null : num(r["hops"], "hops"),
      answer: r["answer"] === null ? null : str(r["answer"], "answer"),
    }));
  }

  /** Steps of a run that have a trajectory file, ascending. */
  async trajectorySteps(runId: string): Promise<number[]> {
    const rows = await this.#rows(
      `SELECT step FROM trajectory_files WHERE run_id = $1 ORDER BY step`,
      [runId],
    );
    return rows.map((r) => num(r["step"], "step"));
  }

  /** Read back the trajectories of one step of a run (empty if none were written). */
  async readTrajectories(runId: string, step: number): Promise<TrajectoryRow[]> {
    const f = await this.#rows(
      `SELECT path FROM trajectory_files WHERE run_id = $1 AND step = $2`,
      [runId, step],
    );
    const rel = f[0]?.["path"];
    if (rel === undefined) return [];
    const path = `${this.dir}/${str(rel, "path")}`;
    const rows = await this.#rows(
      `SELECT * FROM read_parquet(${sqlString(path)}) ORDER BY "row"`,
    );
    return rows.map(fromStoredRow);
  }

  /**
   * The per-trajectory facts of one stored step without the per-token arrays and texts: row,
   * group, reward, outcome, search calls and the method record (read from the legacy columns
   * in older files). Empty if the step has no file.
   */
  async readTrajectorySummaries(runId: string, step: number): Promise<TrajectorySummary[]> {
    const f = await this.#rows(
      `SELECT path FROM trajectory_files WHERE run_id = $1 AND step = $2`,
      [runId, step],
    );
    const rel = f[0]?.["path"];
    if (rel === undefined) return [];
    const path = `${this.dir}/${str(rel, "path")}`;
    const rows = await this.#rows(
      `SELECT * EXCLUDE (tokens, roles, round_ids, loss_mask, advantages, texts, turn_roles)
       FROM read_parquet(${sqlString(path)}) ORDER BY "row"`,
    );
    return rows.map((r) => {
      const out: TrajectorySummary = {
        row: num(r["row"], "row"),
        groupId: num(r["group_id"], "group_id"),
        questionId: str(r["question_id"], "question_id"),
        reward: r["reward"] === null ? NaN : num(r["reward"], "reward"),
        outcome: num(r["outcome"], "outcome"),
        toolCalls: num(r["tool_calls"], "tool_calls"),
      };
      const rec = storedMethodRecord(r);
      if (rec !== undefined) out.methodRecord = rec;
      return out;
    });
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

const ROLE_NAMES = new Set(["policy", "observation", "feedback"]);

function validateRow(r: TrajectoryRow, where: string): void {
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

function toStoredRow(r: TrajectoryRow): Record<string, unknown> {
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

function fromStoredRow(r: Record<string, unknown>): TrajectoryRow {
  const out: TrajectoryRow = {
    questionId: str(r["question_id"], "question_id"),
    groupId: num(r["group_id"], "group_id"),
    row: num(r["row"], "row"),
    tokens: numList(r["tokens"], "tokens"),
    roles: numList(r["roles"], "roles"),
    roundIds: numList(r["round_ids"], "round_ids"),
    lossMask: numList(r["loss_mask"], "loss_mask"),
    advantages: numList(r["advantages"], "advantages"),
    texts: strList(r["texts"], "texts"),
    turnRoles: strList(r["turn_roles"], "turn_roles"),
    reward: r["reward"] === null ? NaN : num(r["reward"], "reward"),
    outcome: num(r["outcome"], "outcome"),
    toolCalls: num(r["tool_calls"], "tool_calls"),
  };
  const rec = storedMethodRecord(r);
  if (rec !== undefined) out.methodRecord = rec;
  if (typeof r["answer"] === "string") out.answer = r["answer"];
  const extra = parseJson(r["extra"]);
  if (extra !== null && extra !== undefined) out.extra = extra as Record<string, unknown>;
  return out;
}

/** Per-trajectory facts of a stored step without per-token arrays and texts. */
export interface TrajectorySummary {
  row: number;
  groupId: number;
  questionId: string;
  reward: number;
  outcome: number;
  toolCalls: number;
  methodRecord?: MethodRecord;
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
function storedMethodRecord(r: Record<string, unknown>): MethodRecord | undefined {
  if (!("method_record" in r)) return legacyMethodRecord(r);
  const v = parseJson(r["method_record"]);
  if (v === null || v === undefined) return undefined;
  validateMethodRecord(v, "trajectory method_record");
  return v;
}

/** Options of {@link trajectoryRowsFromBatch}. */
export interface RowsFromBatchOptions {
  /** The method's record per batch row (undefined where none). */
  records?: readonly (MethodRecord | undefined)[];
  /** Per-row outcome EM; default `trajectory.meta.outcome` (or `meta.em`), else 0/1 of reward > 0. */
  outcomes?: ArrayLike<number>;
}

function metaNumber(meta: Record<string, unknown>, keys: string[]): number | undefined {
  for (const k of keys) {
    const v = meta[k];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return undefined;
}

/**
 * Build the stored rows of one step from the trainer's batch, the method's per-token
 * advantages (aligned with `batch.tokens`) and its per-row records. Search calls come from
 * `meta.toolCalls` when the rollout recorded them, else they are counted from the policy turns
 * (their parsed action, or the tag in the text).
 *
 * @example
 * ```ts
 * await store.writeTrajectories(runId, step, trajectoryRowsFromBatch(batch, advantages));
 * ```
 */
export function trajectoryRowsFromBatch(
  batch: RolloutBatch,
  advantages: Float32Array,
  opts: RowsFromBatchOptions = {},
): TrajectoryRow[] {
  if (advantages.length !== batch.n * batch.length) {
    throw new Error(
      `trajectoryRowsFromBatch: advantages has ${advantages.length} entries, expected n*length = ${
        batch.n * batch.length
      }`,
    );
  }
  if (opts.records !== undefined && opts.records.length !== batch.n) {
    throw new Error(
      `trajectoryRowsFromBatch: ${opts.records.length} records for ${batch.n} rows`,
    );
  }
  const rows: TrajectoryRow[] = [];
  for (let i = 0; i < batch.n; i++) {
    const traj = batch.trajectories[i];
    if (traj === undefined) {
      throw new Error(`trajectoryRowsFromBatch: batch.trajectories[${i}] is missing`);
    }
    const len = batch.lengths[i] ?? 0;
    const off = i * batch.length;
    const sl = <T extends ArrayLike<number>>(a: T) => Array.from(a).slice(off, off + len);
    const meta = traj.meta ?? {};
    const outcome = opts.outcomes?.[i] ??
      metaNumber(meta, ["outcome", "em", "outcomeEm"]) ?? (traj.reward > 0 ? 1 : 0);
    let countedSearch = 0;
    for (const t of traj.turns) {
      if (t.role !== "policy") continue;
      const kind = t.action?.kind ?? (/<search>/.test(t.text) ? "search" : undefined);
      if (kind === "search") countedSearch++;
    }
    const toolCalls = metaNumber(meta, ["toolCalls"]) ?? countedSearch;
    const row: TrajectoryRow = {
      questionId: traj.questionId,
      groupId: batch.groupIds[i] ?? traj.groupId,
      row: i,
      tokens: sl(batch.tokens),
      roles: sl(batch.roles),
      roundIds: sl(batch.roundIds),
      lossMask: sl(batch.lossMask),
      advantages: sl(advantages),
      texts: traj.turns.map((t) => t.text),
      turnRoles: traj.turns.map((t) => t.role),
      reward: batch.rewards[i] ?? traj.reward,
      outcome,
      toolCalls,
    };
    const rec = opts.records?.[i];
    if (rec !== undefined) row.methodRecord = rec;
    if (traj.answer !== undefined) row.answer = traj.answer;
    rows.push(row);
  }
  return rows;
}
