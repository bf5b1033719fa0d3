import assert from "node:assert/strict";
import { initBackend, tf } from "./backend.ts";
import { Rng } from "./rng.ts";
import { allclose, randn, valuesOn as on } from "./ops/test_util.ts";
import { segmentSumRef, WASM_EXTRA_KERNELS } from "./wasm_kernels.ts";

await initBackend({ backend: "wasm" });

Deno.test("wasm kernels are registered", () => {
  for (const k of WASM_EXTRA_KERNELS) assert.ok(tf.getKernel(k, "wasm") !== undefined, k);
});

Deno.test("segmentSumRef golden values (out-of-range ids dropped)", () => {
  const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]); // [4, 2]
  const ids = new Int32Array([1, 0, 1, 5]);
  assert.deepEqual(
    Array.from(segmentSumRef(x, ids, { numSegments: 3, inner: 2 })),
    [3, 4, 6, 8, 0, 0],
  );
});

Deno.test("UnsortedSegmentSum on wasm equals cpu and the plain loop (random shapes, seeds)", async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const rng = new Rng(seed);
    const n = 1 + rng.int(12), inner = 1 + rng.int(5), numSegments = 1 + rng.int(7);
    const x = randn(rng, n * inner);
    const ids = Int32Array.from({ length: n }, () => rng.int(numSegments + 2) - 1); // some -1, some >= S
    const f = () =>
      tf.unsortedSegmentSum(tf.tensor2d(x, [n, inner]), tf.tensor1d(ids, "int32"), numSegments);
    const wasm = await on("wasm", f);
    const cpu = await on("cpu", f);
    allclose(wasm, cpu);
    allclose(wasm, Array.from(segmentSumRef(x, ids, { numSegments, inner })));
  }
  await tf.setBackend("wasm");
});

Deno.test("UnsortedSegmentSum on wasm: int32 values, rank-3 x", async () => {
  const f = () =>
    tf.unsortedSegmentSum(
      tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 2, 2], "int32"),
      tf.tensor1d([1, 1, 0], "int32"),
      2,
    );
  const wasm = await on("wasm", f);
  assert.deepEqual(wasm, [9, 10, 11, 12, 1 + 5, 2 + 6, 3 + 7, 4 + 8]);
  assert.deepEqual(wasm, await on("cpu", f));
  await tf.setBackend("wasm");
});

Deno.test("gradient of gather trains on wasm and equals cpu", async () => {
  for (let seed = 1; seed <= 4; seed++) {
    const rng = new Rng(100 + seed);
    const vocab = 2 + rng.int(9), dim = 1 + rng.int(6), n = 1 + rng.int(15);
    const table = randn(rng, vocab * dim);
    const idx = Int32Array.from({ length: n }, () => rng.int(vocab));
    const w = randn(rng, n * dim);
    const f = () =>
      tf.grad((e: tf.Tensor) =>
        tf.sum(tf.mul(tf.gather(e, tf.tensor1d(idx, "int32")), tf.tensor2d(w, [n, dim])))
      )(
        tf.tensor2d(table, [vocab, dim]),
      );
    allclose(await on("wasm", f), await on("cpu", f));
  }
  await tf.setBackend("wasm");
});

// tfjs 4.22 registers no gradient for Einsum on any backend, so only the forward pass is compared.
Deno.test("Einsum on wasm equals cpu", async () => {
  const rng = new Rng(7);
  const a = randn(rng, 2 * 3 * 4), b = randn(rng, 2 * 4 * 5), v = randn(rng, 4);
  const cases: Array<() => tf.Tensor> = [
    () => tf.einsum("bij,bjk->bik", tf.tensor3d(a, [2, 3, 4]), tf.tensor3d(b, [2, 4, 5])),
    () => tf.einsum("ij->ji", tf.tensor2d(a.subarray(0, 12), [3, 4])),
    () => tf.einsum("ij->ij", tf.tensor2d(a.subarray(0, 12), [3, 4])),
    () => tf.einsum("ij,j->i", tf.tensor2d(a.subarray(0, 12), [3, 4]), tf.tensor1d(v)),
    () => tf.einsum("i,i->", tf.tensor1d(v), tf.tensor1d(v)),
  ];
  for (const f of cases) {
    allclose(await on("wasm", f), await on("cpu", f), { rtol: 1e-4, atol: 1e-4 });
  }
  await tf.setBackend("wasm");
  const before = tf.memory();
  tf.tidy(() => {
    tf.einsum("bij,bjk->bik", tf.ones([2, 3, 4]), tf.ones([2, 4, 5]));
  });
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors, "einsum leaks no tensors");
  assert.equal(after.numDataBuffers, before.numDataBuffers, "einsum leaks no wasm buffers");
});
