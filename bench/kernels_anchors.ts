/**
 * Reference measurements of the kernels benchmark (bench/kernels.ts) made in child processes:
 * the PyTorch anchor (bench/torch_anchor.py) and the matMul of the OpenBLAS core detected
 * before it was forced.
 * @module
 */
import { enableBlasMatMul, initBackend } from "@creditlab/kernels";

/**
 * PyTorch anchor: the same model and step in bench/torch_anchor.py, once on one thread and once
 * on all cores (OpenMP threads degrade badly when the machine is shared); the better run is the
 * anchor.
 */
export async function torchAnchor(
  batch: number,
  seq: number,
  steps: number,
): Promise<Record<string, unknown>> {
  const runs: Record<string, unknown>[] = [];
  for (const threads of [...new Set([1, navigator.hardwareConcurrency])]) {
    const r = await torchRun(batch, seq, steps, threads);
    if (r.status !== "measured") return r;
    runs.push(r);
  }
  const best = runs.reduce((a, b) =>
    (b.trainTokensPerSecond as number) > (a.trainTokensPerSecond as number) ? b : a
  );
  return { ...best, runs };
}

/** One run of bench/torch_anchor.py on `threads` threads (or why not). */
async function torchRun(
  batch: number,
  seq: number,
  steps: number,
  threads: number,
): Promise<Record<string, unknown>> {
  const py = "/usr/bin/python3";
  try {
    const probe = await new Deno.Command(py, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    if (!probe.success) return { status: "not installed" };
  } catch {
    return { status: "not installed" };
  }
  const script = new URL("./torch_anchor.py", import.meta.url).pathname;
  const out = await new Deno.Command(py, {
    args: [script, String(batch), String(seq), String(steps), String(threads)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    return {
      status: "failed",
      error: new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | "),
    };
  }
  return { status: "measured", ...JSON.parse(new TextDecoder().decode(out.stdout)) };
}

/** Round to 3 decimals. */
export const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * When kernels/blas.ts forced OpenBLAS's core (`chooseCoreType`), the matMul GFLOP/s of the core
 * OpenBLAS had picked by itself, measured in a child process started with that core as
 * `OPENBLAS_CORETYPE` (OpenBLAS reads it once per process), at the size of the ratios.
 */
export async function detectedCoreMatmul(
  opts: { size: number; quick: boolean },
): Promise<Record<string, unknown>> {
  await initBackend({ backend: "wasm" });
  const status = enableBlasMatMul();
  if (!status.ok) return { status: `skipped (${status.reason})` };
  if (status.coreDetected === null) {
    return { status: `not forced (OpenBLAS's own core ${status.core ?? "unknown"} is used)` };
  }
  const root = new URL("..", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "bench/matmul.ts",
      "--targets",
      "wasm",
      "--sizes",
      String(opts.size),
      "--min-seconds",
      opts.quick ? "0.2" : "0.5",
    ],
    cwd: root,
    env: { OPENBLAS_CORETYPE: status.coreDetected },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    return { status: `failed (bench/matmul.ts exited ${out.code}: ${err})` };
  }
  const parsed = JSON.parse(text) as {
    byBackend: { wasm?: Record<string, number> };
    info: { wasm?: { matmulCore?: string } };
  };
  const gflops = parsed.byBackend.wasm?.[String(opts.size)];
  return {
    status: "measured",
    detected: status.coreDetected,
    childCore: parsed.info.wasm?.matmulCore ?? null,
    forced: status.core,
    why: status.coreForced,
    size: opts.size,
    gflopsDetectedCore: gflops === undefined ? null : r3(gflops),
  };
}
