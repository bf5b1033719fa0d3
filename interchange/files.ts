/**
 * Reading and writing record files by extension: `.jsonl` (JSON Lines) or `.parquet`.
 *
 * @module
 */
import { formatJsonl, parseJsonl } from "./jsonl.ts";
import { readParquet, writeParquet } from "./parquet.ts";
import type { TrajectoryRecord } from "./record.ts";

/** The encoding of a path, from its extension; throws naming the path otherwise. */
export function fileFormat(path: string): "jsonl" | "parquet" {
  if (/\.jsonl$/i.test(path)) return "jsonl";
  if (/\.parquet$/i.test(path)) return "parquet";
  throw new Error(`${path}: expected a .jsonl or .parquet file`);
}

/**
 * Read and check the records of a `.jsonl` or `.parquet` file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await writeRecords(path, []);
 * assert.deepEqual(await readRecords(path), []);
 * await Deno.remove(path);
 * ```
 */
export async function readRecords(path: string): Promise<TrajectoryRecord[]> {
  if (fileFormat(path) === "parquet") return await readParquet(path);
  return parseJsonl(await Deno.readTextFile(path), path);
}

/** Write records to a `.jsonl` or `.parquet` file (through a temporary name, then renamed). */
export async function writeRecords(
  path: string,
  records: readonly TrajectoryRecord[],
): Promise<void> {
  if (fileFormat(path) === "parquet") return await writeParquet(path, records);
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, formatJsonl(records));
  await Deno.rename(tmp, path);
}
