/**
 * Arrow IPC (stream format) bodies of the credit service: records in, outputs out, without the
 * cost of JSON for millions of per-token numbers.
 *
 * Request table, one row per record: the per-token columns `prompt_ids`, `response_ids`
 * (List<Int32>), `response_mask` (List<Uint8>), `rollout_log_probs` (List<Float32>, nullable);
 * the scalar columns of the format (Utf8 / Float64 / Int32); and `ground_truth`, `turns`,
 * `extras`, `meta` as JSON text (Utf8) or as nested Arrow structs and lists — both are read (a
 * null field of a struct of `ground_truth`, `turns` or `extras` is an absent optional field).
 * Answer table, one row per record in order: `trajectory_id`, `uid` (Utf8), `reward` (Float64),
 * `advantages` (List<Float32>), `loss_weights` (List<Float32>, only when the method returns
 * them), `method_record` (JSON text); the schema metadata holds `format`, `version`, `method`
 * and `metrics` (JSON).
 *
 * The credit service decodes and encodes in slices ({@link recordsFromArrowSliced},
 * {@link outputsToArrowSliced}: a few rows at a time, awaiting a pause in between; its answer
 * then holds one record batch per slice of rows).
 *
 * @module
 */
import {
  type Data,
  Float64,
  Int32,
  List,
  type Table,
  tableFromIPC,
  vectorFromArray,
} from "apache-arrow";
import { ipcBytes, listData, tableOf, textData } from "./arrow_columns.ts";
import { withoutNullFields } from "./checker.ts";
import { InterchangeError } from "./errors.ts";
import type { TrajectoryRecord } from "./record.ts";

export {
  type CreditAnswer,
  type CreditOutput,
  outputsFromArrow,
  outputsToArrow,
  outputsToArrowSliced,
} from "./arrow_answer.ts";

/** The media type of Arrow IPC stream bodies. */
export const ARROW_STREAM_TYPE = "application/vnd.apache.arrow.stream";

const TOKEN_COLUMNS: Record<string, "int32" | "uint8" | "float32"> = {
  prompt_ids: "int32",
  response_ids: "int32",
  response_mask: "uint8",
  rollout_log_probs: "float32",
};
const TEXT_COLUMNS = [
  "uid",
  "trajectory_id",
  "data_source",
  "question_id",
  "question",
  "prompt_text",
  "answer",
];
const JSON_COLUMNS = ["ground_truth", "turns", "extras", "meta"];
/** Nested columns sent as Arrow structs: their null fields are absent optional fields. */
const STRUCT_COLUMNS = new Set(["ground_truth", "turns", "extras"]);

/**
 * Records as an Arrow IPC stream (the request body of `POST /credit` with
 * `Content-Type: application/vnd.apache.arrow.stream`). Nested fields travel as JSON text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = {
 *   version: 1, uid: "0", trajectory_id: "t0", data_source: "nq", question_id: "q1",
 *   ground_truth: { target: ["ann"] }, prompt_ids: [1], prompt_text: "question : who ?",
 *   response_ids: [7], response_mask: [1],
 *   turns: [{ role: "policy" as const, round: 1, start: 0, end: 1, text: "<answer> ann </answer>" }],
 * };
 * const back = recordsFromArrow(recordsToArrow([rec]), "body");
 * assert.deepEqual((back[0] as { response_ids: number[] }).response_ids, [7]);
 * ```
 */
export function recordsToArrow(records: readonly TrajectoryRecord[]): Uint8Array<ArrayBuffer> {
  const cols: [string, Data][] = [
    ["version", vectorFromArray(records.map((r) => r.version), new Int32()).data[0]!],
  ];
  for (const k of TEXT_COLUMNS) {
    cols.push([k, textData(records.map((r) => r[k as keyof TrajectoryRecord] as string | null))]);
  }
  for (const [k, kind] of Object.entries(TOKEN_COLUMNS)) {
    cols.push([k, listData(records.map((r) => r[k as keyof TrajectoryRecord] as number[]), kind)]);
  }
  cols.push([
    "outcome_reward",
    vectorFromArray(records.map((r) => r.outcome_reward ?? null), new Float64()).data[0]!,
  ]);
  for (const k of JSON_COLUMNS) {
    cols.push([
      k,
      textData(records.map((r) => {
        const v = r[k as keyof TrajectoryRecord];
        return v === undefined || v === null ? null : JSON.stringify(v);
      })),
    ]);
  }
  return ipcBytes(tableOf(cols, new Map(), records.length));
}

/** A value read from Arrow as plain JSON-like data (structs to objects, vectors to arrays). */
function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v !== "object") return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  const o = v as { toJSON?: () => unknown; toArray?: () => unknown };
  if (Array.isArray(v)) return v.map(plain);
  if (typeof o.toJSON === "function") return plain(o.toJSON());
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

/** Rows decoded between two pauses of {@link recordsFromArrowSliced}. */
const ROWS_PER_SLICE = 16;

/**
 * The records of an Arrow IPC stream, as plain objects to validate (`validateRecord`). Errors
 * name `source` and the row.
 */
export function recordsFromArrow(bytes: Uint8Array, source: string): unknown[] {
  const rows = decodeRecords(bytes, source);
  for (;;) {
    const r = rows.next();
    if (r.done) return r.value;
  }
}

/**
 * {@link recordsFromArrow} a few rows at a time, awaiting `pause()` in between (e.g. a
 * `TimeSlicer`'s): the same records and errors.
 */
export async function recordsFromArrowSliced(
  bytes: Uint8Array,
  source: string,
  pause: () => Promise<void>,
): Promise<unknown[]> {
  const rows = decodeRecords(bytes, source);
  for (;;) {
    await pause();
    const r = rows.next();
    if (r.done) return r.value;
  }
}

/** The records of an Arrow IPC stream, yielding every {@link ROWS_PER_SLICE} rows of a column. */
function* decodeRecords(bytes: Uint8Array, source: string): Generator<void, unknown[]> {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new InterchangeError({ source, at: "body" }, {
      field: "",
      expected: "an Arrow IPC stream of trajectory records",
      got: (e as Error).message,
    });
  }
  const n = table.numRows;
  const out: Record<string, unknown>[] = Array.from({ length: n }, () => ({}));
  for (const field of table.schema.fields) {
    yield;
    const name = field.name;
    const vec = table.getChild(name)!;
    if (name in TOKEN_COLUMNS && field.type instanceof List) {
      // Fast path: slice the child values by the list offsets, chunk by chunk.
      let row = 0;
      for (const d of vec.data) {
        const offsets = d.valueOffsets;
        const child = d.children[0]!;
        const values = child.values as ArrayLike<number>;
        for (let j = 0; j < d.length; j++, row++) {
          if (row % ROWS_PER_SLICE === 0) yield;
          if (!d.getValid(j)) continue;
          const a = offsets[d.offset + j]! + child.offset;
          const b = offsets[d.offset + j + 1]! + child.offset;
          const arr: number[] = new Array(b - a);
          for (let k = a; k < b; k++) arr[k - a] = values[k]!;
          out[row]![name] = arr;
        }
      }
      continue;
    }
    for (let i = 0; i < n; i++) {
      if (i % ROWS_PER_SLICE === 0) yield;
      const v = vec.get(i);
      if (v === null || v === undefined) continue;
      if (JSON_COLUMNS.includes(name) && typeof v === "string") {
        try {
          out[i]![name] = JSON.parse(v);
        } catch (e) {
          throw new InterchangeError({ source, at: `row ${i + 1}` }, {
            field: name,
            expected: "JSON text",
            got: (e as Error).message,
          });
        }
      } else if (STRUCT_COLUMNS.has(name)) out[i]![name] = withoutNullFields(plain(v));
      else out[i]![name] = plain(v);
    }
  }
  return out;
}
