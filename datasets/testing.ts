/**
 * Helpers shared by the tests of the datasets package (not part of mod.ts; nothing outside
 * tests imports it).
 *
 * @module
 */
import { DuckDBInstance } from "@duckdb/node-api";

/**
 * The rows of `sql` on a DuckDB database of its own: `db` opened read-only, or an in-memory
 * one for `":memory:"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(await queryDuckDb(":memory:", "SELECT 1 AS one"), [{ one: 1 }]);
 * ```
 */
export async function queryDuckDb(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(
    db,
    db === ":memory:" ? {} : { access_mode: "READ_ONLY" },
  );
  const conn = await inst.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}
