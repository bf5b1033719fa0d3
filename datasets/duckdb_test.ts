import assert from "node:assert/strict";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { withDuckDb } from "./duckdb.ts";

/**
 * Whether another process can open `db` read-write now. DuckDB locks a file per process, so a
 * second instance in this process would open it even while the first is still open; another
 * process cannot.
 */
async function opensInChild(db: string): Promise<boolean> {
  const code = `import { DuckDBInstance } from "@duckdb/node-api";
    (await DuckDBInstance.create(${JSON.stringify(db)})).closeSync();`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, code],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

/** `f` on a fresh temp dir's `x.duckdb` path; the dir is removed afterwards. */
async function inTempDb(f: (db: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await f(join(dir, "x.duckdb"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("withDuckDb: returns f's result and closes the connection", async () => {
  await inTempDb(async (db) => {
    let seen: DuckDBConnection | undefined;
    const n = await withDuckDb(db, async (c) => {
      seen = c;
      await c.run("CREATE TABLE t AS SELECT 7 AS n");
      return (await c.runAndReadAll("SELECT n FROM t")).getRowObjectsJS()[0]?.["n"];
    });
    assert.equal(n, 7);
    await assert.rejects(() => seen!.run("SELECT 1")); // closed
  });
});

Deno.test("withDuckDb: closes when f throws (the file reopens read-write)", async () => {
  await inTempDb(async (db) => {
    const boom = new Error("boom");
    let seen: DuckDBConnection | undefined;
    await assert.rejects(
      withDuckDb(db, async (c) => {
        seen = c;
        await c.run("CREATE TABLE t AS SELECT 1 AS n");
        assert.equal(await opensInChild(db), false); // locked while open
        throw boom;
      }),
      (e) => e === boom,
    );
    await assert.rejects(() => seen!.run("SELECT 1")); // the connection is closed
    assert.equal(await opensInChild(db), true); // and the instance: the lock is released
    const rows = await withDuckDb(db, async (c) => {
      await c.run("INSERT INTO t VALUES (2)");
      return (await c.runAndReadAll("SELECT n FROM t ORDER BY n")).getRowObjectsJS();
    });
    assert.deepEqual(rows, [{ n: 1 }, { n: 2 }]);
  });
});

Deno.test("withDuckDb: opts.config reaches DuckDB (READ_ONLY refuses a write)", async () => {
  await inTempDb(async (db) => {
    await withDuckDb(db, (c) => c.run("CREATE TABLE t AS SELECT 1 AS n"));
    const ro = { config: { access_mode: "READ_ONLY" } };
    await assert.rejects(
      withDuckDb(db, (c) => c.run("INSERT INTO t VALUES (2)"), ro),
      /read-only/i,
    );
    const n = await withDuckDb(
      db,
      async (c) =>
        (await c.runAndReadAll("SELECT count(*)::INTEGER AS n FROM t")).getRowObjectsJS(),
      ro,
    );
    assert.deepEqual(n, [{ n: 1 }]);
  });
});

Deno.test("withDuckDb: an in-memory database", async () => {
  const rows = await withDuckDb(
    ":memory:",
    async (c) => (await c.runAndReadAll("SELECT 42 AS answer")).getRowObjectsJS(),
  );
  assert.deepEqual(rows, [{ answer: 42 }]);
});
