/**
 * The read queries of the run store: runs, step metrics (under their current names), evaluations
 * and their per-question items, and the trajectory files of a run.
 *
 * @module
 */
import type { DuckDBValue } from "@duckdb/node-api";
import { currentMetricName, LEGACY_METRIC_NAMES } from "./metric_names.ts";
import type { EvalItemRecord, EvalKey, EvalRecord, RunRecord, StepRecord } from "./records.ts";
import { RUN_FILTER_KEYS, type RunStatus } from "./schema.ts";
import { type Columns, columns, num, str } from "./sql.ts";
import type { ReadRows } from "./trajectory_files.ts";

/** Fields a run can be filtered by ({@link listRuns}); each given one must match. */
export interface RunFilter {
  experiment?: string;
  method?: string;
  arm?: string;
  seed?: number;
  preset?: string;
}

/** What the read queries need of a store: its folder and a way to run a read query. */
export interface StoreReader {
  /** Folder holding the DuckDB file and `trajectories/`. */
  readonly dir: string;
  /** Run a read query and return row objects. */
  rows(sql: string, params?: DuckDBValue[]): Promise<Record<string, unknown>[]>;
}

/** `WHERE a = $1 AND ...` over the defined `values` (by column), and its parameters; "" if none. */
function whereEquals(
  values: Record<string, DuckDBValue | undefined>,
): { sql: string; params: DuckDBValue[] } {
  const where: string[] = [];
  const params: DuckDBValue[] = [];
  for (const [column, v] of Object.entries(values)) {
    if (v !== undefined) where.push(`${column} = $${params.push(v)}`);
  }
  return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
}

/** Runs matching the filter, in creation order. */
export async function listRuns(
  db: StoreReader,
  q: RunFilter = {},
): Promise<RunRecord[]> {
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && !RUN_FILTER_KEYS.includes(k)) {
      throw new Error(
        `run store: listRuns: unknown filter field ${JSON.stringify(k)}; expected one of ${
          RUN_FILTER_KEYS.join(", ")
        }`,
      );
    }
  }
  const where = whereEquals(q as Record<string, DuckDBValue | undefined>);
  const rows = await db.rows(`SELECT * FROM runs ${where.sql} ORDER BY seq`, where.params);
  return rows.map((r) => {
    const c = columns(r);
    // Columns of schema version 2: absent from an older store opened read-only.
    const has = (k: string) => k in r;
    const pid = has("pid") ? c.numOrNull("pid") : null;
    return {
      id: c.str("id"),
      method: c.str("method"),
      arm: c.str("arm"),
      preset: c.str("preset"),
      experiment: c.str("experiment"),
      config: c.json("config"),
      seed: c.num("seed"),
      backend: c.str("backend"),
      gitCommit: c.str("git_commit"),
      status: c.str("status") as RunStatus,
      startedAt: c.str("started_at"),
      endedAt: c.strOrNull("ended_at"),
      reason: has("reason") ? c.strOrNull("reason") : null,
      process: pid === null
        ? null
        : { pid, host: c.str("host"), start: c.strOrNull("process_start") },
    };
  });
}

/**
 * Step metrics of a run (optionally one metric), ordered by step then metric. Names logged
 * before the current convention come back under their current names
 * ({@link LEGACY_METRIC_NAMES}).
 */
export async function steps(
  db: StoreReader,
  runId: string,
  metric?: string,
): Promise<StepRecord[]> {
  const names = metric === undefined ? [] : [
    metric,
    ...Object.keys(LEGACY_METRIC_NAMES).filter((k) => LEGACY_METRIC_NAMES[k] === metric),
  ];
  const rows = await db.rows(
    `SELECT * FROM steps WHERE run_id = $1 ${
      names.length === 0 ? "" : `AND metric IN (${names.map((_, i) => `$${i + 2}`).join(", ")})`
    } ORDER BY step, metric`,
    [runId, ...names],
  );
  let renamed = false;
  const out = rows.map((r) => {
    const c = columns(r);
    const logged = c.str("metric");
    const name = currentMetricName(logged);
    renamed ||= name !== logged;
    return {
      runId: c.str("run_id"),
      step: c.num("step"),
      metric: name,
      value: c.numOrNaN("value"),
    };
  });
  if (renamed) {
    out.sort((a, b) => a.step - b.step || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
  }
  return out;
}

/** The last step logged for a run, or null if none. */
export async function lastStep(db: StoreReader, runId: string): Promise<number | null> {
  const r = await db.rows(`SELECT max(step) AS s FROM steps WHERE run_id = $1`, [runId]);
  const s = r[0]?.["s"];
  return s === null || s === undefined ? null : num(s, "step");
}

/**
 * The records of an evaluation table whose columns equal the defined `filter` values: the key
 * columns, then what `read` makes of the table's own; ordered by run (creation order), then step,
 * benchmark, split and the table's `more` key columns.
 */
async function readEvalTable<T>(
  db: StoreReader,
  table: { name: "evals" | "eval_items"; more: string[] },
  filter: Record<string, DuckDBValue | undefined>,
  read: (c: Columns) => T,
): Promise<(EvalKey & T)[]> {
  const where = whereEquals(
    Object.fromEntries(Object.entries(filter).map(([column, v]) => [`t.${column}`, v])),
  );
  const order = ["step", "benchmark", "split", ...table.more].map((column) => `t.${column}`);
  const rows = await db.rows(
    `SELECT t.* FROM ${table.name} t JOIN runs r ON r.id = t.run_id ${where.sql} ORDER BY r.seq, ${
      order.join(", ")
    }`,
    where.params,
  );
  return rows.map((r) => {
    const c = columns(r);
    const key: EvalKey = {
      runId: c.str("run_id"),
      step: c.num("step"),
      benchmark: c.str("benchmark"),
      split: c.str("split"),
    };
    return { ...key, ...read(c) };
  });
}

/** Evaluations (of one run, or all), ordered by run, step, benchmark, split. */
export function evals(db: StoreReader, runId?: string): Promise<EvalRecord[]> {
  return readEvalTable(db, { name: "evals", more: [] }, { run_id: runId }, (c) => ({
    n: c.num("n"),
    em: c.numOrNaN("em"),
    f1: c.numOrNaN("f1"),
    extra: (c.json("extra") ?? {}) as Record<string, unknown>,
  }));
}

/**
 * Per-question outcomes of evaluations (of one run, or all), ordered by run, step, benchmark,
 * split and question id.
 */
export function evalItems(
  db: StoreReader,
  q: { runId?: string; benchmark?: string; step?: number } = {},
): Promise<EvalItemRecord[]> {
  return readEvalTable(
    db,
    { name: "eval_items", more: ["question_id"] },
    { run_id: q.runId, benchmark: q.benchmark, step: q.step },
    (c) => ({
      questionId: c.str("question_id"),
      em: c.num("em"),
      f1: c.num("f1"),
      toolCalls: c.num("tool_calls"),
      hops: c.numOrNull("hops"),
      answer: c.strOrNull("answer"),
    }),
  );
}

/** Steps of a run that have a trajectory file, ascending. */
export async function trajectorySteps(db: StoreReader, runId: string): Promise<number[]> {
  const rows = await db.rows(
    `SELECT step FROM trajectory_files WHERE run_id = $1 ORDER BY step`,
    [runId],
  );
  return rows.map((r) => num(r["step"], "step"));
}

/** A reader of one trajectory file (trajectory_files.ts): its rows, or their summaries. */
export type TrajectoryFileReader<T> = (rows: ReadRows, path: string) => Promise<T[]>;

/**
 * What `read` makes of the trajectory file of one step of a run, in row order (empty if the step
 * has none): trajectory_files.ts's `readTrajectoryFile` reads its rows (an interchange-format
 * file through interchange's reader, a legacy one through the legacy reader),
 * `readTrajectoryFileSummaries` their per-trajectory facts alone.
 */
export async function readStepFile<T>(
  db: StoreReader,
  at: { runId: string; step: number },
  read: TrajectoryFileReader<T>,
): Promise<T[]> {
  const f = await db.rows(
    `SELECT path FROM trajectory_files WHERE run_id = $1 AND step = $2`,
    [at.runId, at.step],
  );
  const rel = f[0]?.["path"];
  if (rel === undefined) return [];
  return await read((sql) => db.rows(sql), `${db.dir}/${str(rel, "path")}`);
}
