import assert from "node:assert/strict";
import { join } from "node:path";
import {
  backendLabel,
  firstLine,
  importOneLine,
  initBackend,
  probeTensorflow,
  projectNodeModules,
  tf,
  wasmBinaryDir,
} from "./backend.ts";
import { withEnv, withTempDir } from "@creditlab/core/testing";

/** Run `f` with CREDITLAB_BACKEND set to `value` (or unset), restoring it afterwards. */
const withBackendEnv = <T>(value: string | undefined, f: () => Promise<T>) =>
  withEnv("CREDITLAB_BACKEND", value, f);

Deno.test("initBackend: forced cpu and wasm activate and describe themselves", async () => {
  const cpu = await initBackend({ backend: "cpu" });
  assert.equal(cpu.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual([cpu.threads, cpu.simd], [1, false]);
  assert.match(cpu.reason, /option backend=cpu/);
  const wasm = await initBackend({ backend: "wasm" });
  assert.equal(wasm.name, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.equal(wasm.simd, true);
  assert.ok(wasm.threads >= 1);
  // The backend computes: 1 + 2 = 3 on wasm.
  assert.deepEqual(Array.from(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()), [3]);
});

Deno.test("initBackend: idempotent and re-activates the cached choice", async () => {
  const a = await initBackend({ backend: "wasm" });
  await tf.setBackend("cpu");
  const b = await initBackend({ backend: "wasm" });
  assert.deepEqual(b, a);
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("initBackend: automatic choice skips an absent tfjs-node with a one-line reason", async () => {
  await withTempDir(async (empty) => {
    const info = await withBackendEnv(undefined, () => initBackend({ nodeModules: empty }));
    assert.equal(info.name, "wasm");
    assert.match(info.reason, /^auto: wasm \(SIMD\); tensorflow unavailable/);
    assert.match(info.reason, /@tensorflow\/tfjs-node not installed/);
    assert.ok(!info.reason.includes("\n"));
  });
});

Deno.test("initBackend: CREDITLAB_BACKEND overrides, the option overrides the variable", async () => {
  const viaEnv = await withBackendEnv("cpu", () => initBackend());
  assert.equal(viaEnv.name, "cpu");
  assert.match(viaEnv.reason, /CREDITLAB_BACKEND=cpu/);
  const viaOpt = await withBackendEnv("cpu", () => initBackend({ backend: "wasm" }));
  assert.equal(viaOpt.name, "wasm");
  await assert.rejects(
    withBackendEnv("gpu", () => initBackend()),
    /CREDITLAB_BACKEND must be one of tensorflow\|wasm\|cpu, got "gpu"/,
  );
});

Deno.test("initBackend: forcing an unavailable tensorflow fails with one line", async () => {
  await withTempDir(async (empty) => {
    const err = await initBackend({ backend: "tensorflow", nodeModules: empty }).then(
      () => null,
      (e: Error) => e,
    );
    assert.ok(err instanceof Error);
    assert.ok(!err.message.includes("\n"), err.message);
    assert.match(err.message, /backend "tensorflow" .* unavailable: .*tfjs-node not installed/);
    const p = await probeTensorflow({ nodeModules: empty });
    assert.deepEqual(p, {
      ok: false,
      reason: "@tensorflow/tfjs-node-gpu not installed; @tensorflow/tfjs-node not installed",
    });
  });
});

Deno.test("importOneLine: a module that throws a multi-line error gives its first line", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "broken.js");
    await Deno.writeTextFile(
      file,
      "throw new Error('native addon tfjs_binding.node not found\\n  please rebuild\\n  at x');\n",
    );
    const r = await importOneLine(`file://${file}`);
    assert.deepEqual(r, { ok: false, reason: "native addon tfjs_binding.node not found" });
    assert.equal(firstLine("\n\n  hello  \nworld"), "hello");
  });
});

Deno.test("backend paths: node_modules and the wasm binaries are found from the project", () => {
  assert.match(projectNodeModules(), /\/node_modules$/);
  assert.match(wasmBinaryDir(), /tfjs-backend-wasm\/dist$/);
});

Deno.test("backendLabel: the engines of a wasm backend, the name otherwise (golden)", () => {
  const base = { name: "wasm" as const, reason: "r", threads: 1, simd: true };
  assert.equal(
    backendLabel({
      ...base,
      matmul: "openblas",
      matmulThreads: 2,
      matmulCore: "Haswell",
      elementwise: "native",
      elementwiseThreads: 2,
    }),
    "wasm (matMul openblas Haswell x2, elementwise native x2)",
  );
  assert.equal(
    backendLabel({ ...base, matmul: "xnnpack", elementwise: "wasm" }),
    "wasm (matMul xnnpack, elementwise wasm)",
  );
  assert.equal(backendLabel(base), "wasm");
  assert.equal(backendLabel({ ...base, name: "cpu", simd: false }), "cpu");
});
