/**
 * Find benchmark files under an input directory and classify each one: benchmark, split,
 * variant.
 *
 * - **benchmark**: the nearest enclosing folder whose name is a benchmark alias (the input
 *   directory's own name counts); for files at the top level of the input, the file name's
 *   first token (`hotpot_dev_...` -> hotpotqa). Files inside other folders (e.g. `corpus/`) and
 *   files whose name has a `corpus` token are skipped and listed as skipped.
 * - **split**: the first split token of the file name (`train`, `dev`, `test`; `val` and
 *   `validation` mean `dev`), else an enclosing folder named like a split, else the common
 *   `<split>_` prefix of the file's ids (decided later, see ingest.ts), else the benchmark's
 *   evaluation split.
 * - **variant**: the file name without extension and without a `-00000-of-00001` shard suffix.
 *
 * Documentation files (`*.md`, `*.txt`, `*.rst`, `LICENSE*`, dot-files) are skipped; any other
 * file inside a benchmark folder is read, and an unreadable format is an error.
 *
 * @module
 */

import { basename, extname, join, relative, sep } from "node:path";
import { benchmarkByAlias, type BenchmarkSpec, type Split, splitFromToken } from "./schema.ts";

/** A file to ingest. */
export interface DiscoveredFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the input directory, with `/` separators (the `source_file` column). */
  relPath: string;
  benchmark: BenchmarkSpec;
  /** Split from the file or folder name, or undefined (then ids, then the eval split decide). */
  split: Split | undefined;
  variant: string;
}

/** A file the ingest did not read, and why. */
export interface SkippedFile {
  relPath: string;
  reason: string;
}

const DOC_EXT = new Set([".md", ".txt", ".rst", ".html", ".pdf"]);

function isDocFile(name: string): boolean {
  return name.startsWith(".") || DOC_EXT.has(extname(name).toLowerCase()) ||
    /^(license|licence|copying|notice)/i.test(name);
}

function stem(name: string): string {
  const ext = extname(name);
  let s = ext ? name.slice(0, -ext.length) : name;
  if (extname(s).toLowerCase() === ".jsonl" || extname(s).toLowerCase() === ".json") {
    s = s.slice(0, -extname(s).length);
  }
  return s;
}

function tokens(s: string): string[] {
  return s.split(/[_\-.\s]+/).filter((t) => t !== "");
}

/** Recursively list files under `dir` in sorted order (deterministic ingest). */
async function walk(dir: string): Promise<string[]> {
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) {
      if (!e.name.startsWith(".")) out.push(...await walk(p));
    } else if (e.isFile) out.push(p);
  }
  return out;
}

/**
 * Classify one file path (relative to the input root named `rootName`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = classify("nq/nq_test_1k_flashrag.jsonl", "qa");
 * assert.ok(!("skip" in c));
 * assert.deepEqual([c.benchmark.name, c.split, c.variant], ["nq", "test", "nq_test_1k_flashrag"]);
 * ```
 */
export function classify(
  relPath: string,
  rootName: string,
): { benchmark: BenchmarkSpec; split: Split | undefined; variant: string } | { skip: string } {
  const parts = relPath.split("/");
  const name = parts[parts.length - 1]!;
  const folders = [rootName, ...parts.slice(0, -1)];
  const fileStem = stem(name);
  if (tokens(fileStem).some((t) => t.toLowerCase() === "corpus")) {
    return { skip: "a passage corpus, not questions (see the corpus ingest)" };
  }
  let benchmark: BenchmarkSpec | undefined;
  for (let i = folders.length - 1; i >= 0 && !benchmark; i--) {
    benchmark = benchmarkByAlias(folders[i]!);
  }
  // The file-name prefix counts only for files at the top level of the input.
  if (!benchmark && parts.length === 1) benchmark = benchmarkByAlias(tokens(fileStem)[0] ?? "");
  if (!benchmark) {
    return {
      skip: parts.length === 1
        ? "the file name names no benchmark"
        : `not inside a benchmark folder (${folders.slice(1).join("/")})`,
    };
  }
  let split: Split | undefined;
  for (const t of tokens(fileStem)) {
    split = splitFromToken(t);
    if (split) break;
  }
  for (let i = folders.length - 1; i >= 0 && !split; i--) split = splitFromToken(folders[i]!);
  const variant = fileStem.replace(/-\d+-of-\d+$/, "");
  return { benchmark, split, variant };
}

/**
 * List and classify the files under `input`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_QA_DIR } from "./paths.ts";
 * const { files, skipped } = await discoverFiles(DEFAULT_QA_DIR); // the shipped samples
 * assert.ok(files.length > 0);
 * skipped.map((s) => s.reason); // e.g. "a passage corpus, not questions (see the corpus ingest)"
 * ```
 */
export async function discoverFiles(
  input: string,
): Promise<{ files: DiscoveredFile[]; skipped: SkippedFile[] }> {
  const files: DiscoveredFile[] = [];
  const skipped: SkippedFile[] = [];
  const rootName = basename(input);
  for (const path of await walk(input)) {
    const relPath = relative(input, path).split(sep).join("/");
    if (isDocFile(basename(path))) {
      skipped.push({ relPath, reason: "documentation file" });
      continue;
    }
    const c = classify(relPath, rootName);
    if ("skip" in c) {
      skipped.push({ relPath, reason: c.skip });
      continue;
    }
    files.push({ path, relPath, ...c });
  }
  return { files, skipped };
}
