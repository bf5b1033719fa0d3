import assert from "node:assert/strict";
import { initBackend } from "@creditlab/kernels";
import { evaluateLocal } from "@creditlab/agent";
import { buildTestbed, getPreset } from "@creditlab/experiments";
import { smallPolicy } from "@creditlab/experiments/testing";

Deno.test("evaluateLocal: a prompt over the token budget is one recorded failure, not an abort", async () => {
  await initBackend({ backend: "cpu" });
  const preset = getPreset("smoke");
  const testbed = buildTestbed(preset);
  const model = smallPolicy(testbed, { preset, seed: 4 });
  try {
    const [a, b] = testbed.test;
    // A question whose prompt alone exceeds the budget of 60 tokens.
    const long = { ...b!, id: "long", question: `${b!.question} ${"of the ".repeat(40)}` };
    const opts = {
      model,
      tokenizer: testbed.tokenizer,
      search: testbed.search,
      config: { ...preset.eval.rollout, maxTotalTokens: 60 },
      batchSize: 4,
      seed: 1,
      benchmark: "searchworld",
      split: "test",
      anonymizer: testbed.anonymizer!,
    };
    const both = await evaluateLocal([a!, long], opts);
    const alone = await evaluateLocal([a!], opts);
    assert.equal(both.n, 2);
    assert.deepEqual(both.records[0], alone.records[0], "the other question is evaluated as alone");
    assert.deepEqual(both.records[1], {
      questionId: "long",
      answer: null,
      em: 0,
      f1: 0,
      toolCalls: 0,
      hops: both.records[1]!.hops,
    });
    assert.equal(both.failures?.length, 1);
    assert.equal(both.failures![0]!.questionId, "long");
    assert.match(
      both.failures![0]!.reason,
      /prompt has \d+ tokens, the rollout budget \(maxTotalTokens\) 60/,
    );
    assert.equal(alone.failures, undefined);
  } finally {
    model.dispose();
  }
});
