/**
 * Set-up step of the README's commands: install the optional Debian packages that make the
 * CPU harness fast, when they are missing and we are root (a fresh CI machine), and build the
 * native elementwise kernels.
 *
 *     deno run -A tools/setup.ts
 *
 * - `libopenblas0-pthread`: the OpenBLAS matMul kernels/blas.ts registers on the wasm backend
 *   (about 10x faster train steps than XNNPACK on these machines). Without it the harness
 *   falls back to wasm's own matMul and says so in every run record.
 * - `gcc`, `libc6-dev`: the compiler and C headers for kernels/native/elementwise.c, the
 *   multi-threaded elementwise kernels kernels/native_elementwise.ts registers on the wasm
 *   backend. The library is built here into a cache folder keyed by a hash of the source
 *   (kernels/native/build.ts), and otherwise lazily on first use. Without a compiler the
 *   harness keeps wasm's own elementwise kernels and says so in every run record.
 *
 * Jupyter (notebooks) and Chromium (the report's browser check) are installed by the tasks and
 * tests that need them. Failure to install or build is a warning, never an error: everything
 * runs without these packages, only slower.
 * @module
 */
import { existsSync } from "node:fs";
import { buildNativeElementwise } from "../kernels/native/build.ts";
import { aptInstall, isRoot } from "./apt.ts";

const BLAS_LIB = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0";

async function hasCompiler(): Promise<boolean> {
  try {
    const out = await new Deno.Command("gcc", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success && existsSync("/usr/include/stdlib.h");
  } catch {
    return false;
  }
}

async function install(packages: string[]): Promise<void> {
  const what = `${packages.join(" ")} (optional: fast matMul / native elementwise kernels)`;
  if (!isRoot()) {
    console.error(
      `setup: missing ${what} and this is not root; the wasm kernels stay (sudo apt-get install ${
        packages.join(" ")
      })`,
    );
    return;
  }
  console.error(`setup: installing ${what}`);
  const r = await aptInstall(packages, { recommends: false });
  if (!r.ok) {
    console.error(r.output.trim().split("\n").slice(-3).join("\n"));
    console.error(`setup: could not install ${packages.join(" ")}; continuing without`);
  }
}

async function main(): Promise<void> {
  const missing: string[] = [];
  if (!existsSync(BLAS_LIB)) missing.push("libopenblas0-pthread");
  if (!(await hasCompiler())) missing.push("gcc", "libc6-dev");
  if (missing.length > 0 && Deno.build.os === "linux") await install(missing);
  const built = buildNativeElementwise();
  if (!built.ok) console.error(`setup: ${built.reason}; elementwise kernels stay on wasm`);
  else if (built.built) console.error(`setup: built ${built.path}`);
}

if (import.meta.main) await main();
