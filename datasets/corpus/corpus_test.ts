import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { CorpusError, parseCorpusFile, parseFlashragJsonl, parseHippoJson } from "./parse.ts";
import { DEFAULT_CORPUS_DIR, ingestCorpora, listCorpusFiles, loadPassages } from "./store.ts";
import { withTempDir } from "@creditlab/core/testing";

Deno.test("corpus parse: FlashRAG jsonl splits the quoted title line and keeps extra fields", () => {
  const rows = parseFlashragJsonl(
    '{"id": "0", "contents": "\\"Evan Morris\\"\\nEvan L. Morris was a lobbyist."}\n\n{"id": 7, "contents": "no title", "src": "x"}\n',
    "c.jsonl",
  );
  assert.deepEqual(rows[0], {
    id: "0",
    title: "Evan Morris",
    text: "Evan L. Morris was a lobbyist.",
    metadata: null,
    sourceRow: 1,
  });
  assert.deepEqual(rows[1], {
    id: "7",
    title: "",
    text: "no title",
    metadata: { src: "x" },
    sourceRow: 3,
  });
});

Deno.test("corpus parse: HippoRAG dict joins sentences; list keeps title and text", () => {
  const cases = [
    {
      json: '{"Lilu": ["Lilu is a demon.", " It is Akkadian."]}',
      format: "hipporag-dict",
      passage: { title: "Lilu", text: "Lilu is a demon. It is Akkadian.", metadata: null },
    },
    {
      json: '[{"title": "A", "text": "x", "idx": 3}]',
      format: "hipporag-list",
      passage: { title: "A", text: "x", metadata: { idx: 3 } },
    },
  ];
  for (const { json, format, passage } of cases) {
    const parsed = parseHippoJson(json, `${format}.json`);
    assert.equal(parsed.format, format);
    assert.deepEqual(parsed.passages, [{ id: "0", ...passage, sourceRow: 0 }]);
  }
});

Deno.test("corpus parse: bad input names file, line and field", () => {
  const bad: [string, RegExp][] = [
    ['{"id": "0", "contents": "a"}\n{"id": "1", "contents": ', /c\.jsonl: line 2: malformed JSON/],
    ['{"contents": "a"}', /c\.jsonl: line 1: field "id": missing/],
    ['{"id": "0"}', /c\.jsonl: line 1: field "contents": missing/],
    [
      '{"id": "0", "contents": 3}',
      /c\.jsonl: line 1: field "contents": expected a string, got number/,
    ],
    ['{"id": ["x"], "contents": "a"}', /line 1: field "id": expected a string, got an array/],
    [
      '{"id": "0", "contents": "a"}\n{"id": "0", "contents": "b"}',
      /line 2: field "id": duplicate id "0" \(first on line 1\)/,
    ],
    ["[1, 2]", /c\.jsonl: line 1: expected a JSON object, got an array/],
  ];
  for (const [text, re] of bad) {
    assert.throws(
      () => parseFlashragJsonl(text, "c.jsonl"),
      (e) => e instanceof CorpusError && re.test(e.message),
    );
  }
  assert.throws(
    () => parseHippoJson('[{"title": "A"}]', "l.json"),
    /l\.json: entry 0: field "text": missing/,
  );
  assert.throws(
    () => parseHippoJson('[{"title": 1, "text": "x"}]', "l.json"),
    /entry 0: field "title": expected a string, got number/,
  );
  assert.throws(
    () => parseHippoJson('{"A": "not a list"}', "d.json"),
    /entry 0 \(title "A"\): field "A": expected a list/,
  );
  assert.throws(() => parseHippoJson("3", "d.json"), /unknown corpus format/);
  assert.throws(() => parseHippoJson("{", "d.json"), /d\.json: whole file: malformed JSON/);
});

Deno.test("corpus ingest: every shipped file, counts equal SOURCE.md", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "c.duckdb");
    const report = await ingestCorpora({ db });
    const rows = Object.fromEntries(report.map((r) => [r.corpus, [r.format, r.rows]]));
    assert.deepEqual(rows, {
      "2wikimultihopqa_corpus_hipporag": ["hipporag-list", 6119],
      "hotpotqa_train_100_corpus_hipporag": ["hipporag-dict", 994],
      "wiki18_100w_sample_1000_flashrag": ["flashrag-jsonl", 1000],
    });
    const wiki = await loadPassages(db, { corpora: ["wiki18_100w_sample_1000_flashrag"] });
    assert.equal(wiki.length, 1000);
    assert.equal(wiki[0]!.id, "0");
    assert.equal(wiki[0]!.title, "Evan Morris");
    assert.ok(wiki[0]!.text.startsWith("Evan Morris Evan L. Morris"));
    const all = await loadPassages(db);
    assert.equal(all.length, 8113);
    assert.equal(new Set(all.map((d) => d.id)).size, 8113);
    assert.equal(all[0]!.id, "2wikimultihopqa_corpus_hipporag/0");
    // Re-ingest replaces, never duplicates.
    await ingestCorpora({ db });
    assert.equal((await loadPassages(db)).length, 8113);
    await assert.rejects(loadPassages(db, { corpora: ["nope"] }), /corpus "nope" not in/);
  });
});

Deno.test("corpus ingest: a bad file leaves the DuckDB file exactly as it was", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "c.duckdb");
    const good = join(dir, "good.jsonl");
    await Deno.writeTextFile(good, '{"id": "0", "contents": "\\"T\\"\\nfirst"}\n');
    await ingestCorpora({ db, files: [good] });
    const before = await Deno.readFile(db);
    await Deno.writeTextFile(good, '{"id": "0", "contents": "\\"T\\"\\nchanged"}\n');
    const bad = join(dir, "bad.jsonl");
    await Deno.writeTextFile(bad, '{"id": "0", "contents": "\\"T\\"\\nx"}\n{"id": "1"}\n');
    await assert.rejects(
      ingestCorpora({ db, files: [good, bad] }),
      /bad\.jsonl: line 2: field "contents": missing/,
    );
    assert.deepEqual(await Deno.readFile(db), before);
    assert.deepEqual((await loadPassages(db)).map((d) => d.text), ["first"]);
    await assert.rejects(ingestCorpora({ db, files: [good, good] }), /already used by/);
    await assert.rejects(
      ingestCorpora({ db, files: [join(dir, "x.csv")] }),
      /cannot read|unknown corpus format/,
    );
    await Deno.writeTextFile(join(dir, "x.csv"), "a,b");
    await assert.rejects(parseCorpusFile(join(dir, "x.csv")), /unknown corpus format/);
  });
});

Deno.test("corpus ingest: a failure inside the transaction rolls every corpus back", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "c.duckdb");
    // A pre-existing table whose metadata column refuses NULL: the second file (no extra
    // fields, so NULL metadata) fails at append time, after the first was replaced.
    const inst = await DuckDBInstance.create(db);
    const conn = await inst.connect();
    await conn.run(`CREATE TABLE passages (corpus VARCHAR NOT NULL, id VARCHAR NOT NULL,
      title VARCHAR NOT NULL, text VARCHAR NOT NULL, metadata VARCHAR NOT NULL,
      source_file VARCHAR NOT NULL, source_row INTEGER NOT NULL)`);
    await conn.run(`INSERT INTO passages VALUES ('a', 'old', 'T', 'old text', '{}', 'a.jsonl', 1)`);
    conn.closeSync();
    inst.closeSync();
    const a = join(dir, "a.jsonl");
    const b = join(dir, "b.jsonl");
    await Deno.writeTextFile(a, '{"id": "0", "contents": "\\"T\\"\\nnew", "extra": 1}\n');
    await Deno.writeTextFile(b, '{"id": "0", "contents": "\\"T\\"\\nb"}\n');
    await assert.rejects(ingestCorpora({ db, files: [a, b] }), /NOT NULL|null/i);
    assert.deepEqual((await loadPassages(db)).map((d) => [d.id, d.text]), [["old", "old text"]]);
  });
});

Deno.test("corpus: shipped folder lists the three corpus files", async () => {
  assert.equal((await listCorpusFiles(DEFAULT_CORPUS_DIR)).length, 3);
});
