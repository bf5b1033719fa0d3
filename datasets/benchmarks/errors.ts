/**
 * Errors of the benchmark ingest: always name the file, the line (or Parquet row) and the field.
 *
 * @module
 */

/** Where in the input a problem is. `line` is 1-based (JSON lines, JSON arrays: the line where the record starts; Parquet: the row number + 1). */
export interface InputLocation {
  file: string;
  line?: number;
  field?: string;
}

/**
 * A bad-input error. `message` reads `file:line: field "f": problem`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new IngestError(
 *   { file: "nq/test.jsonl", line: 3, field: "golden_answers" },
 *   "expected a non-empty list of strings, got []",
 * );
 * assert.equal(e.message, 'nq/test.jsonl:3: field "golden_answers": ' + e.problem);
 * ```
 */
export class IngestError extends Error {
  readonly location: InputLocation;
  readonly problem: string;
  constructor(location: InputLocation, problem: string) {
    const where = location.line === undefined ? location.file : `${location.file}:${location.line}`;
    const field = location.field === undefined ? "" : ` field "${location.field}":`;
    super(`${where}:${field} ${problem}`);
    this.name = "IngestError";
    this.location = location;
    this.problem = problem;
  }
}

/** What an ingest had committed when a later step failed ({@link IngestCommittedError}). */
export interface IngestCommitted {
  /** The DuckDB file the questions were committed to. */
  db: string;
  /** Questions committed. */
  rows: number;
  /** The (benchmark/split/variant) groups whose rows were replaced, with their row counts. */
  groups: { group: string; rows: number }[];
  /** Whether every other row was deleted first (`--replace-all`). */
  replaceAll: boolean;
  /** Parquet files renamed into place. */
  parquetWritten: string[];
  /** Parquet files not updated (they still hold the previous ingest, or do not exist). */
  parquetNotWritten: string[];
  /** Dataset card files written. */
  cardsWritten: string[];
  /** Benchmarks whose dataset cards were not (fully) written. */
  cardsNotWritten: string[];
  /** The folder of the cards (null: no cards were asked for). */
  cardsDir: string | null;
  /** The step that failed, e.g. "writing the dataset card of nq". */
  failedAt: string;
}

/**
 * A failure after the ingest's transaction committed (renaming the Parquet files or writing
 * the dataset cards): the message says exactly what is in the store and on disk, what is not,
 * and how to finish.
 */
export class IngestCommittedError extends Error {
  readonly committed: IngestCommitted;
  constructor(committed: IngestCommitted, cause: unknown) {
    const c = committed;
    const list = (xs: string[]) => (xs.length === 0 ? "none" : xs.join(", "));
    const why = cause instanceof Error ? cause.message : String(cause);
    const lines = [
      `${c.failedAt} failed: ${why}`,
      `This failed after the questions were committed: ${c.db} now holds the ${c.rows} ingested questions (${
        c.groups.map((g) => `${g.group} ${g.rows}`).join(", ")
      })${
        c.replaceAll
          ? " and no other rows (--replace-all)"
          : ", replacing the earlier rows of those groups"
      }.`,
      `Parquet files updated: ${list(c.parquetWritten)}; not updated: ${
        list(c.parquetNotWritten)
      }.`,
    ];
    if (c.cardsDir !== null) {
      lines.push(
        `Dataset cards written: ${list(c.cardsWritten)}; not written: ${list(c.cardsNotWritten)}.`,
      );
    }
    const todo: string[] = [];
    if (c.parquetNotWritten.length > 0) todo.push("re-run the ingest to write the Parquet files");
    if (c.cardsDir !== null && c.cardsNotWritten.length > 0) {
      todo.push(`write the cards with \`deno task data card --db ${c.db} --out ${c.cardsDir}\``);
    }
    if (todo.length > 0) lines.push(`To finish: ${todo.join("; ")}.`);
    super(lines.join("\n"), { cause });
    this.name = "IngestCommittedError";
    this.committed = committed;
  }
}

/** Short JSON rendering of a bad value for error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing (field missing)";
  let s: string;
  try {
    s = typeof v === "bigint" ? `${v}` : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  const kind = v === null ? "null" : Array.isArray(v) ? "list" : typeof v;
  return `${kind} ${s.length > 80 ? s.slice(0, 77) + "..." : s}`;
}
