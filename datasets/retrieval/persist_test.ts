import assert from "node:assert/strict";
import { join } from "node:path";
import { Rng } from "@creditlab/kernels";
import { Bm25Index } from "./bm25.ts";
import { loadIndex, saveIndex } from "./persist.ts";
import { syntheticCorpus } from "./synthetic.ts";
import { withTempDir } from "@creditlab/core/testing";

Deno.test("persist: save then load gives the same passages and the same rankings", async () => {
  await withTempDir(async (dir) => {
    const { docs, queries } = syntheticCorpus({ numDocs: 500, numQueries: 50, vocabSize: 300 }, {
      rng: new Rng(3),
    });
    docs.push({ id: "ü-1", title: "Café Crème", text: "naïve façade — 東京" }, {
      id: "empty",
      title: "",
      text: "",
    });
    queries.push("cafe creme", "東京", "");
    const index = Bm25Index.build(docs, { k1: 1.1, b: 0.6 });
    const path = join(dir, "x.bm25");
    await saveIndex(index, path);
    const loaded = await loadIndex(path);
    assert.deepEqual(loaded.params, index.params);
    assert.equal(loaded.numDocs, index.numDocs);
    assert.equal(loaded.numPostings, index.numPostings);
    assert.deepEqual(loaded.doc(500), docs[500]);
    for (const q of queries) assert.deepEqual(loaded.search(q, 5), index.search(q, 5));
    // k1, b can be overridden on load: same as building with them.
    const other = await loadIndex(path, { k1: 0.5, b: 0.9 });
    const rebuilt = Bm25Index.build(docs, { k1: 0.5, b: 0.9 });
    for (const q of queries.slice(0, 10)) {
      assert.deepEqual(other.search(q, 3), rebuilt.search(q, 3));
    }
  });
});

Deno.test("persist: foreign, truncated and inconsistent files are refused with the path", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.bm25");
    await Deno.writeTextFile(path, "hello, this is not an index");
    await assert.rejects(loadIndex(path), /x\.bm25: not a creditlab BM25 index/);
    const index = Bm25Index.build([{ id: "0", title: "A", text: "alpha beta" }, {
      id: "1",
      title: "B",
      text: "beta",
    }]);
    await saveIndex(index, path);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.byteLength - 9));
    await assert.rejects(
      loadIndex(path),
      /x\.bm25: (section \w+ is truncated|\w+: string \d+ runs past)/,
    );
    await assert.rejects(loadIndex(join(dir, "missing.bm25")), /NotFound|No such file/);
  });
});
