/**
 * The registry of benchmark record formats. A file's format is detected from the keys of its
 * first record ({@link detectFormat}); every record is then validated strictly by that reader.
 * Fields a reader does not consume go to `metadata` (never dropped).
 *
 * | format | keys | id | golden answers |
 * |---|---|---|---|
 * | `hotpotqa-original` | `_id, question, answer, supporting_facts, context` (+ type, level, evidences) | `_id` | `[answer]` |
 * | `musique-original` | `id, question, answer, answer_aliases` (+ paragraphs, ...) | `id` | `[answer, ...answer_aliases]` |
 * | `flashrag` | `id, question, golden_answers` (+ `metadata` object) | `id` | `golden_answers` |
 * | `r1searcher` | `idx, question, answer` (+ gen_text_store) | `String(idx)` | `answer` (string or list) |
 * | `qa-test-id` | `test_id, question, answer` | `<split>_<test_id>` (test_id is the split's row index) | `answer` (string or list) |
 * | `qa-pairs` | `question, answer` | `<split>_<row>` (0-based record index) | `answer` (string or list) |
 *
 * @module
 */

import { describeValue, IngestError } from "./errors.ts";

/** Names of the registered formats. */
export type FormatName =
  | "hotpotqa-original"
  | "musique-original"
  | "flashrag"
  | "r1searcher"
  | "qa-test-id"
  | "qa-pairs";

/** Where a record sits, for ids and error messages. */
export interface RecordContext {
  file: string;
  line: number;
  /** 0-based record index in the file. */
  index: number;
  split: string;
}

/** What a reader makes of one record. */
export interface ParsedRecord {
  id: string;
  question: string;
  goldenAnswers: string[];
  metadata: Record<string, unknown>;
}

/** One entry of the registry. */
export interface FormatReader {
  name: FormatName;
  /** One line: the layout and where it comes from. */
  description: string;
  /** Keys that identify the format (all must be present in the first record). */
  signature: readonly string[];
  /** Convert one record (an object); throws {@link IngestError} naming the field. */
  read(rec: Record<string, unknown>, ctx: RecordContext): ParsedRecord;
}

function fail(ctx: RecordContext, field: string, problem: string): never {
  throw new IngestError({ file: ctx.file, line: ctx.line, field }, problem);
}

function str(rec: Record<string, unknown>, field: string, ctx: RecordContext): string {
  const v = rec[field];
  if (typeof v !== "string") fail(ctx, field, `expected a string, got ${describeValue(v)}`);
  if (v.trim() === "") fail(ctx, field, "expected a non-empty string, got an empty string");
  return v;
}

function nonNegInt(rec: Record<string, unknown>, field: string, ctx: RecordContext): number {
  const v = rec[field];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    fail(ctx, field, `expected a non-negative integer, got ${describeValue(v)}`);
  }
  return v;
}

/** A golden-answer field: a non-empty list of non-empty strings, or (if `allowString`) one string. */
function answers(
  rec: Record<string, unknown>,
  field: string,
  ctx: RecordContext,
  allowString: boolean,
): string[] {
  const v = rec[field];
  const expected = allowString
    ? "a non-empty string or a non-empty list of non-empty strings"
    : "a non-empty list of non-empty strings";
  if (typeof v === "string" && allowString) {
    if (v.trim() === "") fail(ctx, field, `expected ${expected}, got an empty string`);
    return [v];
  }
  if (!Array.isArray(v)) fail(ctx, field, `expected ${expected}, got ${describeValue(v)}`);
  if (v.length === 0) fail(ctx, field, `expected ${expected}, got an empty list`);
  for (const [i, a] of v.entries()) {
    if (typeof a !== "string") {
      fail(ctx, `${field}[${i}]`, `expected a string, got ${describeValue(a)}`);
    }
    if (a.trim() === "") {
      fail(ctx, `${field}[${i}]`, "expected a non-empty answer, got an empty string");
    }
  }
  return v as string[];
}

/** Fields of `rec` not in `consumed`, as metadata. */
function extras(
  rec: Record<string, unknown>,
  consumed: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) if (!consumed.includes(k)) out[k] = v;
  return out;
}

const HOTPOT_KEYS = ["_id", "question", "answer"] as const;

const hotpotOriginal: FormatReader = {
  name: "hotpotqa-original",
  description:
    "original HotpotQA/2WikiMultihopQA json: _id, question, answer, type, level, supporting_facts [[title, sent_idx]], context [[title, [sentences]]]",
  signature: ["_id", "question", "answer", "supporting_facts", "context"],
  read(rec, ctx) {
    const id = str(rec, "_id", ctx);
    const question = str(rec, "question", ctx);
    const goldenAnswers = answers(rec, "answer", ctx, true);
    if (!Array.isArray(rec.supporting_facts)) {
      fail(
        ctx,
        "supporting_facts",
        `expected a list of [title, sentence index], got ${describeValue(rec.supporting_facts)}`,
      );
    }
    if (!Array.isArray(rec.context)) {
      fail(
        ctx,
        "context",
        `expected a list of [title, [sentences]], got ${describeValue(rec.context)}`,
      );
    }
    return { id, question, goldenAnswers, metadata: extras(rec, HOTPOT_KEYS) };
  },
};

const MUSIQUE_KEYS = ["id", "question", "answer", "answer_aliases"] as const;

const musiqueOriginal: FormatReader = {
  name: "musique-original",
  description:
    "original MuSiQue jsonl: id, question, answer, answer_aliases (+ paragraphs, question_decomposition, answerable)",
  signature: ["id", "question", "answer", "answer_aliases"],
  read(rec, ctx) {
    const id = str(rec, "id", ctx);
    const question = str(rec, "question", ctx);
    const [answer] = answers(rec, "answer", ctx, true);
    const aliases = rec.answer_aliases;
    if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== "string")) {
      fail(ctx, "answer_aliases", `expected a list of strings, got ${describeValue(aliases)}`);
    }
    const golden = [
      answer!,
      ...(aliases as string[]).filter((a) => a !== answer && a.trim() !== ""),
    ];
    return { id, question, goldenAnswers: golden, metadata: extras(rec, MUSIQUE_KEYS) };
  },
};

const FLASHRAG_KEYS = ["id", "question", "golden_answers", "metadata"] as const;

const flashrag: FormatReader = {
  name: "flashrag",
  description:
    "FlashRAG jsonl/Parquet: id, question, golden_answers: list[str], metadata: object (optional)",
  signature: ["question", "golden_answers"],
  read(rec, ctx) {
    const id = str(rec, "id", ctx);
    const question = str(rec, "question", ctx);
    const goldenAnswers = answers(rec, "golden_answers", ctx, false);
    let meta: unknown = rec.metadata;
    if (typeof meta === "string") {
      // Parquet/CSV exports may hold the metadata object as JSON text.
      try {
        meta = JSON.parse(meta);
      } catch {
        fail(
          ctx,
          "metadata",
          `expected an object (or JSON text of one), got ${describeValue(rec.metadata)}`,
        );
      }
    }
    if (meta === undefined || meta === null) meta = {};
    if (typeof meta !== "object" || Array.isArray(meta)) {
      fail(ctx, "metadata", `expected an object, got ${describeValue(rec.metadata)}`);
    }
    const metadata: Record<string, unknown> = { ...(meta as Record<string, unknown>) };
    for (const [k, v] of Object.entries(extras(rec, FLASHRAG_KEYS))) {
      if (k in metadata) fail(ctx, k, "present both as a top-level field and inside metadata");
      metadata[k] = v;
    }
    return { id, question, goldenAnswers, metadata };
  },
};

/**
 * A reader of flat `{question, answer: str or list[str]}` records plus the id fields of `keys`:
 * `id` makes the question id; `keys` are the format's signature and stay out of `metadata`.
 */
function questionAnswerReader(r: {
  name: FormatName;
  description: string;
  keys: readonly string[];
  id: (rec: Record<string, unknown>, ctx: RecordContext) => string;
}): FormatReader {
  return {
    name: r.name,
    description: r.description,
    signature: r.keys,
    read(rec, ctx) {
      const id = r.id(rec, ctx);
      const question = str(rec, "question", ctx);
      const goldenAnswers = answers(rec, "answer", ctx, true);
      return { id, question, goldenAnswers, metadata: extras(rec, r.keys) };
    },
  };
}

const r1searcher = questionAnswerReader({
  name: "r1searcher",
  description:
    "R1-Searcher eval jsonl: idx (integer), question, answer (string or list), gen_text_store",
  keys: ["idx", "question", "answer"],
  id: (rec, ctx) => String(nonNegInt(rec, "idx", ctx)),
});

const qaTestId = questionAnswerReader({
  name: "qa-test-id",
  description:
    "json list of {test_id, question, answer: list[str] or str}; test_id is the split's row index",
  keys: ["test_id", "question", "answer"],
  id: (rec, ctx) => `${ctx.split}_${nonNegInt(rec, "test_id", ctx)}`,
});

const qaPairs = questionAnswerReader({
  name: "qa-pairs",
  description: "json list (or jsonl) of {question, answer: str or list[str]}; ids <split>_<row>",
  keys: ["question", "answer"],
  id: (_rec, ctx) => `${ctx.split}_${ctx.index}`,
});

/** All readers, most specific first: detection takes the first whose signature matches. */
export const FORMAT_READERS: readonly FormatReader[] = [
  hotpotOriginal,
  musiqueOriginal,
  flashrag,
  r1searcher,
  qaTestId,
  qaPairs,
];

/**
 * Pick the reader for a file from its first record; throws an "unknown format" error naming
 * the file, line and the keys seen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const row = { id: "test_0", question: "q", golden_answers: ["a"] };
 * assert.equal(detectFormat(row, { file: "f.jsonl", line: 1 }).name, "flashrag");
 * ```
 */
export function detectFormat(first: unknown, at: { file: string; line: number }): FormatReader {
  if (first === null || typeof first !== "object" || Array.isArray(first)) {
    throw new IngestError(
      at,
      `unknown format: expected each record to be a JSON object, got ${describeValue(first)}`,
    );
  }
  const keys = new Set(Object.keys(first));
  const reader = FORMAT_READERS.find((r) => r.signature.every((k) => keys.has(k)));
  if (reader) return reader;
  const known = FORMAT_READERS.map((r) => `${r.name} {${r.signature.join(", ")}}`).join("; ");
  throw new IngestError(
    at,
    `unknown format: record keys {${[...keys].join(", ")}} match no known format (${known})`,
  );
}
