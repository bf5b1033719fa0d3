/**
 * Loading OpenBLAS through Deno FFI: where it is looked for, the `cblas_sgemm` binding, and
 * opening it with the kernel family {@link chooseCoreType} picks (`OPENBLAS_CORETYPE`).
 * @module
 */
import { chooseCoreType, readCpuFlags } from "./cpu.ts";

/** Where we look for OpenBLAS (Debian's pthread build first). */
export const BLAS_CANDIDATES: readonly string[] = [
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "libopenblas.so.0",
  "libopenblas.so",
  "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
];

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // M
      "i32", // N
      "i32", // K
      "f32", // alpha
      "buffer", // A
      "i32", // lda
      "buffer", // B
      "i32", // ldb
      "f32", // beta
      "buffer", // C
      "i32", // ldc
    ],
    result: "void",
  },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  // OpenBLAS only (absent from other CBLAS libraries given by CREDITLAB_BLAS_LIB).
  openblas_get_corename: { parameters: [], result: "pointer", optional: true },
} as const;

/** The opened library. */
export type BlasLib = Deno.DynamicLibrary<typeof SYMBOLS>;

/** CBLAS enum values: row-major order, no transpose, transpose. */
export const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

/** Which kernel family OpenBLAS runs, and whether it was forced ({@link chooseCoreType}). */
export interface BlasCore {
  /** OpenBLAS's kernel family (`openblas_get_corename`), null for other CBLAS libraries. */
  core: string | null;
  /** Why the core was forced, null when OpenBLAS's own choice stands. */
  coreForced: string | null;
  /** The core OpenBLAS picked by itself before a forced reopen (null when not forced). */
  coreDetected: string | null;
}

/** Open OpenBLAS from the first path that works; the reason lists every failure on one line. */
export function openBlas(paths: readonly string[]): { ok: true; lib: BlasLib; path: string } | {
  ok: false;
  reason: string;
} {
  const errors: string[] = [];
  for (const path of paths) {
    try {
      return { ok: true, lib: Deno.dlopen(path, SYMBOLS), path };
    } catch (e) {
      const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
      errors.push(`${path}: ${msg}`);
      if (e instanceof Deno.errors.NotCapable || /--allow-ffi|NotCapable|permission/i.test(msg)) {
        return { ok: false, reason: `FFI not permitted (${msg})` };
      }
    }
  }
  return { ok: false, reason: `OpenBLAS not found (${errors.join("; ")})` };
}

/** OpenBLAS's kernel family, null for other CBLAS libraries. */
export function coreName(lib: BlasLib): string | null {
  const f = lib.symbols.openblas_get_corename;
  if (!f) return null;
  const p = f();
  return p === null ? null : Deno.UnsafePointerView.getCString(p);
}

/** An environment variable, undefined when unset or not readable. */
export function envOrUndefined(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Open OpenBLAS and, when {@link chooseCoreType} says so, reopen it with `OPENBLAS_CORETYPE` set
 * (OpenBLAS reads it once, when the library is loaded; the variable stays set, so child
 * processes such as the PyTorch anchor of the kernels bench get the same kernels).
 */
export function openWithCore(paths: readonly string[]):
  | { ok: true; lib: BlasLib; path: string; core: BlasCore }
  | { ok: false; reason: string } {
  const opened = openBlas(paths);
  if (!opened.ok) return opened;
  let lib = opened.lib;
  const detected = coreName(lib);
  const keep = { ...opened, core: { core: detected, coreForced: null, coreDetected: null } };
  if (detected === null) return keep;
  const choice = chooseCoreType({
    detected,
    cpuFlags: readCpuFlags(),
    userCoreType: envOrUndefined("OPENBLAS_CORETYPE"),
  });
  if (choice === null) return keep;
  try {
    Deno.env.set("OPENBLAS_CORETYPE", choice.coreType);
  } catch {
    return keep; // no env permission: OpenBLAS's own choice stands
  }
  lib.close();
  lib = Deno.dlopen(opened.path, SYMBOLS);
  const core = coreName(lib);
  const kept = core?.toLowerCase() !== choice.coreType.toLowerCase();
  return {
    ok: true,
    lib,
    path: opened.path,
    core: {
      core,
      coreForced: kept ? `${choice.reason}, but OpenBLAS kept ${core}` : choice.reason,
      coreDetected: detected,
    },
  };
}

/** `CREDITLAB_BLAS_LIB` as a path list (empty when unset). */
export function envPaths(): string[] {
  const p = envOrUndefined("CREDITLAB_BLAS_LIB");
  return p ? [p] : [];
}
