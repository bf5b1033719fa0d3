/**
 * Cooperative time slicing of long request handlers, so that `/health` and small requests are
 * answered between slices of a large one (see http_guard.ts).
 * @module
 */

/**
 * Cooperative time slicing of a long loop: {@link TimeSlicer.pause} yields to the event loop
 * (a macrotask, so pending connections and requests are served) once `sliceMs` of work has
 * passed since the last yield, and throws the signal's reason once `signal` is aborted.
 *
 * @example
 * ```ts
 * const slicer = new TimeSlicer({ sliceMs: 10 });
 * let sum = 0;
 * for (let i = 0; i < 1e5; i++) {
 *   sum += i;
 *   await slicer.pause(); // cheap unless 10 ms have passed
 * }
 * ```
 */
export class TimeSlicer {
  readonly #sliceMs: number;
  readonly #signal: AbortSignal | undefined;
  #last = performance.now();

  constructor(opts: { sliceMs?: number; signal?: AbortSignal } = {}) {
    this.#sliceMs = opts.sliceMs ?? 10;
    this.#signal = opts.signal;
  }

  /** Yield if the slice is used up; throw if the signal was aborted. */
  async pause(): Promise<void> {
    this.#signal?.throwIfAborted();
    if (performance.now() - this.#last < this.#sliceMs) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#last = performance.now();
    this.#signal?.throwIfAborted();
  }
}
