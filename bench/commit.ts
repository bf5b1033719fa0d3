/**
 * The commit a benchmark ran on, for its JSON record: `git rev-parse HEAD`, with `+dirty` when
 * the working tree has uncommitted changes other than the benchmark results themselves (a
 * result file rewritten by the previous run must not mark the next run dirty).
 *
 * @example
 * ```ts
 * import { benchCommit } from "./commit.ts";
 * console.log(await benchCommit()); // "1316bff4...", "1316bff4...+dirty" or "unknown"
 * ```
 * @module
 */

/** The results folder, left out of the dirty check. */
export const RESULTS_PATHSPEC = ":(exclude)bench/results";

/** HEAD's full hash, `+dirty` for other uncommitted changes, `"unknown"` outside git. */
export async function benchCommit(opts: { cwd?: string } = {}): Promise<string> {
  const git = (args: string[]) =>
    new Deno.Command("git", {
      args,
      stdout: "piped",
      stderr: "null",
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    }).output();
  try {
    const head = await git(["rev-parse", "HEAD"]);
    if (!head.success) return "unknown";
    const st = await git(["status", "--porcelain", "--", ".", RESULTS_PATHSPEC]);
    const dirty = new TextDecoder().decode(st.stdout).trim().length > 0;
    return new TextDecoder().decode(head.stdout).trim() + (dirty ? "+dirty" : "");
  } catch {
    return "unknown";
  }
}
