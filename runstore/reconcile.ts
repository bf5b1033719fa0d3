/**
 * Runs whose process is gone: a run found `running` when a store is opened for writing, whose
 * process was killed (SIGKILL, out of memory) or crashed without recording how the run ended,
 * is recorded `interrupted` with the reason ({@link RunStore.open}). DuckDB lets one process at
 * a time open a store for writing and every writer keeps it open while its runs run, so no
 * process is left working on such a run. Runs recorded on another host, or by a process of
 * this host that still runs, are left as they are.
 *
 * @module
 */
import type { StoreConnection } from "./connection.ts";
import { currentProcess, describeProcess, processAlive, type RunProcess } from "./process.ts";
import type { RunRecord } from "./records.ts";
import { setInterrupted } from "./writes.ts";

/** A run found `running` on opening the store whose process had gone, now `interrupted`. */
export interface ReconciledRun {
  id: string;
  /** The reason recorded. */
  reason: string;
}

/**
 * Why `run` no longer runs, as process `me` finds it at `found` (ISO time) on opening the store:
 * its process is gone, or none was recorded (a run from before processes were). Undefined when
 * it is not `running`, or may still run: this process's, another host's (a shared file system,
 * whose locks may not hold: cannot tell), or a live process's of this host (it does not hold
 * the store now, but may open it again).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { currentProcess } from "./process.ts";
 * const run = { id: "r0001-alpha-s1", method: "alpha", arm: "method", preset: "smoke",
 *   experiment: "alpha", config: {}, seed: 1, backend: "wasm", gitCommit: "abc",
 *   status: "running" as const, startedAt: "2025-01-01T00:00:00.000Z", endedAt: null };
 * const me = currentProcess();
 * assert.equal(goneRunReason({ ...run, process: me }, me, "now"), undefined);
 * assert.match(goneRunReason({ ...run, process: null }, me, "now")!, /no process recorded/);
 * ```
 */
export function goneRunReason(run: RunRecord, me: RunProcess, found: string): string | undefined {
  if (run.status !== "running") return undefined;
  const p = run.process ?? null;
  if (p === null) {
    return `no process recorded (a run from before processes were) and none holds the store: found on opening it at ${found}`;
  }
  if (p.pid === me.pid && p.host === me.host && p.start === me.start) return undefined;
  if (p.host !== me.host || processAlive(p) === true) return undefined;
  return `${
    describeProcess(p, run.startedAt)
  } ended without recording how the run ended (killed, e.g. SIGKILL or out of memory, or crashed): found on opening the store at ${found}`;
}

/**
 * Record as `interrupted` every run of `runs` whose process is gone ({@link goneRunReason}),
 * each in a transaction of its own on `db`; returns them with the reasons recorded.
 */
export async function reconcileRuns(
  db: StoreConnection,
  runs: readonly RunRecord[],
): Promise<ReconciledRun[]> {
  const me = currentProcess();
  const found = new Date().toISOString();
  const out: ReconciledRun[] = [];
  for (const run of runs) {
    const reason = goneRunReason(run, me, found);
    if (reason === undefined) continue;
    await db.tx((c) => setInterrupted(c, run.id, reason));
    out.push({ id: run.id, reason });
  }
  return out;
}
