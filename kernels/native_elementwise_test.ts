import assert from "node:assert/strict";
import { initBackend, tf } from "./backend.ts";
import { type ModelConfig, Transformer } from "./model.ts";
import {
  collapseBroadcast,
  collapseTranspose,
  disableNativeElementwise,
  enableNativeElementwise,
  nativeCounters,
  nativeElementwiseEnabled,
  openNativeElementwise,
  reductionBlock,
} from "./native_elementwise.ts";
import { buildNativeElementwise } from "./native/build.ts";
import { Rng } from "./rng.ts";
import { checkEngineSwitch } from "./ops/test_util.ts";

await initBackend({ backend: "wasm" });
const probe = enableNativeElementwise();
const available = probe.ok;
if (!probe.ok) console.error(`native elementwise tests skipped: ${probe.reason}`);

/** Run `body` with the native kernels on (all sizes) and restore initBackend's default after. */
async function withNative(
  body: () => Promise<void> | void,
  opts: { threads?: number } = {},
): Promise<void> {
  const r = enableNativeElementwise({ minSize: 0, ...opts });
  assert.ok(r.ok, r.ok ? "" : r.reason);
  try {
    await body();
  } finally {
    enableNativeElementwise(); // initBackend's settings
    await tf.setBackend("wasm");
  }
}

/** Values of `f` (inputs built inside) with the native kernels, or with wasm's own. */
function run(native: boolean, f: () => tf.Tensor): Float32Array | Int32Array {
  if (native) enableNativeElementwise({ minSize: 0 });
  else disableNativeElementwise();
  const t = tf.tidy(f);
  const v = t.dataSync() as Float32Array | Int32Array;
  t.dispose();
  return v;
}

function randn(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal() * scale), shape);
}

function randShape(rng: Rng, rank: number, max = 9): number[] {
  return Array.from({ length: rank }, () => 1 + rng.int(max));
}

/** |a - b| <= rtol |b| + atol elementwise (equal NaN/inf pass). */
function allclose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tol: { rtol: number; atol?: number },
  what: string,
): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    assert.ok(
      Math.abs(x - y) <= tol.rtol * Math.abs(y) + (tol.atol ?? 0),
      `${what} [${i}]: native ${x} vs wasm ${y}`,
    );
  }
}

/** The counter of `kernel` moved by `f` on the native (true) or fallback (false) side. */
function usedNative(kernel: string, f: () => void): { native: number; fallback: number } {
  const before = { ...(nativeCounters.byKernel[kernel] ?? { native: 0, fallback: 0 }) };
  f();
  const after = nativeCounters.byKernel[kernel] ?? { native: 0, fallback: 0 };
  return { native: after.native - before.native, fallback: after.fallback - before.fallback };
}

Deno.test("a missing library or compiler is a one-line reason", () => {
  const open = openNativeElementwise("/nonexistent/libcreditlab_elementwise.so");
  assert.equal(open.ok, false);
  if (!open.ok) {
    assert.match(open.reason, /^native elementwise library not loadable \(\/nonexistent\//);
    assert.ok(!open.reason.includes("\n"));
  }
  const dir = Deno.makeTempDirSync();
  try {
    const b = buildNativeElementwise({ compilers: ["/nonexistent/gcc"], dir });
    assert.equal(b.ok, false);
    if (!b.ok) {
      assert.match(
        b.reason,
        /cannot build the native elementwise library \(\/nonexistent\/gcc not found; /,
      );
      assert.ok(!b.reason.includes("\n"));
    }
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing left in the cache folder");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("initBackend without the library: one-line reason, wasm kernels, no stack trace", () => {
  // A fresh process (the library of this one is loaded already) with no library and no compiler.
  const dir = Deno.makeTempDirSync();
  try {
    const script = `import { initBackend, tf } from "${
      new URL("./backend.ts", import.meta.url).href
    }";
const info = await initBackend({ backend: "wasm" });
const y = tf.sum(tf.exp(tf.zeros([64, 128]))).dataSync()[0];
console.log(JSON.stringify({ reason: info.reason, elementwise: info.elementwise, y }));`;
    for (
      const env of [
        { CREDITLAB_NATIVE_LIB: "/nonexistent/libx.so" },
        { CREDITLAB_CC: "/nonexistent/gcc", CREDITLAB_NATIVE_DIR: dir },
      ]
    ) {
      const out = new Deno.Command(Deno.execPath(), {
        args: ["eval", "--ext=ts", script],
        env,
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, stderr);
      assert.ok(!/\n\s+at /.test(stderr), `no stack trace: ${stderr}`);
      const r = JSON.parse(new TextDecoder().decode(out.stdout)) as {
        reason: string;
        elementwise: string;
        y: number;
      };
      assert.equal(r.elementwise, "wasm");
      assert.equal(r.y, 64 * 128);
      assert.match(
        r.reason,
        /; elementwise on wasm \((native elementwise library not loadable \(\/nonexistent\/libx\.so: |cannot build the native elementwise library \(\/nonexistent\/gcc not found; )/,
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("collapseBroadcast, collapseTranspose and reductionBlock: golden shapes", () => {
  assert.deepEqual(collapseBroadcast([4, 5], [4, 5]), {
    out: [4, 5],
    dims: [20],
    sa: [1],
    sb: [1],
  });
  assert.deepEqual(collapseBroadcast([2, 3, 4], []), {
    out: [2, 3, 4],
    dims: [24],
    sa: [1],
    sb: [0],
  });
  // rope: [b, t, h, d] * [t, 1, d]
  assert.deepEqual(collapseBroadcast([2, 6, 4, 8], [6, 1, 8]), {
    out: [2, 6, 4, 8],
    dims: [2, 6, 4, 8],
    sa: [192, 32, 8, 1],
    sb: [0, 8, 0, 1],
  });
  // rows times a column: [r, c] * [r, 1]
  assert.deepEqual(collapseBroadcast([3, 1], [3, 7])?.dims, [3, 7]);
  assert.equal(collapseBroadcast([3, 2], [3, 7]), null);
  assert.deepEqual(collapseTranspose([4, 8, 2, 3], [0, 2, 1, 3]), {
    dims: [4, 8, 2, 3],
    perm: [0, 2, 1, 3],
  });
  assert.deepEqual(collapseTranspose([5, 1, 7], [2, 1, 0]), { dims: [5, 7], perm: [1, 0] });
  assert.deepEqual(collapseTranspose([2, 3, 4], [2, 0, 1]), { dims: [6, 4], perm: [1, 0] });
  assert.deepEqual(reductionBlock([2, 3, 4], [2]), { outer: 6, red: 4, inner: 1 });
  assert.deepEqual(reductionBlock([2, 3, 4], [0]), { outer: 1, red: 2, inner: 12 });
  assert.deepEqual(reductionBlock([2, 1, 4], [0, 2]), { outer: 1, red: 8, inner: 1 });
  assert.equal(reductionBlock([2, 3, 4], [0, 2]), null);
});

Deno.test({
  name: "native kernels: golden values",
  ignore: !available,
  fn: () =>
    withNative(() => {
      const v = (t: tf.Tensor) => Array.from(t.dataSync());
      assert.deepEqual(v(tf.add(tf.tensor1d([1, 2, 3]), tf.scalar(10))), [11, 12, 13]);
      assert.deepEqual(v(tf.sub(tf.tensor2d([[5], [7]]), tf.tensor1d([1, 2]))), [4, 3, 6, 5]);
      assert.deepEqual(v(tf.mul(tf.tensor1d([1, 2, 3]), tf.tensor1d([4, 5, 6]))), [4, 10, 18]);
      assert.deepEqual(v(tf.div(tf.tensor1d([1, 3]), tf.scalar(4))), [0.25, 0.75]);
      assert.deepEqual(v(tf.neg(tf.tensor1d([1, -2]))), [-1, 2]);
      assert.deepEqual(v(tf.square(tf.tensor1d([3, -4]))), [9, 16]);
      assert.deepEqual(v(tf.sqrt(tf.tensor1d([4, 2.25]))), [2, 1.5]);
      assert.deepEqual(v(tf.exp(tf.tensor1d([0, 1, -Infinity, 100]))), [
        1,
        Math.fround(Math.E),
        0,
        Infinity,
      ]);
      assert.ok(Number.isNaN(v(tf.exp(tf.tensor1d([NaN])))[0]!));
      assert.deepEqual(v(tf.sigmoid(tf.tensor1d([0]))), [0.5]);
      allclose(v(tf.softmax(tf.tensor2d([[0, Math.log(3)]]))), [0.25, 0.75], {
        rtol: 3e-7,
      }, "softmax");
      const m = tf.tensor2d([[1, 2], [3, 4]]);
      assert.deepEqual(v(tf.sum(m, -1)), [3, 7]);
      assert.deepEqual(v(tf.sum(m, 0)), [4, 6]);
      assert.deepEqual(v(tf.sum(m)), [10]);
      assert.deepEqual(v(tf.mean(m, -1, true)), [1.5, 3.5]);
      assert.deepEqual(tf.mean(m, -1, true).shape, [2, 1]);
      assert.deepEqual(v(tf.transpose(tf.tensor2d([[1, 2, 3], [4, 5, 6]]))), [1, 4, 2, 5, 3, 6]);
      assert.deepEqual(v(tf.cast(tf.tensor1d([1, -2], "int32"), "float32")), [1, -2]);
      assert.deepEqual(
        v(tf.unsortedSegmentSum(
          tf.tensor2d([[1, 2], [3, 4], [5, 6]]),
          tf.tensor1d([1, 0, 1], "int32"),
          2,
        )),
        [3, 4, 6, 8],
      );
    }),
});

/** Cases: kernel name, tolerance against wasm, and a function of a seeded Rng. */
const CASES: Array<[string, { rtol: number; atol?: number }, (rng: Rng) => tf.Tensor]> = [
  ["Add", { rtol: 0 }, (r) => {
    const s = randShape(r, 3);
    return tf.add(randn(r, s), randn(r, s));
  }],
  ["Add", { rtol: 0 }, (r) => { // trailing-dims broadcast, and the mask of attention
    const s = randShape(r, 4);
    return tf.add(randn(r, s), randn(r, s.slice(2)));
  }],
  ["Sub", { rtol: 0 }, (r) => { // row broadcast [.., n] - [.., 1]
    const s = randShape(r, 3);
    return tf.sub(randn(r, s), randn(r, [...s.slice(0, 2), 1]));
  }],
  ["Multiply", { rtol: 0 }, (r) => { // rope-style middle broadcast [b, t, h, d] * [t, 1, d]
    const s = randShape(r, 4);
    return tf.mul(randn(r, s), randn(r, [s[1]!, 1, s[3]!]));
  }],
  ["Multiply", { rtol: 0 }, (r) => tf.mul(randn(r, randShape(r, 2)), r.normal())],
  ["Multiply", { rtol: 0 }, (r) => tf.mul(r.normal(), randn(r, randShape(r, 3)))],
  ["RealDiv", { rtol: 0 }, (r) => {
    const s = randShape(r, 2);
    return tf.div(randn(r, s), randn(r, [s[0]!, 1]));
  }],
  ["Neg", { rtol: 0 }, (r) => tf.neg(randn(r, randShape(r, 3)))],
  ["Square", { rtol: 0 }, (r) => tf.square(randn(r, randShape(r, 3)))],
  ["Sqrt", { rtol: 0 }, (r) => tf.sqrt(tf.abs(randn(r, randShape(r, 3))))],
  // exp: 1 ulp (the wasm kernel is musl's expf; ours is computed in double and rounded once)
  ["Exp", { rtol: 1.2e-7 }, (r) => tf.exp(randn(r, randShape(r, 3), 30))],
  ["Sigmoid", { rtol: 1e-6, atol: 1e-30 }, (r) => tf.sigmoid(randn(r, randShape(r, 3), 10))],
  ["Softmax", { rtol: 1e-6, atol: 1e-30 }, (r) => tf.softmax(randn(r, randShape(r, 3, 40), 5))],
  ["Identity", { rtol: 0 }, (r) => tf.clone(randn(r, randShape(r, 3)))],
  ["Cast", { rtol: 0 }, (r) => {
    const n = 1 + r.int(500);
    return tf.cast(
      tf.tensor1d(Int32Array.from({ length: n }, () => r.int(1 << 30) - (1 << 29)), "int32"),
      "float32",
    );
  }],
  ["Cast", { rtol: 0 }, (r) => tf.cast(tf.greater(randn(r, randShape(r, 3)), 0), "float32")],
  ["Cast", { rtol: 0 }, (r) => tf.cast(randn(r, randShape(r, 3)), "float32")],
  ["Transpose", { rtol: 0 }, (r) => tf.transpose(randn(r, randShape(r, 2, 70)))],
  ["Transpose", { rtol: 0 }, (r) => tf.transpose(randn(r, randShape(r, 4)), [0, 2, 1, 3])],
  ["Transpose", { rtol: 0 }, (r) => tf.transpose(randn(r, randShape(r, 4)), [3, 1, 0, 2])],
  ["Transpose", { rtol: 0 }, (r) => {
    const s = randShape(r, 3);
    const x = tf.tensor(
      Int32Array.from({ length: s[0]! * s[1]! * s[2]! }, () => r.int(1000)),
      s,
      "int32",
    );
    return tf.transpose(x, [2, 0, 1]);
  }],
  ["UnsortedSegmentSum", { rtol: 0 }, (r) => {
    const n = 1 + r.int(40), k = 1 + r.int(10), inner = 1 + r.int(150);
    const ids = tf.tensor1d(Int32Array.from({ length: n }, () => r.int(k + 2) - 1), "int32");
    return tf.unsortedSegmentSum(randn(r, [n, inner]), ids, k);
  }],
];

Deno.test({
  name: "native kernels equal the wasm kernels across random shapes and seeds",
  ignore: !available,
  fn: () =>
    withNative(() => {
      for (const [kernel, tol, f] of CASES) {
        for (let seed = 0; seed < 6; seed++) {
          const what = `${kernel} case seed ${seed}`;
          const wasm = run(false, () => f(new Rng(seed)));
          let native: Float32Array | Int32Array = new Float32Array();
          const used = usedNative(kernel, () => {
            native = run(true, () => f(new Rng(seed)));
          });
          assert.ok(used.native > 0, `${what}: native path used`);
          allclose(native, wasm, tol, what);
        }
      }
    }),
});

/** Float64 sums of x and |x| of a rank-3 array over `axis` (negative axes allowed). */
function sumRef(
  x: Float32Array,
  shape: number[],
  axis: number[],
): { sum: Float64Array; abs: Float64Array } {
  const red = new Set(axis.map((a) => (a + 3) % 3));
  const keep = [0, 1, 2].filter((a) => !red.has(a));
  const outSize = keep.reduce((p, a) => p * shape[a]!, 1);
  const sum = new Float64Array(outSize), abs = new Float64Array(outSize);
  const [d0, d1, d2] = shape as [number, number, number];
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) {
      for (let k = 0; k < d2; k++) {
        const idx = [i, j, k];
        const o = keep.reduce((p, a) => p * shape[a]! + idx[a]!, 0);
        const v = x[(i * d1 + j) * d2 + k]!;
        sum[o] = sum[o]! + v;
        abs[o] = abs[o]! + Math.abs(v);
      }
    }
  }
  return { sum, abs };
}

Deno.test({
  name: "native Sum/Mean: within wasm's own float32 summation error of the exact sum",
  ignore: !available,
  fn: () =>
    withNative(() => {
      const eps = 2 ** -24;
      let worstRel = 0;
      for (let seed = 0; seed < 8; seed++) {
        const rng = new Rng(100 + seed);
        const shape = [1 + rng.int(6), 1 + rng.int(3000), 1 + rng.int(4)];
        const axis = [[-1], [0], [1], [0, 1, 2], [1, 2]][seed % 5]!;
        const data = Float32Array.from({ length: shape[0]! * shape[1]! * shape[2]! }, () =>
          rng.normal() + 0.1);
        const f = () =>
          tf.sum(tf.tensor(data, shape), axis);
        const g = () => tf.mean(tf.tensor(data, shape), axis, true);
        const wasm = run(false, f), native = run(true, f);
        allclose(run(true, g), run(false, g), { rtol: 1e-4, atol: 1e-4 }, `mean seed ${seed}`);
        const exact = sumRef(data, shape, axis);
        const red = data.length / native.length;
        for (let i = 0; i < native.length; i++) {
          const abs = exact.abs[i]!;
          // wasm: sequential float32 sum, error <= (red - 1) eps sum|x|
          assert.ok(
            Math.abs(wasm[i]! - native[i]!) <= red * eps * abs + 1e-6,
            `seed ${seed} [${i}]`,
          );
          // native: double accumulation, then one rounding to float32
          assert.ok(
            Math.abs(native[i]! - exact.sum[i]!) <= eps * Math.abs(exact.sum[i]!) + 1e-12 * abs,
            `seed ${seed} [${i}]: native ${native[i]} vs exact ${exact.sum[i]}`,
          );
          worstRel = Math.max(worstRel, Math.abs(wasm[i]! - native[i]!) / abs);
        }
      }
      assert.ok(worstRel < 1e-4, `worst |wasm - native| / sum|x| = ${worstRel}`);
    }),
});

Deno.test({
  name: "native kernels fall back to wasm for int32, small sizes and unsupported layouts",
  ignore: !available,
  fn: () =>
    withNative(() => {
      const rng = new Rng(7);
      const x345 = Float32Array.from({ length: 60 }, () => rng.normal());
      const i32 = tf.tensor1d([1, 2, 3], "int32");
      const cases: Array<[string, () => tf.Tensor]> = [
        ["Add", () => tf.add(i32, i32)],
        ["Multiply", () => tf.mul(i32, tf.scalar(2, "int32"))],
        ["Sum", () => tf.sum(tf.tensor(x345, [3, 4, 5]), [0, 2])], // axes not one block
        ["Sum", () => tf.sum(i32)],
        ["Cast", () => tf.cast(tf.tensor1d([1, 0, 2.5]), "bool")],
        ["Cast", () => tf.cast(tf.tensor(x345.map((v) => 100 * v)), "int32")],
      ];
      for (const [kernel, f] of cases) {
        const wasm = run(false, f);
        let native: Float32Array | Int32Array = new Float32Array();
        const used = usedNative(kernel, () => {
          native = run(true, f);
        });
        assert.deepEqual(used, { native: 0, fallback: 1 }, kernel);
        assert.deepEqual(Array.from(native), Array.from(wasm), kernel);
      }
      // below minSize
      enableNativeElementwise({ minSize: 1000 });
      const used = usedNative("Add", () => tf.add(tf.ones([10]), tf.ones([10])).dispose());
      assert.deepEqual(used, { native: 0, fallback: 1 });
      // the original kernel's errors survive
      enableNativeElementwise({ minSize: 0 });
      assert.throws(() => tf.add(tf.ones([2, 3]), tf.ones([4, 3])), /broadcast|shapes/i);
    }),
});

Deno.test({
  name:
    "Identity and same-dtype Cast share the input's buffer; it lives until the last holder goes",
  ignore: !available,
  fn: () =>
    withNative(() => {
      const x = tf.tensor2d([[1, 2], [3, 4]]);
      const before = tf.memory().numDataBuffers;
      const copies = [tf.clone(x), tf.cast(x, "float32")];
      assert.equal(tf.memory().numDataBuffers, before, "no new buffer");
      x.dispose();
      assert.deepEqual(copies.map((c) => Array.from(c.dataSync())), [[1, 2, 3, 4], [1, 2, 3, 4]]);
      copies[0]!.dispose();
      assert.deepEqual(Array.from(copies[1]!.dataSync()), [1, 2, 3, 4]);
      copies[1]!.dispose();
      assert.equal(tf.memory().numDataBuffers, before - 1, "freed with its last holder");
      // a variable assigned from a clone keeps its value when the source goes
      const v = tf.variable(tf.zeros([3]));
      const src = tf.tensor1d([5, 6, 7]);
      v.assign(tf.clone(src));
      src.dispose();
      assert.deepEqual(Array.from(v.dataSync()), [5, 6, 7]);
      v.dispose();
    }),
});

Deno.test({
  name: "native kernels: identical results on 1 and 2 threads (large inputs, parallel path)",
  ignore: !available,
  fn: async () => {
    const rng = new Rng(11);
    const x = randn(rng, [300, 600], 3), y = randn(rng, [600]);
    const f = () =>
      tf.concat([
        tf.reshape(tf.softmax(x), [-1]),
        tf.reshape(tf.exp(x), [-1]),
        tf.sum(x, -1),
        tf.sum(x, 0),
        tf.reshape(tf.sum(x), [1]),
        tf.reshape(tf.mul(x, y), [-1]),
        tf.reshape(tf.transpose(x), [-1]),
      ]);
    let one: number[] = [], two: number[] = [];
    await withNative(() => {
      one = Array.from(tf.tidy(f).dataSync());
    }, { threads: 1 });
    await withNative(() => {
      two = Array.from(tf.tidy(f).dataSync());
    }, { threads: 2 });
    assert.deepEqual(two, one);
    x.dispose();
    y.dispose();
  },
});

function tinyReference(): ModelConfig {
  return {
    vocabSize: 64,
    dModel: 32,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 4,
    ffnHidden: 48,
    maxSeqLen: 16,
    ropeTheta: 10000,
    normEps: 1e-6,
    tiedEmbeddings: true,
    qkNorm: true,
  };
}

Deno.test({
  name: "gradient of a reference-style model: native kernels equal wasm's",
  ignore: !available,
  fn: () =>
    withNative(() => {
      const cfg = tinyReference();
      const model = new Transformer(cfg, { rng: new Rng(3) });
      const rng = new Rng(4);
      const toks = tf.tensor2d(
        Int32Array.from({ length: 3 * cfg.maxSeqLen }, () => rng.int(cfg.vocabSize)),
        [3, cfg.maxSeqLen],
        "int32",
      );
      const vars = model.variables();
      const grads = (native: boolean) => {
        if (native) enableNativeElementwise({ minSize: 0 });
        else disableNativeElementwise();
        const before = nativeCounters.native;
        const { value, grads } = tf.variableGrads(
          () => tf.neg(tf.mean(model.logProbs(toks))) as tf.Scalar,
          vars,
        );
        const out = [
          value.dataSync()[0]!,
          ...vars.flatMap((v) => Array.from(grads[v.name]!.dataSync())),
        ];
        tf.dispose([value, ...Object.values(grads)]);
        return { out, nativeCalls: nativeCounters.native - before };
      };
      const wasm = grads(false), native = grads(true);
      assert.equal(wasm.nativeCalls, 0);
      assert.ok(native.nativeCalls > 50, `native calls: ${native.nativeCalls}`);
      allclose(native.out, wasm.out, { rtol: 1e-4, atol: 1e-6 }, "loss and gradients");
      toks.dispose();
      model.dispose();
    }),
});

Deno.test({
  name: "initBackend reports the elementwise engine; CREDITLAB_NATIVE=0 turns it off",
  ignore: !available,
  fn: async () => {
    try {
      await checkEngineSwitch({
        field: "elementwise",
        request: { native: true },
        env: "CREDITLAB_NATIVE",
        on: {
          engine: "native",
          reason: /; elementwise via native \(\d+ threads, .*libcreditlab_elementwise-/,
        },
        off: { engine: "wasm", reason: /; elementwise on wasm \(native disabled\)/ },
        enabled: nativeElementwiseEnabled,
      });
    } finally {
      await initBackend({ backend: "wasm" });
    }
    assert.ok(nativeElementwiseEnabled());
  },
});

Deno.test({
  name: "the library survives being closed and reopened (one thread pool, no hang)",
  ignore: !available,
  fn: async () => {
    // Deno closes a DynamicLibrary when its isolate ends (each file of `deno test`); a reopened
    // copy must keep the state of the first one, whose pool threads are still asleep in it.
    // In a child process, so that a hang is a failed test and not a stuck suite.
    const path = (probe as { path: string }).path;
    const script = `
      const sym = {
        ew_set_threads: { parameters: ["i32", "i32"], result: "i32" },
        ew_unary: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
      };
      const threads = () => [...Deno.readDirSync("/proc/self/task")].length;
      const n = 1 << 20, x = new Float32Array(n).fill(2), y = new Float32Array(n);
      const counts = [];
      for (let i = 0; i < 4; i++) {
        const lib = Deno.dlopen(${JSON.stringify(path)}, sym);
        lib.symbols.ew_set_threads(2, 1);
        for (let k = 0; k < 20; k++) if (lib.symbols.ew_unary(2, x, y, n) !== 0) throw new Error("rc");
        if (y[n - 1] !== 4) throw new Error("wrong result " + y[n - 1]);
        await new Promise((r) => setTimeout(r, 20)); // the pool thread goes to sleep
        counts.push(threads());
        lib.close();
      }
      console.log(JSON.stringify(counts));
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, `child failed or hung (exit ${out.code}, signal ${out.signal}): ${err}`);
    const counts = JSON.parse(new TextDecoder().decode(out.stdout)) as number[];
    assert.equal(counts.length, 4);
    assert.ok(counts.every((c) => c === counts[0]), `threads per reopen: ${counts}`);
  },
});
