/**
 * Kernels that `@tensorflow/tfjs-backend-wasm` 4.22.0 lacks, registered on the `wasm` backend.
 *
 * - `UnsortedSegmentSum`: out[s, ...] = sum over i with ids[i] = s of x[i, ...] (TensorFlow's
 *   `tf.math.unsorted_segment_sum`; ids outside [0, numSegments) are dropped, as in TensorFlow).
 *   It is the gradient of `tf.gather`, so without it embeddings cannot train on wasm. Implemented
 *   as one pass over the wasm heap (O(x.size)), not the cpu backend's O(numSegments * x.size).
 * - `Einsum`: the cpu backend's algorithm (transpose, reshape, broadcast multiply, sum along the
 *   contracted axis) re-expressed with the wasm backend's own Transpose/Reshape/Multiply/Sum
 *   kernels, so `tf.einsum` (and its gradient, which is again einsum) runs on wasm.
 *
 * @example
 * ```ts
 * import { registerWasmKernels } from "./wasm_kernels.ts";
 * registerWasmKernels(); // idempotent; initBackend() calls it before activating wasm
 * ```
 * @module
 */

import * as tf from "@tensorflow/tfjs";

type TensorInfo = tf.TensorInfo;
type DataId = TensorInfo["dataId"];

/** The part of tfjs-backend-wasm's `BackendWasm` these kernels use. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: DataId): boolean;
}

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
};

function need(inputs: tf.NamedTensorInfoMap, name: string, op: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`${op} (wasm): missing input ${name}`);
  return t;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Reference segment sum on plain arrays (the oracle for the wasm kernel's tests).
 * `ids.length` must equal x's leading dimension; `inner` = product of the remaining dims.
 */
export function segmentSumRef(
  x: Float32Array | Int32Array,
  ids: Int32Array,
  opts: { numSegments: number; inner: number },
): Float32Array | Int32Array {
  const { numSegments, inner } = opts;
  const out = x instanceof Int32Array
    ? new Int32Array(numSegments * inner)
    : new Float32Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    for (let j = 0; j < inner; j++) out[s * inner + j]! += x[i * inner + j]!;
  }
  return out;
}

function unsortedSegmentSumWasm(args: KernelArgs): TensorInfo {
  const op = "UnsortedSegmentSum";
  const backend = args.backend as WasmBackendLike;
  const x = need(args.inputs, "x", op);
  const ids = need(args.inputs, "segmentIds", op);
  const numSegments = Number(args.attrs?.["numSegments"]);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`${op} (wasm): numSegments must be a non-negative integer, got ${numSegments}`);
  }
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`${op} (wasm): x must be float32 or int32, got ${x.dtype}`);
  }
  if (ids.dtype !== "int32") {
    throw new Error(`${op} (wasm): segmentIds must be int32, got ${ids.dtype}`);
  }
  if (ids.shape.length !== 1 || ids.shape[0] !== x.shape[0]) {
    throw new Error(
      `${op} (wasm): segmentIds must be 1-D of length x.shape[0]=${x.shape[0]}, got [${ids.shape}]`,
    );
  }
  const inner = sizeOf(x.shape.slice(1));
  const outShape = [numSegments, ...x.shape.slice(1)];
  const out = backend.makeOutput(outShape, x.dtype);
  // Views are taken after the allocation: growing the wasm heap detaches older views.
  const o = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const xv = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const iv = backend.typedArrayFromHeap(ids) as Int32Array;
  o.fill(0);
  const n = iv.length;
  for (let i = 0; i < n; i++) {
    const s = iv[i]!;
    if (s < 0 || s >= numSegments) continue;
    const ob = s * inner, xb = i * inner;
    for (let j = 0; j < inner; j++) o[ob + j]! += xv[xb + j]!;
  }
  return out;
}

function wasmKernel(name: string): (args: KernelArgs) => TensorInfo {
  const k = tf.getKernel(name, "wasm");
  if (k === undefined) throw new Error(`wasm_kernels: wasm backend has no ${name} kernel`);
  return k.kernelFunc as unknown as (args: KernelArgs) => TensorInfo;
}

function arraysEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function einsumWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const equation = String(args.attrs?.["equation"]);
  const tensors = Object.values(args.inputs) as TensorInfo[];
  const bu = tf.backend_util;
  const transpose = wasmKernel("Transpose");
  const reshape = wasmKernel("Reshape");
  const multiply = wasmKernel("Multiply");
  const sum = wasmKernel("Sum");
  const { allDims, summedDims, idDims } = bu.decodeEinsumEquation(equation, tensors.length);
  bu.checkEinsumDimSizes(allDims.length, idDims, tensors as tf.Tensor[]);
  const { path, steps } = bu.getEinsumComputePath(summedDims, idDims);
  const toDispose: TensorInfo[] = [];
  let out: TensorInfo | null = null;
  let numDimsRemaining = allDims.length;
  for (let i = 0; i < steps.length; i++) {
    for (const idTerm of steps[i]!) {
      const { permutationIndices: perm, expandDims } = bu.getEinsumPermutation(
        numDimsRemaining,
        idDims[idTerm]!,
      );
      let x: TensorInfo = tensors[idTerm]!;
      if (!bu.isIdentityPermutation(perm)) {
        x = transpose({ inputs: { x }, backend, attrs: { perm } });
        toDispose.push(x);
      }
      const target = x.shape.slice();
      for (const d of expandDims) target.splice(d, 0, 1);
      if (!arraysEqual(x.shape, target)) {
        x = reshape({ inputs: { x }, backend, attrs: { shape: target } });
        toDispose.push(x);
      }
      if (out === null) out = x;
      else {
        out = multiply({ inputs: { a: x, b: out }, backend });
        toDispose.push(out);
      }
    }
    if (i < steps.length - 1) {
      if (path[i]! >= 0 && out !== null) {
        out = sum({
          inputs: { x: out },
          backend,
          attrs: { axis: path[i]! - (allDims.length - numDimsRemaining), keepDims: false },
        });
        toDispose.push(out);
      }
      numDimsRemaining--;
    }
  }
  if (out === null) throw new Error(`Einsum (wasm): equation ${equation} produced no output`);
  // An output that is an input itself (e.g. "ij->ij") must be a fresh tensor.
  if (tensors.includes(out)) out = wasmKernel("Identity")({ inputs: { x: out }, backend });
  for (const t of toDispose) if (t !== out) backend.disposeData(t.dataId);
  return out;
}

/** Names of the kernels this module adds to the wasm backend. */
export const WASM_EXTRA_KERNELS = ["UnsortedSegmentSum", "Einsum"] as const;

/**
 * Register {@link WASM_EXTRA_KERNELS} on the `wasm` backend (skips any that exist already, so
 * a future tfjs-backend-wasm that ships them keeps its own). Idempotent.
 */
export function registerWasmKernels(): void {
  const impls: Record<(typeof WASM_EXTRA_KERNELS)[number], (args: KernelArgs) => TensorInfo> = {
    UnsortedSegmentSum: unsortedSegmentSumWasm,
    Einsum: einsumWasm,
  };
  for (const name of WASM_EXTRA_KERNELS) {
    if (tf.getKernel(name, "wasm") !== undefined) continue;
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      kernelFunc: impls[name] as unknown as tf.KernelFunc,
    });
  }
}

/**
 * Register `kernelFunc` on wasm in place of `original` (the wasm backend's own kernel of that
 * name), keeping its setup and dispose hooks; {@link restoreWasmKernel} puts `original` back.
 * kernels/blas.ts and kernels/native_elementwise.ts route kernels to native code this way.
 */
export function replaceWasmKernel(original: tf.KernelConfig, kernelFunc: tf.KernelFunc): void {
  tf.unregisterKernel(original.kernelName, "wasm");
  tf.registerKernel({
    kernelName: original.kernelName,
    backendName: "wasm",
    kernelFunc,
    ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}),
    ...(original.disposeFunc ? { disposeFunc: original.disposeFunc } : {}),
  });
}

/** Undo {@link replaceWasmKernel}. */
export function restoreWasmKernel(original: tf.KernelConfig): void {
  tf.unregisterKernel(original.kernelName, "wasm");
  tf.registerKernel(original);
}
