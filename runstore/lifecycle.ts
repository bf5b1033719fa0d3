/**
 * How a run's work ends, and the signals that interrupt it: while any run is tracked
 * ({@link RunStore.track}), SIGINT and SIGTERM are caught; each tracked run is recorded
 * `interrupted` with the signal's name, then the process exits with 128 + the signal number
 * (130, 143), as it would have without the handler.
 *
 * A JavaScript handler runs only when the process next waits on I/O (every training step logs
 * to the store, so within a step; a long evaluation may hold it until it ends). A second signal
 * while the first is being recorded exits at once. What no handler can catch (SIGKILL, running
 * out of memory, a crash) is found when the store is next opened for writing: a `running` run
 * whose process is gone is recorded `interrupted` then ({@link RunStore.open}).
 *
 * @module
 */
import type { RunStatus } from "./schema.ts";

/** A status a run ends with. */
export type EndStatus = Exclude<RunStatus, "running">;

/** How a run's work ended: its status and, unless completed, why. */
export interface RunEnd {
  status: EndStatus;
  /** Why it ended so: an error, a signal, a stop requested by the caller. */
  reason?: string;
}

/** The signals that interrupt a tracked run, with their numbers. */
export const INTERRUPT_SIGNALS: Readonly<Record<"SIGINT" | "SIGTERM", number>> = {
  SIGINT: 2,
  SIGTERM: 15,
};

type Signal = keyof typeof INTERRUPT_SIGNALS;

/** Callbacks of the runs being tracked, called with the signal's name. */
const tracked = new Set<(signal: Signal) => Promise<void>>();
let listeners: { signal: Signal; fn: () => void }[] = [];
let exiting = false;

function install(): void {
  for (const signal of Object.keys(INTERRUPT_SIGNALS) as Signal[]) {
    const fn = () => void onSignal(signal);
    try {
      Deno.addSignalListener(signal, fn);
      listeners.push({ signal, fn });
    } catch {
      // Not every platform has every signal (Windows: no SIGTERM); the others still work.
    }
  }
}

function uninstall(): void {
  for (const { signal, fn } of listeners) Deno.removeSignalListener(signal, fn);
  listeners = [];
}

async function onSignal(signal: Signal): Promise<void> {
  const code = 128 + INTERRUPT_SIGNALS[signal];
  if (exiting) Deno.exit(code);
  exiting = true;
  await Promise.allSettled([...tracked].map((record) => record(signal)));
  Deno.exit(code);
}

/**
 * Call `record(signal)` if SIGINT or SIGTERM arrives before the returned function is called;
 * the process then exits. Returns the function that stops watching.
 */
export function onInterrupt(record: (signal: Signal) => Promise<void>): () => void {
  if (tracked.size === 0) install();
  tracked.add(record);
  return () => {
    if (!tracked.delete(record)) return;
    if (tracked.size === 0) uninstall();
  };
}

/** A reason for a failed run from what its work threw: the error's name and message. */
export function errorReason(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : `thrown: ${String(e)}`;
  return text.length > 2000 ? `${text.slice(0, 1997)}...` : text;
}

/**
 * Do the work of a run and record how it ended through `record`: the {@link RunEnd} `work`
 * returns; `failed` with the error when it throws (the error is rethrown, with the recording's
 * own error beside it when recording fails too); `interrupted` with the signal when the process
 * gets SIGINT or SIGTERM meanwhile ({@link onInterrupt}). `runId` names the run in errors.
 * Returns what `work` returned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ends: RunEnd[] = [];
 * const record = (end: RunEnd) => Promise.resolve(void ends.push(end));
 * await trackRun("r0001-alpha-s1", () => Promise.resolve({ status: "completed" }), record);
 * await assert.rejects(trackRun("r0001-alpha-s1", () => Promise.reject(new Error("x")), record));
 * assert.deepEqual(ends, [{ status: "completed" }, { status: "failed", reason: "Error: x" }]);
 * ```
 */
export async function trackRun(
  runId: string,
  work: () => Promise<RunEnd>,
  record: (end: RunEnd) => Promise<void>,
): Promise<RunEnd> {
  const stop = onInterrupt((signal) =>
    record({ status: "interrupted", reason: `signal ${signal}` })
  );
  let end: RunEnd;
  try {
    end = await work();
  } catch (e) {
    stop();
    try {
      await record({ status: "failed", reason: errorReason(e) });
    } catch (recording) {
      throw new AggregateError(
        [e, recording],
        `${errorReason(e)} (recording run ${runId} as failed failed too: ${
          errorReason(recording)
        })`,
      );
    }
    throw e;
  }
  stop();
  await record(end);
  return end;
}
