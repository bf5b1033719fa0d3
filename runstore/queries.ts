/**
 * The read queries of the run store: runs, step metrics (under their current names), evaluations
 * and their per-question items, and the trajectory files of a run.
 *
 * @module
 */
import type { DuckDBValue } from "@duckdb/node-api";
import { currentMetricName, LEGACY_METRIC_NAMES } from "./metric_names.ts";
import type { EvalItemRecord, EvalRecord, RunRecord, StepRecord } from "./records.ts";
import { RUN_FILTER_KEYS, type RunStatus } from "./schema.ts";
import { num, parseJson, sqlString, str } from "./sql.ts";
import { fromStoredRow, summaryFromStoredRow } from "./trajectory_codec.ts";
import type { TrajectoryRow, TrajectorySummary } from "./trajectory_row.ts";

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

/** Runs matching the filter, in creation order. */
export async function listRuns(
  db: StoreReader,
  q: RunFilter = {},
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
  const rows = await db.rows(
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

/** Evaluations (of one run, or all), ordered by run, step, benchmark, split. */
export async function evals(db: StoreReader, runId?: string): Promise<EvalRecord[]> {
  const rows = await db.rows(
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
export async function evalItems(
  db: StoreReader,
  q: { runId?: string; benchmark?: string; step?: number } = {},
): Promise<EvalItemRecord[]> {
  const where: string[] = [];
  const params: DuckDBValue[] = [];
  if (q.runId !== undefined) where.push(`i.run_id = $${params.push(q.runId)}`);
  if (q.benchmark !== undefined) where.push(`i.benchmark = $${params.push(q.benchmark)}`);
  if (q.step !== undefined) where.push(`i.step = $${params.push(q.step)}`);
  const rows = await db.rows(
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
export async function trajectorySteps(db: StoreReader, runId: string): Promise<number[]> {
  const rows = await db.rows(
    `SELECT step FROM trajectory_files WHERE run_id = $1 ORDER BY step`,
    [runId],
  );
  return rows.map((r) => num(r["step"], "step"));
}

/** The path of the trajectory file of one step of a run, or null when it has none. */
async function trajectoryFile(
  db: StoreReader,
  runId: string,
  step: number,
): Promise<string | null> {
  const f = await db.rows(
    `SELECT path FROM trajectory_files WHERE run_id = $1 AND step = $2`,
    [runId, step],
  );
  const rel = f[0]?.["path"];
  return rel === undefined ? null : `${db.dir}/${str(rel, "path")}`;
}

/** Read back the trajectories of one step of a run (empty if none were written). */
export async function readTrajectories(
  db: StoreReader,
  runId: string,
  step: number,
): Promise<TrajectoryRow[]> {
  const path = await trajectoryFile(db, runId, step);
  if (path === null) return [];
  const rows = await db.rows(
    `SELECT * FROM read_parquet(${sqlString(path)}) ORDER BY "row"`,
  );
  return rows.map(fromStoredRow);
}

/**
 * The per-trajectory facts of one stored step without the per-token arrays and texts: row,
 * group, reward, outcome, search calls and the method record (read from the legacy columns
 * in older files). Empty if the step has no file.
 */
export async function readTrajectorySummaries(
  db: StoreReader,
  runId: string,
  step: number,
): Promise<TrajectorySummary[]> {
  const path = await trajectoryFile(db, runId, step);
  if (path === null) return [];
  const rows = await db.rows(
    `SELECT * EXCLUDE (tokens, roles, round_ids, loss_mask, advantages, texts, turn_roles)
     FROM read_parquet(${sqlString(path)}) ORDER BY "row"`,
  );
  return rows.map(summaryFromStoredRow);
}
