/**
 * The records the run store takes and gives back: what starting a run needs, the rows of
 * `runs`, `steps`, `evals` and `eval_items`, and the checks of what is logged before it is
 * (a new run, step metrics, an evaluation, a finished run recorded at once).
 *
 * @module
 */
import type { RunProcess } from "./process.ts";
import { RUN_STATUSES, type RunStatus } from "./schema.ts";
import { assertFiniteInt } from "./sql.ts";
import type { TrajectoryRow } from "./trajectory_row.ts";

/** What {@link RunStore.startRun} needs. */
export interface StartRunOptions {
  /** Registry name of the method trained. */
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
  /** Experiment the run belongs to (default: the method name, as `reproduce <method>` uses). */
  experiment?: string;
  /** Start time (default: now). Only stored, never used for ordering. */
  startedAt?: Date;
}

/** One step of a {@link RecordedRun}: its metrics and its trajectories (either may be absent). */
export interface RecordedStep {
  step: number;
  metrics?: Record<string, number>;
  rows?: readonly TrajectoryRow[];
}

/** A finished run as {@link RunStore.recordRun} records it at once. */
export interface RecordedRun {
  /** How it ended (not "running"). */
  status: Exclude<RunStatus, "running">;
  /** Why it ended so (stored in `runs.reason`). */
  reason?: string;
  /** End time (default: now). */
  endedAt?: Date;
  /** Its steps, each given once. */
  steps: readonly RecordedStep[];
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
  /**
   * ISO 8601 time, or null while running (and for a run found interrupted on opening the
   * store, whose end time is not known).
   */
  endedAt: string | null;
  /**
   * Why the run ended as it did: the error of a `failed` run; the signal, the caller's stop or
   * the lost process of an `interrupted` one. Null when none was recorded (older stores too).
   * Always set by the store's reads; optional so that records built by hand may omit it.
   */
  reason?: string | null;
  /**
   * The process that last ran it (recorded at start and on resume), or null for runs recorded
   * before processes were. Always set by the store's reads.
   */
  process?: RunProcess | null;
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

/** The columns that key an evaluation, which its per-question items share. */
export interface EvalKey {
  runId: string;
  step: number;
  benchmark: string;
  split: string;
}

/** One row of `eval_items`, with its evaluation's key. */
export interface EvalItemRecord extends EvalKey, EvalItem {}

/** One row of `evals`. */
export interface EvalRecord extends EvalKey {
  n: number;
  em: number;
  f1: number;
  extra: Record<string, unknown>;
}

/**
 * Check an evaluation before it is logged: integer step and n, EM and F1 in [0, 1], per-question
 * items with distinct non-empty ids and one per question. Returns its items (none: empty).
 */
export function validateEvalInput(runId: string, ev: EvalInput): readonly EvalItem[] {
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
  return items;
}

/** Check what starting a run needs: a method name and an integer seed; `op` names the caller. */
export function validateStartRun(opts: StartRunOptions, op: string): void {
  if (!opts.method) throw new Error(`run store: ${op}: method must be a non-empty string`);
  assertFiniteInt(opts.seed, `${op}: seed`);
}

/**
 * Check the scalar metrics of a step: every value a number (NaN and infinities are stored as
 * they are, so a diverging run shows); `field(k)` names metric `k` in the error.
 */
export function validateMetrics(
  metrics: Record<string, number>,
  field: (k: string) => string,
): void {
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== "number") throw new Error(`run store: ${field(k)}: expected a number`);
  }
}

/**
 * Check a finished run before it is recorded at once: a final status, and each step given once,
 * with an integer step number and numeric metrics.
 */
export function validateRecordedRun(run: RecordedRun): void {
  if (!RUN_STATUSES.includes(run.status) || (run.status as RunStatus) === "running") {
    throw new Error(`run store: recordRun: status must be a final status, got ${run.status}`);
  }
  const seen = new Set<number>();
  for (const [i, s] of run.steps.entries()) {
    assertFiniteInt(s.step, `recordRun: steps[${i}].step`);
    if (seen.has(s.step)) throw new Error(`run store: recordRun: step ${s.step} given twice`);
    seen.add(s.step);
    validateMetrics(s.metrics ?? {}, (k) => `recordRun: steps[${i}].metrics.${k}`);
  }
}
