/**
 * The credit service's answer as an Arrow IPC stream (arrow.ts has the format): one row per
 * record in order — `trajectory_id`, `uid`, `reward`, `advantages`, `loss_weights` (only when the
 * method returns them), `method_record` (JSON text) — with `format`, `version`, `method` and
 * `metrics` in the schema metadata.
 *
 * @module
 */
import {
  type Data,
  Field,
  Float64,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  tableFromIPC,
  vectorFromArray,
} from "apache-arrow";
import { listData, ownBytes, textData } from "./arrow_columns.ts";
import { FORMAT_NAME, FORMAT_VERSION, type TrajectoryRecord } from "./record.ts";

/** What the credit service answers, as {@link outputsToArrow} encodes it. */
export interface CreditAnswer {
  method: string;
  metrics: Record<string, number>;
  records: readonly TrajectoryRecord[];
}

/** The answer of `POST /credit` as an Arrow IPC stream (one row per record, in order). */
export function outputsToArrow(answer: CreditAnswer): Uint8Array<ArrayBuffer> {
  const batches = encodeOutputs(answer, Math.max(1, answer.records.length));
  for (;;) {
    const r = batches.next();
    if (r.done) return r.value;
  }
}

/**
 * {@link outputsToArrow} in record batches of `rowsPerBatch` rows, awaiting `pause()` before
 * each (e.g. a `TimeSlicer`'s): the same table, in several record batches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = (i: number) => ({ trajectory_id: `t${i}`, uid: "0", reward: i, advantages: [i, 0] }) as never;
 * const bytes = await outputsToArrowSliced(
 *   { method: "grpo", metrics: { m: 1 }, records: [rec(0), rec(1), rec(2)] },
 *   () => Promise.resolve(),
 *   2,
 * );
 * const back = outputsFromArrow(bytes);
 * assert.deepEqual(back.outputs.map((o) => [...o.advantages]), [[0, 0], [1, 0], [2, 0]]);
 * assert.deepEqual(back.metrics, { m: 1 });
 * ```
 */
export async function outputsToArrowSliced(
  answer: CreditAnswer,
  pause: () => Promise<void>,
  rowsPerBatch = 128,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!Number.isInteger(rowsPerBatch) || rowsPerBatch < 1) {
    throw new RangeError(`outputsToArrowSliced: rowsPerBatch must be a positive integer`);
  }
  const batches = encodeOutputs(answer, rowsPerBatch);
  for (;;) {
    await pause();
    const r = batches.next();
    if (r.done) return r.value;
  }
}

/** The answer's IPC stream, one record batch of `rowsPerBatch` rows at a time (yielding after each). */
function* encodeOutputs(
  answer: CreditAnswer,
  rowsPerBatch: number,
): Generator<void, Uint8Array<ArrayBuffer>> {
  const all = answer.records;
  const weights = all.some((r) => r.loss_weights);
  const meta = new Map([
    ["format", FORMAT_NAME],
    ["version", String(FORMAT_VERSION)],
    ["method", answer.method],
    ["metrics", JSON.stringify(answer.metrics)],
  ]);
  const writer = new RecordBatchStreamWriter();
  let schema: Schema | null = null;
  let from = 0;
  do {
    const recs = all.slice(from, from + rowsPerBatch);
    const cols: [string, Data][] = [
      ["trajectory_id", textData(recs.map((r) => r.trajectory_id))],
      ["uid", textData(recs.map((r) => r.uid))],
      ["reward", vectorFromArray(recs.map((r) => r.reward ?? null), new Float64()).data[0]!],
      ["advantages", listData(recs.map((r) => r.advantages ?? null), "float32")],
    ];
    if (weights) {
      cols.push(["loss_weights", listData(recs.map((r) => r.loss_weights ?? null), "float32")]);
    }
    cols.push([
      "method_record",
      textData(recs.map((r) => (r.method_record ? JSON.stringify(r.method_record) : null))),
    ]);
    schema ??= new Schema(cols.map(([name, d]) => new Field(name, d.type, true)), meta);
    const data = makeData({
      type: new Struct(schema.fields),
      length: recs.length,
      nullCount: 0,
      children: cols.map(([, d]) => d),
    });
    writer.write(new RecordBatch(schema, data));
    from += rowsPerBatch;
    yield;
  } while (from < all.length);
  writer.finish();
  return ownBytes(writer.toUint8Array(true));
}

/** One output row of {@link outputsFromArrow}. */
export interface CreditOutput {
  trajectory_id: string;
  uid: string;
  reward: number;
  advantages: Float32Array;
  loss_weights: Float32Array | null;
  method_record: unknown;
}

/**
 * Decode an Arrow answer of the credit service (what a client does; pyarrow reads the same).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = outputsToArrow({ method: "grpo", metrics: {}, records: [{ trajectory_id: "t0", uid: "0",
 *   reward: 1, advantages: [0.5, 0] } as never] });
 * const back = outputsFromArrow(bytes);
 * assert.deepEqual([...back.outputs[0]!.advantages], [0.5, 0]);
 * assert.equal(back.method, "grpo");
 * ```
 */
export function outputsFromArrow(bytes: Uint8Array): {
  method: string;
  metrics: Record<string, number>;
  outputs: CreditOutput[];
} {
  const t = tableFromIPC(bytes);
  const meta = t.schema.metadata;
  const list = (name: string, i: number): Float32Array | null => {
    const v = t.getChild(name)?.get(i) as { toArray(): Float32Array } | null | undefined;
    return v ? Float32Array.from(v.toArray()) : null;
  };
  const outputs: CreditOutput[] = [];
  for (let i = 0; i < t.numRows; i++) {
    const rec = t.getChild("method_record")!.get(i) as string | null;
    outputs.push({
      trajectory_id: t.getChild("trajectory_id")!.get(i) as string,
      uid: t.getChild("uid")!.get(i) as string,
      reward: t.getChild("reward")!.get(i) as number,
      advantages: list("advantages", i) ?? new Float32Array(0),
      loss_weights: list("loss_weights", i),
      method_record: rec === null ? null : JSON.parse(rec),
    });
  }
  return {
    method: meta.get("method") ?? "",
    metrics: JSON.parse(meta.get("metrics") ?? "{}"),
    outputs,
  };
}
