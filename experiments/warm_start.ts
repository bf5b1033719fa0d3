/**
 * The SFT warm start every RL arm of a preset and seed begins from, and its evaluation on an
 * experiment's held-out questions (the `start` arm).
 *
 * @module
 */
import { backendLabel, Rng, saveCheckpoint, Transformer } from "@creditlab/kernels";
import { type SftConfig, trainSft, type TrainSftOptions } from "@creditlab/train";
import { join } from "node:path";
import { exists, type RunContext } from "./context.ts";
import type { ExperimentPreset } from "./presets.ts";
import { checkpointExtra, SFT_VERIFIER_DETAIL, type Testbed } from "./testbed.ts";
import { logEvals } from "./testbed_eval.ts";
import { type ArmExecutor, inProcessExecutor } from "./arm_job.ts";

/** Path of the SFT checkpoint of a preset and seed. */
export function sftCheckpointPath(out: string, opts: { preset: string; seed: number }): string {
  return join(out, "checkpoints", "sft", opts.preset, `seed-${opts.seed}`, "model.safetensors");
}

/**
 * The warm start's recipe: SFT `model` on the testbed's training questions with the SFT
 * verifier and the preset's search settings; `config`, `rng` and `onStep` as given. Returns the
 * loss of each step.
 */
export function sftOnTestbed(
  model: Transformer,
  opts: {
    testbed: Testbed;
    preset: ExperimentPreset;
    config: SftConfig;
    rng: Rng;
    onStep?: TrainSftOptions["onStep"];
  },
): Promise<number[]> {
  const { testbed, preset } = opts;
  return trainSft({
    model,
    tokenizer: testbed.tokenizer,
    questions: testbed.train,
    search: testbed.search,
    verifier: testbed.resources.provide({
      kind: "privileged-verifier",
      detail: SFT_VERIFIER_DETAIL,
    }),
    config: opts.config,
    rng: opts.rng,
    topK: preset.rl.rollout.topK,
    maxSearchTurns: preset.rl.rollout.maxSearchTurns,
    ...(testbed.anonymizer ? { anonymizer: testbed.anonymizer } : {}),
    ...(opts.onStep ? { onStep: opts.onStep } : {}),
  });
}

/**
 * Train (or reuse) the SFT warm start of a preset and seed; records an `sft` run with its loss
 * per step. Returns the checkpoint path. It evaluates nothing: the warm start is the same for
 * every regime, and an experiment measures it on its own held-out questions with
 * {@link recordStart}.
 */
export async function ensureSft(
  ctx: RunContext,
  opts: { preset: ExperimentPreset; testbed: Testbed; seed: number },
): Promise<string> {
  const { preset, testbed, seed } = opts;
  const path = sftCheckpointPath(ctx.out, { preset: preset.name, seed });
  const prev = await ctx.store.findRun({
    experiment: "sft",
    method: "sft",
    seed,
    preset: preset.name,
  });
  if (prev?.status === "completed" && (await exists(path))) {
    ctx.log(`sft seed ${seed}: reusing ${path}`);
    return path;
  }
  ctx.log(`sft seed ${seed}: training ${preset.sft.steps} steps`);
  const runId = await ctx.store.startRun({
    method: "sft",
    arm: "sft",
    experiment: "sft",
    preset: preset.name,
    seed,
    config: { model: preset.model, sft: preset.sft, world: preset.world },
    backend: backendLabel(ctx.backend),
    commit: ctx.commit,
  });
  const rng = new Rng(seed);
  const model = new Transformer({ ...preset.model, vocabSize: testbed.tokenizer.vocabSize }, {
    rng: rng.fork(),
  });
  try {
    // Recorded completed, failed (with the error) or interrupted (SIGINT/SIGTERM).
    await ctx.store.track(runId, async () => {
      await sftOnTestbed(model, {
        testbed,
        preset,
        config: preset.sft,
        rng,
        onStep: (step, loss) => ctx.store.logStep(runId, step, { "sft/loss": loss }),
      });
      await Deno.mkdir(join(path, ".."), { recursive: true });
      const tmp = `${path}.tmp`;
      await saveCheckpoint(tmp, model, { extra: checkpointExtra(testbed) });
      await Deno.rename(tmp, path);
      return { status: "completed" };
    });
  } finally {
    model.dispose();
  }
  return path;
}

/**
 * Record the warm start's evaluation on an experiment's held-out questions (the regime's), as a
 * run of arm `start` (method `sft`) in that experiment, with per-question outcomes: the point
 * every arm's gain is measured from, paired on the same questions. Greedy decoding makes it the
 * same for every RL seed, so one run (with the warm start's seed) serves them all. A completed one
 * is reused.
 */
export async function recordStart(
  ctx: RunContext,
  opts: {
    preset: ExperimentPreset;
    testbed: Testbed;
    experiment: string;
    sftCheckpoint: string;
    /** The warm start's SFT seed (the run's seed; default 1, the warm start `reproduce` uses). */
    sftSeed?: number;
    /** Where the evaluation runs (default: this process). */
    executor?: ArmExecutor;
  },
): Promise<string> {
  const { preset, testbed } = opts;
  const seed = opts.sftSeed ?? 1;
  const key = { experiment: opts.experiment, method: "sft", arm: "start", seed };
  const prev = await ctx.store.findRun({ ...key, preset: preset.name });
  if (prev?.status === "completed") return prev.id;
  const runId = await ctx.store.startRun({
    ...key,
    preset: preset.name,
    config: { regime: testbed.regime.name, sftCheckpoint: opts.sftCheckpoint },
    backend: backendLabel(ctx.backend),
    commit: ctx.commit,
  });
  const executor = opts.executor ?? inProcessExecutor(testbed);
  // Recorded completed, failed (with the error) or interrupted (SIGINT/SIGTERM).
  await ctx.store.track(runId, async () => {
    ctx.log(`start (warm start) on ${testbed.regime.name} held-out questions (run ${runId})`);
    const evals = await executor.evaluate(
      { preset, regime: testbed.regime.name, checkpoint: opts.sftCheckpoint, seed },
      ctx.log,
    );
    await logEvals(ctx, runId, { step: 0, evals });
    return { status: "completed" };
  });
  return runId;
}
