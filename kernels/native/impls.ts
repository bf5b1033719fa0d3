/**
 * The native implementations of the wasm kernels that `enableNativeElementwise()`
 * (../native_elementwise.ts) replaces: for each kernel, when it can run on the library (dtypes,
 * shapes, size) and the `ew_*` call that computes it straight on the WebAssembly heap.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { NativeKernelName } from "./api.ts";
import { BINARY, MAX_RANK, type NativeLib, REDUCE, UNARY } from "./ffi.ts";
import { collapseBroadcast, collapseTranspose, reductionBlock } from "./shapes.ts";

type TensorInfo = tf.TensorInfo;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  incRef(dataId: TensorInfo["dataId"]): void;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The arguments tfjs passes a kernel function. */
export type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
};

/**
 * A kernel computed by the native library: its output, or null when it declines (dtype, shape,
 * fewer than `minSize` elements) and the wasm kernel must run instead.
 */
export type NativeImpl = (args: KernelArgs, lib: NativeLib, minSize: number) => TensorInfo | null;

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function binary(name: keyof typeof BINARY): NativeImpl {
  return (args, lib, minSize) => {
    const a = args.inputs["a"], b = args.inputs["b"];
    if (a === undefined || b === undefined) return null;
    if (a.dtype !== "float32" || b.dtype !== "float32") return null;
    const c = collapseBroadcast(a.shape, b.shape);
    if (c === null || c.dims.length === 0 || c.dims.length > MAX_RANK) return null;
    if (size(c.out) < minSize) return null;
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

function unary(op: number, dtypes: readonly tf.DataType[], outDtype?: tf.DataType): NativeImpl {
  return (args, lib, minSize) => {
    const x = args.inputs["x"];
    if (x === undefined || !dtypes.includes(x.dtype)) return null;
    const n = size(x.shape);
    if (n < minSize) return null;
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(x.shape.slice(), outDtype ?? x.dtype);
    const o = backend.typedArrayFromHeap(out);
    const rc = lib.symbols.ew_unary(op, backend.typedArrayFromHeap(x), o, n);
    if (rc !== 0) throw new Error(`native unary op ${op} returned ${rc}`);
    return out;
  };
}

/** Identity without a copy: the output shares the input's buffer (reference counted). */
const aliasImpl: NativeImpl = (args) => {
  const x = args.inputs["x"];
  if (x === undefined || x.dtype === "string") return null;
  (args.backend as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
};

const castImpl: NativeImpl = (args, lib, minSize) => {
  const from = args.inputs["x"]?.dtype;
  if (from !== undefined && from === args.attrs?.["dtype"]) return aliasImpl(args, lib, minSize);
  if (args.attrs?.["dtype"] !== "float32") return null;
  if (from === "bool") return unary(UNARY.boolToF32, ["bool"], "float32")(args, lib, minSize);
  return unary(UNARY.i32ToF32, ["int32"], "float32")(args, lib, minSize);
};

const softmaxImpl: NativeImpl = (args, lib, minSize) => {
  const x = args.inputs["logits"];
  if (x === undefined || x.dtype !== "float32" || x.shape.length === 0) return null;
  const r = x.shape.length;
  const dim = Number(args.attrs?.["dim"] ?? -1);
  if (dim !== -1 && dim !== r - 1) return null;
  const n = size(x.shape), cols = x.shape[r - 1]!;
  if (n < minSize || cols === 0) return null;
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput(x.shape.slice(), "float32");
  const o = backend.typedArrayFromHeap(out);
  const rc = lib.symbols.ew_softmax(backend.typedArrayFromHeap(x), o, n / cols, cols);
  if (rc !== 0) throw new Error(`Softmax (native): ew_softmax returned ${rc}`);
  return out;
};

function reduce(name: keyof typeof REDUCE): NativeImpl {
  return (args, lib, minSize) => {
    const x = args.inputs["x"];
    if (x === undefined || x.dtype !== "float32") return null;
    const n = size(x.shape);
    if (n < minSize) return null;
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

const transposeImpl: NativeImpl = (args, lib, minSize) => {
  const x = args.inputs["x"];
  if (x === undefined || (x.dtype !== "float32" && x.dtype !== "int32")) return null;
  const perm = args.attrs?.["perm"] as number[] | undefined;
  const r = x.shape.length;
  if (perm === undefined || perm.length !== r) return null;
  if (new Set(perm).size !== r || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= r)) {
    return null;
  }
  const n = size(x.shape);
  if (n < minSize) return null;
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

const segmentSumImpl: NativeImpl = (args, lib, minSize) => {
  const x = args.inputs["x"], ids = args.inputs["segmentIds"];
  if (x === undefined || ids === undefined) return null;
  if (x.dtype !== "float32" || ids.dtype !== "int32") return null;
  const numSegments = Number(args.attrs?.["numSegments"]);
  if (!Number.isInteger(numSegments) || numSegments < 1) return null;
  if (ids.shape.length !== 1 || x.shape.length < 1 || ids.shape[0] !== x.shape[0]) return null;
  const inner = size(x.shape.slice(1));
  if (inner === 0 || (numSegments + x.shape[0]!) * inner < minSize) return null;
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

/** The native implementation of each replaced kernel. */
export const NATIVE_IMPLS: Record<NativeKernelName, NativeImpl> = {
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
