/**
 * Containers of benchmark files, detected by content (not by extension): JSON lines, a JSON
 * list of records, or Parquet (magic bytes `PAR1`). Each yields records with the 1-based line
 * (Parquet: row + 1) where they start, so errors can name it.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { withDuckDb } from "../duckdb.ts";
import { IngestError } from "./errors.ts";

/** One raw record of a source file. */
export interface RawRecord {
  value: unknown;
  /** 1-based line where the record starts (Parquet: row number + 1). */
  line: number;
}

/** The container kinds. */
export type Container = "jsonl" | "json-list" | "parquet";

/** Records of one file and how they were stored. */
export interface RawFile {
  container: Container;
  records: RawRecord[];
  /** SHA-256 of the file bytes (hex). */
  sha256: string;
}

const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

/** True if the bytes start (and end) with the Parquet magic `PAR1`. */
export function isParquet(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== PARQUET_MAGIC[i] || bytes[bytes.length - 4 + i] !== PARQUET_MAGIC[i]) {
      return false;
    }
  }
  return true;
}

/**
 * Read a file's records, detecting the container by content: Parquet magic bytes, else JSON
 * text whose first non-blank character is `[` (a JSON list) or `{` (JSON lines).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { DEFAULT_QA_DIR } from "./paths.ts";
 * const rel = "bamboogle/bamboogle_test_flashrag.jsonl";
 * const raw = await readRawFile(join(DEFAULT_QA_DIR, rel), rel);
 * assert.equal(raw.container, "jsonl");
 * assert.equal(raw.records[0]?.line, 1);
 * ```
 */
export async function readRawFile(path: string, displayName: string): Promise<RawFile> {
  const bytes = await Deno.readFile(path);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (isParquet(bytes)) {
    return { container: "parquet", records: await readParquet(path, displayName), sha256 };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new IngestError({ file: displayName }, "unknown format: not UTF-8 text and not Parquet");
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = text.search(/\S/);
  if (first < 0) throw new IngestError({ file: displayName }, "empty file: no records");
  const c = text[first];
  if (c === "[") {
    return { container: "json-list", records: parseJsonList(text, displayName), sha256 };
  }
  if (c === "{") return { container: "jsonl", records: parseJsonLines(text, displayName), sha256 };
  throw new IngestError(
    { file: displayName, line: lineAt(text, first) },
    `unknown format: expected JSON lines ("{" first), a JSON list ("[" first) or Parquet, found ${
      JSON.stringify(text.slice(first, first + 20))
    }`,
  );
}

/** 1-based line number of character offset `pos`. */
function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Parse JSON lines: one JSON value per line; blank lines are skipped (they still count for line
 * numbers); a missing final newline is fine.
 */
export function parseJsonLines(text: string, file: string): RawRecord[] {
  const out: RawRecord[] = [];
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end);
    if (raw.trim() !== "") {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (line === 1) {
          // A pretty-printed JSON object is not JSON lines.
          let whole: unknown;
          try {
            whole = JSON.parse(text);
          } catch { /* fall through to the line error */ }
          if (whole !== undefined) {
            throw new IngestError(
              { file, line: 1 },
              "unknown format: a single top-level JSON object; expected JSON lines of records, a JSON list of records or Parquet",
            );
          }
        }
        throw new IngestError({ file, line }, `malformed JSON line: ${msg}`);
      }
      out.push({ value, line });
    }
    start = end + 1;
  }
  return out;
}

/**
 * Parse a JSON list and find the line where each top-level element starts (a small scanner
 * over strings and nesting), so record errors can name a line.
 */
export function parseJsonList(text: string, file: string): RawRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    const line = m ? lineAt(text, Number(m[1])) : undefined;
    throw new IngestError(line === undefined ? { file } : { file, line }, `malformed JSON: ${msg}`);
  }
  if (!Array.isArray(value)) {
    throw new IngestError({ file, line: 1 }, "unknown format: expected a JSON list of records");
  }
  const lines = elementStartLines(text);
  if (lines.length !== value.length) {
    throw new Error(
      `internal: found ${lines.length} list elements in ${file}, JSON.parse found ${value.length}`,
    );
  }
  return value.map((v, i) => ({ value: v, line: lines[i]! }));
}

/** Start lines of the elements of the top-level JSON list in `text` (text is valid JSON). */
function elementStartLines(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) {
      line++;
      continue;
    }
    if (inString) {
      if (ch === 92) i++; // backslash: skip the escaped char (never a newline in valid JSON)
      else if (ch === 34) inString = false;
      continue;
    }
    if (ch === 32 || ch === 9 || ch === 13) continue;
    if (depth === 1 && expectElement && ch !== 93) {
      out.push(line);
      expectElement = false;
    }
    if (ch === 34) inString = true;
    else if (ch === 91 || ch === 123) {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (ch === 93 || ch === 125) depth--;
    else if (ch === 44 && depth === 1) expectElement = true;
  }
  return out;
}

/** Convert DuckDB JS values to plain JSON-able values (bigint -> number or string). */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x);
    return o;
  }
  return v;
}

/** Read all rows of a Parquet file as plain objects (through an in-memory DuckDB). */
async function readParquet(path: string, file: string): Promise<RawRecord[]> {
  return await withDuckDb(":memory:", async (conn) => {
    try {
      const reader = await conn.runAndReadAll("SELECT * FROM read_parquet($1)", [path]);
      return reader.getRowObjectsJS().map((row, i) => ({ value: plain(row), line: i + 1 }));
    } catch (e) {
      throw new IngestError(
        { file },
        `unreadable Parquet: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  });
}
