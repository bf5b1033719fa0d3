/**
 * Resuming `deno task eval`: which recorded run an evaluation continues, and where its
 * per-question progress lives.
 *
 * An evaluation is identified by its run config (policy, model name, benchmarks, limit,
 * retriever, prompt, entity coding, decoding) with its preset and seed. Re-running the same
 * command continues the latest run of that identity when that run was `interrupted` (a signal,
 * or a process found gone: SIGKILL, a crash) or `failed`: the run is reopened, benchmarks it
 * already recorded are kept, and an endpoint benchmark reuses the questions its progress file
 * holds (serving's eval_progress.ts). A `completed` latest run, or `--fresh`, starts a new run.
 *
 * @module
 */
import { join } from "node:path";
import { canonicalJson } from "@creditlab/core";
import type { RunRecord, RunStore } from "@creditlab/runstore";

/** The run fields that name `deno task eval`'s runs. */
export const EVAL_RUN = { experiment: "eval", method: "eval", arm: "eval" } as const;

/**
 * The latest eval run of this identity when it can be resumed (`interrupted` or `failed`),
 * else undefined (none, or the latest completed or still running).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { RunStore } from "@creditlab/runstore";
 * const dir = await Deno.makeTempDir();
 * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
 * const config = { policy: "http://127.0.0.1:8000", benchmarks: ["nq"] };
 * const id = await store.startRun({ ...EVAL_RUN, config, seed: 1, preset: "smoke", backend: "wasm", commit: "abc" });
 * await store.endRun(id, "interrupted", { reason: "signal SIGINT" });
 * assert.equal((await resumableEvalRun(store, { config, seed: 1, preset: "smoke" }))?.id, id);
 * assert.equal(await resumableEvalRun(store, { config: { ...config, benchmarks: ["hotpotqa"] }, seed: 1, preset: "smoke" }), undefined);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function resumableEvalRun(
  store: RunStore,
  opts: { config: unknown; seed: number; preset: string },
): Promise<RunRecord | undefined> {
  const want = canonicalJson(opts.config);
  const runs = await store.listRuns({ ...EVAL_RUN, seed: opts.seed, preset: opts.preset });
  const same = runs.filter((r) => canonicalJson(r.config) === want);
  const latest = same[same.length - 1];
  if (latest === undefined) return undefined;
  return latest.status === "interrupted" || latest.status === "failed" ? latest : undefined;
}

/** The progress file of one benchmark of an eval run: `<out>/eval-progress/<run>/<benchmark>.jsonl`. */
export function progressPath(out: string, runId: string, benchmark: string): string {
  return join(out, "eval-progress", runId, `${benchmark}.jsonl`);
}

/** Remove a run's progress folder once it is empty (every benchmark recorded). */
export async function removeProgressDir(out: string, runId: string): Promise<void> {
  const dir = join(out, "eval-progress", runId);
  await Deno.remove(dir).catch(() => {}); // absent, or holds a benchmark not recorded yet
  await Deno.remove(join(out, "eval-progress")).catch(() => {});
}
