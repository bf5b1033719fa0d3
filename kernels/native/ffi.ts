/**
 * The FFI binding of kernels/native/elementwise.c: its symbol table, the op codes of its entry
 * points, and {@link openNativeElementwise}, which loads the library and checks its API version.
 * @module
 */
import { firstLine } from "../_util.ts";

/** The C entry points and their FFI signatures. */
export const SYMBOLS = {
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

/** The opened library. */
export type NativeLib = Deno.DynamicLibrary<typeof SYMBOLS>;

/** The `ew_api_version()` this binding speaks. */
const API_VERSION = 1;
/** Op codes of `ew_unary`. */
export const UNARY = {
  copy: 0,
  neg: 1,
  square: 2,
  sqrt: 3,
  exp: 4,
  sigmoid: 5,
  i32ToF32: 6,
  boolToF32: 7,
} as const;
/** Op codes of `ew_binary`. */
export const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;
/** Op codes of `ew_reduce`. */
export const REDUCE = { Sum: 0, Mean: 1 } as const;
/** Most collapsed dimensions `ew_binary` and `ew_transpose` take. */
export const MAX_RANK = 8;

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
