/**
 * Probing the TensorFlow.js backends: where the project's `node_modules` and the wasm binaries
 * are, whether an installed tfjs-node loads, and whether the wasm backend starts. Every failure
 * is a one-line reason.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { registerWasmKernels } from "../wasm_kernels.ts";
import { firstLine } from "../_util.ts";

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

/** Start the wasm backend (SIMD when available) with creditlab's kernels registered. */
export async function probeWasm(): Promise<Probe> {
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
