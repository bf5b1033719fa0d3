import assert from "node:assert/strict";
import { initBackend, Rng, tf, Transformer } from "@creditlab/kernels";
import { buildBatch, rollout } from "@creditlab/agent";
import { buildTestbed, getPreset } from "@creditlab/experiments";

for (const temperature of [1, 0.7]) {
  Deno.test(`rollout: sampled log-probs equal the trainer's recomputed log-probs (temperature ${temperature})`, async () => {
    // What the trainer differentiates must be the policy that sampled: same tokens, same contexts
    // (prompt, stop tags fed back with the observation, anonymised observations). A mismatch
    // would make "on-policy" updates silently off-policy.
    await initBackend({ backend: "wasm" });
    const preset = getPreset("smoke");
    const testbed = buildTestbed(preset);
    const model = new Transformer({ ...preset.model, vocabSize: testbed.tokenizer.vocabSize }, {
      rng: new Rng(4),
      initStd: 0.1,
    });
    const rng = new Rng(9);
    const trajs = await rollout(testbed.train.slice(0, 3), {
      model,
      tokenizer: testbed.tokenizer,
      search: testbed.search,
      config: {
        ...preset.rl.rollout,
        groupSize: 2,
        maxTotalTokens: 200,
        maxTurnTokens: 12,
        temperature,
      },
      rng,
      anonymizer: testbed.anonymizer!,
    });
    const batch = buildBatch(trajs);
    const lp = tf.tidy(() =>
      model.logProbs(tf.tensor2d(batch.tokens, [batch.n, batch.length], "int32"), { temperature })
    ).dataSync();
    let compared = 0;
    trajs.forEach((t, r) => {
      const sampled = t.turns.filter((u) => u.role === "policy").flatMap((u) => {
        assert.ok(u.sampledLogProbs, "policy turns carry sampled log-probs");
        assert.equal(u.sampledLogProbs.length, u.tokens.length);
        return Array.from(u.sampledLogProbs);
      });
      const trained: number[] = [];
      for (let i = 0; i < batch.length; i++) {
        if (batch.lossMask[r * batch.length + i] === 1) trained.push(lp[r * batch.length + i]!);
      }
      assert.equal(trained.length, sampled.length, `row ${r}: trainable tokens`);
      sampled.forEach((x, i) => {
        assert.ok(Math.abs(x - trained[i]!) < 1e-4, `row ${r} token ${i}: ${x} vs ${trained[i]}`);
        compared++;
      });
    });
    assert.ok(compared > 20, `compared ${compared} tokens`);
    model.dispose();
  });
}
