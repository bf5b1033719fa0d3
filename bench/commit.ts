/**
 * The commit a benchmark ran on, for its JSON record: `git rev-parse HEAD`, with `+dirty` when
 * the working tree has uncommitted changes other than the benchmark results themselves (a
 * result file rewritten by the previous run must not mark the next run dirty).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchCommit } from "./commit.ts";
 * assert.match(await benchCommit(), /^([0-9a-f]{40}(\+dirty)?|unknown)$/); // "1316bff4...+dirty"
 * ```
 * @module
 */

import { gitCommit } from "@creditlab/runstore";

/** The results folder, left out of the dirty check. */
export const RESULTS_PATH = "bench/results";

/** HEAD's full hash, `+dirty` for other uncommitted changes, `"unknown"` outside git. */
export function benchCommit(opts: { cwd?: string } = {}): Promise<string> {
  return gitCommit({ ...opts, exclude: [RESULTS_PATH], hash: "full" });
}
