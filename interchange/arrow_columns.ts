/**
 * Column builders shared by the credit service's Arrow bodies (arrow.ts: records in;
 * arrow_answer.ts: outputs out): list and text columns, a table of them, its IPC bytes.
 *
 * @module
 */
import {
  type Data,
  Field,
  Float32,
  Int32,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Uint8,
  Utf8,
  vectorFromArray,
} from "apache-arrow";

/** The Arrow type of a list column's elements. */
function elementType(kind: "int32" | "uint8" | "float32") {
  return kind === "int32" ? new Int32() : kind === "uint8" ? new Uint8() : new Float32();
}

/** A List<kind> column from per-row arrays (null rows allowed). */
export function listData(
  rows: readonly (ArrayLike<number> | null | undefined)[],
  kind: "int32" | "uint8" | "float32",
): Data {
  const offsets = new Int32Array(rows.length + 1);
  let total = 0;
  rows.forEach((r, i) => {
    total += r?.length ?? 0;
    offsets[i + 1] = total;
  });
  const values = kind === "int32"
    ? new Int32Array(total)
    : kind === "uint8"
    ? new Uint8Array(total)
    : new Float32Array(total);
  rows.forEach((r, i) => {
    if (r) values.set(r as ArrayLike<number>, offsets[i]!);
  });
  const nulls = rows.filter((r) => r === null || r === undefined).length;
  let nullBitmap: Uint8Array | undefined;
  if (nulls > 0) {
    nullBitmap = new Uint8Array(Math.ceil(rows.length / 8));
    rows.forEach((r, i) => {
      if (r) nullBitmap![i >> 3]! |= 1 << (i & 7);
    });
  }
  const child = kind === "int32"
    ? makeData({ type: new Int32(), length: total, data: values as Int32Array })
    : kind === "uint8"
    ? makeData({ type: new Uint8(), length: total, data: values as Uint8Array })
    : makeData({ type: new Float32(), length: total, data: values as Float32Array });
  // One element type per call; typed as Float32 only to pick makeData's list overload.
  const type = new List(new Field("item", elementType(kind), false)) as List<Float32>;
  return makeData({
    type,
    length: rows.length,
    nullCount: nulls,
    ...(nullBitmap ? { nullBitmap } : {}),
    valueOffsets: offsets,
    child: child as Data<Float32>,
  });
}

/** One record batch of named columns as a table, with schema metadata. */
export function tableOf(
  columns: [string, Data][],
  metadata: Map<string, string>,
  length: number,
): Table {
  const fields = columns.map(([name, d]) => new Field(name, d.type, true));
  const schema = new Schema(fields, metadata);
  const data = makeData({
    type: new Struct(fields),
    length,
    nullCount: 0,
    children: columns.map(([, d]) => d),
  });
  return new Table([new RecordBatch(schema, data)]);
}

/** A table as IPC stream bytes (in an ArrayBuffer of their own, as fetch bodies need). */
export function ipcBytes(t: Table): Uint8Array<ArrayBuffer> {
  return ownBytes(tableToIPC(t, "stream"));
}

/** `b`, or a copy of it, in an ArrayBuffer of its own. */
export function ownBytes(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer && b.byteOffset === 0 &&
      b.byteLength === b.buffer.byteLength
    ? b as Uint8Array<ArrayBuffer>
    : new Uint8Array(b);
}

/** A Utf8 column (null for a missing value). */
export function textData(values: readonly (string | null | undefined)[]): Data {
  return vectorFromArray(values.map((v) => v ?? null), new Utf8()).data[0]!;
}
