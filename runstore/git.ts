/**
 * The commit a result is made from ({@link gitCommit}), for run-store rows, sweep lines and
 * benchmark records.
 *
 * @module
 */
import { isAbsolute, relative, resolve } from "node:path";

/** Options of {@link gitCommit}. */
export interface GitCommitOptions {
  /** Folder inside the repository (default: the current directory). */
  cwd?: string;
  /**
   * Paths (relative to `cwd`, or absolute) left out of the dirty check: results files that runs
   * append to or rewrite, so that one run's output does not mark the next run dirty. A path
   * outside the checkout is ignored (it cannot make the checkout dirty).
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
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await gitCommit({ cwd: dir }), "unknown"); // not a git checkout
 * const git = (...args: string[]) => new Deno.Command("git", { args, cwd: dir }).output();
 * await git("init", "-q");
 * await Deno.writeTextFile(join(dir, "a.ts"), "export const a = 1;\n");
 * await git("add", ".");
 * await git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-m", "init");
 * const head = await gitCommit({ cwd: dir }); // 12 hex digits, e.g. "d6e3bd8c1a2b"
 * await Deno.writeTextFile(join(dir, "results.jsonl"), "{}\n"); // a run appends results
 * assert.equal(await gitCommit({ cwd: dir }), `${head}+dirty`);
 * const exclude = ["results.jsonl"];
 * assert.equal(await gitCommit({ cwd: dir, exclude }), head);
 * assert.ok((await gitCommit({ cwd: dir, exclude, hash: "full" })).startsWith(head)); // 40 digits
 * await Deno.remove(dir, { recursive: true });
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
    const top = await git(["rev-parse", "--show-toplevel"]);
    if (!top.success) return "unknown";
    const root = new TextDecoder().decode(top.stdout).trim();
    const here = resolve(opts.cwd ?? ".");
    // A path outside the checkout cannot make it dirty, and git refuses it as a pathspec.
    const inside = (opts.exclude ?? []).filter((p) => {
      const rel = relative(root, resolve(here, p));
      return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
    });
    const st = await git([
      "status",
      "--porcelain",
      "--",
      ".",
      ...inside.map((p) => `:(exclude)${relative(here, resolve(here, p))}`),
    ]);
    if (!st.success) return "unknown";
    const dirty = new TextDecoder().decode(st.stdout).trim().length > 0;
    return hash + (dirty ? "+dirty" : "");
  } catch {
    return "unknown";
  }
}
