/**
 * Parallel arms: two RL arms trained side by side in workers (`ArmPool` with this folder's
 * worker module) record exactly what the same arms record one after another in this process —
 * every step metric, every evaluated answer — and a job that throws is recorded failed without
 * taking the pool down.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend, saveCheckpoint } from "@creditlab/kernels";
import { isTimingMetric } from "@creditlab/core";
import {
  ArmPool,
  buildTestbed,
  checkpointExtra,
  type ExperimentPreset,
  getPreset,
  runArm,
  type RunContext,
} from "@creditlab/experiments";
import { smallPolicy } from "@creditlab/experiments/testing";
import { getMethod, methodNames } from "@creditlab/train";
import { RunStore } from "@creditlab/runstore";
import { BASELINE } from "../methods/mod.ts";

const WORKER = new URL("./arm_worker.ts", import.meta.url);

/**
 * The method arm's method, from the registry: one other than the baseline whose rollouts make a
 * training-only call under its defaults (rollout hooks served by a resource, which the workers
 * must reproduce as this process does), else the first other registered method.
 */
function methodArmName(): string {
  const others = methodNames().filter((n) => n !== BASELINE.name);
  const calling = others.find((n) => {
    const m = getMethod(n);
    return m.rolloutHooks?.offersFeedback(m.defaults) ?? false;
  });
  const name = calling ?? others[0];
  if (name === undefined) throw new Error("no registered method besides the baseline");
  return name;
}

function tinyPreset(): ExperimentPreset {
  const smoke = getPreset("smoke");
  return {
    ...smoke,
    eval: { ...smoke.eval, testQuestions: 12, oodQuestions: 12 },
    rl: { ...smoke.rl, steps: 3, questionsPerStep: 2, checkpointEvery: 2 },
  };
}

/** Engines at one thread, the tiny preset's testbed and a warm start saved in a temp folder. */
async function fixture(opts: { prefix: string; seed: number }) {
  // One engine thread everywhere: the workers set it process-wide anyway.
  const backend = await initBackend({ threads: 1 });
  const preset = tinyPreset();
  const testbed = buildTestbed(preset);
  const dir = await Deno.makeTempDir({ prefix: opts.prefix });
  const sft = join(dir, "sft.safetensors");
  const model = smallPolicy(testbed, { preset, seed: opts.seed });
  await saveCheckpoint(sft, model, { extra: checkpointExtra(testbed) });
  model.dispose();
  return { backend, preset, testbed, dir, sft };
}

async function record(store: RunStore) {
  const out: Record<string, unknown> = {};
  for (const r of await store.listRuns({})) {
    const key = `${r.arm}/${r.method}/s${r.seed}`;
    out[key] = {
      status: r.status,
      steps: (await store.steps(r.id)).filter((s) => !isTimingMetric(s.metric))
        .map((s) => [s.step, s.metric, s.value]),
      evals: (await store.evals(r.id)).map((e) => [e.benchmark, e.n, e.em, e.f1]),
      answers: (await store.evalItems({ runId: r.id })).map((i) => [i.questionId, i.answer]),
    };
  }
  return out;
}

Deno.test({
  name: "ArmPool: arms in workers record what they record in this process, bit for bit",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { backend, preset, testbed, dir, sft } = await fixture({
      prefix: "creditlab-armpool-",
      seed: 7,
    });
    const [base, other] = [BASELINE.name, methodArmName()];
    const arms = [
      { arm: "baseline", method: base, seed: 1 },
      { arm: "method", method: other, seed: 1 },
      { arm: "baseline", method: base, seed: 2 },
    ];
    const results: Record<string, unknown>[] = [];
    try {
      for (const parallel of [false, true]) {
        const out = join(dir, parallel ? "pool" : "serial");
        const store = await RunStore.open(join(out, "creditlab.duckdb"));
        const ctx: RunContext = { store, out, backend, commit: "test", log: () => {} };
        const pool = parallel ? new ArmPool({ jobs: 2, workerUrl: WORKER }) : undefined;
        try {
          const run = (a: typeof arms[number]) => {
            const method = getMethod(a.method);
            return runArm(ctx, {
              preset,
              testbed,
              method,
              methodConfig: method.defaults,
              seed: a.seed,
              arm: a.arm,
              experiment: "pool-test",
              sftCheckpoint: sft,
              ...(pool ? { executor: pool } : {}),
            });
          };
          if (pool) await Promise.all(arms.map(run));
          else for (const a of arms) await run(a);
          results.push(await record(store));
        } finally {
          await pool?.close();
          store.close();
        }
      }
      const [serial, pooled] = results;
      assert.deepEqual(Object.keys(serial!).sort(), [
        `baseline/${base}/s1`,
        `baseline/${base}/s2`,
        `method/${other}/s1`,
      ]);
      for (const [key, rec] of Object.entries(serial!)) {
        const r = rec as { status: string; steps: unknown[]; answers: unknown[] };
        assert.equal(r.status, "completed", key);
        assert.ok(r.steps.length > 3 * 5, `${key}: step metrics recorded`);
        assert.equal(r.answers.length, 2 * 12, `${key}: every held-out answer recorded`);
      }
      assert.deepEqual(pooled, serial);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "ArmPool: a job that throws is recorded failed; the pool runs the next job",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { backend, preset, testbed, dir, sft } = await fixture({
      prefix: "creditlab-armpool-fail-",
      seed: 3,
    });
    const store = await RunStore.open(join(dir, "creditlab.duckdb"));
    const ctx: RunContext = { store, out: dir, backend, commit: "test", log: () => {} };
    const pool = new ArmPool({ jobs: 1, workerUrl: WORKER });
    try {
      const baseline = getMethod(BASELINE.name);
      const common = {
        preset,
        testbed,
        method: baseline,
        methodConfig: baseline.defaults,
        arm: "baseline",
        experiment: "pool-fail",
        executor: pool,
      };
      await assert.rejects(
        runArm(ctx, { ...common, seed: 1, sftCheckpoint: join(dir, "missing.safetensors") }),
        /missing\.safetensors/,
      );
      const [failed] = await store.listRuns({ experiment: "pool-fail" });
      assert.equal(failed?.status, "failed");
      assert.match(failed?.reason ?? "", /missing\.safetensors/);
      // The same worker takes the next job.
      const id = await runArm(ctx, { ...common, seed: 2, sftCheckpoint: sft });
      const ok = (await store.listRuns({})).find((r) => r.id === id);
      assert.equal(ok?.status, "completed");
    } finally {
      await pool.close();
      store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
