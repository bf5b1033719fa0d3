/**
 * Parse passage-corpus files into passages, with errors naming file, line/entry and field.
 *
 * Formats (detected from the file, never from a flag):
 * - `flashrag-jsonl` — FlashRAG / Search-R1 corpus: one JSON object per line with `id`
 *   (string, or an integer written as a string) and `contents` = `"Title"\ntext`. Other fields
 *   go to `metadata`.
 * - `hipporag-dict` — HippoRAG `{title: [sentences]}`: text = the sentences concatenated (they
 *   carry their own leading spaces, as in HotpotQA's context paragraphs), trimmed.
 * - `hipporag-list` — HippoRAG `[{title, text}, ...]`; other fields go to `metadata`.
 *
 * Ids: FlashRAG's own `id`; for the HippoRAG files (which have none) the 0-based entry index
 * as a string. Duplicate ids in one file are an error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { DEFAULT_CORPUS_DIR } from "./store.ts";
 * const file = join(DEFAULT_CORPUS_DIR, "wiki18_100w_sample_1000_flashrag.jsonl");
 * const parsed = await parseCorpusFile(file);
 * parsed.passages[0]; // { id: "0", title: "Evan Morris", text: "Evan Morris Evan L. ...", ... }
 * assert.equal(parsed.passages[0]?.title, "Evan Morris");
 * ```
 * @module
 */

import { basename } from "node:path";
import { fromContents } from "./contents.ts";

/** Detected corpus format. */
export type CorpusFormat = "flashrag-jsonl" | "hipporag-dict" | "hipporag-list";

/** One parsed passage with its provenance. */
export interface CorpusPassage {
  id: string;
  title: string;
  text: string;
  /** Fields the format does not define, or null. */
  metadata: Record<string, unknown> | null;
  /** 1-based line (jsonl) or 0-based entry index (json) in the source file. */
  sourceRow: number;
}

/** A parsed corpus file. */
export interface ParsedCorpus {
  /** Corpus name: the file's base name without extension. */
  corpus: string;
  format: CorpusFormat;
  file: string;
  passages: CorpusPassage[];
}

/** A corpus input error naming the file, the line or entry, and the field. */
export class CorpusError extends Error {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly field: string | null,
    problem: string,
  ) {
    super(`${file}: ${where}${field === null ? "" : `: field "${field}"`}: ${problem}`);
    this.name = "CorpusError";
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? `a string` : `${typeof v}`;
}

/** `v` if it is a string; else a {@link CorpusError} naming the field: missing, or what it is. */
function stringField(v: unknown, file: string, where: string, field: string): string {
  if (typeof v === "string") return v;
  throw new CorpusError(
    file,
    where,
    field,
    v === undefined ? "missing (expected a string)" : `expected a string, got ${describe(v)}`,
  );
}

/** Corpus name of a file path: base name without `.jsonl` / `.json`. */
export function corpusName(path: string): string {
  return basename(path).replace(/\.(jsonl|json)$/i, "");
}

/** Parse FlashRAG corpus jsonl text. */
export function parseFlashragJsonl(text: string, file: string): CorpusPassage[] {
  const out: CorpusPassage[] = [];
  const seen = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw.length === 0) continue;
    const line = i + 1;
    const where = `line ${line}`;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (e) {
      throw new CorpusError(file, where, null, `malformed JSON (${(e as Error).message})`);
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new CorpusError(file, where, null, `expected a JSON object, got ${describe(row)}`);
    }
    const { id, contents, ...rest } = row as Record<string, unknown>;
    if (id === undefined) throw new CorpusError(file, where, "id", "missing (expected a string)");
    if (typeof id !== "string" && !(typeof id === "number" && Number.isInteger(id))) {
      throw new CorpusError(file, where, "id", `expected a string, got ${describe(id)}`);
    }
    if (contents === undefined) {
      throw new CorpusError(file, where, "contents", 'missing (expected "\\"Title\\"\\ntext")');
    }
    if (typeof contents !== "string") {
      throw new CorpusError(
        file,
        where,
        "contents",
        `expected a string, got ${describe(contents)}`,
      );
    }
    const sid = String(id);
    const prev = seen.get(sid);
    if (prev !== undefined) {
      throw new CorpusError(file, where, "id", `duplicate id "${sid}" (first on line ${prev})`);
    }
    seen.set(sid, line);
    const { title, text } = fromContents(contents);
    out.push({
      id: sid,
      title,
      text,
      metadata: Object.keys(rest).length > 0 ? rest : null,
      sourceRow: line,
    });
  }
  return out;
}

/** Parse a HippoRAG corpus (dict or list) from its JSON text. */
export function parseHippoJson(
  text: string,
  file: string,
): { format: CorpusFormat; passages: CorpusPassage[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CorpusError(file, "whole file", null, `malformed JSON (${(e as Error).message})`);
  }
  const out: CorpusPassage[] = [];
  if (Array.isArray(data)) {
    data.forEach((entry, i) => {
      const where = `entry ${i}`;
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
        throw new CorpusError(
          file,
          where,
          null,
          `expected an object {title, text}, got ${describe(entry)}`,
        );
      }
      const { title, text, ...rest } = entry as Record<string, unknown>;
      out.push({
        id: String(i),
        title: stringField(title, file, where, "title"),
        text: stringField(text, file, where, "text"),
        metadata: Object.keys(rest).length > 0 ? rest : null,
        sourceRow: i,
      });
    });
    return { format: "hipporag-list", passages: out };
  }
  if (typeof data === "object" && data !== null) {
    let i = 0;
    for (const [title, sentences] of Object.entries(data)) {
      const where = `entry ${i} (title ${JSON.stringify(title)})`;
      if (!Array.isArray(sentences) || !sentences.every((s) => typeof s === "string")) {
        throw new CorpusError(
          file,
          where,
          title,
          `expected a list of sentence strings, got ${describe(sentences)}`,
        );
      }
      out.push({
        id: String(i),
        title,
        text: (sentences as string[]).join("").trim(),
        metadata: null,
        sourceRow: i,
      });
      i++;
    }
    return { format: "hipporag-dict", passages: out };
  }
  throw new CorpusError(
    file,
    "whole file",
    null,
    `unknown corpus format: expected a JSON object {title: [sentences]} or a list of {title, text}, got ${
      describe(data)
    }`,
  );
}

/**
 * Read and parse one corpus file (`.jsonl` -> FlashRAG; `.json` -> HippoRAG dict or list).
 * Throws {@link CorpusError} on any problem.
 */
export async function parseCorpusFile(
  path: string,
  opts: { corpus?: string } = {},
): Promise<ParsedCorpus> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CorpusError(path, "file", null, `cannot read (${(e as Error).message})`);
  }
  const corpus = opts.corpus ?? corpusName(path);
  if (/\.jsonl$/i.test(path)) {
    return {
      corpus,
      format: "flashrag-jsonl",
      file: path,
      passages: parseFlashragJsonl(text, path),
    };
  }
  if (/\.json$/i.test(path)) {
    const { format, passages } = parseHippoJson(text, path);
    return { corpus, format, file: path, passages };
  }
  throw new CorpusError(
    path,
    "file",
    null,
    "unknown corpus format: expected a .jsonl (FlashRAG) or .json (HippoRAG) file",
  );
}
