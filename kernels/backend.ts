/**
 * TensorFlow.js backend choice at start-up (DESIGN.md section 7).
 *
 * Order of preference: `tensorflow` (native libtensorflow through `@tensorflow/tfjs-node-gpu`,
 * then `@tensorflow/tfjs-node`, only when the user installed one of them) > `wasm` (SIMD) >
 * `cpu` (plain JavaScript). `initBackend({ backend })` or the `CREDITLAB_BACKEND` environment
 * variable override the choice. The chosen backend and the reason are returned so that every run
 * record can carry them.
 *
 * Everyone imports TensorFlow.js through this package (`import { tf } from "@creditlab/kernels"`)
 * so that a single tfjs-core instance holds the registered backends and kernels.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * const info = await initBackend(); // e.g. { name: "wasm", reason: "...", threads: 1, simd: true }
 * console.log(info.name, tf.getBackend());
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { envFlag, envVar, firstLine } from "./_util.ts";
import { type BackendInfo, describe, type WasmEngines } from "./backend/describe.ts";
import { type Probe, probeTensorflow, probeWasm, projectNodeModules } from "./backend/probe.ts";

export { firstLine };
import { type BlasStatus, disableBlasMatMul, enableBlasMatMul } from "./blas.ts";
import {
  disableNativeElementwise,
  enableNativeElementwise,
  type NativeElementwiseStatus,
} from "./native_elementwise.ts";

export { tf };
export { type BackendInfo, backendLabel } from "./backend/describe.ts";
export {
  importOneLine,
  type Probe,
  probeTensorflow,
  projectNodeModules,
  wasmBinaryDir,
} from "./backend/probe.ts";

/** The backends creditlab can run on. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** All backend names, in order of preference. */
export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Force a backend (overrides `CREDITLAB_BACKEND`); undefined = environment or automatic. */
  backend?: BackendName | undefined;
  /** Where to look for an installed tfjs-node (default: the project's `node_modules`). */
  nodeModules?: string | undefined;
  /**
   * On wasm, route matMul through OpenBLAS when the library loads (default true; the
   * environment variable `CREDITLAB_BLAS=0` turns it off, `CREDITLAB_BLAS_LIB` names the file).
   */
  blas?: boolean | undefined;
  /**
   * On wasm, route the elementwise kernels through the native library
   * (kernels/native_elementwise.ts; built with gcc on first use) when it builds and loads
   * (default true; the environment variable `CREDITLAB_NATIVE=0` turns it off).
   */
  native?: boolean | undefined;
  /**
   * On wasm, the threads of OpenBLAS and of the native elementwise pool (default: OpenBLAS's
   * own choice and `CREDITLAB_NATIVE_THREADS` or 2). Both are process-wide: parallel arms in
   * workers (experiments/arm_pool.ts) set 1, one core per arm.
   */
  threads?: number | undefined;
}

async function activate(name: BackendName): Promise<Probe> {
  switch (name) {
    case "tensorflow": {
      const nm = currentNodeModules;
      const p = await probeTensorflow({ nodeModules: nm });
      if (!p.ok) return p;
      try {
        const ok = await tf.setBackend("tensorflow");
        if (!ok) return { ok: false, reason: "tf.setBackend('tensorflow') returned false" };
        await tf.ready();
        return p;
      } catch (e) {
        return { ok: false, reason: firstLine(e) };
      }
    }
    case "wasm":
      return await probeWasm();
    case "cpu": {
      const ok = await tf.setBackend("cpu");
      await tf.ready();
      return ok
        ? { ok: true, detail: "plain JavaScript" }
        : { ok: false, reason: "setBackend failed" };
    }
  }
}

let currentNodeModules = "";

/** Silence the cpu backend's one-time "install tfjs-node" banner (we report the choice ourselves). */
function quietCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu !== null && "firstUse" in cpu) cpu.firstUse = false;
}

function parseBackendName(value: string, source: string): BackendName {
  const v = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(
    `initBackend: ${source} must be one of ${BACKEND_NAMES.join("|")}, got ${
      JSON.stringify(value)
    }`,
  );
}

function envBackend(): string | undefined {
  return envVar("CREDITLAB_BACKEND");
}

const cache = new Map<string, BackendInfo>();

function setBlas(on: boolean, threads: number | undefined): BlasStatus | null {
  if (!on) {
    disableBlasMatMul();
    return null;
  }
  return enableBlasMatMul(threads === undefined ? {} : { threads });
}

function setNative(on: boolean, threads: number | undefined): NativeElementwiseStatus | null {
  if (!on) {
    disableNativeElementwise();
    return null;
  }
  return enableNativeElementwise(threads === undefined ? {} : { threads });
}

function setWasmEngines(
  blas: boolean,
  native: boolean,
  threads: number | undefined,
): WasmEngines {
  return { blas: setBlas(blas, threads), native: setNative(native, threads) };
}

/**
 * Choose and activate the TensorFlow.js backend.
 *
 * Precedence: `opts.backend`, then `CREDITLAB_BACKEND`, then automatic
 * (`tensorflow` > `wasm` > `cpu`). A forced backend that cannot start throws an Error whose
 * message is one line; the automatic choice falls through and records why in `reason`.
 * Idempotent: calling again with the same request returns the same info (and re-activates that
 * backend if someone switched away).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const info = await initBackend({ backend: "cpu" });
 * // info = { name: "cpu", reason: "forced by option backend=cpu", threads: 1, simd: false }
 * assert.equal(info.name, "cpu");
 * ```
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  currentNodeModules = opts.nodeModules ?? projectNodeModules();
  quietCpuBanner();
  let forced: BackendName | undefined;
  let source = "";
  if (opts.backend !== undefined) {
    forced = parseBackendName(opts.backend, "option backend");
    source = `option backend=${forced}`;
  } else {
    const env = envBackend();
    if (env !== undefined) {
      forced = parseBackendName(env, "CREDITLAB_BACKEND");
      source = `CREDITLAB_BACKEND=${forced}`;
    }
  }
  const blas = envFlag("CREDITLAB_BLAS", { opt: opts.blas, fallback: true, who: "initBackend" });
  const native = envFlag("CREDITLAB_NATIVE", {
    opt: opts.native,
    fallback: true,
    who: "initBackend",
  });
  const threads = opts.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`initBackend: threads must be a positive integer, got ${threads}`);
  }
  const key = `${source || "auto"}|${currentNodeModules}|blas=${blas}|native=${native}|threads=${
    threads ?? "default"
  }`;
  const cached = cache.get(key);
  if (cached !== undefined) {
    if (tf.getBackend() !== cached.name) await tf.setBackend(cached.name);
    if (cached.name !== "wasm") return cached;
    // The engines are global state another caller may have changed (e.g. OpenBLAS's thread
    // count): report what is active now, not what was active when the entry was cached.
    const e = setWasmEngines(blas, native, threads);
    return {
      ...cached,
      ...(e.blas?.ok ? { matmulThreads: e.blas.threads } : {}),
      ...(e.native?.ok ? { elementwiseThreads: e.native.threads } : {}),
    };
  }
  let info: BackendInfo;
  if (forced !== undefined) {
    const p = await activate(forced);
    if (!p.ok) {
      throw new Error(`initBackend: backend "${forced}" (${source}) unavailable: ${p.reason}`);
    }
    info = await describe(
      forced,
      `forced by ${source} (${p.detail})`,
      forced === "wasm" ? setWasmEngines(blas, native, threads) : null,
    );
  } else {
    const skipped: string[] = [];
    let chosen: { name: BackendName; detail: string } | undefined;
    for (const name of BACKEND_NAMES) {
      const p = await activate(name);
      if (p.ok) {
        chosen = { name, detail: p.detail };
        break;
      }
      skipped.push(`${name} unavailable (${p.reason})`);
    }
    if (chosen === undefined) {
      throw new Error(`initBackend: no backend works: ${skipped.join("; ")}`);
    }
    const why = skipped.length > 0 ? `; ${skipped.join("; ")}` : "";
    const status = chosen.name === "wasm" ? setWasmEngines(blas, native, threads) : null;
    info = await describe(chosen.name, `auto: ${chosen.name} (${chosen.detail})${why}`, status);
  }
  cache.set(key, info);
  return info;
}
