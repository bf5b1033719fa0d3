/**
 * Parallel arms: an {@link ArmExecutor} that runs each job in one of `jobs` Deno workers, each
 * on `threads` OpenBLAS and native threads, while the calling process keeps the run store. A
 * worker reports through messages; the pool turns them into calls on the job's
 * {@link ArmRecorder} and answers each call, so a worker waits for its records to be written
 * (the trainer's order of checkpoint and records holds as in one process).
 *
 * Why workers: on 2 cores one arm in one process with 2 threads used 196% CPU (37 s of the 152 s
 * spinning in system time) for the smoke run; two arms side by side with one thread each took
 * 92 s for both against 77 s for one (`reports/experiments.md`).
 *
 * The worker's module is the caller's (`workerUrl`): it must register the methods the jobs name
 * and call {@link serveArmJobs} (cli/arm_worker.ts does).
 *
 * @module
 */
import { backendLabel, type BackendName, initBackend } from "@creditlab/kernels";
import { getRegime } from "@creditlab/core";
import type { StepMetrics } from "@creditlab/train";
import type { TrajectoryRow } from "@creditlab/runstore";
import {
  type ArmExecutor,
  type ArmRecorder,
  type EvalJob,
  type RlJob,
  type RlJobResult,
  runEvalJob,
  runRlJob,
} from "./arm_job.ts";
import { buildTestbed, type Testbed } from "./testbed.ts";
import type { TestbedEval } from "./testbed_eval.ts";

/** The engines a worker starts. */
interface WorkerBackend {
  name?: BackendName;
  threads: number;
}

type JobMessage =
  | { type: "job"; kind: "rl"; job: RlJob; backend: WorkerBackend }
  | { type: "job"; kind: "eval"; job: EvalJob; backend: WorkerBackend };

type ToWorker = JobMessage | { type: "reply"; id: number; error?: string };

type Call =
  | { op: "logStep"; step: number; metrics: StepMetrics }
  | { op: "writeTrajectories"; step: number; rows: TrajectoryRow[] }
  | { op: "truncateAfter"; step: number };

type FromWorker =
  | ({ type: "call"; id: number } & Call)
  | { type: "log"; line: string }
  | { type: "done"; result: RlJobResult | TestbedEval[] }
  | { type: "failed"; error: { name: string; message: string; stack?: string } };

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Options of {@link ArmPool}. */
export interface ArmPoolOptions {
  /** Workers (jobs at once), >= 1. */
  jobs: number;
  /** The worker module: registers the methods and calls {@link serveArmJobs}. */
  workerUrl: URL | string;
  /** OpenBLAS and native threads per worker (default 1). Process-wide: set once for all. */
  threads?: number;
  /** The backend each worker starts (default: initBackend's automatic choice). */
  backend?: BackendName;
}

/**
 * Runs jobs in up to `jobs` workers; a job waits for a free worker. Workers are started on
 * demand, kept for the next job (a worker caches the testbed of each preset and regime it has
 * built) and stopped by {@link ArmPool.close}. A worker whose job threw is kept; one that died
 * (an uncaught error) is dropped and its job rejected.
 */
export class ArmPool implements ArmExecutor {
  readonly jobs: number;
  readonly #url: string;
  readonly #backend: WorkerBackend;
  readonly #idle: Worker[] = [];
  readonly #all = new Set<Worker>();
  readonly #waiting: Array<(w: Worker) => void> = [];
  #closed = false;

  constructor(opts: ArmPoolOptions) {
    if (!Number.isInteger(opts.jobs) || opts.jobs < 1) {
      throw new Error(`ArmPool: jobs must be a positive integer, got ${opts.jobs}`);
    }
    const threads = opts.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`ArmPool: threads must be a positive integer, got ${threads}`);
    }
    this.jobs = opts.jobs;
    this.#url = String(opts.workerUrl);
    this.#backend = { threads, ...(opts.backend ? { name: opts.backend } : {}) };
  }

  /** Train and evaluate one arm in a worker; its records go to `recorder` in this process. */
  async train(job: RlJob, recorder: ArmRecorder): Promise<RlJobResult> {
    return await this.#run(
      { type: "job", kind: "rl", job, backend: this.#backend },
      recorder,
    ) as RlJobResult;
  }

  /** Evaluate a checkpoint in a worker. */
  async evaluate(job: EvalJob, log: (line: string) => void): Promise<TestbedEval[]> {
    const refuse = () => Promise.reject(new Error("an evaluation job records no training"));
    const recorder: ArmRecorder = {
      logStep: refuse,
      writeTrajectories: refuse,
      truncateAfter: refuse,
      log,
    };
    return await this.#run(
      { type: "job", kind: "eval", job, backend: this.#backend },
      recorder,
    ) as TestbedEval[];
  }

  /** Stop every worker; jobs submitted afterwards are refused. */
  close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#all) w.terminate();
    this.#all.clear();
    this.#idle.length = 0;
    return Promise.resolve();
  }

  #acquire(): Promise<Worker> {
    if (this.#closed) return Promise.reject(new Error("ArmPool: closed"));
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#all.size < this.jobs) {
      const w = new Worker(this.#url, { type: "module" });
      this.#all.add(w);
      return Promise.resolve(w);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(w: Worker, alive: boolean): void {
    if (!alive) {
      w.terminate();
      this.#all.delete(w);
    }
    if (this.#closed) return;
    const next = this.#waiting.shift();
    if (!next) {
      if (alive) this.#idle.push(w);
      return;
    }
    if (alive) {
      next(w);
      return;
    }
    const fresh = new Worker(this.#url, { type: "module" });
    this.#all.add(fresh);
    next(fresh);
  }

  async #run(message: JobMessage, recorder: ArmRecorder): Promise<unknown> {
    const w = await this.#acquire();
    let alive = true;
    try {
      return await new Promise((resolve, reject) => {
        const answer = async (m: { id: number } & Call) => {
          try {
            if (m.op === "logStep") await recorder.logStep(m.step, m.metrics);
            else if (m.op === "writeTrajectories") {
              await recorder.writeTrajectories(m.step, m.rows);
            } else await recorder.truncateAfter(m.step);
            w.postMessage({ type: "reply", id: m.id } satisfies ToWorker);
          } catch (e) {
            w.postMessage({ type: "reply", id: m.id, error: errorText(e) } satisfies ToWorker);
          }
        };
        w.onmessage = (e: MessageEvent<FromWorker>) => {
          const m = e.data;
          if (m.type === "log") recorder.log(m.line);
          else if (m.type === "call") void answer(m);
          else if (m.type === "done") resolve(m.result);
          else {
            const err = new Error(m.error.message);
            err.name = m.error.name;
            if (m.error.stack) err.stack = m.error.stack;
            reject(err);
          }
        };
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          alive = false;
          reject(new Error(`arm worker died: ${e.message}`));
        };
        w.postMessage(message satisfies ToWorker);
      });
    } finally {
      w.onmessage = null;
      w.onerror = null;
      this.#release(w, alive);
    }
  }
}

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(m: FromWorker): void;
}

/**
 * The worker side of {@link ArmPool}: call once at the top level of the worker module, after
 * registering the methods.
 */
export function serveArmJobs(): void {
  const scope = globalThis as unknown as WorkerScope;
  const testbeds = new Map<string, Testbed>();
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const call = (c: Call): Promise<void> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      scope.postMessage({ type: "call", id, ...c });
    });
  const recorder: ArmRecorder = {
    logStep: (step, metrics) => call({ op: "logStep", step, metrics }),
    writeTrajectories: (step, rows) => call({ op: "writeTrajectories", step, rows }),
    truncateAfter: (step) => call({ op: "truncateAfter", step }),
    log: (line) => scope.postMessage({ type: "log", line }),
  };
  const testbedOf = (job: RlJob | EvalJob): Testbed => {
    const key = JSON.stringify([job.preset, job.regime]);
    let tb = testbeds.get(key);
    if (!tb) {
      tb = buildTestbed(job.preset, { regime: getRegime(job.regime) });
      testbeds.set(key, tb);
    }
    return tb;
  };
  const runJob = async (m: JobMessage) => {
    try {
      const info = await initBackend({
        threads: m.backend.threads,
        ...(m.backend.name ? { backend: m.backend.name } : {}),
      });
      recorder.log(`worker engines: ${backendLabel(info)}`);
      const testbed = testbedOf(m.job);
      const result = m.kind === "rl"
        ? await runRlJob(m.job, { testbed, recorder })
        : await runEvalJob(m.job, { testbed });
      scope.postMessage({ type: "done", result });
    } catch (e) {
      const error = e instanceof Error
        ? { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) }
        : { name: "Error", message: String(e) };
      scope.postMessage({ type: "failed", error });
    }
  };
  scope.onmessage = (e) => {
    const m = e.data;
    if (m.type === "reply") {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (!p) return;
      if (m.error === undefined) p.resolve();
      else p.reject(new Error(`recording in the parent failed: ${m.error}`));
      return;
    }
    void runJob(m);
  };
}
