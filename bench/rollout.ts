/**
 * `deno task bench rollout [--steps N] [--questions B] [--group G]`: rollout and trainer
 * throughput of the `default` preset on SearchWorld default, written to
 * bench/results/rollout.json with the machine, backend and commit.
 *
 * Measured per RL step of B questions x G samples (issue 4's target: 16 x 8 in under 20 s on
 * 2 cores): rollout wall time and generated (policy) tokens per second, all tokens the decoder
 * processed per second (prompt, observations and generated), the gradient step's tokens per
 * second, and peak resident memory. The policy is a freshly SFT'd model (a few steps), so the
 * rollout lengths are those of a policy that follows the protocol.
 * @module
 */
import { parseArgs } from "node:util";
import { stringDefaults } from "@creditlab/core/cli";
import { initBackend, Rng, Transformer } from "@creditlab/kernels";
import { buildBatch, rollout } from "@creditlab/agent";
import { buildTestbed, getPreset, sftOnTestbed } from "@creditlab/experiments";
import { AdamW, gradientStep, grantResources, scoreTrajectories } from "@creditlab/train";
import "../methods/mod.ts";
import { BASELINE } from "../methods/mod.ts";
import { benchCommit } from "./commit.ts";
import { writeBenchResult } from "./record.ts";

function rssBytes(): number {
  return Deno.memoryUsage().rss;
}

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: stringDefaults({ steps: "3", questions: "16", group: "8", "sft-steps": "60" }),
  });
  const steps = Number(values.steps), B = Number(values.questions), G = Number(values.group);
  const backend = await initBackend();
  const preset = getPreset("default");
  const testbed = buildTestbed(preset);
  const model = new Transformer({ ...preset.model, vocabSize: testbed.tokenizer.vocabSize }, {
    rng: new Rng(1),
  });
  await sftOnTestbed(model, {
    testbed,
    preset,
    config: { ...preset.sft, steps: Number(values["sft-steps"]) },
    rng: new Rng(2),
  });
  const baseline = BASELINE;
  const optimizer = new AdamW(model.variables(), preset.rl.optimizer);
  const rng = new Rng(3);
  const byId = new Map(testbed.train.map((q) => [q.id, q] as const));
  const perStep: Record<string, number>[] = [];
  let peak = rssBytes();
  for (let s = 0; s < steps; s++) {
    const qs = Array.from({ length: B }, () => testbed.train[rng.int(testbed.train.length)]!);
    const t0 = performance.now();
    const trajs = await rollout(qs, {
      model,
      tokenizer: testbed.tokenizer,
      search: testbed.search,
      config: { ...preset.rl.rollout, groupSize: G },
      rng,
      anonymizer: testbed.anonymizer!,
    });
    const t1 = performance.now();
    const ctx = {
      config: baseline.defaults,
      questions: byId,
      resources: grantResources(baseline, baseline.defaults, testbed.resources),
      rng,
      step: s,
    };
    const scored = scoreTrajectories(trajs, { questions: byId, method: baseline, ctx });
    const batch = buildBatch(trajs);
    const { advantages: adv } = await baseline.step(
      { ...batch, rewardRecords: scored.records },
      ctx,
    );
    const t2 = performance.now();
    gradientStep({
      model,
      refModel: undefined,
      optimizer,
      batch,
      advantages: adv,
      weights: undefined,
      loss: { ...baseline.loss(baseline.defaults), klCoef: 0 },
    });
    const t3 = performance.now();
    peak = Math.max(peak, rssBytes());
    let generated = 0, all = 0;
    for (let r = 0; r < batch.n; r++) {
      all += batch.lengths[r]!;
      for (let t = 0; t < batch.lengths[r]!; t++) {
        generated += batch.lossMask[r * batch.length + t]!;
      }
    }
    perStep.push({
      rolloutSeconds: (t1 - t0) / 1000,
      trainSeconds: (t3 - t2) / 1000,
      stepSeconds: (t3 - t0) / 1000,
      generatedTokens: generated,
      processedTokens: all,
      paddedTokens: batch.n * batch.length,
      generatedTokensPerSecond: generated / ((t1 - t0) / 1000),
      decoderTokensPerSecond: all / ((t1 - t0) / 1000),
      trainTokensPerSecond: (batch.n * batch.length) / ((t3 - t2) / 1000),
    });
    console.error(`step ${s + 1}/${steps}: ${JSON.stringify(perStep[s])}`);
  }
  const median = (k: string) => {
    const xs = perStep.map((p) => p[k]!).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  const stepSeconds = median("stepSeconds");
  const result = {
    benchmark: "rollout",
    machine: {
      os: `${Deno.build.os} ${Deno.build.arch}`,
      cores: navigator.hardwareConcurrency,
      memoryBytes: Deno.systemMemoryInfo().total,
      loadAverage: Deno.loadavg(),
      deno: Deno.version.deno,
    },
    backend,
    commit: await benchCommit(),
    setting: {
      preset: "default",
      world: preset.world.preset,
      questions: B,
      groupSize: G,
      model: preset.model,
    },
    median: {
      stepSeconds,
      rolloutSeconds: median("rolloutSeconds"),
      trainSeconds: median("trainSeconds"),
      generatedTokensPerSecond: median("generatedTokensPerSecond"),
      decoderTokensPerSecond: median("decoderTokensPerSecond"),
      trainTokensPerSecond: median("trainTokensPerSecond"),
    },
    peakRssBytes: peak,
    targets: { rlStepUnder20s: { target: 20, measured: stepSeconds, met: stepSeconds < 20 } },
    steps: perStep,
  };
  await writeBenchResult(new URL("./results/rollout.json", import.meta.url), result);
  console.log(JSON.stringify(result.median, null, 2));
  return 0;
}
