/**
 * End-to-end training tests on a tiny SearchWorld configuration: SFT, then RL with the
 * grpo baseline through the real rollout, trainer, checkpoints and DuckDB run store.
 *
 * - the RL steps change every parameter of the policy;
 * - the same seed gives identical metrics in a second, independent run;
 * - a run killed after 2 steps and resumed gives the same metrics and weights as an
 *   uninterrupted run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend, loadCheckpoint } from "@creditlab/kernels";
import {
  buildTestbed,
  ensureSft,
  type ExperimentPreset,
  getPreset,
  runArm,
  type RunContext,
} from "@creditlab/experiments";
import { RunStore } from "@creditlab/runstore";
import { getMethod } from "@creditlab/train";
import "../methods/mod.ts";
import { withTempDir } from "@creditlab/core/testing";
import { isTimingMetric, METRIC } from "@creditlab/core";

const base = getPreset("smoke");
// Small enough for CI, large enough that the sampled groups hold successes (rewards vary within
// groups, so the advantages and the gradient are not all zero).
const tiny: ExperimentPreset = {
  ...base,
  world: { ...base.world, trainQuestions: 300, testQuestions: 16 },
  sft: { ...base.sft, steps: 120, batchSize: 16 },
  rl: {
    ...base.rl,
    steps: 4,
    questionsPerStep: 4,
    checkpointEvery: 2,
    rollout: { ...base.rl.rollout, groupSize: 4 },
    // Mini-batches and epochs (four updates per step, shuffled by the step's random stream), so
    // the resume check covers them.
    updates: { groupsPerUpdate: 2, epochs: 2 },
  },
  eval: { ...base.eval, testQuestions: 16, oodQuestions: 16, batchSize: 16 },
};

async function context(out: string): Promise<RunContext> {
  const backend = await initBackend();
  const store = await RunStore.open(join(out, "creditlab.duckdb"));
  return { store, out, backend, commit: "test", log: () => {} };
}

async function metricsOf(store: RunStore, runId: string): Promise<string> {
  const steps = await store.steps(runId);
  return JSON.stringify(
    steps.filter((s) => !isTimingMetric(s.metric)).map((s) => [s.step, s.metric, s.value]),
  );
}

async function weightsOf(path: string): Promise<Float32Array[]> {
  const { model } = await loadCheckpoint(path);
  const out = model.variables().map((v) => v.dataSync() as Float32Array);
  model.dispose();
  return out;
}

Deno.test({
  name:
    "train e2e: RL changes every parameter; same seed same metrics; kill and resume equals uninterrupted",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir(async (root) => {
      const testbed = buildTestbed(tiny);
      const grpo = getMethod("grpo");
      const arm = (ctx: RunContext, sft: string, stopAfter?: number) =>
        runArm(ctx, {
          preset: tiny,
          testbed,
          method: grpo,
          methodConfig: grpo.defaults,
          seed: 1,
          arm: "baseline",
          experiment: "e2e",
          sftCheckpoint: sft,
          ...(stopAfter !== undefined ? { stopAfter } : {}),
        });

      // Run A: uninterrupted.
      const a = await context(join(root, "a"));
      const sftA = await ensureSft(a, { preset: tiny, testbed, seed: 1 });
      const runA = await arm(a, sftA);
      const ckptA = join(root, "a", "checkpoints", "e2e", "smoke", "seed-1", "baseline-grpo");
      const latestA = (await Deno.readTextFile(join(ckptA, "LATEST"))).trim();
      const before = await weightsOf(sftA);
      const after = await weightsOf(join(ckptA, latestA, "model.safetensors"));
      before.forEach((w, i) => {
        const changed = w.some((x, j) => x !== after[i]![j]);
        assert.ok(changed, `parameter ${i} did not change during RL`);
      });
      // Every step records its wall time, split into rollouts, the method's calls and the update.
      const steps = await a.store.steps(runA);
      const stepNumbers = [...new Set(steps.map((s) => s.step))];
      for (const n of stepNumbers) {
        const t = (m: string) => steps.find((s) => s.step === n && s.metric === m)?.value ?? NaN;
        const parts = [METRIC.rolloutSeconds, METRIC.creditSeconds, METRIC.updateSeconds].map(t);
        assert.ok(parts.every((x) => x >= 0), `step ${n}: parts ${parts}`);
        assert.ok(t(METRIC.rolloutSeconds) > 0, `step ${n}: rollouts take time`);
        const sum = parts.reduce((x, y) => x + y, 0);
        assert.ok(t(METRIC.stepSeconds) >= sum, `step ${n}: ${t(METRIC.stepSeconds)} < ${sum}`);
      }
      const evalsA = await a.store.evals(runA);
      assert.deepEqual(evalsA.map((e) => e.benchmark).sort(), ["searchworld", "searchworld-ood"]);

      // Run B: same seed, independent store; killed after 2 steps, then resumed.
      // (It starts from run A's SFT checkpoint: the RL part is what is compared.)
      const b = await context(join(root, "b"));
      const sftB = sftA;
      const killed = await arm(b, sftB, 2);
      const status =
        (await b.store.findRun({ experiment: "e2e", method: "grpo", arm: "baseline", seed: 1 }))
          ?.status;
      assert.equal(status, "interrupted");
      const resumed = await arm(b, sftB);
      assert.equal(resumed, killed, "resume continues the same run");
      assert.equal(await metricsOf(b.store, resumed), await metricsOf(a.store, runA));
      const ckptB = join(root, "b", "checkpoints", "e2e", "smoke", "seed-1", "baseline-grpo");
      assert.deepEqual(await weightsOf(join(ckptB, latestA, "model.safetensors")), after);
      const evalsB = await b.store.evals(resumed);
      assert.deepEqual(
        evalsB.map((e) => [e.benchmark, e.em, e.f1]),
        evalsA.map((e) => [e.benchmark, e.em, e.f1]),
      );
      a.store.close();
      b.store.close();
    }, { prefix: "creditlab-e2e-" });
  },
});
