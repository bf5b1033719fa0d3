import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend, loadTensors, Rng, saveTensors, Transformer } from "@creditlab/kernels";
import { withTempDir } from "@creditlab/core/testing";
import { dirCheckpoints, parseTrainState } from "./checkpoint.ts";
import { AdamW } from "./optim.ts";
import { TEST_ADAM, TINY_MODEL } from "./_test_utils.ts";

/** A fresh model and optimizer of the tiny test config. */
function parts(seed: number): { model: Transformer; optimizer: AdamW } {
  const model = new Transformer(TINY_MODEL, { rng: new Rng(seed) });
  return { model, optimizer: new AdamW(model.variables(), TEST_ADAM) };
}

Deno.test("dirCheckpoints: save then restore gives the same weights, moments and counters", async () => {
  await initBackend({ backend: "cpu" });
  await withTempDir(async (dir) => {
    const a = parts(1);
    const ckpts = dirCheckpoints(dir, { extra: { tokenizer: "{}" } });
    await ckpts.save({ step: 3, badSteps: 1 }, a);
    assert.equal(await ckpts.latest(), "step-000003");
    const b = parts(2);
    assert.deepEqual(await ckpts.restore("step-000003", b), { step: 3, badSteps: 1 });
    a.model.variables().forEach((v, i) => {
      assert.deepEqual(v.dataSync(), b.model.variables()[i]!.dataSync());
    });
    assert.deepEqual(b.optimizer.state(), a.optimizer.state());
    for (const p of [a, b]) {
      p.model.dispose();
      p.optimizer.dispose();
    }
  });
});

Deno.test("dirCheckpoints: a bad LATEST, state.json or optimizer file is refused naming file and field", async () => {
  await initBackend({ backend: "cpu" });
  await withTempDir(async (dir) => {
    const a = parts(1);
    const ckpts = dirCheckpoints(dir, { extra: {} });
    await ckpts.save({ step: 2, badSteps: 0 }, a);
    const base = join(dir, "step-000002");
    const statePath = join(base, "state.json");
    const goodState = await Deno.readTextFile(statePath);
    const restoreError = async (): Promise<string> => {
      const b = parts(2);
      try {
        await ckpts.restore("step-000002", b);
      } catch (e) {
        return (e as Error).message;
      } finally {
        b.model.dispose();
        b.optimizer.dispose();
      }
      assert.fail("restore succeeded");
    };

    await Deno.writeTextFile(join(dir, "LATEST"), "../../etc");
    await assert.rejects(ckpts.latest(), /LATEST: expected the name of a step-XXXXXX folder/);
    await Deno.writeTextFile(join(dir, "LATEST"), "step-000002");

    const states: [Record<string, unknown>, RegExp][] = [
      [
        { step: 2, badSteps: 0, optimizerStep: -1 },
        /field "optimizerStep": expected a non-negative integer, got -1/,
      ],
      [{ step: 2, badSteps: 5, optimizerStep: 2 }, /field "badSteps": 5 skipped steps of only 2/],
      [
        { step: 1e9, badSteps: 0, optimizerStep: 2 },
        /field "step": 1000000000 does not match the folder step-000002/,
      ],
      [
        { step: 2, optimizerStep: 2 },
        /field "badSteps": expected a non-negative integer, got undefined/,
      ],
    ];
    for (const [state, re] of states) {
      await Deno.writeTextFile(statePath, JSON.stringify(state));
      const msg = await restoreError();
      assert.match(msg, re);
      assert.ok(msg.includes(statePath), msg);
    }
    await Deno.writeTextFile(statePath, JSON.stringify({ step: 2, badSteps: 0, optimizerStep: 7 }));
    assert.match(
      await restoreError(),
      /optimizer.safetensors: __metadata__.step is "0" but .* says optimizerStep 7/,
    );
    await Deno.writeTextFile(statePath, goodState);

    // Non-finite optimizer moments (written with a valid checksum) are refused by name.
    const optPath = join(base, "optimizer.safetensors");
    const opt = await loadTensors(optPath);
    opt.tensors.get("v.0")!.data[3] = NaN;
    await saveTensors(optPath, opt.tensors, { metadata: opt.metadata });
    const msg = await restoreError();
    assert.match(msg, /tensor "v.0" holds 1 non-finite value of \d+ \(first: NaN at index 3\)/);
    assert.ok(msg.includes(optPath), msg);
    a.model.dispose();
    a.optimizer.dispose();
  });
});

Deno.test("parseTrainState: the counters of a well-formed state.json", () => {
  assert.deepEqual(
    parseTrainState('{"step": 20, "badSteps": 1, "optimizerStep": 19}', {
      path: "s.json",
      name: "step-000020",
    }),
    { step: 20, badSteps: 1, optimizerStep: 19 },
  );
  assert.throws(
    () => parseTrainState("[1]", { path: "s.json", name: "step-000020" }),
    /s.json: expected an object/,
  );
});
