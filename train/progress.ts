/**
 * Training progress: a one-line bar with step, reward, EM and ETA on a terminal; plain log
 * lines (every 10% of the run, and the last step) otherwise.
 * @module
 */

/** Options of {@link Progress}. */
export interface ProgressOptions {
  total: number;
  label: string;
  /** Write target (default: stderr). */
  write?: (s: string) => void;
  /** Force the terminal mode on or off (default: whether stderr is a terminal). */
  terminal?: boolean;
}

/** A progress reporter; time is wall-clock and only shown, never recorded. */
export class Progress {
  #opts: ProgressOptions;
  #start = performance.now();
  #terminal: boolean;
  #lastLogged = -1;

  constructor(opts: ProgressOptions) {
    this.#opts = opts;
    this.#terminal = opts.terminal ?? Deno.stderr.isTerminal();
  }

  #write(s: string): void {
    if (this.#opts.write) this.#opts.write(s);
    else Deno.stderr.writeSync(new TextEncoder().encode(s));
  }

  /** Report that `done` of `total` steps are finished. */
  tick(done: number, values: Record<string, number>): void {
    const { total, label } = this.#opts;
    const elapsed = (performance.now() - this.#start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : 0;
    const vals = Object.entries(values).map(([k, v]) => `${k} ${v.toFixed(3)}`).join("  ");
    if (this.#terminal) {
      const width = 20;
      const filled = Math.round((done / total) * width);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      this.#write(`\r${label} [${bar}] ${done}/${total}  ${vals}  eta ${eta.toFixed(0)}s   `);
    } else {
      const decile = Math.floor((done * 10) / total);
      if (decile !== this.#lastLogged || done === total) {
        this.#lastLogged = decile;
        this.#write(`${label} step ${done}/${total}  ${vals}  eta ${eta.toFixed(0)}s\n`);
      }
    }
  }

  /** End the bar (newline on a terminal). */
  done(): void {
    if (this.#terminal) this.#write("\n");
  }
}
