import assert from "node:assert/strict";
import { join } from "node:path";
import { captureConsole, withTempDir } from "@creditlab/core/testing";
import { exportData } from "./export.ts";
import { exportCli } from "./cli.ts";
import { main as dataMain } from "../data_cli.ts";
import { queryDuckDb } from "../testing.ts";

/** Search-R1's columns and the types pyarrow gives them, as DuckDB reads a parquet file. */
const EXPECTED_COLUMNS: [string, string][] = [
  ["id", "VARCHAR"],
  ["question", "VARCHAR"],
  ["golden_answers", "VARCHAR[]"],
  ["data_source", "VARCHAR"],
  ["prompt", "STRUCT(role VARCHAR, content VARCHAR)[]"],
  ["ability", "VARCHAR"],
  ["reward_model", "STRUCT(style VARCHAR, ground_truth STRUCT(target VARCHAR[]))"],
  ["extra_info", "STRUCT(split VARCHAR, index BIGINT)"],
];

const query = (sql: string) => queryDuckDb(":memory:", sql);

const unquote = (t: string) => t.replaceAll('"', "");

Deno.test("data export search-r1: every shipped benchmark and a SearchWorld preset read back with DuckDB in Search-R1's columns", async () => {
  await withTempDir(async (out) => {
    const report = await exportData({ out, benchmarks: "all", searchworld: ["easy"] });
    const rows = Object.fromEntries(report.files.map((f) => [f.path, f.rows]));
    // The default variant of each split of the shipped samples (datasets/benchmarks/README.md).
    assert.deepEqual(rows, {
      "2wikimultihopqa/dev.parquet": 12576,
      "bamboogle/test.parquet": 125,
      "hotpotqa/dev.parquet": 7405,
      "hotpotqa/train.parquet": 100,
      "musique/dev.parquet": 2417,
      "nq/test.parquet": 3610,
      "popqa/test.parquet": 1000,
      "triviaqa/test.parquet": 1000,
      "searchworld-easy/train.parquet": 1500,
      "searchworld-easy/test.parquet": 300,
    });
    assert.deepEqual(report.skipped, []);
    for (const f of report.files) {
      const path = join(out, f.path);
      const cols = await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
      assert.deepEqual(
        cols.map((c) => [c["column_name"], unquote(String(c["column_type"]))]),
        EXPECTED_COLUMNS,
        f.path,
      );
      const [agg] = await query(
        `SELECT count(*) AS n, min(extra_info.index) AS lo, max(extra_info.index) AS hi,
           count(DISTINCT extra_info.index) AS distinct_index,
           bool_and(data_source = '${f.dataSource}') AS same_source,
           bool_and(extra_info.split = '${f.split}') AS same_split,
           bool_and(ability = 'fact-reasoning' AND reward_model.style = 'rule') AS constants,
           bool_and(len(prompt) = 1 AND prompt[1].role = 'user') AS one_user_message,
           bool_and(ends_with(prompt[1].content, 'Question: ' || question || chr(10))) AS filled,
           bool_and(ends_with(question, '?')) AS question_mark,
           bool_and(reward_model.ground_truth.target = golden_answers
             AND len(golden_answers) > 0) AS target
         FROM read_parquet('${path}')`,
      );
      assert.deepEqual(agg, {
        n: BigInt(f.rows),
        lo: 0n,
        hi: BigInt(f.rows - 1),
        distinct_index: BigInt(f.rows),
        same_source: true,
        same_split: true,
        constants: true,
        one_user_message: true,
        filled: true,
        question_mark: true,
        target: true,
      }, f.path);
    }
    // Hand-checked: the first row of bamboogle_test_flashrag.jsonl,
    // {"id": "test_0", "question": "Who was president of the United States in the year that
    // Citibank was founded?", "golden_answers": ["james madison"]}.
    const [first] = await query(
      `SELECT id, question, golden_answers, data_source, prompt, ability, reward_model, extra_info
       FROM read_parquet('${join(out, "bamboogle/test.parquet")}') LIMIT 1`,
    );
    const q = "Who was president of the United States in the year that Citibank was founded?";
    assert.deepEqual(first, {
      id: "test_0",
      question: q,
      golden_answers: ["james madison"],
      data_source: "bamboogle",
      prompt: [{
        role: "user",
        content: "Answer the given question. You must conduct reasoning inside <think> and " +
          "</think> first every time you get new information. After reasoning, if you find you " +
          "lack some knowledge, you can call a search engine by <search> query </search> and it " +
          "will return the top searched results between <information> and </information>. You " +
          "can search as many times as your want. If you find no further external knowledge " +
          "needed, you can directly provide the answer inside <answer> and </answer>, without " +
          "detailed illustrations. For example, <answer> Beijing </answer>. Question: " + q + "\n",
      }],
      ability: "fact-reasoning",
      reward_model: { style: "rule", ground_truth: { target: ["james madison"] } },
      extra_info: { split: "test", index: 0n },
    });
    // SearchWorld rows keep the world's question ids and get a "?" appended.
    const [sw] = await query(
      `SELECT id, question, data_source FROM read_parquet('${
        join(out, "searchworld-easy/test.parquet")
      }') WHERE extra_info.index = 3`,
    );
    assert.equal(sw!["id"], "searchworld-test-3");
    assert.equal(sw!["data_source"], "searchworld");
    assert.match(String(sw!["question"]), /\?$/);
    assert.deepEqual([...Deno.readDirSync(join(out, "nq"))].map((e) => e.name), ["test.parquet"]);
  });
});

Deno.test("data export: --split and --benchmarks select files; bad input names file, line and field and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    const quiet = console.log;
    // hotpotqa has a train split, bamboogle none: asking for it by name is an error...
    await assert.rejects(
      exportData({ out, benchmarks: ["hotpotqa", "bamboogle"], splits: ["train"] }),
      /no bamboogle questions of split train/,
    );
    // ...and "all" skips it.
    const all = await exportData({ out, splits: ["train"] });
    assert.deepEqual(all.files.map((f) => [f.path, f.rows]), [["hotpotqa/train.parquet", 100]]);
    assert.deepEqual(all.skipped, [
      "nq",
      "triviaqa",
      "popqa",
      "2wikimultihopqa",
      "musique",
      "bamboogle",
    ]);
    await Deno.remove(out, { recursive: true });
    const input = join(dir, "in", "bamboogle");
    await Deno.mkdir(input, { recursive: true });
    const line = (id: string, question: string) =>
      JSON.stringify({ id, question, golden_answers: ["a"] });
    await Deno.writeTextFile(join(input, "test.jsonl"), `${line("test_0", "ok")}\n`);
    const args = ["--format", "search-r1", "--input", join(dir, "in"), "--out", out];
    console.log = () => {};
    try {
      assert.equal(await exportCli(args), 0);
    } finally {
      console.log = quiet;
    }
    const before = await Deno.readFile(join(out, "bamboogle", "test.parquet"));
    // A question that is only whitespace (the ingest's check), and one that is only
    // whitespace to Python's str.strip() (U+001F), on which Search-R1's process_fn would fail.
    for (
      const [question, problem] of [
        [" \t ", "expected a non-empty string"],
        ["\u001f", "empty once stripped of whitespace"],
      ]
    ) {
      await Deno.writeTextFile(
        join(input, "test.jsonl"),
        `${line("test_0", "who?")}\n${line("test_1", question!)}\n`,
      );
      const errors: string[] = [];
      const err = console.error;
      console.error = (...a: unknown[]) => errors.push(a.join(" "));
      try {
        assert.equal(await exportCli(args), 1);
      } finally {
        console.error = err;
      }
      assert.match(errors.join("\n"), /^data export: bamboogle\/test\.jsonl:2: field "question": /);
      assert.ok(errors.join("\n").includes(problem!), errors.join("\n"));
    }
    assert.deepEqual(await Deno.readFile(join(out, "bamboogle", "test.parquet")), before);
    assert.deepEqual(
      [...Deno.readDirSync(join(out, "bamboogle"))].map((e) => e.name),
      ["test.parquet"],
      "no temporary files left",
    );
  });
});

Deno.test("data export: --help and option errors", async () => {
  const { text } = await captureConsole(async () => {
    assert.equal(await dataMain(["export", "--help"]), 0);
    assert.equal(await exportCli(["--out", "x"]), 2);
    assert.equal(await exportCli(["--format", "csv", "--out", "x"]), 2);
    assert.equal(await exportCli(["--format", "search-r1", "--out", "x", "--searchworld", "z"]), 2);
    assert.equal(await dataMain(["export", "--bogus"]), 2);
  });
  assert.match(text, /^usage: deno task data export --format search-r1/);
});
