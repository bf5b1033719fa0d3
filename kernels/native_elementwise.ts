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
import { envVar, firstLine } from "./_util.ts";
import { replaceWasmKernel, restoreWasmKernel } from "./wasm_kernels.ts";

type TensorInfo = tf.TensorInfo;

const SYMBOLS = {
  ew_api_version: { parameters: [], result: "i32" },
  ew_set_threads: { parameters: ["i32", "i32"], result: "i32" },
  ew_worker_blocks: { parameters: [], result: "i64" },
  ew_unary: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  ew_binary: {
    parameters: ["i32", "buffer", "buffer", "buffer", "i32", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  ew_reduce: { parameters: ["i32", "buffer", "buffer", "i32", "i32", "i32"], result: "i32" },
  ew_softmax: { parameters: ["buffer", "buffer", "i32", "i32"], result: "i32" },
  ew_transpose: { parameters: ["buffer", "buffer", "i32", "buffer", "buffer"], result: "i32" },
  ew_segment_sum: {
    parameters: ["buffer", "buffer", "buffer", "i32", "i32", "i32"],
    result: "i32",
  },
  ew_gemm_init: { parameters: ["buffer"], result: "i32" },
  ew_gemm_batch: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "buffer",
      "i32",
    ],
    result: "i32",
  },
} as const;

type NativeLib = Deno.DynamicLibrary<typeof SYMBOLS>;

const API_VERSION = 1;
const UNARY = {
  copy: 0,
  neg: 1,
  square: 2,
  sqrt: 3,
  exp: 4,
  sigmoid: 5,
  i32ToF32: 6,
  boolToF32: 7,
} as const;
const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;
const REDUCE = { Sum: 0, Mean: 1 } as const;
const MAX_RANK = 8;

/** The wasm kernels {@link enableNativeElementwise} replaces. */
export const NATIVE_ELEMENTWISE_KERNELS = [
  "Add",
  "Sub",
  "Multiply",
  "RealDiv",
  "Neg",
  "Square",
  "Sqrt",
  "Exp",
  "Sigmoid",
  "Identity",
  "Cast",
  "Softmax",
  "Sum",
  "Mean",
  "Transpose",
  "UnsortedSegmentSum",
] as const;

/** One of {@link NATIVE_ELEMENTWISE_KERNELS}. */
export type NativeKernelName = (typeof NATIVE_ELEMENTWISE_KERNELS)[number];

/** Result of {@link enableNativeElementwise}. */
export type NativeElementwiseStatus =
  | { ok: true; path: string; threads: number; minSize: number; built: boolean }
  | { ok: false; reason: string };

/** Options of {@link enableNativeElementwise}. */
export interface NativeElementwiseOptions {
  /**
   * The shared library to open (default: `CREDITLAB_NATIVE_LIB`, else the one
   * kernels/native/build.ts builds or finds in its cache).
   */
  path?: string;
  /** Threads of a parallel kernel, the caller included (default `CREDITLAB_NATIVE_THREADS` or 2). */
  threads?: number;
  /** Tensors with fewer output elements stay on the wasm kernel (default 4096). */
  minSize?: number;
  /** How long an idle pool thread spins before it sleeps, in microseconds (default 50). */
  spinMicros?: number;
}

/** Counters for tests and benchmarks: kernel calls computed natively and by the fallback. */
export const nativeCounters: {
  native: number;
  fallback: number;
  byKernel: Record<string, { native: number; fallback: number }>;
} = { native: 0, fallback: 0, byKernel: {} };

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

/**
 * Open the native library at `path`; a missing file, a wrong library or a missing FFI
 * permission is a one-line reason.
 */
export function openNativeElementwise(path: string): { ok: true; lib: NativeLib } | {
  ok: false;
  reason: string;
} {
  let lib: NativeLib;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch (e) {
    const msg = firstLine(e);
    if (e instanceof Deno.errors.NotCapable || /--allow-ffi|NotCapable|permission/i.test(msg)) {
      return { ok: false, reason: `native elementwise: FFI not permitted (${msg})` };
    }
    return { ok: false, reason: `native elementwise library not loadable (${path}: ${msg})` };
  }
  const v = lib.symbols.ew_api_version();
  if (v !== API_VERSION) {
    lib.close();
    return {
      ok: false,
      reason: `native elementwise library ${path} has API ${v}, want ${API_VERSION}`,
    };
  }
  return { ok: true, lib };
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function count(name: string, native: boolean): void {
  const c = nativeCounters.byKernel[name] ??= { native: 0, fallback: 0 };
  if (native) {
    nativeCounters.native++;
    c.native++;
  } else {
    nativeCounters.fallback++;
    c.fallback++;
  }
}

/**
 * Numpy broadcasting of two shapes collapsed to at most {@link MAX_RANK} output dims with the
 * element strides of each input (0 = broadcast); null when the shapes do not broadcast.
 * Exported for the tests.
 */
export function collapseBroadcast(
  a: readonly number[],
  b: readonly number[],
): { out: number[]; dims: number[]; sa: number[]; sb: number[] } | null {
  const r = Math.max(a.length, b.length);
  const pa = [...Array(r - a.length).fill(1), ...a] as number[];
  const pb = [...Array(r - b.length).fill(1), ...b] as number[];
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = pa[i]!, y = pb[i]!;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  const dims: number[] = [], sa: number[] = [], sb: number[] = [];
  let strideA = 1, strideB = 1;
  const rev: Array<[number, number, number]> = [];
  for (let i = r - 1; i >= 0; i--) {
    const d = out[i]!;
    const s1 = pa[i] === 1 ? 0 : strideA, s2 = pb[i] === 1 ? 0 : strideB;
    strideA *= pa[i]!;
    strideB *= pb[i]!;
    if (d === 1) continue;
    rev.push([d, s1, s2]);
  }
  for (let k = rev.length - 1; k >= 0; k--) {
    const [d, s1, s2] = rev[k]!;
    const n = dims.length;
    if (n > 0 && sa[n - 1] === s1 * d && sb[n - 1] === s2 * d) {
      dims[n - 1] = dims[n - 1]! * d;
      sa[n - 1] = s1;
      sb[n - 1] = s2;
    } else {
      dims.push(d);
      sa.push(s1);
      sb.push(s2);
    }
  }
  return { out, dims, sa, sb };
}

/**
 * A transpose with size-1 dims dropped and runs of axes that stay adjacent merged: input dims
 * (in input order) and the permutation over them. Exported for the tests.
 */
export function collapseTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { dims: number[]; perm: number[] } {
  const kept: number[] = [];
  const newIndex = new Map<number, number>();
  shape.forEach((d, i) => {
    if (d !== 1) {
      newIndex.set(i, kept.length);
      kept.push(d);
    }
  });
  const p = perm.filter((a) => shape[a] !== 1).map((a) => newIndex.get(a)!);
  // groups of consecutive output axes whose input axes are consecutive
  const groups: number[][] = [];
  for (const a of p) {
    const g = groups[groups.length - 1];
    if (g !== undefined && a === g[g.length - 1]! + 1) g.push(a);
    else groups.push([a]);
  }
  const byInput = groups.map((g, k) => ({ first: g[0]!, k, g })).sort((x, y) => x.first - y.first);
  const dims = byInput.map(({ g }) => g.reduce((s, a) => s * kept[a]!, 1));
  const rankOf = new Map(byInput.map(({ k }, i) => [k, i]));
  return { dims, perm: groups.map((_, k) => rankOf.get(k)!) };
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

/**
 * `[outer, red, inner]` of a reduction over `axes` of `shape` when the reduced dims form one
 * contiguous block once size-1 dims are ignored; null otherwise. Exported for the tests.
 */
export function reductionBlock(
  shape: readonly number[],
  axes: readonly number[],
): { outer: number; red: number; inner: number } | null {
  const isAxis = new Set(axes);
  let outer = 1, red = 1, inner = 1;
  let phase = 0; // 0 before the reduced block, 1 inside it, 2 after it
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    if (isAxis.has(i)) {
      if (phase === 2) return null;
      phase = 1;
      red *= d;
    } else {
      if (phase === 1) phase = 2;
      if (phase === 0) outer *= d;
      else inner *= d;
    }
  }
  return { outer, red, inner };
}

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

/** Whether the wasm backend's elementwise kernels currently go through the native library. */
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

export function nativeElementwiseEnabled(): boolean {
  return originals.size > 0;
}
