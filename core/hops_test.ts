import assert from "node:assert/strict";
import type { Question } from "./question.ts";
import { questionHops } from "./hops.ts";

Deno.test("questionHops: a positive integer metadata.hops, else null", () => {
  const q: Question = { id: "a", question: "?", goldenAnswers: ["x"], benchmark: "b", split: "t" };
  assert.equal(questionHops({ ...q, metadata: { hops: 2 } }), 2);
  assert.equal(questionHops({ ...q, metadata: { hops: 0 } }), null);
  assert.equal(questionHops({ ...q, metadata: { hops: 1.5 } }), null);
  assert.equal(questionHops(q), null);
});
