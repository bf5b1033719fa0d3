/**
 * The process a run is recorded from, and whether a recorded process still runs: what lets a
 * store opened later tell a run whose process was killed (SIGKILL, out of memory, a crash)
 * from one still in progress.
 *
 * A process is its host name, its pid and its start: on Linux the boot id and the start time
 * in clock ticks since boot (`/proc/<pid>/stat` field 22), which together tell a live process
 * from a later one that reused the pid. Where `/proc` cannot be read the start is null and
 * liveness is unknown.
 *
 * @module
 */

/** The process that runs (or ran) a run. */
export interface RunProcess {
  /** Process id. */
  pid: number;
  /** Host name (`Deno.hostname()`, "unknown" when it cannot be read). */
  host: string;
  /** `<boot id>/<start ticks>` on Linux; null where it cannot be read. */
  start: string | null;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

let bootId: string | null | undefined;

/** The start of process `pid` (`<boot id>/<start ticks>`), undefined if no such process, null if unknown. */
function processStart(pid: number): string | null | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      // No such process, unless this system has no /proc at all.
      try {
        Deno.statSync("/proc/self/stat");
        return undefined;
      } catch {
        return null;
      }
    }
    return null;
  }
  if (bootId === undefined) {
    try {
      bootId = Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
    } catch {
      bootId = null;
    }
  }
  // Fields after the command name (which may hold spaces and parentheses): state is field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = fields[22 - 3];
  if (bootId === null || ticks === undefined || !/^\d+$/.test(ticks)) return null;
  return `${bootId}/${ticks}`;
}

/**
 * This process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(currentProcess().pid, Deno.pid);
 * assert.equal(processAlive(currentProcess()), true);
 * ```
 */
export function currentProcess(): RunProcess {
  return { pid: Deno.pid, host: hostname(), start: processStart(Deno.pid) ?? null };
}

/**
 * Whether process `p` still runs: true or false when it can be told (same host, readable
 * `/proc`), null when it cannot (another host, or no `/proc`). A process with the same pid but
 * another start is a different process (false).
 */
export function processAlive(p: RunProcess): boolean | null {
  if (p.host !== hostname()) return null;
  const start = processStart(p.pid);
  if (start === undefined) return false;
  if (start === null || p.start === null) return start === null ? null : true;
  return start === p.start;
}

/** "process 123 on host h" with its start time when known. */
export function describeProcess(p: RunProcess, startedAt?: string): string {
  return `process ${p.pid} on ${p.host}${startedAt ? ` (run started ${startedAt})` : ""}`;
}
