/**
 * Shared set-up of the training CLIs: backend, method registry, run context.
 * @module
 */
import { BACKEND_NAMES, type BackendInfo, type BackendName, initBackend } from "@creditlab/kernels";
import type { RunContext } from "@creditlab/experiments";
import { gitCommit, RunStore } from "@creditlab/runstore";
import { join } from "node:path";
import "../methods/mod.ts";

/**
 * The options of a command that runs one seed of a preset into a run store: `--preset`
 * (default smoke), `--seed`, `--out DIR` (default runs), `--backend`.
 */
export const RUN_OPTIONS = {
  preset: { type: "string", default: "smoke" },
  seed: { type: "string" },
  out: { type: "string", default: "runs" },
  backend: { type: "string" },
} as const;

/** Parse a `--backend` value. */
export function parseBackend(v: string | undefined): BackendName | undefined {
  if (v === undefined) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(v)) {
    throw new Error(`--backend: expected one of ${BACKEND_NAMES.join(", ")}, got "${v}"`);
  }
  return v as BackendName;
}

/** Parse a positive integer option. */
export function parsePositiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`--${name}: expected a positive integer, got "${v}"`);
  }
  return n;
}

/** Open the run store of a results folder and pick the backend. */
export async function openContext(
  opts: {
    out: string;
    backend?: BackendName | undefined;
    /** Results files this run appends to, left out of the commit's dirty check. */
    commitExclude?: readonly string[];
  },
): Promise<RunContext & { backend: BackendInfo }> {
  const backend = await initBackend({ backend: opts.backend });
  await Deno.mkdir(opts.out, { recursive: true });
  const store = await RunStore.open(join(opts.out, "creditlab.duckdb"));
  const commit = await gitCommit({ exclude: opts.commitExclude ?? [] });
  console.error(`backend: ${backend.name} (${backend.reason})`);
  return { store, out: opts.out, backend, commit, log: (l) => console.error(l) };
}
