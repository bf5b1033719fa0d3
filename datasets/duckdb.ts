/**
 * One DuckDB connection for the length of one piece of work: open, run, close.
 *
 * @module
 */

import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

/**
 * Run `f` on a connection to the DuckDB database `db` (a file path, or `":memory:"`), opened
 * with `opts.config` (DuckDB settings, e.g. `{ access_mode: "READ_ONLY" }`; default none). The
 * connection and then the instance are closed afterwards, whether `f` returns or throws; `f`'s
 * result or error is passed on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * const dir = await Deno.makeTempDir();
 * const db = join(dir, "x.duckdb");
 * await withDuckDb(db, (c) => c.run("CREATE TABLE t AS SELECT 42 AS n"));
 * const rows = await withDuckDb(
 *   db,
 *   async (c) => (await c.runAndReadAll("SELECT n FROM t")).getRowObjectsJS(),
 *   { config: { access_mode: "READ_ONLY" } },
 * );
 * assert.deepEqual(rows, [{ n: 42 }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function withDuckDb<T>(
  db: string,
  f: (c: DuckDBConnection) => Promise<T>,
  opts: { config?: Record<string, string> } = {},
): Promise<T> {
  const inst = await DuckDBInstance.create(db, opts.config);
  const conn = await inst.connect();
  try {
    return await f(conn);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}
