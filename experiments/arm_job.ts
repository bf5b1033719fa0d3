/**
 * The compute of an experiment's arms, apart from their bookkeeping: an RL job (train one
 * method from a checkpoint, then evaluate it) and an evaluation job (score a checkpoint on the
 * testbed). The run store stays with the caller: a job reports its step metrics, trajectory rows
 * and truncations to an {@link ArmRecorder}, so the same job runs in this process
 * ({@link inProcessExecutor}) or in a worker of an {@link ArmPool} (experiments/arm_pool.ts)
 * while one process owns the DuckDB file.
 *
 * Jobs are plain data (structured-cloneable): the preset, the regime's name, the method's
 * registered name and config, paths. A worker rebuilds the testbed from the preset and the
 * regime; `buildTestbed` is deterministic, so both sides train and score on the same questions.
 *
 * @module
 */
import { loadCheckpoint } from "@creditlab/kernels";
import { dirCheckpoints, getMethod, type StepMetrics, trainRl } from "@creditlab/train";
import { type TrajectoryRow, trajectoryRowsFromBatch } from "@creditlab/runstore";
import type { RegimeName } from "@creditlab/core";
import type { ExperimentPreset } from "./presets.ts";
import { checkpointExtra, type Testbed } from "./testbed.ts";
import { evaluateOnTestbed, type TestbedEval } from "./testbed_eval.ts";

/** Train one method from a checkpoint, then evaluate it (unless stopped early). */
export interface RlJob {
  preset: ExperimentPreset;
  regime: RegimeName;
  /** A registered method's name (train's registry). */
  method: string;
  methodConfig: unknown;
  seed: number;
  /** The warm start: the policy's initial weights and the frozen KL reference. */
  sftCheckpoint: string;
  /** Where the run's checkpoints go (a run with a `LATEST` there resumes from it). */
  checkpointDir: string;
  /** Stop after this many steps (kill simulation in tests). */
  stopAfter?: number;
}

/** How an RL job ended, and the policy's evaluation when it ran to its last step. */
export interface RlJobResult {
  stopped: "done" | "bad-steps" | "stop-after";
  /** In-domain and out-of-domain evaluations; null when stopped after `stopAfter` steps. */
  evals: TestbedEval[] | null;
}

/** Score a checkpoint greedily on the testbed's held-out questions of both worlds. */
export interface EvalJob {
  preset: ExperimentPreset;
  regime: RegimeName;
  checkpoint: string;
  seed: number;
}

/** Where a job's records go: the run store of the process that owns it. */
export interface ArmRecorder {
  logStep(step: number, metrics: StepMetrics): Promise<void>;
  writeTrajectories(step: number, rows: TrajectoryRow[]): Promise<void>;
  /** A resumed run drops whatever was recorded after its checkpoint's step. */
  truncateAfter(step: number): Promise<void>;
  log(line: string): void;
}

/** Runs jobs: in this process, or in workers (experiments/arm_pool.ts). */
export interface ArmExecutor {
  /** How many jobs run at once. */
  readonly jobs: number;
  train(job: RlJob, recorder: ArmRecorder): Promise<RlJobResult>;
  evaluate(job: EvalJob, log: (line: string) => void): Promise<TestbedEval[]>;
  /** Release what the executor holds (workers); idempotent. */
  close(): Promise<void>;
}

function checkTestbed(testbed: Testbed, job: { regime: RegimeName }, who: string): void {
  if (testbed.regime.name !== job.regime) {
    throw new Error(
      `${who}: the job's regime is "${job.regime}" but the testbed's is "${testbed.regime.name}"`,
    );
  }
}

/**
 * Train `job.method` from the warm start on the testbed's RL questions (resuming from
 * `job.checkpointDir` when it holds a checkpoint), then evaluate the policy.
 */
export async function runRlJob(
  job: RlJob,
  opts: { testbed: Testbed; recorder: ArmRecorder },
): Promise<RlJobResult> {
  const { testbed, recorder } = opts;
  checkTestbed(testbed, job, "runRlJob");
  const method = getMethod(job.method);
  // Each stored trajectory keeps its question's data source and gold answers.
  const questions = new Map(testbed.rlTrain.map((q) => [q.id, q] as const));
  const sft = await loadCheckpoint(job.sftCheckpoint);
  const ref = await loadCheckpoint(job.sftCheckpoint);
  try {
    const result = await trainRl({
      model: sft.model,
      refModel: ref.model,
      tokenizer: testbed.tokenizer,
      method,
      methodConfig: job.methodConfig,
      questions: testbed.rlTrain,
      resources: testbed.resources,
      config: job.preset.rl,
      seed: job.seed,
      sink: {
        logStep: (step, metrics) => recorder.logStep(step, metrics),
        logTrajectories: (step, batch, advantages, records) =>
          recorder.writeTrajectories(
            step,
            trajectoryRowsFromBatch(batch, advantages, { records, questions }),
          ),
        truncateAfter: (step) => recorder.truncateAfter(step),
      },
      checkpoints: dirCheckpoints(job.checkpointDir, { extra: checkpointExtra(testbed) }),
      ...(testbed.anonymizer ? { anonymizer: testbed.anonymizer } : {}),
      ...(job.stopAfter !== undefined ? { stopAfter: job.stopAfter } : {}),
      log: (line) => recorder.log(line),
    });
    if (result.stopped === "stop-after") return { stopped: result.stopped, evals: null };
    const evals = await evaluateOnTestbed(sft.model, {
      testbed,
      preset: job.preset,
      seed: job.seed,
    });
    return { stopped: result.stopped, evals };
  } finally {
    sft.model.dispose();
    ref.model.dispose();
  }
}

/** Evaluate `job.checkpoint` on the testbed (greedy, both worlds). */
export async function runEvalJob(
  job: EvalJob,
  opts: { testbed: Testbed },
): Promise<TestbedEval[]> {
  checkTestbed(opts.testbed, job, "runEvalJob");
  const { model } = await loadCheckpoint(job.checkpoint);
  try {
    return await evaluateOnTestbed(model, {
      testbed: opts.testbed,
      preset: job.preset,
      seed: job.seed,
    });
  } finally {
    model.dispose();
  }
}

/**
 * Jobs run one at a time in this process, on `testbed` (the one the jobs' preset and regime
 * build).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildTestbed, getPreset, inProcessExecutor } from "@creditlab/experiments";
 * const exec = inProcessExecutor(buildTestbed(getPreset("smoke")));
 * assert.equal(exec.jobs, 1);
 * await exec.close();
 * ```
 */
export function inProcessExecutor(testbed: Testbed): ArmExecutor {
  // Jobs submitted together (e.g. Promise.all over arms) still run one after another.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const p = queue.then(work, work);
    queue = p.catch(() => undefined);
    return p;
  };
  return {
    jobs: 1,
    train: (job, recorder) => serial(() => runRlJob(job, { testbed, recorder })),
    evaluate: (job) => serial(() => runEvalJob(job, { testbed })),
    close: () => Promise.resolve(),
  };
}
