import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type DatasetCard,
  distribution,
  distributionFromCounts,
  renderCardMarkdown,
} from "./card.ts";
import { ingestBenchmarks } from "./ingest.ts";
import { loadStoredQuestions } from "./store.ts";
import { withTempDir } from "@creditlab/core/testing";

Deno.test("distribution: nearest-rank golden values", () => {
  const d = distribution([4, 1, 3, 2]);
  assert.deepEqual(d, { n: 4, mean: 2.5, min: 1, p10: 1, p25: 1, p50: 2, p75: 3, p90: 4, max: 4 });
  assert.deepEqual(distributionFromCounts([[1, 2], [3, 2]]), distribution([1, 1, 3, 3]));
  assert.equal(distribution([]).n, 0);
  assert.equal(distribution([7]).p90, 7);
});

Deno.test("card statistics (SQL histograms) equal a plain loop over the rows", async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, "in", "nq");
    await Deno.mkdir(input, { recursive: true });
    const rows = [
      { id: "test_0", question: "who  wrote\thamlet", golden_answers: ["Shakespeare", "W. S."] },
      { id: "test_1", question: "capital of Österreich?", golden_answers: ["Vienna"] },
      { id: "test_2", question: "one", golden_answers: ["a", "b", "c"] },
    ];
    await Deno.writeTextFile(
      join(input, "test.jsonl"),
      rows.map((r) => JSON.stringify(r)).join("\n"),
    );
    const db = join(dir, "d.duckdb");
    const cardsDir = join(dir, "cards");
    await ingestBenchmarks({ input: join(dir, "in"), db, parquetDir: join(dir, "pq"), cardsDir });
    const card = JSON.parse(await Deno.readTextFile(join(cardsDir, "nq.json"))) as DatasetCard;
    const v = card.variants[0]!;
    const stored = await loadStoredQuestions(db, { benchmark: "nq" });
    assert.deepEqual(v.answersPerQuestion, distribution(stored.map((q) => q.goldenAnswers.length)));
    assert.deepEqual(
      v.questionWords,
      distribution(stored.map((q) => q.question.trim().split(/\s+/).length)),
    );
    assert.deepEqual(v.questionChars, distribution(stored.map((q) => [...q.question].length)));
    assert.equal(v.multiAnswerRows, 2);
    assert.deepEqual(v.questionWordHistogram[0], { bucket: "1-5", rows: 3 });
    assert.equal(v.rows, 3);
    assert.equal(v.isEvaluationSet, true);
    assert.match(renderCardMarkdown(card), /^# Dataset card: nq\n/);
  });
});
