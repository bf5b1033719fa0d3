/**
 * Phase 1 of the benchmark ingest (see ingest.ts): discover, read and validate every file of an
 * input directory in memory (formats, splits, unique ids, per-file statistics and hashes)
 * without opening the DuckDB file. Any bad input throws {@link IngestError}.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type DiscoveredFile, discoverFiles, type SkippedFile } from "./discover.ts";
import { describeValue, IngestError } from "./errors.ts";
import { detectFormat, type FormatName } from "./formats.ts";
import { type Split, splitFromToken, type StoredQuestion } from "./schema.ts";
import { type Container, readRawFile } from "./sources.ts";

/** How a file's split was decided. */
export type SplitSource = "file name" | "ids" | "evaluation split";

/** One parsed, validated file. */
export interface ParsedFile {
  relPath: string;
  benchmark: string;
  split: Split;
  splitSource: SplitSource;
  variant: string;
  format: FormatName;
  container: Container;
  sha256: string;
  /** SHA-256 over `JSON.stringify([id, question, goldenAnswers]) + "\n"` per row, in file order. */
  contentSha256: string;
  rows: StoredQuestion[];
  /** 1-based line (Parquet: row + 1) of each row, aligned with `rows`. */
  lines: number[];
  /** Value-count histograms for the dataset card. */
  stats: FileStats;
}

/**
 * Per-file histograms as sorted (value, rows) pairs: golden answers per question, question
 * length in whitespace-separated words (`question.trim().split(/\s+/)`), and in Unicode code
 * points.
 */
export interface FileStats {
  answers: [number, number][];
  words: [number, number][];
  chars: [number, number][];
}

function histogram(xs: Iterable<number>): [number, number][] {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

function fileStats(rows: readonly StoredQuestion[]): FileStats {
  return {
    answers: histogram(rows.map((r) => r.goldenAnswers.length)),
    words: histogram(rows.map((r) => {
      const t = r.question.trim();
      return t === "" ? 0 : t.split(/\s+/).length;
    })),
    chars: histogram(rows.map((r) => [...r.question].length)),
  };
}

/** SHA-256 over the canonical content of rows (independent of the source format). */
function contentHash(rows: readonly StoredQuestion[]): string {
  const h = createHash("sha256");
  for (const r of rows) h.update(JSON.stringify([r.id, r.question, r.goldenAnswers]) + "\n");
  return h.digest("hex");
}

/** Parse and validate one discovered file (no database access). */
export async function parseBenchmarkFile(f: DiscoveredFile): Promise<ParsedFile> {
  const raw = await readRawFile(f.path, f.relPath);
  const first = raw.records[0];
  if (!first) throw new IngestError({ file: f.relPath }, "empty file: no records");
  const reader = detectFormat(first.value, { file: f.relPath, line: first.line });
  const idsNeedSplit = reader.name === "qa-pairs" || reader.name === "qa-test-id";
  let split: Split | undefined = f.split;
  let splitSource: SplitSource = "file name";
  if (split === undefined && idsNeedSplit) {
    split = f.benchmark.evalSplit;
    splitSource = "evaluation split";
  }
  const provisional = split ?? f.benchmark.evalSplit;
  const parsed = raw.records.map((r, index) => {
    const v = r.value;
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new IngestError(
        { file: f.relPath, line: r.line },
        `expected a JSON object record, got ${describeValue(v)}`,
      );
    }
    const rec = reader.read(v as Record<string, unknown>, {
      file: f.relPath,
      line: r.line,
      index,
      split: provisional,
    });
    return { rec, line: r.line, index };
  });
  if (split === undefined) {
    // All ids "<split>_<n>" with one split: use it (FlashRAG ids are "test_17", "dev_3", ...).
    const prefixes = new Set(parsed.map((p) => /^([a-z]+)_\d+$/.exec(p.rec.id)?.[1]));
    const only = prefixes.size === 1 ? [...prefixes][0] : undefined;
    const fromIds = only === undefined ? undefined : splitFromToken(only);
    split = fromIds ?? f.benchmark.evalSplit;
    splitSource = fromIds ? "ids" : "evaluation split";
  }
  const seen = new Map<string, number>();
  const rows: StoredQuestion[] = [];
  const lines: number[] = [];
  for (const { rec, line, index } of parsed) {
    lines.push(line);
    const prev = seen.get(rec.id);
    if (prev !== undefined) {
      throw new IngestError(
        { file: f.relPath, line, field: "id" },
        `duplicate id "${rec.id}" (first seen on line ${prev})`,
      );
    }
    seen.set(rec.id, line);
    rows.push({
      benchmark: f.benchmark.name,
      split,
      variant: f.variant,
      id: rec.id,
      question: rec.question,
      goldenAnswers: rec.goldenAnswers,
      metadata: rec.metadata,
      sourceFile: f.relPath,
      rowNumber: index,
      format: reader.name,
    });
  }
  return {
    relPath: f.relPath,
    benchmark: f.benchmark.name,
    split,
    splitSource,
    variant: f.variant,
    format: reader.name,
    container: raw.container,
    sha256: raw.sha256,
    contentSha256: contentHash(rows),
    rows,
    lines,
    stats: fileStats(rows),
  };
}

/** Result of phase 1. */
export interface ParsedInput {
  files: ParsedFile[];
  skipped: SkippedFile[];
}

/**
 * Phase 1: discover, parse and validate every benchmark file under `input`; checks that ids
 * are unique per (benchmark, split, variant) across files. Throws {@link IngestError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { DEFAULT_QA_DIR } from "./paths.ts";
 * const { files } = await parseBenchmarkDir(join(DEFAULT_QA_DIR, "bamboogle"));
 * assert.equal(files.reduce((n, f) => n + f.rows.length, 0), 125); // 31750 for all shipped samples
 * ```
 */
export async function parseBenchmarkDir(input: string): Promise<ParsedInput> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(input);
  } catch {
    throw new IngestError({ file: input }, "input directory does not exist");
  }
  if (!stat.isDirectory) throw new IngestError({ file: input }, "input is not a directory");
  const { files: found, skipped } = await discoverFiles(input);
  if (found.length === 0) {
    throw new IngestError(
      { file: input },
      `no benchmark files found (expected folders named after a benchmark, e.g. nq/, hotpotqa/; skipped ${skipped.length} files)`,
    );
  }
  // Sequential, in sorted path order: the first bad file in that order is the one reported.
  const files: ParsedFile[] = [];
  for (const f of found) files.push(await parseBenchmarkFile(f));
  const owner = new Map<string, { file: string; line: number }>();
  for (const f of files) {
    for (const [i, r] of f.rows.entries()) {
      const key = `${r.benchmark}\u0000${r.split}\u0000${r.variant}\u0000${r.id}`;
      const prev = owner.get(key);
      const line = f.lines[i]!;
      if (prev && prev.file !== f.relPath) {
        throw new IngestError(
          { file: f.relPath, line, field: "id" },
          `duplicate id "${r.id}" in ${r.benchmark}/${r.split}/${r.variant} (also in ${prev.file}:${prev.line})`,
        );
      }
      owner.set(key, { file: f.relPath, line });
    }
  }
  return { files, skipped };
}
