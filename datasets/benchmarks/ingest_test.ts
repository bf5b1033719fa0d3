import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { ingestBenchmarks } from "./ingest.ts";
import { DEFAULT_QA_DIR } from "./paths.ts";
import {
  loadBenchmarkArrow,
  loadParquetArrow,
  loadQuestions,
  loadStoredQuestions,
} from "./store.ts";
import { upsertCardSection } from "./card.ts";
import type { DatasetCard } from "./card.ts";
import { withTempDir } from "@creditlab/core/testing";
import { queryDuckDb as query } from "../testing.ts";

/** Row counts per file as SOURCE.md states them: `| file | 1234 ...`. */
async function sourceMdCounts(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const d of Deno.readDir(DEFAULT_QA_DIR)) {
    if (!d.isDirectory || d.name === "corpus") continue;
    const md = await Deno.readTextFile(join(DEFAULT_QA_DIR, d.name, "SOURCE.md"));
    for (const m of md.matchAll(/^\| ([^|\s]+\.(?:jsonl|json|parquet)) \| (\d+)/gm)) {
      out.set(`${d.name}/${m[1]}`, Number(m[2]));
    }
  }
  return out;
}

Deno.test("ingest of every shipped file: counts equal SOURCE.md, ids, defaults, Arrow, Parquet, cards", async (t) => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "data.duckdb");
  const parquetDir = join(dir, "parquet");
  const cardsDir = join(dir, "cards");
  try {
    const report = await ingestBenchmarks({ input: DEFAULT_QA_DIR, db, parquetDir, cardsDir });

    await t.step("every SOURCE.md file is ingested with its stated row count", async () => {
      const expected = await sourceMdCounts();
      assert.equal(expected.size, 14);
      const got = new Map(report.files.map((f) => [f.relPath, f.rows]));
      assert.deepEqual(got, expected);
      assert.equal(report.rows, 31750);
      // The nq quickstart sample has 17 rows and no final newline.
      assert.equal(got.get("nq/nq_flashrag_quickstart_sample.jsonl"), 17);
      const counts = await query(
        db,
        "SELECT source_file, count(*)::INTEGER AS n FROM questions GROUP BY 1",
      );
      assert.deepEqual(new Map(counts.map((r) => [r.source_file, r.n])), expected);
    });

    await t.step("formats, splits and ids follow SOURCE.md", () => {
      const byPath = new Map(report.files.map((f) => [f.relPath, f]));
      const fmt = (p: string) => byPath.get(p)?.format;
      assert.equal(fmt("nq/nq_test_1k_flashrag.jsonl"), "flashrag");
      assert.equal(fmt("nq/nq_open_test_full_qa.json"), "qa-pairs");
      assert.equal(fmt("2wikimultihopqa/2wiki_dev_first1000_aliases.json"), "qa-test-id");
      assert.equal(fmt("hotpotqa/hotpotqa_dev_500_r1searcher.jsonl"), "r1searcher");
      assert.equal(fmt("hotpotqa/hotpotqa_train_100_hipporag.json"), "hotpotqa-original");
      assert.equal(byPath.get("hotpotqa/hotpotqa_train_100_hipporag.json")?.split, "train");
      // No split token in the name: decided by the ids ("test_0" ...).
      assert.equal(byPath.get("nq/nq_flashrag_quickstart_sample.jsonl")?.split, "test");
      assert.equal(byPath.get("nq/nq_flashrag_quickstart_sample.jsonl")?.splitSource, "ids");
      assert.ok(
        report.skipped.some((s) => s.relPath === "corpus/wiki18_100w_sample_1000_flashrag.jsonl"),
      );
    });

    await t.step("default variants and the evaluation set", async () => {
      const defaults = await query(
        db,
        "SELECT benchmark, split, variant FROM default_variants ORDER BY 1, 2",
      );
      assert.deepEqual(defaults.map((r) => `${r.benchmark}/${r.split}/${r.variant}`), [
        "2wikimultihopqa/dev/2wiki_dev_full_qa",
        "bamboogle/test/bamboogle_test_flashrag",
        "hotpotqa/dev/hotpot_dev_v1_simplified",
        "hotpotqa/train/hotpotqa_train_100_hipporag",
        "musique/dev/musique_ans_dev_full_qa",
        "nq/test/nq_open_test_full_qa",
        "popqa/test/popqa_test_1k_flashrag",
        "triviaqa/test/triviaqa_test_1k_flashrag",
      ]);
      const evalCounts = await query(
        db,
        "SELECT benchmark, count(*)::INTEGER AS n, count(DISTINCT (benchmark, split, id))::INTEGER AS k FROM eval_questions GROUP BY 1 ORDER BY 1",
      );
      assert.deepEqual(evalCounts.map((r) => [r.benchmark, r.n, r.k]), [
        ["2wikimultihopqa", 12576, 12576],
        ["bamboogle", 125, 125],
        ["hotpotqa", 7405, 7405],
        ["musique", 2417, 2417],
        ["nq", 3610, 3610],
        ["popqa", 1000, 1000],
        ["triviaqa", 1000, 1000],
      ]);
    });

    await t.step("loadQuestions returns canonical rows", async () => {
      const hp = await loadQuestions(db, { benchmark: "hotpotqa", limit: 2 });
      assert.deepEqual(hp[0], {
        id: "dev_0",
        question: "Were Scott Derrickson and Ed Wood of the same nationality?",
        goldenAnswers: ["yes"],
        benchmark: "hotpotqa",
        split: "dev",
        metadata: { type: "comparison" },
      });
      assert.equal(hp.length, 2);
      const nq1k = await loadQuestions(db, { benchmark: "nq", variant: "nq_test_1k_flashrag" });
      assert.equal(nq1k.length, 1000);
      assert.equal(nq1k[0]!.id, "test_3283");
      assert.deepEqual(nq1k[3]!.goldenAnswers, [
        "Germany",
        "hosted by Brazil",
        "won by Germany",
        "Estádio do Maracanã",
      ]);
      // test_id is the dev row index: the aliases file shares ids with the full dev file.
      const aliases = await loadQuestions(db, {
        benchmark: "2wikimultihopqa",
        variant: "2wiki_dev_first1000_aliases",
        limit: 2,
      });
      const full = await loadQuestions(db, { benchmark: "2wikimultihopqa", limit: 2 });
      assert.equal(aliases[1]!.id, "dev_1");
      assert.equal(aliases[1]!.question, full[1]!.question);
      assert.deepEqual(aliases[1]!.goldenAnswers, ["Mask of Fu Manchu", "The Mask of Fu Manchu"]);
      // Original HotpotQA: supporting facts and context kept in metadata.
      const train = await loadStoredQuestions(db, { benchmark: "hotpotqa", split: "train" });
      assert.equal(train.length, 100);
      assert.equal(train[0]!.id, "5a77ec115542992a6e59dff7");
      assert.deepEqual(train[0]!.metadata.supporting_facts, [["Alû", 3], ["Lilu (mythology)", 0]]);
      assert.ok(Array.isArray(train[0]!.metadata.context));
      // PopQA metadata object survives; r1searcher keeps gen_text_store.
      const pop = await loadQuestions(db, { benchmark: "popqa", limit: 1 });
      assert.equal(pop[0]!.metadata?.prop, "composer");
      const r1 = await loadStoredQuestions(db, {
        benchmark: "musique",
        variant: "musique_dev_500_r1searcher",
        limit: 1,
      });
      assert.equal(r1[0]!.id, "1");
      assert.deepEqual(r1[0]!.metadata, { gen_text_store: "" });
      await assert.rejects(loadQuestions(db, { benchmark: "nope" }), /unknown benchmark "nope"/);
      await assert.rejects(
        loadQuestions(join(dir, "absent.duckdb"), { benchmark: "nq" }),
        /no benchmark store at/,
      );
      const empty = join(dir, "empty.duckdb");
      (await DuckDBInstance.create(empty)).closeSync();
      await assert.rejects(
        loadQuestions(empty, { benchmark: "nq" }),
        /store has no benchmark tables/,
      );
      await assert.rejects(
        loadQuestions(db, { benchmark: "nq", split: "train" }),
        /no rows for benchmark "nq" split "train"/,
      );
    });

    await t.step("Arrow tables from DuckDB and from the Parquet files", async () => {
      const bam = await loadBenchmarkArrow(db, { benchmark: "bamboogle" });
      assert.equal(bam.numRows, 125);
      assert.equal(
        String(bam.schema.fields.find((f) => f.name === "golden_answers")?.type),
        "List<Utf8>",
      );
      const row0 = bam.get(0)!.toJSON();
      assert.equal(row0.id, "test_0");
      assert.deepEqual([...row0.golden_answers as Iterable<string>], ["james madison"]);
      const pq = await loadParquetArrow(join(parquetDir, "nq.parquet"));
      assert.equal(pq.numRows, 3610 + 1000 + 17);
      const dbRows = await query(
        db,
        "SELECT count(*)::INTEGER AS n FROM questions WHERE benchmark = 'nq'",
      );
      assert.equal(dbRows[0]!.n, pq.numRows);
      const ids = new Set(pq.getChild("id")!.toArray() as string[]);
      assert.ok(ids.has("test_3283"));
    });

    await t.step(
      "cards: written for all seven, deterministic, extra sections survive re-ingest",
      async () => {
        const names = [...Deno.readDirSync(cardsDir)].map((e) => e.name).sort();
        assert.equal(names.length, 14);
        const card = JSON.parse(await Deno.readTextFile(join(cardsDir, "nq.json"))) as DatasetCard;
        assert.equal(card.rows, 4627);
        const full = card.variants.find((v) => v.variant === "nq_open_test_full_qa")!;
        assert.equal(full.isEvaluationSet, true);
        assert.equal(full.rows, 3610);
        assert.equal(full.answersPerQuestion.min, 1);
        assert.equal(full.questionWordHistogram.reduce((n, h) => n + h.rows, 0), 3610);
        assert.match(full.contentHash, /^[0-9a-f]{64}$/);
        await upsertCardSection(cardsDir, "nq", { id: "extra", title: "Extra", markdown: "hello" });
        const before = await Deno.readTextFile(join(cardsDir, "nq.md"));
        assert.match(before, /## Extra\n\nhello/);
        // Re-ingest: same rows (groups replaced, not duplicated), same card bytes.
        const again = await ingestBenchmarks({ input: DEFAULT_QA_DIR, db, parquetDir, cardsDir });
        assert.equal(again.rows, 31750);
        const total = await query(db, "SELECT count(*)::INTEGER AS n FROM questions");
        assert.equal(total[0]!.n, 31750);
        assert.equal(await Deno.readTextFile(join(cardsDir, "nq.md")), before);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("content detection: Parquet with FlashRAG columns, JSON lines in a .json file, extra fields", async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, "in");
    await Deno.mkdir(join(input, "triviaqa"), { recursive: true });
    await Deno.mkdir(join(input, "musique"), { recursive: true });
    // A Parquet file with the FlashRAG columns (metadata as a struct), written by DuckDB.
    const inst = await DuckDBInstance.create(":memory:");
    const conn = await inst.connect();
    const pqPath = join(input, "triviaqa", "dev-00000-of-00001.parquet");
    await conn.run(
      `COPY (SELECT * FROM (VALUES ('dev_0', 'Q zero?', ['A', 'B'], {'src': 'x', 'n': 7::BIGINT}),
                                   ('dev_1', 'Q one?', ['C'], {'src': 'y', 'n': 8::BIGINT}))
             AS t(id, question, golden_answers, metadata)) TO '${pqPath}' (FORMAT parquet)`,
    );
    conn.closeSync();
    inst.closeSync();
    // JSON lines inside a .json file, with an unknown extra field and the original MuSiQue layout.
    await Deno.writeTextFile(
      join(input, "musique", "musique_ans_v1.0_dev.json"),
      [
        {
          id: "2hop__1",
          question: "Who?",
          answer: "Ann",
          answer_aliases: ["Anne", "Ann"],
          answerable: true,
          extra: 1,
        },
        { id: "2hop__2", question: "What?", answer: "Box", answer_aliases: [], answerable: true },
      ].map((r) => JSON.stringify(r)).join("\n") + "\n",
    );
    const db = join(dir, "d.duckdb");
    const report = await ingestBenchmarks({
      input,
      db,
      parquetDir: join(dir, "pq"),
      cardsDir: null,
    });
    assert.deepEqual(
      report.files.map((f) => [f.relPath, f.format, f.container, f.split, f.variant, f.rows]),
      [
        [
          "musique/musique_ans_v1.0_dev.json",
          "musique-original",
          "jsonl",
          "dev",
          "musique_ans_v1.0_dev",
          2,
        ],
        ["triviaqa/dev-00000-of-00001.parquet", "flashrag", "parquet", "dev", "dev", 2],
      ],
    );
    const tq = await loadQuestions(db, { benchmark: "triviaqa", split: "dev" });
    assert.deepEqual(tq[0], {
      id: "dev_0",
      question: "Q zero?",
      goldenAnswers: ["A", "B"],
      benchmark: "triviaqa",
      split: "dev",
      metadata: { src: "x", n: 7 },
    });
    const mu = await loadQuestions(db, { benchmark: "musique" });
    assert.deepEqual(mu[0]!.goldenAnswers, ["Ann", "Anne"]);
    assert.deepEqual(mu[0]!.metadata, { answerable: true, extra: 1 });
  });
});
