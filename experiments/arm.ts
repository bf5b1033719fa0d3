/**
 * One RL arm of an experiment: trained from the SFT checkpoint, resumed after an interruption,
 * evaluated on the testbed, all recorded in the run store. The bookkeeping is here; the compute
 * is an `RlJob` (experiments/arm_job.ts) that runs in this process or in a worker.
 *
 * @module
 */
import { backendLabel } from "@creditlab/kernels";
import type { Method } from "@creditlab/train";
import type { RunEnd } from "@creditlab/runstore";
import { join } from "node:path";
import { type ArmExecutor, type ArmRecorder, inProcessExecutor } from "./arm_job.ts";
import { exists, type RunContext } from "./context.ts";
import type { ExperimentPreset } from "./presets.ts";
import type { Testbed } from "./testbed.ts";
import { logEvals } from "./testbed_eval.ts";

/** Options of {@link runArm}. */
export interface RunArmOptions<C> {
  preset: ExperimentPreset;
  testbed: Testbed;
  method: Method<C>;
  methodConfig: C;
  seed: number;
  /** "baseline" or "method". */
  arm: string;
  /** The experiment the run belongs to (e.g. the method under test). */
  experiment: string;
  sftCheckpoint: string;
  /** Stop after this many steps (kill simulation in tests). */
  stopAfter?: number;
  /**
   * Where the training and evaluation run (default: this process, one job at a time); an
   * `ArmPool` runs arms side by side in workers while this process keeps the run store.
   */
  executor?: ArmExecutor;
}

/**
 * Train one RL arm from the SFT checkpoint and evaluate it. A run of the same
 * (experiment, method, arm, seed, preset) that was interrupted, failed or diverged resumes from
 * its last checkpoint (the log says which, and why it ended); a completed one is reused; one
 * still recorded running (its process alive, or on another host) is refused. How the run ends
 * is recorded with `RunStore.track`: a thrown error as `failed`, SIGINT/SIGTERM as
 * `interrupted`. Returns the run id.
 */
export async function runArm<C>(ctx: RunContext, opts: RunArmOptions<C>): Promise<string> {
  const { preset, testbed, method, seed } = opts;
  const key = {
    experiment: opts.experiment,
    method: method.name,
    arm: opts.arm,
    seed,
    preset: preset.name,
  };
  const prev = await ctx.store.findRun(key);
  if (prev?.status === "completed") {
    ctx.log(`${opts.arm} ${method.name} seed ${seed}: already completed (run ${prev.id})`);
    return prev.id;
  }
  const ckptDir = join(
    ctx.out,
    "checkpoints",
    opts.experiment,
    preset.name,
    `seed-${seed}`,
    `${opts.arm}-${method.name}`,
  );
  if (prev?.status === "running") {
    // Not reconciled on open: its process runs (on this host) or ran on another host.
    const p = prev.process;
    throw new Error(
      `${opts.arm} ${method.name} seed ${seed}: run ${prev.id} is recorded running in ${
        p ? `process ${p.pid} on ${p.host}` : "another process"
      } (started ${prev.startedAt}); not starting it a second time`,
    );
  }
  let runId: string;
  if (prev && (await exists(join(ckptDir, "LATEST")))) {
    runId = prev.id;
    ctx.log(
      `${opts.arm} ${method.name} seed ${seed}: resuming ${prev.status} run ${runId}${
        prev.reason ? ` (${prev.reason})` : ""
      } from its last checkpoint`,
    );
    await ctx.store.reopenRun(runId);
  } else {
    await Deno.remove(ckptDir, { recursive: true }).catch(() => {});
    runId = await ctx.store.startRun({
      ...key,
      config: {
        method: opts.methodConfig,
        // What the method asked the environment for (training only; the report lists it).
        resources: method.resources?.(opts.methodConfig) ?? [],
        rl: preset.rl,
        model: preset.model,
        regime: testbed.regime.name,
        sftCheckpoint: opts.sftCheckpoint,
      },
      backend: backendLabel(ctx.backend),
      commit: ctx.commit,
    });
  }
  const executor = opts.executor ?? inProcessExecutor(testbed);
  const tag = executor.jobs > 1 ? `[${opts.arm} s${seed}] ` : "";
  const recorder: ArmRecorder = {
    logStep: (step, metrics) => ctx.store.logStep(runId, step, metrics),
    writeTrajectories: async (step, rows) => {
      await ctx.store.writeTrajectories(runId, step, rows);
    },
    truncateAfter: async (step) => {
      await ctx.store.truncateAfter(runId, step);
    },
    log: (line) => ctx.log(tag + line),
  };
  await ctx.store.track(runId, async (): Promise<RunEnd> => {
    ctx.log(`${opts.arm} ${method.name} seed ${seed}: RL ${preset.rl.steps} steps (run ${runId})`);
    const result = await executor.train({
      preset,
      regime: testbed.regime.name,
      method: method.name,
      methodConfig: opts.methodConfig,
      seed,
      sftCheckpoint: opts.sftCheckpoint,
      checkpointDir: ckptDir,
      ...(opts.stopAfter !== undefined ? { stopAfter: opts.stopAfter } : {}),
    }, recorder);
    if (result.stopped === "stop-after") {
      return { status: "interrupted", reason: `stopped after step ${opts.stopAfter} as asked` };
    }
    await logEvals(ctx, runId, { step: preset.rl.steps, evals: result.evals ?? [] });
    return result.stopped === "done" ? { status: "completed" } : {
      status: "diverged",
      reason: `stopped after ${preset.rl.maxBadSteps} steps with a non-finite loss or gradient`,
    };
  });
  return runId;
}
