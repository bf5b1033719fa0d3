import assert from "node:assert/strict";
import { blasMatMulEnabled, initBackend, tf } from "@creditlab/kernels";
import { benchMatmul } from "./matmul.ts";

Deno.test("benchMatmul: one figure per backend and size, previous backend restored", async () => {
  await initBackend({ backend: "wasm" });
  const r = await benchMatmul({
    backends: ["wasm", "cpu"],
    sizes: [8, 16],
    minSeconds: 0.01,
    warmup: 1,
  });
  assert.equal(r.results.length, 4);
  for (const x of r.results) {
    assert.ok(x.gflops > 0 && Number.isFinite(x.gflops), `${x.backend} ${x.size}`);
    assert.ok(x.reps >= 3, "at least one product per window");
    // the reported figure is the fastest of the three windows; the mean is not above it
    assert.equal(x.windowGflops.length, 3);
    assert.equal(x.gflops, Math.max(...x.windowGflops));
    assert.ok(x.gflopsMean <= x.gflops * (1 + 1e-12));
  }
  assert.deepEqual(Object.keys(r.byBackend).sort(), ["cpu", "wasm"]);
  assert.deepEqual(Object.keys(r.byBackend.wasm!).map(Number), [8, 16]);
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("benchMatmul: an unavailable backend is skipped with its reason; bad sizes rejected", async () => {
  const r = await benchMatmul({ backends: ["tensorflow"], sizes: [4], minSeconds: 0.001 });
  assert.equal(r.results.length, 0);
  assert.match(r.skipped.tensorflow ?? "", /tfjs-node/);
  await assert.rejects(
    benchMatmul({ backends: ["cpu"], sizes: [0] }),
    /sizes must be positive integers, got 0/,
  );
  await assert.rejects(
    benchMatmul({ backends: ["cpu"], sizes: [4], windows: 0 }),
    /windows must be an integer >= 1, got 0/,
  );
});

Deno.test("benchMatmul: wasm engines (XNNPACK, OpenBLAS 1 thread) measured; OpenBLAS state restored", async () => {
  const info = await initBackend({ backend: "wasm" });
  const before = blasMatMulEnabled();
  const r = await benchMatmul({
    backends: ["wasm-xnnpack", "wasm-openblas-1thread"],
    sizes: [16],
    minSeconds: 0.01,
    warmup: 1,
  });
  assert.ok((r.byBackend["wasm-xnnpack"]?.[16] ?? 0) > 0);
  if (info.matmul === "openblas") {
    assert.ok((r.byBackend["wasm-openblas-1thread"]?.[16] ?? 0) > 0);
    assert.equal(r.results.find((x) => x.backend === "wasm-openblas-1thread")?.threads, 1);
  } else {
    assert.match(r.skipped["wasm-openblas-1thread"] ?? "", /OpenBLAS unavailable/);
  }
  assert.equal(blasMatMulEnabled(), before);
});

Deno.test("benchMatmul: the 1-thread run leaves OpenBLAS's thread count as it was, also when it ends disabled", async () => {
  const info = await initBackend({ backend: "wasm" });
  if (info.matmul !== "openblas") return; // nothing to leak without OpenBLAS
  await initBackend({ backend: "wasm", blas: false });
  await benchMatmul({ backends: ["wasm-openblas-1thread"], sizes: [16], minSeconds: 0.01 });
  assert.equal(blasMatMulEnabled(), false);
  const after = await initBackend({ backend: "wasm" });
  assert.equal(after.matmulThreads, info.matmulThreads);
});

Deno.test("bench/matmul.ts CLI: a child process with OPENBLAS_CORETYPE measures that core", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const run = (args: string[], env: Record<string, string>) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "bench/matmul.ts", ...args],
      cwd: root,
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const bad = await run(["--targets", "gpu"], {});
  assert.equal(bad.success, false);
  assert.match(new TextDecoder().decode(bad.stderr), /--targets: unknown target gpu/);
  const out = await run(["--targets", "wasm", "--sizes", "64", "--min-seconds", "0.01"], {
    OPENBLAS_CORETYPE: "Haswell",
  });
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.ok(r.byBackend.wasm["64"] > 0);
  const info = r.info.wasm;
  if (info.matmul === "openblas" && info.matmulCore !== undefined) {
    // The user's core is never overridden (kernels/blas.ts chooseCoreType).
    assert.equal(info.matmulCore, "Haswell");
    assert.doesNotMatch(info.reason, /OpenBLAS detected/);
  }
});
