/**
 * Native multi-threaded elementwise kernels for the wasm backend: kernels/native/elementwise.c
 * through Deno FFI, registered in place of the wasm backend's own kernels the way
 * kernels/blas.ts registers OpenBLAS for `BatchMatMul`.
 *
 * The wasm backend runs its kernels on one thread; with matMul on OpenBLAS, about half a train
 * step of the reference model was single-threaded elementwise work (kernels/README.md). These
 * kernels read their operands straight from the WebAssembly heap (zero copy), write a fresh
 * output there, and split work above 32k elements over a small native thread pool (2 threads by
 * default). Replaced kernels (implemented in kernels/native/impls.ts):
 *
 * - binary `Add`, `Sub`, `Multiply`, `RealDiv` (float32, any broadcast whose innermost
 *   collapsed dimension is not broadcast on both sides, i.e. every numpy broadcast);
 * - unary `Neg`, `Square`, `Sqrt`, `Exp`, `Sigmoid`, `Cast` (int32 or bool -> float32);
 * - `Identity` and `Cast` to the input's own dtype, any size: no copy, the output shares the
 *   input's buffer by reference count (what the cpu backend's Identity and wasm's own `Reshape`
 *   do; tensors are immutable and every kernel writes a fresh output, so sharing is safe);
 * - `Softmax` (last axis), `Sum` and `Mean` (float32, reduced axes forming one contiguous block
 *   once size-1 dims are ignored), `Transpose` (4-byte dtypes, any permutation),
 *   `UnsortedSegmentSum` (float32, the gradient of gather; replaces kernels/wasm_kernels.ts's).
 *
 * Anything else (other dtypes, fewer than `minSize` output elements, empty tensors, shapes the
 * original kernel would reject) goes to the original kernel, which stays registered underneath
 * and comes back with {@link disableNativeElementwise}.
 *
 * Numerics: binary ops, neg, square, sqrt, copies, cast, transpose and segment sum are
 * bit-identical to wasm; exp and sigmoid are computed in double and rounded once (the correctly
 * rounded float almost always, 1 ulp from wasm's otherwise); sum, mean and softmax accumulate in
 * double where wasm accumulates in float32 in index order, so they differ by wasm's own rounding
 * error (see elementwise.c and the tests).
 *
 * @example
 * ```ts
 * import { enableNativeElementwise } from "./native_elementwise.ts";
 * const r = enableNativeElementwise(); // after initBackend({ backend: "wasm" })
 * console.log(r.ok ? `native, ${r.threads} threads` : r.reason);
 * ```
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { buildNativeElementwise } from "./native/build.ts";
import { envVar } from "./_util.ts";
import { replaceWasmKernel, restoreWasmKernel } from "./wasm_kernels.ts";
import {
  NATIVE_ELEMENTWISE_KERNELS,
  type NativeElementwiseOptions,
  type NativeElementwiseStatus,
  type NativeKernelName,
} from "./native/api.ts";
import { count } from "./native/counters.ts";
import { type NativeLib, openNativeElementwise } from "./native/ffi.ts";
import { type KernelArgs, NATIVE_IMPLS } from "./native/impls.ts";

export {
  NATIVE_ELEMENTWISE_KERNELS,
  type NativeElementwiseOptions,
  type NativeElementwiseStatus,
  type NativeKernelName,
} from "./native/api.ts";
export { nativeCounters } from "./native/counters.ts";
export { openNativeElementwise } from "./native/ffi.ts";
export { collapseBroadcast, collapseTranspose, reductionBlock } from "./native/shapes.ts";

let state:
  | { lib: NativeLib; path: string; threads: number; minSize: number; built: boolean }
  | null = null;
const originals = new Map<string, tf.KernelConfig>();

function wrapper(name: NativeKernelName, original: tf.KernelConfig): tf.KernelFunc {
  const impl = NATIVE_IMPLS[name];
  const fallback = original.kernelFunc;
  return ((args: KernelArgs) => {
    const s = state;
    const r = s === null ? null : impl(args, s.lib, s.minSize);
    if (r !== null) {
      count(name, true);
      return r;
    }
    count(name, false);
    return fallback(args as Parameters<tf.KernelFunc>[0]);
  }) as unknown as tf.KernelFunc;
}

function positiveInt(v: number | undefined, what: string): string | null {
  if (v === undefined || (Number.isInteger(v) && v >= 1)) return null;
  return `enableNativeElementwise: ${what} must be a positive integer, got ${v}`;
}

/**
 * Route the wasm backend's elementwise kernels ({@link NATIVE_ELEMENTWISE_KERNELS}) through the
 * native library, building it first when it is not in the cache. Idempotent (a second call
 * applies new options); returns why not when the compiler, the library or the FFI permission is
 * missing (the wasm kernels then stay in place).
 */
export function enableNativeElementwise(
  opts: NativeElementwiseOptions = {},
): NativeElementwiseStatus {
  const envThreads = envVar("CREDITLAB_NATIVE_THREADS");
  const threads = opts.threads ?? (envThreads === undefined ? 2 : Number(envThreads));
  const minSize = opts.minSize ?? 4096;
  const bad = positiveInt(threads, "threads") ??
    (Number.isFinite(minSize) && minSize >= 0
      ? null
      : `enableNativeElementwise: minSize must be >= 0, got ${minSize}`);
  if (bad !== null) return { ok: false, reason: bad };
  if (state === null) {
    let path = opts.path ?? envVar("CREDITLAB_NATIVE_LIB");
    let built = false;
    if (path === undefined) {
      const b = buildNativeElementwise();
      if (!b.ok) return b;
      path = b.path;
      built = b.built;
    }
    const opened = openNativeElementwise(path);
    if (!opened.ok) return opened;
    state = { lib: opened.lib, path, threads: 1, minSize, built };
  }
  state.threads = state.lib.symbols.ew_set_threads(threads, opts.spinMicros ?? 50);
  state.minSize = minSize;
  for (const name of NATIVE_ELEMENTWISE_KERNELS) {
    if (originals.has(name)) continue;
    const k = tf.getKernel(name, "wasm");
    if (k === undefined) continue;
    originals.set(name, k);
    replaceWasmKernel(k, wrapper(name, k));
  }
  return {
    ok: true,
    path: state.path,
    threads: state.threads,
    minSize: state.minSize,
    built: state.built,
  };
}

/** Restore the wasm backend's own kernels (the library stays loaded). */
export function disableNativeElementwise(): void {
  for (const k of originals.values()) restoreWasmKernel(k);
  originals.clear();
}

/**
 * Blocks of work the native pool threads (not the calling thread) have run so far, or null when
 * the library is not loaded: evidence that the kernels use more than one thread.
 */
export function nativeWorkerBlocks(): number | null {
  return state === null ? null : Number(state.lib.symbols.ew_worker_blocks());
}

/** One batched product for {@link nativeGemmBatch} (row-major; stride 0 broadcasts). */
export interface NativeGemmBatch {
  /** The OpenBLAS library kernels/blas.ts loaded (looked up, never loaded again). */
  blasPath: string;
  transposeA: boolean;
  transposeB: boolean;
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  strideA: number;
  b: Float32Array;
  strideB: number;
  c: Float32Array;
  batch: number;
}

const gemmInit = new Map<string, boolean>();

/**
 * Run a batch of small products as one single-threaded `cblas_sgemm` per item, the items spread
 * over the native pool (kernels/blas.ts uses it for the batched attention products, on which
 * OpenBLAS's own threads do little). False when the native kernels are off or OpenBLAS at
 * `blasPath` is not loaded: the caller then loops itself.
 */
export function nativeGemmBatch(g: NativeGemmBatch): boolean {
  const s = state;
  if (s === null || !nativeElementwiseEnabled()) return false;
  let ok = gemmInit.get(g.blasPath);
  if (ok === undefined) {
    ok = s.lib.symbols.ew_gemm_init(new TextEncoder().encode(`${g.blasPath}\0`)) === 0;
    gemmInit.set(g.blasPath, ok);
  }
  if (!ok) return false;
  const rc = s.lib.symbols.ew_gemm_batch(
    g.transposeA ? 1 : 0,
    g.transposeB ? 1 : 0,
    g.m,
    g.n,
    g.k,
    g.a,
    g.strideA,
    g.b,
    g.strideB,
    g.c,
    g.batch,
  );
  return rc === 0;
}

/** Whether the wasm backend's elementwise kernels currently go through the native library. */
export function nativeElementwiseEnabled(): boolean {
  return originals.size > 0;
}
