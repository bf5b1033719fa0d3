import assert from "node:assert/strict";
import { join } from "node:path";
import { ingestCorpora } from "../corpus/store.ts";
import { indexFromArgs, serveRetrieverCli } from "./cli.ts";
import { withTempDir } from "@creditlab/core/testing";

Deno.test("serve-retriever: index from files, from DuckDB, and saved/loaded from --index", async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, "a.jsonl");
    const b = join(dir, "b.json");
    await Deno.writeTextFile(a, '{"id": "0", "contents": "\\"Lilu\\"\\nLilu is a demon."}\n');
    await Deno.writeTextFile(
      b,
      '[{"title": "Gallu", "text": "Gallu is a demon of the underworld."}]',
    );
    const one = await indexFromArgs({ corpus: [a] });
    assert.deepEqual(one.index.search("demon", 3).map((p) => p.id), ["0"]);
    const two = await indexFromArgs({ corpus: [a, b], k1: 1.2, b: 0.75 });
    assert.deepEqual(two.index.search("demon underworld", 3).map((p) => p.id), ["b/0", "a/0"]);
    assert.equal(two.index.params.k1, 1.2);
    const db = join(dir, "c.duckdb");
    await ingestCorpora({ db, files: [a, b] });
    const fromDb = await indexFromArgs({ corpus: ["b"], db });
    assert.deepEqual(fromDb.index.search("demon", 3).map((p) => p.id), ["0"]);
    const saved = join(dir, "x.bm25");
    const built = await indexFromArgs({ corpus: [a, b], index: saved });
    assert.match(built.source, /saved to/);
    const loaded = await indexFromArgs({ corpus: [], index: saved });
    assert.match(loaded.source, /^index /);
    assert.deepEqual(loaded.index.search("demon", 3), built.index.search("demon", 3));
    // Bad options give exit code 2 (usage) or 1 (error), never a crash.
    assert.equal(await serveRetrieverCli(["--nope"]), 2);
    assert.equal(await serveRetrieverCli(["--port", "abc", "--corpus", a]), 1);
    assert.equal(await serveRetrieverCli(["--corpus", join(dir, "missing.jsonl")]), 1);
  });
});
