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
import { getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { registerWasmKernels } from "./wasm_kernels.ts";
import { envFlag, envVar, firstLine } from "./_util.ts";

export { firstLine };
import { type BlasStatus, disableBlasMatMul, enableBlasMatMul } from "./blas.ts";
import {
  disableNativeElementwise,
  enableNativeElementwise,
  type NativeElementwiseStatus,
} from "./native_elementwise.ts";

export { tf };

/** The backends creditlab can run on. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** All backend names, in order of preference. */
export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

/** What {@link initBackend} chose, for run records. */
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
 * import { backendLabel } from "./backend.ts";
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
}

/** The `node_modules` folder Deno populated for this project (from where tfjs resolved). */
export function projectNodeModules(): string {
  const tfjsPath = fileURLToPath(import.meta.resolve("@tensorflow/tfjs"));
  const i = tfjsPath.indexOf(`/node_modules/`);
  if (i < 0) throw new Error(`backend: cannot locate node_modules from ${tfjsPath}`);
  return tfjsPath.slice(0, i + "/node_modules".length);
}

/** Folder holding the tfjs-backend-wasm `.wasm` binaries. */
export function wasmBinaryDir(): string {
  const entry = fileURLToPath(import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
  const dir = dirname(entry);
  if (!existsSync(join(dir, "tfjs-backend-wasm-simd.wasm"))) {
    throw new Error(`backend: tfjs-backend-wasm binaries not found in ${dir}`);
  }
  return dir;
}

/** Result of probing one way to get a backend. */
export type Probe = { ok: true; detail: string } | { ok: false; reason: string };

/**
 * Import a module, turning any failure into a one-line reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = await importOneLine("file:///nonexistent.js");
 * assert.ok(!r.ok && !r.reason.includes("\n")); // one line
 * ```
 */
export async function importOneLine(
  specifier: string,
): Promise<{ ok: true; module: unknown } | { ok: false; reason: string }> {
  try {
    return { ok: true, module: await import(specifier) };
  } catch (e) {
    return { ok: false, reason: firstLine(e) };
  }
}

/**
 * Try the native TensorFlow backend: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`.
 * A package is only imported when it is installed in `nodeModules` (importing an absent npm
 * package would make Deno download it and run without its native addon); the import itself is
 * guarded so a broken install yields a one-line reason.
 */
export async function probeTensorflow(opts: { nodeModules: string }): Promise<Probe> {
  const reasons: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    const manifest = join(opts.nodeModules, pkg, "package.json");
    if (!existsSync(manifest)) {
      reasons.push(`${pkg} not installed`);
      continue;
    }
    let version: string;
    try {
      version = String(JSON.parse(readFileSync(manifest, "utf8")).version);
    } catch (e) {
      reasons.push(`${pkg}: unreadable package.json (${firstLine(e)})`);
      continue;
    }
    const r = await importOneLine(`npm:${pkg}@${version}`);
    if (!r.ok) {
      reasons.push(`${pkg}@${version} failed to load: ${r.reason}`);
      continue;
    }
    if (tf.findBackend("tensorflow") === null && tf.findBackendFactory("tensorflow") === null) {
      reasons.push(`${pkg}@${version} loaded but registered no "tensorflow" backend`);
      continue;
    }
    return { ok: true, detail: `${pkg}@${version}` };
  }
  return { ok: false, reason: reasons.join("; ") };
}

let wasmPathsSet = false;

async function probeWasm(): Promise<Probe> {
  try {
    if (!wasmPathsSet) {
      const dir = wasmBinaryDir();
      setWasmPaths({
        "tfjs-backend-wasm.wasm": join(dir, "tfjs-backend-wasm.wasm"),
        "tfjs-backend-wasm-simd.wasm": join(dir, "tfjs-backend-wasm-simd.wasm"),
        "tfjs-backend-wasm-threaded-simd.wasm": join(dir, "tfjs-backend-wasm-threaded-simd.wasm"),
      });
      setThreadsCount(1);
      wasmPathsSet = true;
    }
    registerWasmKernels();
    const ok = await tf.setBackend("wasm");
    if (!ok) return { ok: false, reason: "tf.setBackend('wasm') returned false" };
    await tf.ready();
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    return { ok: true, detail: simd ? "SIMD" : "no SIMD" };
  } catch (e) {
    return { ok: false, reason: firstLine(e) };
  }
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

/** What computes matMul and the elementwise kernels on wasm (null = disabled). */
interface WasmEngines {
  blas: BlasStatus | null;
  native: NativeElementwiseStatus | null;
}

function describeWasm(
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

async function describe(
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

const cache = new Map<string, BackendInfo>();

function setBlas(on: boolean): BlasStatus | null {
  if (!on) {
    disableBlasMatMul();
    return null;
  }
  return enableBlasMatMul();
}

function setNative(on: boolean): NativeElementwiseStatus | null {
  if (!on) {
    disableNativeElementwise();
    return null;
  }
  return enableNativeElementwise();
}

function setWasmEngines(blas: boolean, native: boolean): WasmEngines {
  return { blas: setBlas(blas), native: setNative(native) };
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
  const key = `${source || "auto"}|${currentNodeModules}|blas=${blas}|native=${native}`;
  const cached = cache.get(key);
  if (cached !== undefined) {
    if (tf.getBackend() !== cached.name) await tf.setBackend(cached.name);
    if (cached.name !== "wasm") return cached;
    // The engines are global state another caller may have changed (e.g. OpenBLAS's thread
    // count): report what is active now, not what was active when the entry was cached.
    const e = setWasmEngines(blas, native);
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
      forced === "wasm" ? setWasmEngines(blas, native) : null,
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
    const status = chosen.name === "wasm" ? setWasmEngines(blas, native) : null;
    info = await describe(chosen.name, `auto: ${chosen.name} (${chosen.detail})${why}`, status);
  }
  cache.set(key, info);
  return info;
}
