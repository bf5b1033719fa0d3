/**
 * Bad input: every case fails with an IngestError naming file, line and field, and leaves the
 * DuckDB file and the Parquet files byte for byte as they were.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DuckDBInstance } from "@duckdb/node-api";
import { join } from "node:path";
import { IngestError } from "./errors.ts";
import { ingestBenchmarks, parseBenchmarkDir, writeBenchmarks } from "./ingest.ts";
import { loadQuestions } from "./store.ts";
import { withTempDir } from "@creditlab/core/testing";

const GOOD = [
  { id: "test_0", question: "Who wrote Hamlet?", golden_answers: ["Shakespeare"] },
  { id: "test_1", question: "Capital of France?", golden_answers: ["Paris"] },
].map((r) => JSON.stringify(r)).join("\n") + "\n";

const line = (o: unknown) => JSON.stringify(o);

interface Case {
  name: string;
  /** Files to write under the bad input dir (relative path -> content). */
  files: Record<string, string | Uint8Array>;
  file: string;
  line?: number;
  field?: string;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: "malformed JSON line",
    files: { "nq/bad_test.jsonl": GOOD + '{"id": "test_2", "question": "x"\n' },
    file: "nq/bad_test.jsonl",
    line: 3,
    message: /malformed JSON line/,
  },
  {
    name: "missing field",
    files: { "nq/bad_test.jsonl": GOOD + line({ id: "test_2", question: "x" }) },
    file: "nq/bad_test.jsonl",
    line: 3,
    field: "golden_answers",
    message:
      /field "golden_answers": expected a non-empty list of non-empty strings, got nothing \(field missing\)/,
  },
  {
    name: "missing id",
    files: { "nq/bad_test.jsonl": line({ question: "x", golden_answers: ["y"] }) },
    file: "nq/bad_test.jsonl",
    line: 1,
    field: "id",
    message: /expected a string/,
  },
  {
    name: "mistyped question",
    files: { "nq/bad_test.jsonl": line({ id: "test_0", question: 42, golden_answers: ["y"] }) },
    file: "nq/bad_test.jsonl",
    line: 1,
    field: "question",
    message: /expected a string, got number 42/,
  },
  {
    name: "mistyped answer element",
    files: {
      "nq/bad_test.jsonl": GOOD + line({ id: "test_2", question: "x", golden_answers: ["a", 3] }),
    },
    file: "nq/bad_test.jsonl",
    line: 3,
    field: "golden_answers[1]",
    message: /expected a string, got number 3/,
  },
  {
    name: "golden answers not a list",
    files: { "nq/bad_test.jsonl": line({ id: "test_0", question: "x", golden_answers: "Paris" }) },
    file: "nq/bad_test.jsonl",
    line: 1,
    field: "golden_answers",
    message: /expected a non-empty list of non-empty strings, got string "Paris"/,
  },
  {
    name: "empty answer list",
    files: {
      "nq/bad_test.jsonl": GOOD + "\n" + line({ id: "test_2", question: "x", golden_answers: [] }),
    },
    file: "nq/bad_test.jsonl",
    line: 4, // the blank line 3 still counts
    field: "golden_answers",
    message: /got an empty list/,
  },
  {
    name: "empty answer string",
    files: {
      "hotpotqa/hotpot_dev_x.json": JSON.stringify(
        [{ question: "q1", answer: "a" }, { question: "q2", answer: "" }],
        null,
        1,
      ),
    },
    file: "hotpotqa/hotpot_dev_x.json",
    line: 6,
    field: "answer",
    message: /got an empty string/,
  },
  {
    name: "empty answer list in a JSON list file",
    files: {
      "2wikimultihopqa/dev_aliases.json": JSON.stringify(
        [{ test_id: 0, question: "q", answer: ["a"] }, { test_id: 1, question: "q2", answer: [] }],
        null,
        2,
      ),
    },
    file: "2wikimultihopqa/dev_aliases.json",
    line: 9,
    field: "answer",
    message: /got an empty list/,
  },
  {
    name: "duplicate id in one file",
    files: {
      "nq/bad_test.jsonl": GOOD + line({ id: "test_0", question: "again", golden_answers: ["z"] }),
    },
    file: "nq/bad_test.jsonl",
    line: 3,
    field: "id",
    message: /duplicate id "test_0" \(first seen on line 1\)/,
  },
  {
    name: "duplicate id across files of one variant",
    files: { "nq/x/test.jsonl": GOOD, "nq/y/test.jsonl": GOOD },
    file: "nq/y/test.jsonl",
    line: 1,
    field: "id",
    message: /duplicate id "test_0" in nq\/test\/test \(also in nq\/x\/test.jsonl:1\)/,
  },
  {
    name: "unknown format (keys)",
    files: { "popqa/test.jsonl": line({ foo: 1, bar: 2 }) },
    file: "popqa/test.jsonl",
    line: 1,
    message: /unknown format: record keys \{foo, bar\} match no known format/,
  },
  {
    name: "unknown format (not JSON, not Parquet)",
    files: { "popqa/popQA.tsv": "id\tsubj\tprop\n1\tx\ty\n" },
    file: "popqa/popQA.tsv",
    line: 1,
    message: /unknown format: expected JSON lines/,
  },
  {
    name: "unknown format (a top-level JSON object)",
    files: {
      "bamboogle/test.json": JSON.stringify({ data: [{ question: "q", answer: "a" }] }, null, 2),
    },
    file: "bamboogle/test.json",
    line: 1,
    message: /unknown format: a single top-level JSON object/,
  },
  {
    name: "record that is not an object",
    files: { "nq/bad_test.jsonl": GOOD + "[1, 2]\n" },
    file: "nq/bad_test.jsonl",
    line: 3,
    message: /expected a JSON object record, got list/,
  },
  {
    name: "metadata not an object",
    files: {
      "nq/bad_test.jsonl": line({
        id: "test_0",
        question: "x",
        golden_answers: ["y"],
        metadata: [1],
      }),
    },
    file: "nq/bad_test.jsonl",
    line: 1,
    field: "metadata",
    message: /expected an object, got list/,
  },
  {
    name: "extra field colliding with metadata",
    files: {
      "nq/bad_test.jsonl": line({
        id: "test_0",
        question: "x",
        golden_answers: ["y"],
        metadata: { k: 1 },
        k: 2,
      }),
    },
    file: "nq/bad_test.jsonl",
    line: 1,
    field: "k",
    message: /present both as a top-level field and inside metadata/,
  },
  {
    name: "mistyped r1searcher idx",
    files: {
      "musique/musique_dev_r1.jsonl": line({
        idx: "7",
        question: "q",
        answer: "a",
        gen_text_store: "",
      }),
    },
    file: "musique/musique_dev_r1.jsonl",
    line: 1,
    field: "idx",
    message: /expected a non-negative integer, got string "7"/,
  },
  {
    name: "malformed JSON list",
    files: {
      "hotpotqa/hotpot_dev_y.json":
        '[\n {"question": "q", "answer": "a"},\n {"question": "q2" "answer": "b"}\n]',
    },
    file: "hotpotqa/hotpot_dev_y.json",
    line: 3,
    message: /malformed JSON/,
  },
  {
    name: "empty file",
    files: { "nq/test.jsonl": "\n\n" },
    file: "nq/test.jsonl",
    message: /empty file/,
  },
];

async function digestTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isFile) {
      out.set(e.name, createHash("sha256").update(await Deno.readFile(p)).digest("hex"));
    }
  }
  return out;
}

/** Ingest {@link GOOD} as `nq/test.jsonl` into a store in `dir`; its DuckDB file and Parquet folder. */
async function ingestGood(
  dir: string,
  cardsDir: string | null,
): Promise<{ db: string; parquetDir: string }> {
  const good = join(dir, "good");
  await Deno.mkdir(join(good, "nq"), { recursive: true });
  await Deno.writeTextFile(join(good, "nq", "test.jsonl"), GOOD);
  const db = join(dir, "store.duckdb");
  const parquetDir = join(dir, "parquet");
  await ingestBenchmarks({ input: good, db, parquetDir, cardsDir });
  return { db, parquetDir };
}

Deno.test("bad input: error names file, line and field; DuckDB and Parquet files unchanged", async (t) => {
  await withTempDir(async (dir) => {
    const cardsDir = join(dir, "cards");
    const { db, parquetDir } = await ingestGood(dir, cardsDir);
    const dbBytes = await Deno.readFile(db);
    const parquetBefore = await digestTree(parquetDir);
    const cardsBefore = await digestTree(cardsDir);
    for (const c of CASES) {
      await t.step(c.name, async () => {
        const input = join(dir, `bad-${CASES.indexOf(c)}`);
        for (const [rel, content] of Object.entries(c.files)) {
          await Deno.mkdir(join(input, rel, ".."), { recursive: true });
          if (typeof content === "string") await Deno.writeTextFile(join(input, rel), content);
          else await Deno.writeFile(join(input, rel), content);
        }
        const err = await ingestBenchmarks({ input, db, parquetDir, cardsDir }).then(
          () => assert.fail("ingest should have failed"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof IngestError, `expected IngestError, got ${err}`);
        assert.equal(err.location.file, c.file);
        assert.equal(err.location.line, c.line);
        assert.equal(err.location.field, c.field);
        assert.match(err.message, c.message);
        assert.ok(
          err.message.startsWith(c.line === undefined ? `${c.file}:` : `${c.file}:${c.line}:`),
          err.message,
        );
        assert.deepEqual(await Deno.readFile(db), dbBytes, "DuckDB file changed");
        assert.deepEqual(await digestTree(parquetDir), parquetBefore, "Parquet files changed");
        assert.deepEqual(await digestTree(cardsDir), cardsBefore, "cards changed");
      });
    }
    // The store still reads as before.
    const qs = await loadQuestions(db, { benchmark: "nq" });
    assert.deepEqual(qs.map((q) => q.id), ["test_0", "test_1"]);
    // A missing input directory is an error too, and writes nothing.
    await assert.rejects(
      ingestBenchmarks({ input: join(dir, "missing"), db: join(dir, "never.duckdb") }),
      /input directory does not exist/,
    );
    await assert.rejects(Deno.stat(join(dir, "never.duckdb")), Deno.errors.NotFound);
    // So is an input without benchmark files.
    await Deno.mkdir(join(dir, "empty", "corpus"), { recursive: true });
    await Deno.writeTextFile(join(dir, "empty", "corpus", "x.jsonl"), GOOD);
    await assert.rejects(
      ingestBenchmarks({ input: join(dir, "empty"), db: join(dir, "never.duckdb") }),
      /no benchmark files found/,
    );
    await assert.rejects(Deno.stat(join(dir, "never.duckdb")), Deno.errors.NotFound);
  });
});

Deno.test("a failure inside the write transaction rolls back: tables and Parquet unchanged", async () => {
  await withTempDir(async (dir) => {
    const { db, parquetDir } = await ingestGood(dir, null);
    const parquetBefore = await digestTree(parquetDir);
    // Bypass phase-1 validation: the same file twice gives duplicate keys, which the
    // in-transaction check rejects after the DELETE and INSERT have run.
    const other = join(dir, "other");
    await Deno.mkdir(join(other, "nq"), { recursive: true });
    await Deno.writeTextFile(
      join(other, "nq", "test.jsonl"),
      line({ id: "test_9", question: "Replaced?", golden_answers: ["no"] }),
    );
    const parsed = await parseBenchmarkDir(other);
    const twice = { files: [parsed.files[0]!, parsed.files[0]!], skipped: [] };
    await assert.rejects(
      writeBenchmarks(twice, { db, parquetDir, cardsDir: null }),
      /internal: duplicate key/,
    );
    const qs = await loadQuestions(db, { benchmark: "nq" });
    assert.deepEqual(qs.map((q) => q.id), ["test_0", "test_1"]);
    assert.deepEqual(await digestTree(parquetDir), parquetBefore);
  });
});

Deno.test("a store from an older schema is rejected unless --replace-all rebuilds it", async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, "in", "nq");
    await Deno.mkdir(input, { recursive: true });
    await Deno.writeTextFile(join(input, "test.jsonl"), GOOD);
    const db = join(dir, "old.duckdb");
    const inst = await DuckDBInstance.create(db);
    const conn = await inst.connect();
    await conn.run(
      "CREATE TABLE benchmark_files (benchmark VARCHAR, split VARCHAR, variant VARCHAR, source_file VARCHAR, format VARCHAR, container VARCHAR, rows INTEGER, sha256 VARCHAR)",
    );
    conn.closeSync();
    inst.closeSync();
    const opts = { input: join(dir, "in"), db, parquetDir: join(dir, "pq"), cardsDir: null };
    await assert.rejects(
      ingestBenchmarks(opts),
      /older version \(missing benchmark_files.content_sha256/,
    );
    const report = await ingestBenchmarks({ ...opts, replaceAll: true });
    assert.equal(report.rows, 2);
    assert.equal((await loadQuestions(db, { benchmark: "nq" })).length, 2);
  });
});
