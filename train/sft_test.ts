import assert from "node:assert/strict";
import { initBackend, Rng, tf, Transformer } from "@creditlab/kernels";
import { TINY_MODEL } from "./_test_utils.ts";
import { buildBatch } from "@creditlab/agent";
import { LENGTH_GROUP_BATCHES, sftBatcher, sftGradients, sftLoss, sftWeights } from "./sft.ts";
import type { Trajectory } from "@creditlab/core";

function demo(i: number, len: number): Trajectory {
  return {
    questionId: `q${i}`,
    groupId: i,
    reward: 0,
    meta: {},
    turns: [{ role: "observation", tokens: new Int32Array(len), text: "", round: 0 }],
  };
}

const demos = Array.from({ length: 50 }, (_, i) => demo(i, 10 + ((i * 37) % 90)));
const len = (t: Trajectory) => t.turns[0]!.tokens.length;

Deno.test("sftBatcher random: uniform draws with replacement, as before", () => {
  const next = sftBatcher(demos, { batchSize: 4, batching: "random", rng: new Rng(3) });
  const ref = new Rng(3);
  for (let s = 0; s < 5; s++) {
    assert.deepEqual(
      next().map((t) => t.questionId),
      Array.from({ length: 4 }, () => demos[ref.int(demos.length)]!.questionId),
    );
  }
});

Deno.test("sftBatcher length-grouped: neighbours by length, same draws, deterministic", () => {
  const B = 4;
  const a = sftBatcher(demos, { batchSize: B, batching: "length-grouped", rng: new Rng(5) });
  const b = sftBatcher(demos, { batchSize: B, batching: "length-grouped", rng: new Rng(5) });
  const batches = Array.from({ length: LENGTH_GROUP_BATCHES }, () => a());
  assert.deepEqual(
    batches.map((x) => x.map((t) => t.questionId)),
    Array.from({ length: LENGTH_GROUP_BATCHES }, () => b().map((t) => t.questionId)),
  );
  // the draws are the random batcher's first B * 16 draws, regrouped
  const ref = new Rng(5);
  const drawn = Array.from({ length: B * LENGTH_GROUP_BATCHES }, () => ref.int(demos.length))
    .map((i) => demos[i]!.questionId).sort();
  assert.deepEqual(batches.flat().map((t) => t.questionId).sort(), drawn);
  // each batch is a run of the sorted draw: batches do not overlap in length
  const spans = batches.map((x) => [Math.min(...x.map(len)), Math.max(...x.map(len))] as const)
    .sort((p, q) => p[0] - q[0]);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i - 1]![1] <= spans[i]![0]);
  // and padding shrinks against random batches of the same draws
  const pad = (bs: Trajectory[][]) =>
    bs.reduce(
      (s, x) => s + Math.max(...x.map(len)) * x.length - x.reduce((u, t) => u + len(t), 0),
      0,
    );
  const r = sftBatcher(demos, { batchSize: B, batching: "random", rng: new Rng(5) });
  const random = Array.from({ length: LENGTH_GROUP_BATCHES }, () => r());
  assert.ok(pad(batches) < pad(random) / 3, `${pad(batches)} vs ${pad(random)}`);
  assert.throws(
    () => sftBatcher([], { batchSize: B, batching: "random", rng: new Rng(1) }),
    /no demonstrations/,
  );
});

Deno.test("sftGradients: length-sorted micro-batches give the whole batch's loss and gradient", async () => {
  await initBackend({ backend: "cpu" });
  const rng = new Rng(3);
  const trajs: Trajectory[] = Array.from({ length: 7 }, (_, i) => ({
    questionId: `q${i}`,
    groupId: i,
    reward: 0,
    meta: {},
    turns: [
      {
        role: "observation" as const,
        tokens: Int32Array.from({ length: 2 + rng.int(9) }, () => 4 + rng.int(20)),
        text: "",
        round: 1,
      },
      {
        role: "policy" as const,
        tokens: Int32Array.from({ length: 1 + rng.int(6) }, () => 4 + rng.int(20)),
        text: "",
        round: 1,
      },
    ],
  }));
  const batch = buildBatch(trajs);
  const model = new Transformer(TINY_MODEL, { rng: new Rng(1), initStd: 0.3 });
  const shape: [number, number] = [batch.n, batch.length];
  const tokens = tf.tensor2d(batch.tokens, shape, "int32");
  const mask = tf.tensor2d(sftWeights(batch, 0.5), shape);
  const whole = tf.variableGrads(() => sftLoss(model, tokens, mask), model.variables());
  const ref = model.variables().map((v) => Array.from(whole.grads[v.name]!.dataSync()));
  for (const rows of [1, 2, 3, 7]) {
    const got = sftGradients(model, batch, { observationWeight: 0.5, microBatchRows: rows });
    assert.ok(Math.abs(got.loss - whole.value.dataSync()[0]!) < 1e-5, `loss, ${rows} rows`);
    got.grads.forEach((g, i) => {
      const x = g.dataSync();
      ref[i]!.forEach((r, j) =>
        assert.ok(Math.abs(x[j]! - r) < 1e-5, `rows ${rows} param ${i}[${j}]`)
      );
    });
    tf.dispose(got.grads);
  }
  tf.dispose([tokens, mask, whole.value, ...Object.values(whole.grads)]);
  model.dispose();
});
