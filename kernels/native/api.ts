/**
 * The vocabulary of the native elementwise kernels: which wasm kernels they replace, the options
 * of `enableNativeElementwise()` (../native_elementwise.ts) and the status it returns.
 * @module
 */

/** The wasm kernels `enableNativeElementwise()` replaces. */
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

/** Result of `enableNativeElementwise()`. */
export type NativeElementwiseStatus =
  | { ok: true; path: string; threads: number; minSize: number; built: boolean }
  | { ok: false; reason: string };

/** Options of `enableNativeElementwise()`. */
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
