/**
 * What a backend reports for run records: {@link BackendInfo}, its short label, and the
 * description of the wasm engines (OpenBLAS matMul, native elementwise kernels).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import type { BackendName } from "../backend.ts";
import type { BlasStatus } from "../blas.ts";
import type { NativeElementwiseStatus } from "../native_elementwise.ts";

/** What `initBackend()` chose, for run records. */
export interface BackendInfo {
  /** The active tfjs backend (`tensorflow`, `wasm` or `cpu`). */
  name: BackendName;
  /** One line: why this backend (override, or what the more preferred ones lacked). */
  reason: string;
  /** Worker threads the backend computes with (1 for single-threaded wasm and cpu). */
  threads: number;
  /** Whether the backend runs vectorised code (wasm SIMD; native TensorFlow always does). */
  simd: boolean;
  /**
   * What computes matMul on wasm: `"openblas"` (kernels/blas.ts, multi-threaded, through FFI)
   * or `"xnnpack"` (the wasm backend's own kernel). Absent on other backends.
   */
  matmul?: "openblas" | "xnnpack";
  /** OpenBLAS threads when `matmul` is `"openblas"`. */
  matmulThreads?: number;
  /** OpenBLAS's kernel family when `matmul` is `"openblas"` (e.g. `SkylakeX`, `Zen`). */
  matmulCore?: string;
  /**
   * What computes the elementwise kernels on wasm (Add, Multiply, Exp, Softmax, Sum, Transpose,
   * ...): `"native"` (kernels/native_elementwise.ts, multi-threaded C through FFI) or `"wasm"`
   * (the backend's own single-threaded kernels). Absent on other backends.
   */
  elementwise?: "native" | "wasm";
  /** Threads of the native elementwise kernels when `elementwise` is `"native"`. */
  elementwiseThreads?: number;
}

/**
 * A short label of the backend and its engines for run records, e.g.
 * `wasm (matMul openblas Haswell x2, elementwise native x2)`; the backend name alone on other
 * backends. Runs made with different engines are not bit-identical, so the store keeps this.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backendLabel } from "../backend.ts";
 * assert.equal(backendLabel({ name: "cpu", reason: "forced", threads: 1, simd: false }), "cpu");
 * ```
 */
export function backendLabel(info: BackendInfo): string {
  if (info.name !== "wasm" || info.matmul === undefined) return info.name;
  const mm = info.matmul === "openblas"
    ? `matMul openblas${info.matmulCore ? ` ${info.matmulCore}` : ""} x${info.matmulThreads ?? 1}`
    : "matMul xnnpack";
  const ew = info.elementwise === "native"
    ? `, elementwise native x${info.elementwiseThreads ?? 1}`
    : info.elementwise === "wasm"
    ? ", elementwise wasm"
    : "";
  return `wasm (${mm}${ew})`;
}

/** What computes matMul and the elementwise kernels on wasm (null = disabled). */
export interface WasmEngines {
  blas: BlasStatus | null;
  native: NativeElementwiseStatus | null;
}

/** The wasm part of {@link BackendInfo}: the reason extended by the engines, and their fields. */
export function describeWasm(
  reason: string,
  e: WasmEngines,
): Omit<BackendInfo, "name" | "threads" | "simd"> {
  const { blas, native } = e;
  const mm: Omit<BackendInfo, "name" | "threads" | "simd" | "reason"> & { text: string } = blas?.ok
    ? {
      text: `matMul via OpenBLAS (${blas.threads} threads, ${
        blas.core === null
          ? ""
          : `core ${blas.core}${blas.coreForced ? ` [${blas.coreForced}]` : ""}, `
      }${blas.path})`,
      matmul: "openblas",
      matmulThreads: blas.threads,
      ...(blas.core === null ? {} : { matmulCore: blas.core }),
    }
    : {
      text: `matMul on XNNPACK (OpenBLAS ${blas === null ? "disabled" : blas.reason})`,
      matmul: "xnnpack",
    };
  const { text, ...mmInfo } = mm;
  const ew = native?.ok
    ? {
      text: `elementwise via native (${native.threads} threads, ${native.path})`,
      info: { elementwise: "native" as const, elementwiseThreads: native.threads },
    }
    : {
      text: `elementwise on wasm (${native === null ? "native disabled" : native.reason})`,
      info: { elementwise: "wasm" as const },
    };
  return { reason: `${reason}; ${text}; ${ew.text}`, ...mmInfo, ...ew.info };
}

/** The {@link BackendInfo} of the active backend `name`. */
export async function describe(
  name: BackendName,
  reason: string,
  engines: WasmEngines | null,
): Promise<BackendInfo> {
  switch (name) {
    case "wasm": {
      const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
      const e = engines ?? { blas: null, native: null };
      return { name, threads: getThreadsCount(), simd, ...describeWasm(reason, e) };
    }
    case "tensorflow":
      return { name, reason, threads: navigator.hardwareConcurrency ?? 1, simd: true };
    case "cpu":
      return { name, reason, threads: 1, simd: false };
  }
}
