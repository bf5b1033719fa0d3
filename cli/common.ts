/**
 * Shared set-up of the training CLIs: backend, method registry, run context.
 * @module
 */
import { BACKEND_NAMES, type BackendInfo, type BackendName, initBackend } from "@creditlab/kernels";
import {
  type ArmExecutor,
  ArmPool,
  inProcessExecutor,
  type RunContext,
  type Testbed,
} from "@creditlab/experiments";
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
    /** OpenBLAS and native threads of this process (default: the engines' own). */
    threads?: number;
  },
): Promise<RunContext & { backend: BackendInfo }> {
  const backend = await initBackend({
    backend: opts.backend,
    ...(opts.threads === undefined ? {} : { threads: opts.threads }),
  });
  await Deno.mkdir(opts.out, { recursive: true });
  const store = await RunStore.open(join(opts.out, "creditlab.duckdb"));
  const commit = await gitCommit({ exclude: opts.commitExclude ?? [] });
  console.error(`backend: ${backend.name} (${backend.reason})`);
  return { store, out: opts.out, backend, commit, log: (l) => console.error(l) };
}

/**
 * `--jobs N`: arms trained side by side, each in a worker on one core (default: the machine's
 * cores). 1 trains them one after another in this process on every core.
 */
export function parseJobs(v: string | undefined): number {
  return parsePositiveInt("jobs", v, Math.max(1, navigator.hardwareConcurrency || 1));
}

/**
 * Where a verb's arms run: `jobs` workers with one engine thread each (process-wide, so the
 * parent's records name the same engines), or this process for `jobs` 1.
 */
export function armExecutor(
  testbed: Testbed,
  opts: { jobs: number; backend: BackendInfo },
): ArmExecutor {
  if (opts.jobs <= 1) return inProcessExecutor(testbed);
  return new ArmPool({
    jobs: opts.jobs,
    workerUrl: new URL("./arm_worker.ts", import.meta.url),
    threads: 1,
    backend: opts.backend.name,
  });
}

/**
 * Wait for every promise; throw the first rejection (all of them in an AggregateError when
 * several failed) only after the others have ended, so no arm is left running unrecorded.
 */
export async function settleAll(work: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
  if (failed.length === 1) throw failed[0];
  if (failed.length > 1) {
    throw new AggregateError(
      failed,
      `${failed.length} jobs failed: ${
        failed.map((e) => e instanceof Error ? e.message : String(e)).join("; ")
      }`,
    );
  }
}
