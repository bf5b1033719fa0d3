/**
 * A native matMul for the wasm backend: OpenBLAS `cblas_sgemm` through Deno FFI, registered as
 * the wasm backend's `BatchMatMul` kernel (issue 2, item 7: "a native matMul kernel, OpenBLAS
 * through Deno FFI, with wasm as the fallback when the library is absent").
 *
 * The wasm backend keeps every tensor in the WebAssembly heap, an ArrayBuffer; `sgemm` reads the
 * operands and writes the product there directly (zero copy). OpenBLAS runs on its own threads,
 * so matMul uses every core although the wasm backend itself is single-threaded. Products
 * smaller than `minFlops`, non-float32 operands and batch shapes other than equal / one side of
 * batch 1 go to the original XNNPACK kernel. All other kernels stay on wasm.
 *
 * Per batch b, with row-major operands: C_b = op(A_b) · op(B_b), op = identity or transpose.
 *
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * import { enableBlasMatMul } from "./blas.ts";
 * await initBackend({ backend: "wasm" }); // enables OpenBLAS itself when it can
 * const r = enableBlasMatMul(); // idempotent; { ok: false, reason } without libopenblas
 * console.log(r.ok ? `OpenBLAS ${r.path}, ${r.threads} threads` : r.reason);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { nativeGemmBatch } from "./native_elementwise.ts";
import { replaceWasmKernel, restoreWasmKernel } from "./wasm_kernels.ts";
import {
  BLAS_CANDIDATES,
  type BlasCore,
  type BlasLib,
  envPaths,
  NO_TRANS,
  openWithCore,
  ROW_MAJOR,
  TRANS,
} from "./blas/library.ts";

export { chooseCoreType, PRE_AVX2_CORES, readCpuFlags, readCpuModel } from "./blas/cpu.ts";
export { BLAS_CANDIDATES, type BlasCore, openBlas } from "./blas/library.ts";

type TensorInfo = tf.TensorInfo;

/** Result of {@link enableBlasMatMul}. */
export type BlasStatus =
  | ({ ok: true; path: string; threads: number; minFlops: number } & BlasCore)
  | { ok: false; reason: string };

/** Options of {@link enableBlasMatMul}. */
export interface BlasOptions {
  /** Library paths to try, in order (default: `CREDITLAB_BLAS_LIB`, then {@link BLAS_CANDIDATES}). */
  paths?: readonly string[];
  /** Products with fewer than this many FLOPs (2·M·N·K per batch) stay on XNNPACK (default 2^18). */
  minFlops?: number;
  /** OpenBLAS threads (default: OpenBLAS's own choice, i.e. all cores or OPENBLAS_NUM_THREADS). */
  threads?: number;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

let state:
  | { lib: BlasLib; path: string; threads: number; minFlops: number; core: BlasCore }
  | null = null;
let original: tf.KernelConfig | null = null;
/**
 * Counters for tests and benchmarks: products computed by BLAS and by the fallback, and how many
 * of the BLAS ones were batches of small products spread over the native pool.
 */
export const blasCounters = { blas: 0, fallback: 0, batchedOnPool: 0 };

/**
 * Batched products whose items are under this many FLOPs (2^25, about 33 MFLOP; attention's
 * 256 x 32 x 256 is 4.2) run one single-threaded `sgemm` per item on the native pool
 * (`nativeGemmBatch`) when the native kernels are on: OpenBLAS's own threads do little on them.
 */
export const SMALL_PRODUCT_FLOPS = 2 ** 25;

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function blasBatchMatMul(args: KernelArgs): TensorInfo {
  const fallback = () => {
    blasCounters.fallback++;
    return original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  };
  const s = state;
  const a = args.inputs["a"], b = args.inputs["b"];
  if (s === null || a === undefined || b === undefined) return fallback();
  if (a.dtype !== "float32" || b.dtype !== "float32") return fallback();
  const tA = Boolean(args.attrs?.["transposeA"]), tB = Boolean(args.attrs?.["transposeB"]);
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return fallback();
  const m = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const kA = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kB = tB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = tB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (kA !== kB) return fallback(); // the original kernel throws tfjs's own shape error
  const k = kA;
  const batchShapeA = a.shape.slice(0, -2), batchShapeB = b.shape.slice(0, -2);
  const batchA = product(batchShapeA), batchB = product(batchShapeB);
  let outBatchShape: number[];
  if (
    batchA === batchB && batchShapeA.length === batchShapeB.length &&
    batchShapeA.every((v, i) => v === batchShapeB[i])
  ) outBatchShape = batchShapeA;
  else if (batchA === 1 && batchShapeA.length <= batchShapeB.length) outBatchShape = batchShapeB;
  else if (batchB === 1 && batchShapeB.length <= batchShapeA.length) outBatchShape = batchShapeA;
  else return fallback();
  if (2 * m * n * k < s.minFlops || m === 0 || n === 0) return fallback();
  const batch = product(outBatchShape);
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput([...outBatchShape, m, n], "float32");
  // Views after the allocation (heap growth detaches older views).
  const C = backend.typedArrayFromHeap(out) as Float32Array;
  if (k === 0) {
    C.fill(0);
    blasCounters.blas++;
    return out;
  }
  const A = backend.typedArrayFromHeap(a) as Float32Array;
  const B = backend.typedArrayFromHeap(b) as Float32Array;
  const lda = tA ? m : k, ldb = tB ? k : n;
  const strideA = batchA === 1 ? 0 : m * k, strideB = batchB === 1 ? 0 : k * n;
  if (
    batch > 1 && 2 * m * n * k < SMALL_PRODUCT_FLOPS &&
    nativeGemmBatch({
      blasPath: s.path,
      transposeA: tA,
      transposeB: tB,
      m,
      n,
      k,
      a: A,
      strideA,
      b: B,
      strideB,
      c: C,
      batch,
    })
  ) {
    blasCounters.blas++;
    blasCounters.batchedOnPool++;
    return out;
  }
  const sgemm = s.lib.symbols.cblas_sgemm;
  for (let i = 0; i < batch; i++) {
    sgemm(
      ROW_MAJOR,
      tA ? TRANS : NO_TRANS,
      tB ? TRANS : NO_TRANS,
      m,
      n,
      k,
      1,
      A.subarray(i * strideA, i * strideA + m * k),
      lda,
      B.subarray(i * strideB, i * strideB + k * n),
      ldb,
      0,
      C.subarray(i * m * n, (i + 1) * m * n),
      n,
    );
  }
  blasCounters.blas++;
  return out;
}

/**
 * Route the wasm backend's `BatchMatMul` through OpenBLAS. Idempotent; returns why not when the
 * library or the FFI permission is missing (the wasm kernel then stays in place).
 */
export function enableBlasMatMul(opts: BlasOptions = {}): BlasStatus {
  const minFlops = opts.minFlops ?? 2 ** 18;
  if (!Number.isFinite(minFlops) || minFlops < 0) {
    return { ok: false, reason: `enableBlasMatMul: minFlops must be >= 0, got ${minFlops}` };
  }
  if (state === null) {
    const opened = openWithCore(opts.paths ?? [...envPaths(), ...BLAS_CANDIDATES]);
    if (!opened.ok) return opened;
    state = { lib: opened.lib, path: opened.path, threads: 1, minFlops, core: opened.core };
  }
  if (opts.threads !== undefined) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) {
      return {
        ok: false,
        reason: `enableBlasMatMul: threads must be a positive integer, got ${opts.threads}`,
      };
    }
    state.lib.symbols.openblas_set_num_threads(opts.threads);
  }
  state.threads = state.lib.symbols.openblas_get_num_threads();
  state.minFlops = minFlops;
  if (original === null) {
    const k = tf.getKernel("BatchMatMul", "wasm");
    if (k === undefined) {
      return { ok: false, reason: "wasm backend has no BatchMatMul kernel to wrap" };
    }
    original = k;
    replaceWasmKernel(k, blasBatchMatMul as unknown as tf.KernelFunc);
  }
  return {
    ok: true,
    path: state.path,
    threads: state.threads,
    minFlops: state.minFlops,
    ...state.core,
  };
}

/** Restore the wasm backend's own `BatchMatMul` (the library stays loaded). */
export function disableBlasMatMul(): void {
  if (original === null) return;
  restoreWasmKernel(original);
  original = null;
}

/** Whether BatchMatMul on wasm currently goes through OpenBLAS. */
export function blasMatMulEnabled(): boolean {
  return original !== null;
}

/** Options of {@link gemm}. */
export interface GemmOptions {
  /** Rows of A and C. */
  m: number;
  /** Columns of B and C. */
  n: number;
  /** Columns of A = rows of B. */
  k: number;
  /** B is given as `[n, k]` (use its transpose). */
  transB?: boolean;
  /** Add the product to C (`beta = 1`) instead of overwriting it. */
  accumulate?: boolean;
  /** Row stride of A (default k). */
  lda?: number;
  /** Row stride of B (default n, or k with `transB`). */
  ldb?: number;
  /** Row stride of C (default n). */
  ldc?: number;
}

function strides(opts: GemmOptions): { lda: number; ldb: number; ldc: number } {
  const { n, k } = opts;
  return {
    lda: opts.lda ?? k,
    ldb: opts.ldb ?? (opts.transB ? k : n),
    ldc: opts.ldc ?? n,
  };
}

/**
 * Plain-array matrix product `C (+)= A · op(B)`, row-major: A `[m, k]`, B `[k, n]` (or `[n, k]`
 * with `transB`), C `[m, n]`, each with an optional row stride (`lda`, `ldb`, `ldc`) so that a
 * head's slice of a `[positions, heads, hd]` cache can be used in place. Uses OpenBLAS's
 * `cblas_sgemm` when the library has been opened by {@link enableBlasMatMul} (FFI permission and
 * the library present), a plain TypeScript loop otherwise ({@link gemmReference}); both give the
 * same values up to float32 rounding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = new Float32Array(1);
 * gemm(Float32Array.of(1, 2), Float32Array.of(3, 4), c, { m: 1, n: 1, k: 2 });
 * assert.deepEqual(Array.from(c), [11]);
 * ```
 */
export function gemm(a: Float32Array, b: Float32Array, c: Float32Array, opts: GemmOptions): void {
  const { m, n, k } = opts;
  const { lda, ldb, ldc } = strides(opts);
  const bRows = opts.transB ? n : k, bCols = opts.transB ? k : n;
  const need = (rows: number, cols: number, ld: number) => rows === 0 ? 0 : (rows - 1) * ld + cols;
  if (
    lda < k || ldb < bCols || ldc < n || a.length < need(m, k, lda) ||
    b.length < need(bRows, bCols, ldb) || c.length < need(m, n, ldc)
  ) {
    throw new RangeError(
      `gemm: operands too short for [${m}, ${k}] x [${k}, ${n}] (a ${a.length}, b ${b.length}, c ${c.length}; lda ${lda}, ldb ${ldb}, ldc ${ldc})`,
    );
  }
  if (m === 0 || n === 0) return;
  const s = state;
  if (s === null || k === 0) {
    gemmReference(a, b, c, opts);
    return;
  }
  s.lib.symbols.cblas_sgemm(
    ROW_MAJOR,
    NO_TRANS,
    opts.transB ? TRANS : NO_TRANS,
    m,
    n,
    k,
    1,
    a,
    lda,
    b,
    ldb,
    opts.accumulate ? 1 : 0,
    c,
    ldc,
  );
}

/** The plain-loop {@link gemm} (reference and fallback when OpenBLAS is not loaded). */
export function gemmReference(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  opts: GemmOptions,
): void {
  const { m, n, k } = opts;
  const { lda, ldb, ldc } = strides(opts);
  if (!opts.accumulate) { for (let i = 0; i < m; i++) c.fill(0, i * ldc, i * ldc + n); }
  if (opts.transB) {
    for (let i = 0; i < m; i++) {
      const ao = i * lda, co = i * ldc;
      for (let j = 0; j < n; j++) {
        const bo = j * ldb;
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[ao + p]! * b[bo + p]!;
        c[co + j] = c[co + j]! + acc;
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const ao = i * lda, co = i * ldc;
    for (let p = 0; p < k; p++) {
      const av = a[ao + p]!, bo = p * ldb;
      if (av === 0) continue;
      for (let j = 0; j < n; j++) c[co + j] = c[co + j]! + av * b[bo + j]!;
    }
  }
}

/** Whether {@link gemm} currently calls OpenBLAS. */
export function gemmUsesBlas(): boolean {
  return state !== null;
}
