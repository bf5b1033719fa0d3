/**
 * Call counters of the native elementwise kernels: how many kernel calls were computed natively
 * and how many fell back to the wasm kernel, in total and per kernel.
 * @module
 */

/** Counters for tests and benchmarks: kernel calls computed natively and by the fallback. */
export const nativeCounters: {
  native: number;
  fallback: number;
  byKernel: Record<string, { native: number; fallback: number }>;
} = { native: 0, fallback: 0, byKernel: {} };

/** Count one call of kernel `name`, computed natively or by the fallback. */
export function count(name: string, native: boolean): void {
  const c = nativeCounters.byKernel[name] ??= { native: 0, fallback: 0 };
  if (native) {
    nativeCounters.native++;
    c.native++;
  } else {
    nativeCounters.fallback++;
    c.fallback++;
  }
}
