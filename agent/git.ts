/**
 * The commit a result is made from ({@link gitCommit}), for run-store rows, sweep lines and
 * benchmark records.
 *
 * @module
 */

/** Options of {@link gitCommit}. */
export interface GitCommitOptions {
  /** Folder inside the repository (default: the current directory). */
  cwd?: string;
  /**
   * Paths (relative to `cwd`) left out of the dirty check: results files that runs append to
   * or rewrite, so that one run's output does not mark the next run dirty.
   */
  exclude?: readonly string[];
  /** `"short"`: 12 hex digits (default); `"full"`: 40. */
  hash?: "short" | "full";
}

/**
 * The commit a run is made from, for its records: HEAD's hash, with `+dirty` when the working
 * tree has uncommitted changes (tracked or untracked files, outside `exclude`), so a result
 * made from uncommitted code does not claim a commit that lacks that code; `"unknown"` outside
 * a git checkout.
 *
 * @example
 * ```ts
 * await gitCommit(); // "d6e3bd8c1a2b", "d6e3bd8c1a2b+dirty" or "unknown"
 * await gitCommit({ exclude: ["reports/sweeps/smoke.jsonl"], hash: "full" });
 * ```
 */
export async function gitCommit(opts: GitCommitOptions = {}): Promise<string> {
  const git = (args: string[]) =>
    new Deno.Command("git", {
      args,
      stdout: "piped",
      stderr: "null",
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    }).output();
  try {
    const head = await git(["rev-parse", ...(opts.hash === "full" ? [] : ["--short=12"]), "HEAD"]);
    if (!head.success) return "unknown";
    const hash = new TextDecoder().decode(head.stdout).trim();
    if (hash === "") return "unknown";
    const st = await git([
      "status",
      "--porcelain",
      "--",
      ".",
      ...(opts.exclude ?? []).map((p) => `:(exclude)${p}`),
    ]);
    if (!st.success) return "unknown";
    const dirty = new TextDecoder().decode(st.stdout).trim().length > 0;
    return hash + (dirty ? "+dirty" : "");
  } catch {
    return "unknown";
  }
}
