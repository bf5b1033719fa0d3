/**
 * Issue 19's experiment (d) wiring: evaluating with a method's training-only feedback call
 * offered counts every episode in the probe and answers calls with the training world's
 * verifier; a method without the call is refused.
 */
import assert from "node:assert/strict";
import { initBackend } from "@creditlab/kernels";
import { buildTestbed, evaluateWithTrainingCall, getPreset } from "@creditlab/experiments";
import { smallPolicy } from "@creditlab/experiments/testing";
import { getMethod } from "@creditlab/train";
import "../methods/mod.ts";

Deno.test("evaluateWithTrainingCall: the call is offered to every episode; grpo is refused", async () => {
  await initBackend();
  const smoke = getPreset("smoke");
  const preset = { ...smoke, eval: { ...smoke.eval, testQuestions: 6, oodQuestions: 6 } };
  const testbed = buildTestbed(preset);
  const model = smallPolicy(testbed, { preset, seed: 5 });
  try {
    const capf = getMethod("capf");
    const s = await evaluateWithTrainingCall(model, {
      testbed,
      preset,
      seed: 1,
      method: capf,
      config: capf.defaults,
    });
    assert.equal(s.n, 6);
    assert.ok(s.feedback, "the summary carries the probe");
    assert.equal(s.feedback.episodes, 6);
    assert.ok(s.feedback.called <= 6 && s.feedback.repaired <= s.feedback.notCorrect);
    const grpo = getMethod("grpo");
    await assert.rejects(
      evaluateWithTrainingCall(model, {
        testbed,
        preset,
        seed: 1,
        method: grpo,
        config: grpo.defaults,
      }),
      /method grpo offers no feedback call/,
    );
  } finally {
    model.dispose();
  }
});
