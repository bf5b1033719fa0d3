import assert from "node:assert/strict";
import { initBackend, tf } from "./backend.ts";
import {
  blasCounters,
  blasMatMulEnabled,
  chooseCoreType,
  disableBlasMatMul,
  enableBlasMatMul,
  gemm,
  gemmReference,
  gemmUsesBlas,
  openBlas,
  PRE_AVX2_CORES,
  readCpuFlags,
  readCpuModel,
} from "./blas.ts";
import { Rng } from "./rng.ts";
import { allclose, checkEngineSwitch, randn, valuesOn as on } from "./ops/test_util.ts";

await initBackend({ backend: "wasm", blas: false });
const probe = enableBlasMatMul({ minFlops: 0 });
const available = probe.ok;
disableBlasMatMul();

const close4 = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) =>
  allclose(a, b, { rtol: 1e-4, atol: 1e-4, what });

Deno.test("openBlas: a missing library gives a one-line reason", () => {
  const r = openBlas(["/nonexistent/libopenblas.so.0"]);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.reason, /OpenBLAS not found \(\/nonexistent\/libopenblas\.so\.0: /);
    assert.ok(!r.reason.includes("\n"));
  }
});

Deno.test("chooseCoreType: forces AVX kernels only over a pre-AVX2 fallback, never over the user", () => {
  const avx512 = new Set([
    "sse3",
    "avx2",
    "fma",
    "avx512f",
    "avx512cd",
    "avx512bw",
    "avx512dq",
    "avx512vl",
  ]);
  const avx2 = new Set(["sse3", "avx", "avx2", "fma"]);
  assert.deepEqual(chooseCoreType({ detected: "Prescott", cpuFlags: avx512 }), {
    coreType: "SkylakeX",
    reason: "OpenBLAS detected Prescott on a CPU with AVX-512; forced SkylakeX",
  });
  assert.deepEqual(chooseCoreType({ detected: "Nehalem", cpuFlags: avx2 }), {
    coreType: "Haswell",
    reason: "OpenBLAS detected Nehalem on a CPU with AVX2 + FMA; forced Haswell",
  });
  // AVX-512F alone (no BW/DQ/VL, e.g. Knights Landing) is not SkylakeX.
  assert.equal(
    chooseCoreType({ detected: "Prescott", cpuFlags: new Set([...avx2, "avx512f"]) })?.coreType,
    "Haswell",
  );
  // A correct detection stands (AMD Zen, Intel SkylakeX, Haswell).
  for (const detected of ["Zen", "SkylakeX", "Cooperlake", "Haswell"]) {
    assert.equal(chooseCoreType({ detected, cpuFlags: avx512 }), null, detected);
  }
  // The user's OPENBLAS_CORETYPE wins; an old CPU keeps its old kernels.
  assert.equal(
    chooseCoreType({ detected: "Prescott", cpuFlags: avx512, userCoreType: "Haswell" }),
    null,
  );
  assert.equal(chooseCoreType({ detected: "Sandybridge", cpuFlags: new Set(["avx"]) }), null);
  assert.equal(chooseCoreType({ detected: "Prescott", cpuFlags: new Set() }), null);
});

Deno.test('readCpuFlags, readCpuModel: a cpuinfo file\'s flags and model name; empty set and "unknown" without one', () => {
  const dir = Deno.makeTempDirSync();
  try {
    const f = `${dir}/cpuinfo`;
    Deno.writeTextFileSync(
      f,
      "processor\t: 0\nmodel name\t: X\nflags\t\t: fpu sse3 avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu\n",
    );
    assert.deepEqual([...readCpuFlags(f)], ["fpu", "sse3", "avx2", "fma"]);
    assert.deepEqual([...readCpuFlags(`${dir}/missing`)], []);
    assert.equal(readCpuModel(f), "X");
    assert.equal(readCpuModel(`${dir}/missing`), "unknown");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "enableBlasMatMul: on this machine OpenBLAS does not run pre-AVX2 kernels on an AVX2 CPU",
  ignore: !available,
  fn: () => {
    const r = enableBlasMatMul({ minFlops: 0 });
    disableBlasMatMul();
    assert.ok(r.ok);
    if (!r.ok || r.core === null) return; // not OpenBLAS (CREDITLAB_BLAS_LIB): nothing to check
    const flags = readCpuFlags();
    if (flags.has("avx2") && flags.has("fma")) {
      assert.ok(!PRE_AVX2_CORES.has(r.core.toLowerCase()), `core ${r.core} (${r.coreForced})`);
    }
  },
});

Deno.test({
  name: "BLAS BatchMatMul on wasm equals the cpu backend (transposes, batches, broadcast, grads)",
  ignore: !available,
  fn: async () => {
    enableBlasMatMul({ minFlops: 0 });
    try {
      const rng = new Rng(5);
      const cases: Array<[string, () => tf.Tensor]> = [];
      for (
        const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const
      ) {
        const a = randn(rng, 3 * 4), b = randn(rng, 4 * 5);
        cases.push([
          `2-D tA=${tA} tB=${tB}`,
          () =>
            tf.matMul(
              tf.tensor2d(a, tA ? [4, 3] : [3, 4]),
              tf.tensor2d(b, tB ? [5, 4] : [4, 5]),
              tA,
              tB,
            ),
        ]);
      }
      const a3 = randn(rng, 2 * 3 * 4), b3 = randn(rng, 2 * 4 * 5), b1 = randn(rng, 4 * 5);
      cases.push([
        "3-D equal batches",
        () => tf.matMul(tf.tensor3d(a3, [2, 3, 4]), tf.tensor3d(b3, [2, 4, 5])),
      ]);
      cases.push([
        "3-D b batch 1",
        () => tf.matMul(tf.tensor3d(a3, [2, 3, 4]), tf.tensor3d(b1, [1, 4, 5])),
      ]);
      cases.push([
        "3-D a batch 1",
        () => tf.matMul(tf.tensor3d(a3.subarray(0, 12), [1, 3, 4]), tf.tensor3d(b3, [2, 4, 5])),
      ]);
      const q = randn(rng, 2 * 2 * 6 * 3), k = randn(rng, 2 * 2 * 6 * 3);
      cases.push([
        "4-D attention q·kᵀ",
        () => tf.matMul(tf.tensor4d(q, [2, 2, 6, 3]), tf.tensor4d(k, [2, 2, 6, 3]), false, true),
      ]);
      cases.push([
        "gradient of a 2-layer product",
        () => {
          const w = tf.tensor2d(b1, [4, 5]);
          return tf.grad((x: tf.Tensor) =>
            tf.sum(tf.square(tf.matMul(tf.matMul(x, w), w, false, true)))
          )(
            tf.tensor2d(a3.subarray(0, 12), [3, 4]),
          );
        },
      ]);
      cases.push(["empty inner dimension", () => tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3]))]);
      for (const [what, f] of cases) {
        const before = blasCounters.blas;
        const wasm = await on("wasm", f);
        assert.ok(blasCounters.blas > before, `${what}: BLAS path used`);
        close4(wasm, await on("cpu", f), what);
      }
      // Below minFlops the XNNPACK kernel is used (same values).
      enableBlasMatMul({ minFlops: 1e12 });
      const before = blasCounters.fallback;
      const f = () => tf.matMul(tf.tensor2d(a3.subarray(0, 12), [3, 4]), tf.tensor2d(b1, [4, 5]));
      close4(await on("wasm", f), await on("cpu", f), "fallback");
      assert.ok(blasCounters.fallback > before, "small product went to XNNPACK");
    } finally {
      disableBlasMatMul();
      await tf.setBackend("wasm");
    }
    assert.equal(blasMatMulEnabled(), false);
  },
});

Deno.test({
  name: "initBackend reports the matMul engine; CREDITLAB_BLAS=0 turns OpenBLAS off",
  ignore: !available,
  fn: async () => {
    try {
      await checkEngineSwitch({
        field: "matmul",
        request: { blas: true },
        env: "CREDITLAB_BLAS",
        on: { engine: "openblas", reason: /matMul via OpenBLAS \(\d+ threads, / },
        off: { engine: "xnnpack", reason: /matMul on XNNPACK \(OpenBLAS disabled\)/ },
        enabled: blasMatMulEnabled,
      });
    } finally {
      disableBlasMatMul();
    }
  },
});

Deno.test("gemm: golden values, transB and accumulate", () => {
  // [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]]
  const a = Float32Array.of(1, 2, 3, 4), b = Float32Array.of(5, 6, 7, 8);
  for (const f of [gemm, gemmReference]) {
    const c = new Float32Array(4);
    f(a, b, c, { m: 2, n: 2, k: 2 });
    assert.deepEqual(Array.from(c), [19, 22, 43, 50]);
    f(a, b, c, { m: 2, n: 2, k: 2, transB: true, accumulate: true }); // + [[17,23],[39,53]]
    assert.deepEqual(Array.from(c), [36, 45, 82, 103]);
  }
  assert.throws(
    () => gemm(a, b, new Float32Array(3), { m: 2, n: 2, k: 2 }),
    /gemm: operands too short/,
  );
});

Deno.test("gemm: OpenBLAS equals the plain loop across shapes and seeds", {
  ignore: !available,
}, () => {
  assert.ok(gemmUsesBlas(), "the library was opened by the probe");
  for (let seed = 0; seed < 6; seed++) {
    const rng = new Rng(seed);
    const m = 1 + rng.int(40), n = 1 + rng.int(70), k = 1 + rng.int(50);
    const transB = seed % 2 === 1, accumulate = seed % 3 === 0;
    const a = randn(rng, m * k), b = randn(rng, k * n), c0 = randn(rng, m * n);
    const c1 = c0.slice(), c2 = c0.slice();
    gemm(a, b, c1, { m, n, k, transB, accumulate });
    gemmReference(a, b, c2, { m, n, k, transB, accumulate });
    close4(Array.from(c1), Array.from(c2), `seed ${seed} [${m},${k}]x[${k},${n}]`);
    // strided operands: every matrix lives inside a wider one
    const lda = k + 3, ldb = (transB ? k : n) + 2, ldc = n + 5;
    const as = randn(rng, m * lda), bs = randn(rng, (transB ? n : k) * ldb);
    const s1 = randn(rng, m * ldc), s2 = s1.slice();
    gemm(as, bs, s1, { m, n, k, transB, accumulate, lda, ldb, ldc });
    gemmReference(as, bs, s2, { m, n, k, transB, accumulate, lda, ldb, ldc });
    close4(Array.from(s1), Array.from(s2), `seed ${seed} strided`);
  }
});

Deno.test("gemm: strides select sub-matrices (golden)", () => {
  // A = rows [1,2] and [3,4] of a [2, 3] array; B^T = rows [5,6], [7,8] with stride 3
  const a = Float32Array.of(1, 2, 9, 3, 4, 9), b = Float32Array.of(5, 6, 9, 7, 8);
  for (const f of [gemm, gemmReference]) {
    const c = new Float32Array(4);
    f(a, b, c, { m: 2, n: 2, k: 2, transB: true, lda: 3, ldb: 3 });
    assert.deepEqual(Array.from(c), [17, 23, 39, 53]);
  }
});

Deno.test({
  name: "batched small products on the native pool equal the per-item OpenBLAS loop",
  ignore: !available,
  fn: async () => {
    const { disableNativeElementwise, enableNativeElementwise } = await import(
      "./native_elementwise.ts"
    );
    if (!enableNativeElementwise().ok) return; // no compiler here: the loop is the only path
    await tf.setBackend("wasm");
    enableBlasMatMul({ minFlops: 0 });
    try {
      const rng = new Rng(21);
      for (
        const [tA, tB, bA, bB] of [[false, true, 6, 6], [true, false, 6, 1], [
          false,
          false,
          1,
          6,
        ]] as const
      ) {
        const x = tf.tensor(randn(rng, 6 * 24 * 16), [6, 24, 16]);
        const y = tf.tensor(randn(rng, 6 * 16 * 20), [6, 16, 20]);
        const a = tA ? tf.transpose(x, [0, 2, 1]) : x;
        const b = tB ? tf.transpose(y, [0, 2, 1]) : y;
        const a2 = bA === 1 ? tf.slice(a, [0, 0, 0], [1, -1, -1]) : a;
        const b2 = bB === 1 ? tf.slice(b, [0, 0, 0], [1, -1, -1]) : b;
        const f = () => tf.matMul(a2, b2, tA, tB);
        const before = blasCounters.batchedOnPool;
        const pooled = Array.from(f().dataSync());
        assert.equal(blasCounters.batchedOnPool, before + 1, "pool path used");
        disableNativeElementwise();
        const looped = Array.from(f().dataSync());
        enableNativeElementwise();
        assert.equal(blasCounters.batchedOnPool, before + 1, "loop path used");
        assert.deepEqual(pooled, looped, `tA=${tA} tB=${tB} batches ${bA}/${bB}`);
      }
    } finally {
      disableBlasMatMul();
      disableNativeElementwise();
    }
  },
});
