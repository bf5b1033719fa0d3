/**
 * JSON Lines encoding of interchange records: one record per line, blank lines ignored. Numbers
 * are written as JavaScript writes them, so float32 advantages and log-probs read back exactly.
 *
 * @module
 */
import { InterchangeError } from "./errors.ts";
import type { TrajectoryRecord } from "./record.ts";
import { validateRecord } from "./validate.ts";
import { validateBatch } from "./validate_batch.ts";

/**
 * Parse and check JSON Lines text; errors name `source`, the line and the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => parseJsonl('{"version": 1}\n', "a.jsonl"), /a.jsonl: line 1: field uid: expected a string/);
 * assert.throws(() => parseJsonl("{oops\n", "a.jsonl"), /a.jsonl: line 1: record: expected one JSON object per line/);
 * ```
 */
export function parseJsonl(text: string, source: string): TrajectoryRecord[] {
  const out: TrajectoryRecord[] = [];
  const lines: number[] = [];
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    const where = { source, at: `line ${lineNo}` };
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new InterchangeError(where, {
        field: "",
        expected: "one JSON object per line",
        got: `invalid JSON (${(e as Error).message})`,
      });
    }
    out.push(validateRecord(v, where));
    lines.push(lineNo);
  }
  validateBatch(out, (i) => ({ source, at: `line ${lines[i]}` }));
  return out;
}

/** Records as JSON Lines text (one line each, newline-terminated). */
export function formatJsonl(records: readonly TrajectoryRecord[]): string {
  return records.map((r) => JSON.stringify(r) + "\n").join("");
}
