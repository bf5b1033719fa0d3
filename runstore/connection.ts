/**
 * The DuckDB side of a run store: the file opened (created for writing, required to exist for
 * reading), read queries as row objects or Arrow tables, and writes serialised as one
 * transaction each (BEGIN ... COMMIT, ROLLBACK on error), so a writer killed at any point leaves
 * the file as it was before the write.
 *
 * @module
 */
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { type Table, tableFromArrays } from "apache-arrow";
import { dirname } from "./sql.ts";

/** An open DuckDB file of a run store. Create with {@link StoreConnection.open}. */
export class StoreConnection {
  /** Path of the DuckDB file. */
  readonly path: string;
  /** Folder holding the DuckDB file (and the store's `trajectories/`). */
  readonly dir: string;
  readonly readOnly: boolean;
  /** The DuckDB instance. */
  readonly instance: DuckDBInstance;
  #conn: DuckDBConnection;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    path: string,
    instance: DuckDBInstance,
    conn: DuckDBConnection,
    readOnly: boolean,
  ) {
    this.path = path;
    this.dir = dirname(path);
    this.instance = instance;
    this.#conn = conn;
    this.readOnly = readOnly;
  }

  /**
   * Open the DuckDB file at `path`: read-only, it must exist; for writing, its folder is created
   * and so is the file if absent.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { join } from "node:path";
   * const dir = await Deno.makeTempDir();
   * const db = await StoreConnection.open(join(dir, "x.duckdb"), { readOnly: false });
   * await db.tx((c) => c.run("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (7)"));
   * assert.deepEqual(await db.rows("SELECT x FROM t"), [{ x: 7 }]);
   * db.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async open(path: string, opts: { readOnly: boolean }): Promise<StoreConnection> {
    const { readOnly } = opts;
    if (readOnly) {
      try {
        await Deno.stat(path);
      } catch {
        throw new Error(
          `run store: ${path}: no such store (open read-only needs an existing file)`,
        );
      }
    } else {
      await Deno.mkdir(dirname(path), { recursive: true });
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(
        path,
        readOnly ? { access_mode: "READ_ONLY" } : {},
      );
    } catch (e) {
      throw new Error(`run store: cannot open ${path}: ${(e as Error).message}`);
    }
    return new StoreConnection(path, instance, await instance.connect(), readOnly);
  }

  /** Close the connection and the database file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.closeSync();
    this.instance.closeSync();
  }

  /** Run a read query and return row objects (JS values; BIGINT becomes bigint). */
  async rows(sql: string, params?: DuckDBValue[]): Promise<Record<string, unknown>[]> {
    const r = await this.#conn.runAndReadAll(sql, params);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Run a read query and return it as an Apache Arrow table (numbers, strings, lists). */
  async arrow(sql: string, params?: DuckDBValue[]): Promise<Table> {
    const r = await this.#conn.runAndReadAll(sql, params);
    const cols = r.getColumnsObjectJS();
    const out: Record<string, unknown[]> = {};
    for (const [k, v] of Object.entries(cols)) {
      out[k] = v.map((x) => (typeof x === "bigint" ? Number(x) : x));
    }
    // deno-lint-ignore no-explicit-any
    return tableFromArrays(out as any);
  }

  /** Run `fn` inside one transaction, serialised with every other one of this connection. */
  tx<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`run store: ${this.path} is closed`));
    const run = async (): Promise<T> => {
      const c = this.#conn;
      await c.run("BEGIN TRANSACTION");
      try {
        const out = await fn(c);
        await c.run("COMMIT");
        return out;
      } catch (e) {
        try {
          await c.run("ROLLBACK");
        } catch {
          // the transaction may already be aborted; the original error matters
        }
        throw e;
      }
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => undefined);
    return p;
  }
}
