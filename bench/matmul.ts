/**
 * matMul throughput per TensorFlow.js backend, measured in one run (issue 2, item 7).
 *
 * For each backend and size n, multiplies two n×n float32 matrices repeatedly for at least
 * `minSeconds` (after `warmup` untimed products), `windows` times, and reports the best window's
 * GFLOP/s = 2·n³·reps / seconds / 1e9 (as Python's `timeit` advises: on a shared machine other
 * tenants only ever slow a window down, so the fastest one is the closest to what the backend
 * can do; the mean over all windows is kept beside it).
 * The windows of the targets are interleaved (A1 B1 A2 B2 ...), so that ratios between targets
 * (e.g. OpenBLAS on two threads over one) compare windows taken under the same host load.
 * Each product is read back (`dataSync`) so asynchronous backends are timed to completion.
 * Backends that cannot start are reported with their one-line reason instead of a figure.
 *
 * @example
 * ```ts
 * import { benchMatmul } from "./matmul.ts";
 * // The benchmark itself: `{ backends: ["wasm", "cpu"], sizes: [256] }` (~3 s); a quick look:
 * const r = await benchMatmul({ backends: ["cpu"], sizes: [64], minSeconds: 0.05, windows: 1 });
 * console.log(r.byBackend.cpu?.[64], "GFLOP/s");
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import {
  type BackendInfo,
  type BackendName,
  blasMatMulEnabled,
  disableBlasMatMul,
  enableBlasMatMul,
  initBackend,
  Rng,
  tf,
} from "@creditlab/kernels";

/**
 * What to measure: a backend as `initBackend` sets it up (on wasm: OpenBLAS matMul when the
 * library loads), or one of the wasm matMul engines explicitly: `"wasm-xnnpack"` (the wasm
 * backend's own single-threaded kernel), `"wasm-openblas-1thread"` (OpenBLAS on one thread, the
 * baseline of the threads speed-up).
 */
export type MatmulTarget = BackendName | "wasm-xnnpack" | "wasm-openblas-1thread";

/** One measurement. */
export interface MatmulResult {
  backend: MatmulTarget;
  /** Matrix side n (the product is n×n by n×n). */
  size: number;
  /** GFLOP/s of the fastest window. */
  gflops: number;
  /** GFLOP/s over all windows together. */
  gflopsMean: number;
  /** GFLOP/s of each window, in order. */
  windowGflops: number[];
  /** Timed seconds over all windows. */
  seconds: number;
  /** Products over all windows. */
  reps: number;
  threads: number;
  simd: boolean;
}

/** Result of {@link benchMatmul}. */
export interface MatmulBench {
  results: MatmulResult[];
  /** GFLOP/s by target, then by size. */
  byBackend: Partial<Record<MatmulTarget, Record<number, number>>>;
  /** Targets that could not start, with the reason. */
  skipped: Partial<Record<MatmulTarget, string>>;
  /** The backend info of each measured target. */
  info: Partial<Record<MatmulTarget, BackendInfo>>;
}

/** Options of {@link benchMatmul}. */
export interface MatmulBenchOptions {
  backends: readonly MatmulTarget[];
  sizes: readonly number[];
  /** Minimum timed duration per (backend, size) (default 0.5 s). */
  minSeconds?: number;
  /** Untimed products before timing (default 2). */
  warmup?: number;
  /** Timed windows of at least `minSeconds` each; the fastest is reported (default 3). */
  windows?: number;
  /** Randomness for the matrices (default a fixed seed). */
  rng?: Rng;
}

let defaultBlasThreads = 0;

/** Activate a target; throws a one-line Error when it cannot run here. */
async function setUp(target: MatmulTarget): Promise<BackendInfo> {
  switch (target) {
    case "tensorflow":
    case "cpu":
      return await initBackend({ backend: target });
    case "wasm": {
      const info = await initBackend({ backend: "wasm" });
      if (info.matmul === "openblas") enableBlasMatMul({ threads: defaultBlasThreads });
      return info;
    }
    case "wasm-xnnpack":
      return await initBackend({ backend: "wasm", blas: false });
    case "wasm-openblas-1thread": {
      const info = await initBackend({ backend: "wasm", blas: true });
      if (info.matmul !== "openblas") throw new Error(`OpenBLAS unavailable: ${info.reason}`);
      const r = enableBlasMatMul({ threads: 1 });
      return { ...info, matmulThreads: r.ok ? r.threads : 1 };
    }
  }
}

/**
 * Measure matMul GFLOP/s on each target (the previously active backend and OpenBLAS state are
 * restored after).
 * Rejects sizes that are not positive integers.
 */
export async function benchMatmul(opts: MatmulBenchOptions): Promise<MatmulBench> {
  for (const n of opts.sizes) {
    if (!Number.isInteger(n) || n <= 0) {
      throw new Error(`benchMatmul: sizes must be positive integers, got ${n}`);
    }
  }
  const minSeconds = opts.minSeconds ?? 0.5;
  const warmup = opts.warmup ?? 2;
  const windows = opts.windows ?? 3;
  if (!Number.isInteger(windows) || windows < 1) {
    throw new Error(`benchMatmul: windows must be an integer >= 1, got ${windows}`);
  }
  const rng = opts.rng ?? new Rng(0);
  const previous: string | undefined = tf.getBackend();
  const previousBlas = blasMatMulEnabled();
  if (defaultBlasThreads === 0) {
    // OpenBLAS's own thread count (all cores or OPENBLAS_NUM_THREADS), to restore after 1-thread runs.
    const r = enableBlasMatMul();
    defaultBlasThreads = r.ok ? r.threads : 1;
    if (!previousBlas) disableBlasMatMul();
  }
  const out: MatmulBench = { results: [], byBackend: {}, skipped: {}, info: {} };
  try {
    const bySize = new Map<number, Map<MatmulTarget, MatmulResult>>();
    for (const n of opts.sizes) {
      const av = Float32Array.from({ length: n * n }, () => rng.next() - 0.5);
      const bv = Float32Array.from({ length: n * n }, () => rng.next() - 0.5);
      const rows = new Map<MatmulTarget, MatmulResult>();
      bySize.set(n, rows);
      // Windows interleaved over the targets (A1 B1 A2 B2 ...): a slow spell of the shared host
      // then hits every target alike instead of whichever was measured during it.
      for (let w = 0; w < windows; w++) {
        for (const backend of opts.backends) {
          if (out.skipped[backend] !== undefined) continue;
          let info: BackendInfo;
          try {
            info = await setUp(backend);
          } catch (e) {
            out.skipped[backend] = e instanceof Error ? e.message : String(e);
            continue;
          }
          out.info[backend] = info;
          // fresh operands on the active backend, so no transfer between backends is timed
          const a = tf.tensor2d(av, [n, n]), b = tf.tensor2d(bv, [n, n]);
          const once = () => {
            const c = tf.matMul(a, b);
            c.dataSync();
            c.dispose();
          };
          for (let i = 0; i < (w === 0 ? warmup : 1); i++) once();
          let r = 0;
          const t0 = performance.now();
          let elapsed = 0;
          do {
            once();
            r++;
            elapsed = (performance.now() - t0) / 1000;
          } while (elapsed < minSeconds);
          tf.dispose([a, b]);
          const row = rows.get(backend) ?? {
            backend,
            size: n,
            gflops: 0,
            gflopsMean: 0,
            windowGflops: [],
            seconds: 0,
            reps: 0,
            threads: info.matmul === "openblas" ? info.matmulThreads ?? 1 : info.threads,
            simd: info.simd,
          };
          row.windowGflops.push((2 * n ** 3 * r) / elapsed / 1e9);
          row.reps += r;
          row.seconds += elapsed;
          rows.set(backend, row);
        }
      }
    }
    for (const backend of opts.backends) {
      for (const n of opts.sizes) {
        const row = bySize.get(n)?.get(backend);
        if (row === undefined) continue;
        row.gflops = Math.max(...row.windowGflops);
        row.gflopsMean = (2 * n ** 3 * row.reps) / row.seconds / 1e9;
        out.results.push(row);
        (out.byBackend[backend] ??= {})[n] = row.gflops;
      }
    }
  } finally {
    if (previous !== undefined && tf.getBackend() !== previous) await tf.setBackend(previous);
    // Restore OpenBLAS's thread count even when it ends disabled: the thread count is global to
    // the library, and a later enable (e.g. initBackend) keeps whatever was set last.
    enableBlasMatMul({ threads: defaultBlasThreads });
    if (!previousBlas) disableBlasMatMul();
  }
  return out;
}

const TARGETS: readonly MatmulTarget[] = [
  "tensorflow",
  "wasm",
  "cpu",
  "wasm-xnnpack",
  "wasm-openblas-1thread",
];

/**
 * `deno run -A bench/matmul.ts [--targets wasm,cpu] [--sizes 256,1024] [--min-seconds 1]`: prints
 * `{ byBackend, skipped, info }` as JSON. The kernels bench runs it in a child process to measure
 * OpenBLAS with another `OPENBLAS_CORETYPE` (a process loads OpenBLAS's kernels once).
 */
if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      targets: { type: "string", default: "wasm,wasm-openblas-1thread,wasm-xnnpack,cpu" },
      sizes: { type: "string", default: "128,256,512,1024" },
      "min-seconds": { type: "string", default: "1" },
    },
  });
  const targets = values.targets.split(",");
  for (const t of targets) {
    if (!TARGETS.includes(t as MatmulTarget)) {
      throw new Error(
        `bench/matmul.ts: --targets: unknown target ${t} (expected ${TARGETS.join(", ")})`,
      );
    }
  }
  const r = await benchMatmul({
    backends: targets as MatmulTarget[],
    sizes: values.sizes.split(",").map(Number),
    minSeconds: Number(values["min-seconds"]),
  });
  console.log(
    JSON.stringify({ byBackend: r.byBackend, skipped: r.skipped, info: r.info }, null, 2),
  );
}
