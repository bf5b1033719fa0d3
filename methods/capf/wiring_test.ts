/**
 * CAPF's verifier is asked for at the detail of its config and reaches the training rollouts:
 * the trainer requests exactly what `capf.resources(config)` says from the SearchWorld testbed,
 * and the feedback call the trainer installs in its rollouts answers with that verifier.
 * (Before the typed contract, the testbed built an `error-type` verifier whatever the config
 * said, so `feedback.detail: "hint"` trained with error-type feedback.)
 */
import assert from "node:assert/strict";
import { isTimingMetric, type Question } from "@creditlab/core";
import { buildTestbed, getPreset } from "@creditlab/experiments";
import { smallPolicy } from "@creditlab/experiments/testing";
import {
  feedbackHook,
  grantResources,
  type ResourceRequest,
  type TrainingResources,
  trainRl,
} from "@creditlab/train";
import { initBackend, Rng } from "@creditlab/kernels";
import { rollout } from "@creditlab/agent";
import { grpo } from "../grpo/mod.ts";
import { metricsSink, noCheckpoints } from "../testing.ts";
import { capf, CAPF_DEFAULTS, type CapfConfig } from "./mod.ts";

const preset = getPreset("smoke");
const testbed = buildTestbed(preset);

/** CAPF's defaults with the verifier's detail set to `detail`. */
function withDetail(detail: "correctness" | "error-type" | "hint"): CapfConfig {
  const cfg = structuredClone(CAPF_DEFAULTS) as CapfConfig;
  if (!cfg.feedback.enabled) throw new Error("CAPF's defaults enable the feedback call");
  cfg.feedback.detail = detail;
  return cfg;
}

/** The testbed's resources, recording every request the trainer makes. */
function spied(): { resources: TrainingResources; requests: ResourceRequest[] } {
  const requests: ResourceRequest[] = [];
  const provide: TrainingResources["provide"] = (request) => {
    requests.push(request);
    return testbed.resources.provide(request);
  };
  return { resources: { search: testbed.resources.search, provide }, requests };
}

/** A two-hop training question and a wrong draft (its bridge entity). */
function wrongDraft(): { q: Question; draft: string } {
  const q = testbed.rlTrain.find((x) => (x.goldChain?.length ?? 0) === 2)!;
  return { q, draft: q.goldChain![0]!.entity };
}

Deno.test("capf wiring: a hint-level config trains with the hint-level verifier", async () => {
  const cfg = withDetail("hint");
  const { resources, requests } = spied();
  // The rollouts' feedback call, built by the trainer's own functions from what it granted.
  const granted = grantResources(capf, cfg, resources);
  assert.deepEqual(requests, [{ kind: "privileged-verifier", detail: "hint" }]);
  const hook = feedbackHook(capf, {
    config: cfg,
    questions: new Map(testbed.rlTrain.map((q) => [q.id, q])),
    resources: granted,
    rng: new Rng(1),
    step: 0,
  });
  assert.ok(hook, "CAPF installs the feedback call in training rollouts");
  const { q, draft } = wrongDraft();
  const got = await hook.call({ question: q, turns: [], feedbackCalls: 0 }, draft);
  const hint = await testbed.world.verifier({ detail: "hint" }).verify(q, draft);
  const errorType = await testbed.world.verifier({ detail: "error-type" }).verify(q, draft);
  assert.notEqual(hint.text, errorType.text, "the two levels differ on this draft");
  assert.deepEqual(got, hint);
});

Deno.test({
  name: "capf wiring: trainRl asks for the config's verifier once; grpo asks for nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await initBackend({ backend: "cpu" });
    const run = async (method: typeof capf | typeof grpo, config: unknown) => {
      const { resources, requests } = spied();
      await trainSmall(method, config, { steps: 1, resources });
      return requests;
    };
    assert.deepEqual(await run(capf, withDetail("correctness")), [
      { kind: "privileged-verifier", detail: "correctness" },
    ]);
    assert.deepEqual(await run(grpo, grpo.defaults), []);
  },
});

/** Train a small policy for `steps` RL steps; returns its weights and the logged metrics. */
async function trainSmall(
  method: typeof capf | typeof grpo,
  config: unknown,
  opts: { steps: number; resources?: TrainingResources },
): Promise<{ weights: Float32Array[]; metrics: Record<string, number>[] }> {
  const policy = smallPolicy(testbed, { preset, seed: 3 });
  const metrics: Record<string, number>[] = [];
  try {
    await trainRl({
      model: policy,
      refModel: policy,
      tokenizer: testbed.tokenizer,
      method: method as typeof capf,
      methodConfig: config as CapfConfig,
      questions: testbed.rlTrain.slice(0, 6),
      resources: opts.resources ?? testbed.resources,
      config: {
        ...preset.rl,
        steps: opts.steps,
        questionsPerStep: 2,
        rollout: { ...preset.rl.rollout, groupSize: 3, maxTotalTokens: 96 },
        updates: { groupsPerUpdate: 2, epochs: 1 },
      },
      seed: 1,
      sink: metricsSink(metrics),
      checkpoints: noCheckpoints,
      log: () => {},
    });
    const weights = policy.variables().map((v) => Float32Array.from(v.dataSync()));
    return { weights, metrics };
  } finally {
    policy.dispose();
  }
}

Deno.test({
  name: "capf wiring: feedback disabled trains exactly as grpo (weights and metrics, bit for bit)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await initBackend({ backend: "cpu" });
    const off = { ...structuredClone(CAPF_DEFAULTS), feedback: { enabled: false } } as CapfConfig;
    const a = await trainSmall(capf, off, { steps: 2 });
    const b = await trainSmall(grpo, grpo.defaults, { steps: 2 });
    assert.equal(a.weights.length, b.weights.length);
    a.weights.forEach((w, i) => assert.deepEqual(w, b.weights[i], `tensor ${i}`));
    // The harness's metrics are identical (wall times aside); CAPF adds only its own `capf/...`.
    const harness = (m: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(m).filter(([k]) => !k.startsWith("capf/") && !isTimingMetric(k)),
      );
    assert.deepEqual(a.metrics.map(harness), b.metrics.map(harness));
    assert.ok(a.metrics.every((m) => m["capf/calls/feedback"] === 0));
  },
});

Deno.test({
  name:
    "capf wiring: offerShare reaches the rollout — only the first ceil(share G) prompts offer the call",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await initBackend({ backend: "cpu" });
    const cfg = structuredClone(CAPF_DEFAULTS) as CapfConfig;
    if (!cfg.feedback.enabled) throw new Error("CAPF's defaults enable the feedback call");
    cfg.feedback.offerShare = 0.4;
    const hook = feedbackHook(capf, {
      config: cfg,
      questions: new Map(testbed.rlTrain.map((q) => [q.id, q])),
      resources: grantResources(capf, cfg, testbed.resources),
      rng: new Rng(1),
      step: 0,
    });
    assert.equal(hook?.offerShare, 0.4);
    const model = smallPolicy(testbed, { preset, seed: 5 });
    try {
      const trajs = await rollout(testbed.rlTrain.slice(0, 2), {
        model,
        tokenizer: testbed.tokenizer,
        search: testbed.search,
        config: { ...preset.rl.rollout, groupSize: 5, maxTotalTokens: 80 },
        rng: new Rng(2),
        feedback: hook!,
        ...(testbed.anonymizer ? { anonymizer: testbed.anonymizer } : {}),
      });
      // ceil(0.4 * 5) = 2 of each group of 5.
      const offered = trajs.map((t) => /tools : .*\bfeedback\b/.test(t.turns[0]!.text));
      assert.deepEqual(offered, [true, true, false, false, false, true, true, false, false, false]);
      assert.deepEqual(trajs.map((t) => t.meta["feedbackOffered"]), offered);
    } finally {
      model.dispose();
    }
  },
});
