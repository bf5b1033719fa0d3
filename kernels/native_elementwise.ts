/**
 * Native multi-threaded elementwise kernels for the wasm backend: kernels/native/elementwise.c
 * through Deno FFI, registered in place of the wasm backend's own kernels the way
 * kernels/blas.ts registers OpenBLAS for `BatchMatMul`.
 *
 * The wasm backend runs its kernels on one thread; with matMul on OpenBLAS, about half a train
 * step of the reference model was single-threaded elementwise work (kernels/README.md). These
 * kernels read their operands straight from the WebAssembly heap (zero copy), write a fresh
 * output there, and split work above 32k elements over a small native thread pool (2 threads by
 * default). Replaced kernels:
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
import {
  BINARY,
  MAX_RANK,
  type NativeLib,
  openNativeElementwise,
  REDUCE,
  UNARY,
} from "./native/ffi.ts";
import { collapseBroadcast, collapseTranspose, reductionBlock } from "./native/shapes.ts";

export {
  NATIVE_ELEMENTWISE_KERNELS,
  type NativeElementwiseOptions,
  type NativeElementwiseStatus,
  type NativeKernelName,
} from "./native/api.ts";
export { nativeCounters } from "./native/counters.ts";
export { openNativeElementwise } from "./native/ffi.ts";
export { collapseBroadcast, collapseTranspose, reductionBlock } from "./native/shapes.ts";

type TensorInfo = tf.TensorInfo;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  incRef(dataId: TensorInfo["dataId"]): void;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type Impl = (args: KernelArgs, lib: NativeLib) => TensorInfo | null;

let state:
  | { lib: NativeLib; path: string; threads: number; minSize: number; built: boolean }
  | null = null;
const originals = new Map<string, tf.KernelConfig>();

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function binary(name: keyof typeof BINARY): Impl {
  return (args, lib) => {
    const a = args.inputs["a"], b = args.inputs["b"];
    if (a === undefined || b === undefined) return null;
    if (a.dtype !== "float32" || b.dtype !== "float32") return null;
    const c = collapseBroadcast(a.shape, b.shape);
    if (c === null || c.dims.length === 0 || c.dims.length > MAX_RANK) return null;
    if (size(c.out) < state!.minSize) return null;
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(c.out, "float32");
    const o = backend.typedArrayFromHeap(out);
    const av = backend.typedArrayFromHeap(a), bv = backend.typedArrayFromHeap(b);
    const rc = lib.symbols.ew_binary(
      BINARY[name],
      av,
      bv,
      o,
      c.dims.length,
      Int32Array.from(c.dims),
      Int32Array.from(c.sa),
      Int32Array.from(c.sb),
    );
    if (rc !== 0) throw new Error(`${name} (native): ew_binary returned ${rc}`);
    return out;
  };
}

function unary(op: number, dtypes: readonly tf.DataType[], outDtype?: tf.DataType): Impl {
  return (args, lib) => {
    const x = args.inputs["x"];
    if (x === undefined || !dtypes.includes(x.dtype)) return null;
    const n = size(x.shape);
    if (n < state!.minSize) return null;
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(x.shape.slice(), outDtype ?? x.dtype);
    const o = backend.typedArrayFromHeap(out);
    const rc = lib.symbols.ew_unary(op, backend.typedArrayFromHeap(x), o, n);
    if (rc !== 0) throw new Error(`native unary op ${op} returned ${rc}`);
    return out;
  };
}

/** Identity without a copy: the output shares the input's buffer (reference counted). */
const aliasImpl: Impl = (args) => {
  const x = args.inputs["x"];
  if (x === undefined || x.dtype === "string") return null;
  (args.backend as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
};

const castImpl: Impl = (args, lib) => {
  const from = args.inputs["x"]?.dtype;
  if (from !== undefined && from === args.attrs?.["dtype"]) return aliasImpl(args, lib);
  if (args.attrs?.["dtype"] !== "float32") return null;
  if (from === "bool") return unary(UNARY.boolToF32, ["bool"], "float32")(args, lib);
  return unary(UNARY.i32ToF32, ["int32"], "float32")(args, lib);
};

const softmaxImpl: Impl = (args, lib) => {
  const x = args.inputs["logits"];
  if (x === undefined || x.dtype !== "float32" || x.shape.length === 0) return null;
  const r = x.shape.length;
  const dim = Number(args.attrs?.["dim"] ?? -1);
  if (dim !== -1 && dim !== r - 1) return null;
  const n = size(x.shape), cols = x.shape[r - 1]!;
  if (n < state!.minSize || cols === 0) return null;
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput(x.shape.slice(), "float32");
  const o = backend.typedArrayFromHeap(out);
  const rc = lib.symbols.ew_softmax(backend.typedArrayFromHeap(x), o, n / cols, cols);
  if (rc !== 0) throw new Error(`Softmax (native): ew_softmax returned ${rc}`);
  return out;
};

function reduce(name: keyof typeof REDUCE): Impl {
  return (args, lib) => {
    const x = args.inputs["x"];
    if (x === undefined || x.dtype !== "float32") return null;
    const n = size(x.shape);
    if (n < state!.minSize) return null;
    const axisAttr = args.attrs?.["axis"] as number | number[] | null | undefined;
    let axes: number[];
    try {
      axes = axisAttr === null || axisAttr === undefined
        ? x.shape.map((_, i) => i)
        : tf.util.parseAxisParam(axisAttr, x.shape);
    } catch {
      return null; // the original kernel reports a bad axis
    }
    if (axes.length === 0) return null;
    const blk = reductionBlock(x.shape, axes);
    if (blk === null) return null;
    const bu = tf.backend_util;
    let outShape = bu.computeOutAndReduceShapes(x.shape, [...axes].sort((p, q) => p - q))[0];
    if (args.attrs?.["keepDims"]) outShape = bu.expandShapeToKeepDim(outShape, axes);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(outShape, "float32");
    const o = backend.typedArrayFromHeap(out);
    const rc = lib.symbols.ew_reduce(
      REDUCE[name],
      backend.typedArrayFromHeap(x),
      o,
      blk.outer,
      blk.red,
      blk.inner,
    );
    if (rc !== 0) throw new Error(`${name} (native): ew_reduce returned ${rc}`);
    return out;
  };
}

const transposeImpl: Impl = (args, lib) => {
  const x = args.inputs["x"];
  if (x === undefined || (x.dtype !== "float32" && x.dtype !== "int32")) return null;
  const perm = args.attrs?.["perm"] as number[] | undefined;
  const r = x.shape.length;
  if (perm === undefined || perm.length !== r) return null;
  if (new Set(perm).size !== r || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= r)) {
    return null;
  }
  const n = size(x.shape);
  if (n < state!.minSize) return null;
  const c = collapseTranspose(x.shape, perm);
  if (c.dims.length === 0 || c.dims.length > MAX_RANK) return null;
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput(perm.map((p) => x.shape[p]!), x.dtype);
  const o = backend.typedArrayFromHeap(out);
  const rc = lib.symbols.ew_transpose(
    backend.typedArrayFromHeap(x),
    o,
    c.dims.length,
    Int32Array.from(c.dims),
    Int32Array.from(c.perm),
  );
  if (rc !== 0) throw new Error(`Transpose (native): ew_transpose returned ${rc}`);
  return out;
};

const segmentSumImpl: Impl = (args, lib) => {
  const x = args.inputs["x"], ids = args.inputs["segmentIds"];
  if (x === undefined || ids === undefined) return null;
  if (x.dtype !== "float32" || ids.dtype !== "int32") return null;
  const numSegments = Number(args.attrs?.["numSegments"]);
  if (!Number.isInteger(numSegments) || numSegments < 1) return null;
  if (ids.shape.length !== 1 || x.shape.length < 1 || ids.shape[0] !== x.shape[0]) return null;
  const inner = size(x.shape.slice(1));
  if (inner === 0 || (numSegments + x.shape[0]!) * inner < state!.minSize) return null;
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput([numSegments, ...x.shape.slice(1)], "float32");
  const o = backend.typedArrayFromHeap(out);
  const rc = lib.symbols.ew_segment_sum(
    backend.typedArrayFromHeap(x),
    backend.typedArrayFromHeap(ids),
    o,
    x.shape[0]!,
    inner,
    numSegments,
  );
  if (rc !== 0) throw new Error(`UnsortedSegmentSum (native): ew_segment_sum returned ${rc}`);
  return out;
};

const IMPLS: Record<NativeKernelName, Impl> = {
  Add: binary("Add"),
  Sub: binary("Sub"),
  Multiply: binary("Multiply"),
  RealDiv: binary("RealDiv"),
  Neg: unary(UNARY.neg, ["float32"]),
  Square: unary(UNARY.square, ["float32"]),
  Sqrt: unary(UNARY.sqrt, ["float32"]),
  Exp: unary(UNARY.exp, ["float32"]),
  Sigmoid: unary(UNARY.sigmoid, ["float32"]),
  Identity: aliasImpl,
  Cast: castImpl,
  Softmax: softmaxImpl,
  Sum: reduce("Sum"),
  Mean: reduce("Mean"),
  Transpose: transposeImpl,
  UnsortedSegmentSum: segmentSumImpl,
};

function wrapper(name: NativeKernelName, original: tf.KernelConfig): tf.KernelFunc {
  const impl = IMPLS[name];
  const fallback = original.kernelFunc;
  return ((args: KernelArgs) => {
    const s = state;
    const r = s === null ? null : impl(args, s.lib);
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
