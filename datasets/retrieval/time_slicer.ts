/**
 * Cooperative time slicing of long request handlers, so that `/health` and small requests are
 * answered between slices of a large one (see http_guard.ts).
 *
 * A small request crosses the event loop several times before it is answered (accept, head,
 * the relay to the inner server, the handler, the relay back), and each crossing waits for the
 * slice of long work that is running: with 10 ms slices a small request took ~23 ms (median)
 * and up to 60-125 ms (p99). So slices are short while other requests are moving: every step
 * of a request through `serveGuarded` calls {@link noteActivity}, and a {@link TimeSlicer}
 * whose process saw such a step within the last {@link BUSY_WINDOW_MS} yields after
 * `busySliceMs` (2 ms) instead of `sliceMs` (10 ms). Alone, long work keeps the long slices:
 * each yield is a zero-delay timer, which here costs 1-2 ms (a faster `setImmediate` or
 * `MessageChannel` yield starves the sockets), so 1 ms slices would cost a large request
 * two thirds of its speed while small ones are served, 2 ms slices about a third.
 * The event loop is one per process, so the activity is process-wide: two servers in one
 * process make room for each other's requests too.
 *
 * @module
 */

/** How long (ms) after a request's step long work keeps slicing finely. */
export const BUSY_WINDOW_MS = 20;

let lastActivity = Number.NEGATIVE_INFINITY;

/**
 * Record that a request moved (a connection accepted, a head or body read, a response written):
 * long work yields after `busySliceMs` for the next {@link BUSY_WINDOW_MS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * noteActivity();
 * assert.ok(sinceActivityMs() < BUSY_WINDOW_MS);
 * ```
 */
export function noteActivity(): void {
  lastActivity = performance.now();
}

/** Milliseconds since the last {@link noteActivity} of this process (Infinity: never). */
export function sinceActivityMs(): number {
  return performance.now() - lastActivity;
}

/** Options of {@link TimeSlicer}. */
export interface TimeSlicerOptions {
  /** Longest slice (ms) while no other request moves (default 10). */
  sliceMs?: number;
  /** Longest slice (ms) while other requests move (default 2; at most `sliceMs`). */
  busySliceMs?: number;
  /** Abort: {@link TimeSlicer.pause} throws the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Cooperative time slicing of a long loop: {@link TimeSlicer.pause} yields to the event loop
 * (a macrotask, so pending connections and requests are served) once the slice is used up
 * (`sliceMs`, or `busySliceMs` while other requests move; see the module doc), and throws the
 * signal's reason once `signal` is aborted. {@link TimeSlicer.longestSliceMs} is the longest
 * stretch it ran without yielding (for profiling).
 *
 * @example
 * ```ts
 * const slicer = new TimeSlicer({ sliceMs: 10 });
 * let sum = 0;
 * for (let i = 0; i < 1e5; i++) {
 *   sum += i;
 *   await slicer.pause(); // cheap unless the slice is used up
 * }
 * ```
 */
export class TimeSlicer {
  readonly #sliceMs: number;
  readonly #busySliceMs: number;
  readonly #signal: AbortSignal | undefined;
  #last = performance.now();
  #longest = 0;

  constructor(opts: TimeSlicerOptions = {}) {
    this.#sliceMs = opts.sliceMs ?? 10;
    this.#busySliceMs = Math.min(opts.busySliceMs ?? 2, this.#sliceMs);
    for (const [name, v] of [["sliceMs", this.#sliceMs], ["busySliceMs", this.#busySliceMs]]) {
      if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
        throw new RangeError(`TimeSlicer: ${name} must be a finite number >= 0, got ${v}`);
      }
    }
    this.#signal = opts.signal;
  }

  /** The longest time (ms) this slicer ran between two yields so far. */
  get longestSliceMs(): number {
    return this.#longest;
  }

  /** Yield if the slice is used up; throw if the signal was aborted. */
  async pause(): Promise<void> {
    this.#signal?.throwIfAborted();
    const now = performance.now();
    const ran = now - this.#last;
    if (ran < this.#busySliceMs) return;
    if (ran < this.#sliceMs && now - lastActivity >= BUSY_WINDOW_MS) return;
    if (ran > this.#longest) this.#longest = ran;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#last = performance.now();
    this.#signal?.throwIfAborted();
  }
}
