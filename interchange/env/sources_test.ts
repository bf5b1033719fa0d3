/** How an item names its question: by id (data source, split when ambiguous) or inline. */
import assert from "node:assert/strict";
import type { Question } from "@creditlab/core";
import { benchmarkSource } from "./benchmark_source.ts";
import { EnvRequestError, FieldReader } from "./request.ts";
import { QUESTION_FIELDS, resolveQuestion, SourceSet } from "./sources.ts";

const q = (id: string, benchmark: string, split: string): Question => ({
  id,
  question: `${benchmark} ${id}?`,
  goldenAnswers: [`${benchmark}-${split}`],
  benchmark,
  split,
});

Deno.test("sources: questions by id, ambiguity, inline questions", () => {
  const sources = new SourceSet([
    benchmarkSource("nq", [q("test_0", "nq", "test"), q("x", "nq", "test"), q("x", "nq", "dev")]),
    benchmarkSource("popqa", [q("test_0", "popqa", "test")]),
  ]);
  assert.throws(() => new SourceSet([...sources.all, sources.all[0]!]), /given twice/);
  const needs = { question: true, answers: true };
  const resolve = (value: unknown) =>
    resolveQuestion(
      FieldReader.of(value, { at: "items[4]", allowed: QUESTION_FIELDS }),
      sources,
      needs,
    );
  const fails = (value: unknown, field: string, re: RegExp) => {
    assert.throws(() => resolve(value), (e: unknown) => {
      assert.ok(e instanceof EnvRequestError);
      assert.equal(e.status, 400);
      assert.equal(e.field, field);
      assert.match(e.message, re);
      return true;
    });
  };
  assert.equal(
    resolve({ data_source: "popqa", question_id: "test_0" }).question.goldenAnswers[0],
    "popqa-test",
  );
  assert.equal(resolve({ question_id: "x", split: "dev" }).source!.dataSource, "nq");
  fails({ question_id: "test_0" }, "items[4].data_source", /ambiguous \(nq\/test, popqa\/test\)/);
  fails({ question_id: "x" }, "items[4].split", /ambiguous \(nq\/test, nq\/dev\)/);
  fails({ question_id: "y" }, "items[4].question_id", /no question "y" in nq, popqa/);
  fails({ data_source: "hotpotqa", question_id: "x" }, "items[4].data_source", /served: nq, popqa/);
  fails({ question_id: "x", question: "q?" }, "items[4].question", /not both/);
  fails({ answers: ["a"] }, "items[4].question", /expected a string/);
  fails({ question: "q?" }, "items[4].answers", /golden answers/);
  fails({ question: "q?", answers: "a", split: "dev" }, "items[4].split", /only meaningful/);
  const inline = resolve({ data_source: "mine", question: "q?", answers: "a" });
  assert.deepEqual(inline, {
    question: {
      id: "inline",
      question: "q?",
      goldenAnswers: ["a"],
      benchmark: "mine",
      split: "inline",
    },
    source: null,
  });
});
