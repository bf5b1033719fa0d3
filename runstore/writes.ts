/**
 * The SQL of the run store's writes, each run inside the caller's transaction on connection
 * `c`: a new run, how a run ends (or runs again), step metrics, an evaluation with its
 * per-question items, and what a resumed run drops (the trajectory files: trajectory_files.ts).
 *
 * @module
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import type { RunProcess } from "./process.ts";
import type { EvalInput, EvalItem, StartRunOptions } from "./records.ts";
import type { RunStatus } from "./schema.ts";
import { num, str } from "./sql.ts";

/**
 * Insert a new run (status "running") under the next sequence number; returns its id,
 * `r0001-<method>-s<seed>`. `config` is the run's config as JSON, `started` an ISO time,
 * `process` the process running it.
 */
export async function insertRun(
  c: DuckDBConnection,
  args: { opts: StartRunOptions; config: string; started: string; process: RunProcess },
): Promise<string> {
  const { opts, config, started, process } = args;
  const r = await c.runAndReadAll(`SELECT coalesce(max(seq), 0) + 1 AS s FROM runs`);
  const seq = num(r.getRowObjectsJS()[0]?.["s"], "seq");
  const safeMethod = opts.method.replace(/[^A-Za-z0-9_.-]/g, "_");
  const id = `r${String(seq).padStart(4, "0")}-${safeMethod}-s${opts.seed}`;
  await c.run(
    `INSERT INTO runs (id, seq, method, arm, preset, experiment, config, seed, backend,
       git_commit, status, started_at, ended_at, reason, pid, host, process_start)
     VALUES ($1, $2, $3, $4, $5, $6, $7::JSON, $8, $9, $10, 'running', $11, NULL, NULL, $12,
       $13, $14)`,
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
      process.pid,
      process.host,
      process.start,
    ],
  );
  return id;
}

/** Throw, naming the caller `op`, unless run `runId` exists. */
export async function requireRun(c: DuckDBConnection, runId: string, op: string): Promise<void> {
  const r = await c.runAndReadAll(`SELECT count(*) AS n FROM runs WHERE id = $1`, [runId]);
  if (num(r.getRowObjectsJS()[0]?.["n"], "count") === 0) {
    throw new Error(`run store: ${op}: unknown run id ${JSON.stringify(runId)}`);
  }
}

/** Set a run's status, end time (ISO) and reason (null: none). */
export async function setRunEnd(
  c: DuckDBConnection,
  end: { runId: string; status: RunStatus; endedAt: string; reason: string | null },
): Promise<void> {
  await c.run(
    `UPDATE runs SET status = $2, ended_at = $3, reason = $4 WHERE id = $1`,
    [end.runId, end.status, end.endedAt, end.reason],
  );
}

/** Record a `running` run as `interrupted` with `reason`, its end time unknown. */
export async function setInterrupted(
  c: DuckDBConnection,
  runId: string,
  reason: string,
): Promise<void> {
  await c.run(
    `UPDATE runs SET status = 'interrupted', reason = $2 WHERE id = $1 AND status = 'running'`,
    [runId, reason],
  );
}

/** Mark a run as running again in process `p`: no end time, no reason. */
export async function setRunning(c: DuckDBConnection, runId: string, p: RunProcess): Promise<void> {
  await c.run(
    `UPDATE runs SET status = 'running', ended_at = NULL, reason = NULL, pid = $2, host = $3,
       process_start = $4 WHERE id = $1`,
    [runId, p.pid, p.host, p.start],
  );
}

/** Insert (or replace) the scalar metrics of one step of a run. */
export async function insertSteps(
  c: DuckDBConnection,
  opts: { runId: string; step: number; metrics: Record<string, number> },
): Promise<void> {
  const entries = Object.entries(opts.metrics);
  if (entries.length === 0) return;
  const values = entries.map((_, i) => `($1, $2, $${2 * i + 3}, $${2 * i + 4}::DOUBLE)`);
  const params: DuckDBValue[] = [opts.runId, opts.step];
  for (const [k, v] of entries) params.push(k, v);
  await c.run(`INSERT OR REPLACE INTO steps VALUES ${values.join(", ")}`, params);
}

/**
 * Insert (or replace) an evaluation and replace its per-question items. Without `ev.step`, it
 * is the run's last logged step (0 when none).
 */
export async function insertEval(
  c: DuckDBConnection,
  opts: { runId: string; ev: EvalInput; items: readonly EvalItem[] },
): Promise<void> {
  const { runId, ev, items } = opts;
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
}

/**
 * Delete every step metric, evaluation, per-question item and trajectory-file row of a run after
 * `step`. Returns how many of each there were and the trajectory files' paths (relative to the
 * store's folder), for the caller to remove once the transaction commits.
 */
export async function deleteAfter(
  c: DuckDBConnection,
  opts: { runId: string; step: number },
): Promise<{
  removed: { steps: number; evals: number; evalItems: number; trajectoryFiles: number };
  files: string[];
}> {
  const { runId, step } = opts;
  const removedFiles: string[] = [];
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
  return { removed: res, files: removedFiles };
}
