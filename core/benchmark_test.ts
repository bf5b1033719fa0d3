import assert from "node:assert/strict";
import { canonicalBenchmark } from "./benchmark.ts";

Deno.test("canonicalBenchmark recognises the seven names and aliases", () => {
  assert.equal(canonicalBenchmark("NQ"), "nq");
  assert.equal(canonicalBenchmark("2wiki"), "2wikimultihopqa");
  assert.equal(canonicalBenchmark("2WikiMultihopQA"), "2wikimultihopqa");
  assert.equal(canonicalBenchmark("hotpot_qa"), "hotpotqa");
  assert.equal(canonicalBenchmark("searchworld"), null);
});
