/**
 * Compile kernels/native/elementwise.c into a shared library in a cache folder that is not
 * committed, keyed by a hash of the source, the compiler flags, the compiler's version line and
 * the CPU's feature flags (the build uses `-march=native`), so that an edit, another compiler
 * or another CPU rebuilds. Used by `tools/setup.ts` and, lazily, by
 * `enableNativeElementwise()` (kernels/native_elementwise.ts). No TensorFlow.js import here.
 *
 * Cache folder: `CREDITLAB_NATIVE_DIR`, else `node_modules/.creditlab/native/` of the project
 * when that `node_modules` exists, else `$XDG_CACHE_HOME/creditlab/native/` (or
 * `~/.cache/creditlab/native/`). Compiler: `CREDITLAB_CC`, else `gcc`, else `cc`.
 *
 * @example
 * ```ts
 * import { buildNativeElementwise } from "./build.ts";
 * const r = buildNativeElementwise();
 * console.log(r.ok ? `${r.path} (${r.built ? "built" : "cached"})` : r.reason);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { envVar, firstLine } from "../_util.ts";

/** The C source of the native elementwise kernels. */
export const NATIVE_SOURCE: string = fileURLToPath(new URL("./elementwise.c", import.meta.url));

/**
 * Compiler flags. No `-ffast-math`: IEEE semantics are kept (`-ffp-contract=off` so no FMA
 * contraction changes a result with the CPU; `-fno-trapping-math` only lets the vectoriser
 * if-convert comparisons, `-fno-math-errno` lets `sqrtf` become one instruction).
 * `-z nodelete`: the library stays mapped, with its state, after `dlclose`. Deno closes a
 * `DynamicLibrary` when its isolate ends (e.g. each file of `deno test`); reopening used to map
 * it afresh over the sleeping pool threads of the first copy, re-initialising the condition
 * variable they were waiting on, and the next wake-up hung in `pthread_cond_broadcast`.
 */
export const NATIVE_CFLAGS: readonly string[] = [
  "-O3",
  "-march=native",
  "-ffp-contract=off",
  "-fno-math-errno",
  "-fno-trapping-math",
  "-fPIC",
  "-shared",
  "-pthread",
  "-Wl,-z,nodelete",
];

/** Result of {@link buildNativeElementwise}. */
export type NativeBuild =
  | { ok: true; path: string; built: boolean; compiler: string }
  | { ok: false; reason: string };

/** Options of {@link buildNativeElementwise}. */
export interface NativeBuildOptions {
  /** Compilers to try, in order (default: `CREDITLAB_CC`, else `gcc` then `cc`). */
  compilers?: readonly string[];
  /** Cache folder (default: see the module documentation). */
  dir?: string;
  /** Rebuild even when the library for this key exists. */
  force?: boolean;
}

/** The default cache folder (see the module documentation). */
export function nativeCacheDir(): string {
  const override = envVar("CREDITLAB_NATIVE_DIR");
  if (override !== undefined) return override;
  const root = fileURLToPath(new URL("../../", import.meta.url));
  if (existsSync(join(root, "node_modules"))) {
    return join(root, "node_modules", ".creditlab", "native");
  }
  const xdg = envVar("XDG_CACHE_HOME") ?? join(envVar("HOME") ?? "/tmp", ".cache");
  return join(xdg, "creditlab", "native");
}

function cpuFlagsLine(): string {
  try {
    return Deno.readTextFileSync("/proc/cpuinfo").split("\n").find((l) =>
      /^(flags|Features)\s*:/.test(l)
    ) ?? "";
  } catch {
    return "";
  }
}

/** `<cc> --version`'s first line, or a one-line reason why the compiler does not run. */
function compilerVersion(cc: string): { ok: true; version: string } | {
  ok: false;
  reason: string;
} {
  try {
    const out = new Deno.Command(cc, { args: ["--version"], stdout: "piped", stderr: "piped" })
      .outputSync();
    if (!out.success) {
      return { ok: false, reason: `${cc} --version failed (exit ${out.code})` };
    }
    return { ok: true, version: firstLine(new TextDecoder().decode(out.stdout)) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, reason: `${cc} not found` };
    return { ok: false, reason: `${cc}: ${firstLine(e)}` };
  }
}

/** Remove libraries of older keys from the cache folder (best effort). */
function removeStale(dir: string, keep: string): void {
  try {
    for (const e of Deno.readDirSync(dir)) {
      const p = join(dir, e.name);
      if (p !== keep && /^libcreditlab_elementwise-[0-9a-f]{16}\./.test(e.name)) {
        rmSync(p, { force: true });
      }
    }
  } catch { /* a stale file costs only disk space */ }
}

function libraryExtension(): string {
  return Deno.build.os === "darwin" ? "dylib" : Deno.build.os === "windows" ? "dll" : "so";
}

/**
 * Build (or find in the cache) the native elementwise library. Synchronous; never throws: a
 * missing compiler, a failed compile or a missing permission is a one-line `reason`.
 */
export function buildNativeElementwise(opts: NativeBuildOptions = {}): NativeBuild {
  let source: string;
  try {
    source = readFileSync(NATIVE_SOURCE, "utf8");
  } catch (e) {
    return { ok: false, reason: `native source unreadable (${firstLine(e)})` };
  }
  const userCc = envVar("CREDITLAB_CC");
  const compilers = opts.compilers ?? (userCc !== undefined ? [userCc] : ["gcc", "cc"]);
  const failures: string[] = [];
  for (const cc of compilers) {
    const v = compilerVersion(cc);
    if (!v.ok) {
      failures.push(v.reason);
      if (/NotCapable|--allow-run|permission/i.test(v.reason)) break;
      continue;
    }
    const key = createHash("sha256")
      .update(source)
      .update("\0" + NATIVE_CFLAGS.join(" "))
      .update("\0" + v.version)
      .update("\0" + cpuFlagsLine())
      .update("\0" + Deno.build.target)
      .digest("hex")
      .slice(0, 16);
    const dir = opts.dir ?? nativeCacheDir();
    const path = join(dir, `libcreditlab_elementwise-${key}.${libraryExtension()}`);
    if (!opts.force && existsSync(path)) return { ok: true, path, built: false, compiler: cc };
    const tmp = `${path}.tmp-${Deno.pid}`;
    try {
      mkdirSync(dir, { recursive: true });
      const out = new Deno.Command(cc, {
        args: [...NATIVE_CFLAGS, "-o", tmp, NATIVE_SOURCE],
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      if (!out.success) {
        const err = new TextDecoder().decode(out.stderr).split("\n").find((l) =>
          /error/i.test(l)
        ) ?? new TextDecoder().decode(out.stderr);
        failures.push(`${cc} failed: ${firstLine(err)}`);
        continue;
      }
      renameSync(tmp, path);
      removeStale(dir, path);
      return { ok: true, path, built: true, compiler: cc };
    } catch (e) {
      failures.push(`${cc}: ${firstLine(e)}`);
    } finally {
      try {
        rmSync(tmp, { force: true });
      } catch { /* nothing to clean */ }
    }
  }
  return {
    ok: false,
    reason: `cannot build the native elementwise library (${
      failures.join("; ")
    }; install gcc, e.g. apt-get install gcc libc6-dev)`,
  };
}
