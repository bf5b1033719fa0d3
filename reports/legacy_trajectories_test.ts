/**
 * Stores written before the run store wrote interchange-format trajectory files still report:
 * the fixture store's trajectory files rewritten in the legacy encoding (one column per harness
 * fact, as older stores hold them) give the same report, byte for byte, as the interchange files
 * they came from (tool calls, per-round series, credit shares, heat maps, turn texts).
 */
import assert from "node:assert/strict";
import { RunStore } from "@creditlab/runstore";
import { writeLegacyTrajectoryFile } from "@creditlab/runstore/testing";
import { withTempDir } from "@creditlab/core/testing";
import { generateReport } from "./generate.ts";
import { writeFixtureStore } from "./testing.ts";

/** Rewrite every trajectory file of the store at `path` in the legacy encoding, in place. */
async function toLegacyFiles(path: string): Promise<number> {
  const store = await RunStore.open(path);
  try {
    const files = await store.query(`SELECT run_id, step, path FROM trajectory_files`);
    for (const f of files) {
      const rows = await store.readTrajectories(String(f["run_id"]), Number(f["step"]));
      await writeLegacyTrajectoryFile(store, `${store.dir}/${f["path"]}`, rows);
    }
    const [probe] = await store.query(
      `SELECT count(*) AS n FROM read_parquet('${store.dir}/${files[0]!["path"]}')
       WHERE tokens IS NOT NULL`,
    );
    assert.ok(Number(probe!["n"]) > 0, "the files are legacy now");
    return files.length;
  } finally {
    store.close();
  }
}

Deno.test("report: a store with legacy trajectory files renders as with interchange files", async () => {
  await withTempDir(async (root) => {
    const storePath = `${root}/runs/creditlab.duckdb`;
    await writeFixtureStore(storePath, { seeds: 2, steps: 3 });
    const a = await generateReport({ store: storePath, out: `${root}/a`, png: false });
    assert.ok(a.files.some((f) => /heat-baseline\.svg$/.test(f)), "a heat map");
    assert.ok((await toLegacyFiles(storePath)) > 0);
    const b = await generateReport({ store: storePath, out: `${root}/b`, png: false });
    assert.deepEqual(b.files, a.files);
    for (const f of a.files) {
      const [x, y] = [await Deno.readFile(`${root}/a/${f}`), await Deno.readFile(`${root}/b/${f}`)];
      assert.deepEqual(y, x, `${f} differs between the legacy and the interchange files`);
    }
    const md = await Deno.readTextFile(`${root}/b/beta.md`);
    assert.match(md, /Tool calls per trajectory/);
  });
});
