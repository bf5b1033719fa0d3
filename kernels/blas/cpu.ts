/**
 * Which OpenBLAS kernel family to run on this CPU: the pre-AVX2 families a DYNAMIC_ARCH build
 * may fall back to, {@link chooseCoreType}, and the CPU's model name and feature flags read from
 * /proc/cpuinfo.
 * @module
 */

/**
 * OpenBLAS x86-64 kernel families without AVX2: what a DYNAMIC_ARCH build falls back to
 * (Prescott, SSE3) on a CPU model its table does not know, e.g. a virtualised Sapphire Rapids
 * that reports "Intel(R) Xeon(R) Processor". Lower case.
 */
export const PRE_AVX2_CORES: ReadonlySet<string> = new Set([
  "unknown",
  "katmai",
  "coppermine",
  "northwood",
  "prescott",
  "banias",
  "atom",
  "core2",
  "penryn",
  "dunnington",
  "nehalem",
  "opteron",
  "opteron_sse3",
  "barcelona",
  "bobcat",
  "nano",
  "sandybridge",
  "bulldozer",
  "piledriver",
]);

/**
 * Whether to override OpenBLAS's kernel choice, and with what. OpenBLAS 0.3.21 (Debian 12)
 * picks `Prescott` on the 2-core Xeon this project is measured on (AVX-512, model name "Intel(R)
 * Xeon(R) Processor"): matMul then runs about 7x slower at n = 1024 than with the `SkylakeX`
 * kernels (`deno task bench kernels`, reports/experiments.md). Returns null (OpenBLAS's own
 * choice stands) when the
 * user set `OPENBLAS_CORETYPE`, when the detected core already uses AVX2 or newer, or when the
 * CPU has neither AVX-512 (F, CD, BW, DQ, VL) nor AVX2 with FMA; otherwise `SkylakeX` or
 * `Haswell`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = chooseCoreType({ detected: "Prescott", cpuFlags: new Set(["avx2", "fma"]) });
 * // { coreType: "Haswell", reason: "OpenBLAS detected Prescott on a CPU with AVX2 + FMA; forced Haswell" }
 * assert.equal(r?.coreType, "Haswell");
 * ```
 */
export function chooseCoreType(args: {
  detected: string;
  cpuFlags: ReadonlySet<string>;
  userCoreType?: string | undefined;
}): { coreType: string; reason: string } | null {
  if (args.userCoreType) return null;
  if (!PRE_AVX2_CORES.has(args.detected.toLowerCase())) return null;
  const f = args.cpuFlags;
  const pick = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].every((x) => f.has(x))
    ? { coreType: "SkylakeX", isa: "AVX-512" }
    : f.has("avx2") && f.has("fma")
    ? { coreType: "Haswell", isa: "AVX2 + FMA" }
    : null;
  if (pick === null) return null;
  return {
    coreType: pick.coreType,
    reason: `OpenBLAS detected ${args.detected} on a CPU with ${pick.isa}; forced ${pick.coreType}`,
  };
}

/** The CPU's model name from /proc/cpuinfo (`"unknown"` where there is none, e.g. macOS). */
export function readCpuModel(path = "/proc/cpuinfo"): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync(path))?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The CPU's feature flags from /proc/cpuinfo (empty where there is none, e.g. macOS). */
export function readCpuFlags(path = "/proc/cpuinfo"): Set<string> {
  try {
    const line = Deno.readTextFileSync(path).split("\n").find((l) => /^flags\s*:/.test(l));
    return new Set(line ? line.slice(line.indexOf(":") + 1).trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}
