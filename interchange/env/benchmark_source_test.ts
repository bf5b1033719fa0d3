/**
 * Benchmark sources read the rows `data export` writes (the default variant of each split), so
 * an engine trained on the exported parquet names its questions by the same ids.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { exportData } from "@creditlab/datasets";
import { DuckDBInstance } from "@duckdb/node-api";
import { loadBenchmarkSources, parseBenchmarkList } from "./benchmark_source.ts";

Deno.test("benchmark sources: the default variants and ids of data export", async () => {
  const names = ["bamboogle", "hotpotqa"];
  const sources = await loadBenchmarkSources(names);
  const out = await Deno.makeTempDir();
  try {
    const report = await exportData({ out, benchmarks: names });
    for (const f of report.files) {
      const source = sources.find((s) => s.dataSource === f.dataSource)!;
      const [, split, variant] = f.source.split("/");
      assert.equal((source.info.variants as Record<string, string>)[split!], variant);
      assert.equal((source.info.questions as Record<string, number>)[split!], f.rows);
      // Every exported id names exactly one served question, with the exported answers.
      const db = await DuckDBInstance.create(":memory:");
      const conn = await db.connect();
      const rows = (await conn.runAndReadAll(
        `SELECT id, golden_answers FROM read_parquet('${join(out, f.path)}')`,
      )).getRowObjectsJS();
      conn.closeSync();
      db.closeSync();
      assert.equal(rows.length, f.rows);
      for (const r of rows) {
        const found = source.lookup(r.id as string).filter((q) => q.split === split);
        assert.equal(found.length, 1, `${f.dataSource} ${r.id}`);
        assert.deepEqual(found[0]!.goldenAnswers, r.golden_answers);
      }
    }
    assert.equal(sources[1]!.lookup("dev_0")[0]!.split, "dev");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("benchmark sources: --benchmarks lists and missing files", async () => {
  assert.deepEqual(parseBenchmarkList("nq,nq, popqa"), ["nq", "popqa"]);
  assert.throws(() => parseBenchmarkList("nq,squad"), /unknown benchmark "squad"/);
  assert.throws(() => parseBenchmarkList(" , "), /expected all or a list/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "nq"));
    await Deno.writeTextFile(
      join(dir, "nq", "nq_test.jsonl"),
      '{"id": "test_0", "question": "who?", "golden_answers": ["ann"]}\n',
    );
    const [nq] = await loadBenchmarkSources(["nq"], { dir });
    assert.equal(nq!.size, 1);
    await assert.rejects(() => loadBenchmarkSources(["popqa"], { dir }), /no popqa files under/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
