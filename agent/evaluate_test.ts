import assert from "node:assert/strict";
import { emByHops, type EpisodeRecord, feedbackProbe, summarise } from "./evaluate.ts";

const rec = (id: string, em: number, hops: number | null): EpisodeRecord => ({
  questionId: id,
  answer: em ? "x" : "y",
  em,
  f1: em,
  toolCalls: 1,
  hops,
});

Deno.test("emByHops: EM per hop count, sorted, questions without a hop count left out", () => {
  const records = [
    rec("a", 1, 2),
    rec("b", 0, 1),
    rec("c", 1, 1),
    rec("d", 1, null),
    rec("e", 0, 4),
    rec("f", 1, 1),
  ];
  assert.deepEqual(emByHops(records), {
    "1": { n: 3, em: 2 / 3 },
    "2": { n: 1, em: 1 },
    "4": { n: 1, em: 0 },
  });
  assert.deepEqual(Object.keys(emByHops(records)), ["1", "2", "4"]);
  assert.deepEqual(emByHops([rec("a", 1, null)]), {});
  assert.deepEqual(emByHops([]), {});
});

Deno.test("summarise: carries byHops next to the overall EM", () => {
  const s = summarise([rec("a", 1, 1), rec("b", 0, 2), rec("c", 1, 2)], {
    benchmark: "searchworld",
    split: "test",
  });
  assert.equal(s.em, 2 / 3);
  assert.deepEqual(s.byHops, { "1": { n: 1, em: 1 }, "2": { n: 2, em: 0.5 } });
});

Deno.test("feedbackProbe: calls, first verdicts and repairs, counted by hand", () => {
  const ok = { verdict: { correct: true } };
  const wrong = { verdict: { correct: false } };
  const plain = {};
  const probe = feedbackProbe([
    { turns: [plain, plain], em: 1 }, // no call
    { turns: [plain, ok], em: 1 }, // confirmed
    { turns: [plain, wrong, plain], em: 1 }, // repaired
    { turns: [plain, wrong, ok], em: 0 }, // first verdict counts: not correct, not repaired
    { turns: [plain, ok, wrong], em: 0 }, // first verdict correct
  ]);
  assert.deepEqual(probe, { episodes: 5, called: 4, notCorrect: 2, repaired: 1 });
  assert.deepEqual(feedbackProbe([]), { episodes: 0, called: 0, notCorrect: 0, repaired: 0 });
});
