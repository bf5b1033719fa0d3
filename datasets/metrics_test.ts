import assert from "node:assert/strict";
import {
  answerScores,
  coverExactMatch,
  exactMatch,
  normalizeAnswer,
  pySplit,
  tokenF1,
  tokenScores,
} from "./metrics.ts";

/** Assert that normalizeAnswer maps each input to its expected form. */
function assertNormalizes(cases: readonly (readonly [input: string, expected: string])[]): void {
  for (const [input, expected] of cases) {
    assert.equal(normalizeAnswer(input), expected, `normalizeAnswer(${JSON.stringify(input)})`);
  }
}

Deno.test("normalizeAnswer: lower-case, punctuation, articles, whitespace", () => {
  assertNormalizes([
    ["The  Eiffel-Tower!", "eiffeltower"],
    ["A Tale of Two Cities", "tale of two cities"],
    ["an apple, a pear & the plum.", "apple pear plum"],
    // Articles only as whole words: "theatre", "another", "banana" keep their letters.
    ["Theatre another banana", "theatre another banana"],
    // Punctuation is removed before articles: "the-a" -> "thea" (one word, kept).
    ["the-a", "thea"],
    // Underscore is punctuation; "_the_" -> "the" -> "".
    ["_the_", ""],
    // Apostrophes are removed: "O'Neil's" -> "oneils".
    ["O'Neil's", "oneils"],
    ["", ""],
    ["   ", ""],
    ["The", ""],
    ["a an the", ""],
  ]);
});

Deno.test("normalizeAnswer: unicode follows CPython semantics", () => {
  assertNormalizes([
    // Non-ASCII punctuation is not in string.punctuation: kept.
    ["1914 – 1918", "1914 – 1918"],
    ["Nobel’s prize", "nobel’s prize"],
    // Unicode-aware \b: "ñ" is a word character, so the "a" of "aña" stays (JS \b would drop it).
    ["Aña", "aña"],
    ["éthe", "éthe"],
    ["Wilhelm Conrad Röntgen", "wilhelm conrad röntgen"],
    ["Estádio do Maracanã", "estádio do maracanã"],
    // Greek final sigma and German sharp s lower-case as in Python.
    ["ΣΟΦΟΣ", "σοφος"],
    // Python whitespace: NBSP, NEL (U+0085) and ideographic space split; BOM (U+FEFF) does not.
    ["a\u00a0b\u0085c\u3000d", "b c d"],
    ["x\ufeffy", "x\ufeffy"],
  ]);
  assert.deepEqual(pySplit("\x1c a \x1f b "), ["a", "b"]);
  assert.deepEqual(pySplit(""), []);
});

Deno.test("exactMatch and coverExactMatch: golden values", () => {
  assert.equal(exactMatch("the Beatles.", ["Beatles", "Fab Four"]), 1);
  assert.equal(exactMatch("Beatles band", ["Beatles"]), 0);
  assert.equal(exactMatch("Paris", "paris"), 1);
  assert.equal(exactMatch("Paris", []), 0);
  assert.equal(exactMatch("", [""]), 1);
  assert.equal(exactMatch("", ["x"]), 0);
  // Multi-answer: any gold counts.
  assert.equal(exactMatch("Sam Clemens", ["Mark Twain", "Sam Clemens", "Twain, Mark"]), 1);
  assert.equal(coverExactMatch("It was Paris, France", ["Paris"]), 1);
  assert.equal(coverExactMatch("It was Lyon", ["Paris", "Marseille"]), 0);
  // Substring, not token: "par" is covered by "paris" (as in the reference).
  assert.equal(coverExactMatch("paris", ["par"]), 1);
  // A gold that normalises to "" is covered by anything (reference behaviour).
  assert.equal(coverExactMatch("anything", ["The"]), 1);
  assert.equal(coverExactMatch("anything", []), 0);
});

Deno.test("tokenF1: golden values and FlashRAG yes/no/noanswer special-casing", () => {
  const s = tokenScores("Barack Obama", ["Obama"]);
  assert.equal(s.precision, 0.5);
  assert.equal(s.recall, 1);
  assert.equal(s.f1, 2 / 3);
  assert.equal(tokenF1("the cat sat", ["a cat"]), 2 / 3);
  // Multiset intersection: "a a b" vs "a b b": common = {a:1, b:1} = 2 -> p = r = 2/3.
  assert.equal(tokenF1("x x y", ["x y y"]), 2 / 3);
  // Max over golds.
  assert.equal(tokenF1("new york city", ["York", "New York City"]), 1);
  // yes/no/noanswer: any mismatch with a special string scores 0 even with overlap.
  assert.equal(tokenF1("yes", ["no"]), 0);
  assert.equal(tokenF1("yes", ["yes indeed"]), 0);
  assert.equal(tokenF1("no way", ["no"]), 0);
  assert.equal(tokenF1("Yes.", ["yes"]), 1);
  assert.equal(tokenF1("no answer", ["noanswer"]), 0);
  // Empty prediction or empty gold: 0 (unlike SQuAD's 1 for empty/empty).
  assert.equal(tokenF1("", [""]), 0);
  assert.equal(tokenF1("", ["x"]), 0);
  assert.equal(tokenF1("x", []), 0);
  // precision and recall are maximised independently over golds.
  const t = tokenScores("a1 b1 c1", ["a1", "a1 b1 c1 d1 e1 f1"]);
  assert.equal(t.precision, 1);
  assert.equal(t.recall, 1);
  assert.equal(t.f1, 2 * 1 * 0.5 / 1.5);
});

interface OracleCase {
  pred: string;
  golds: string[];
  normPred: string;
  normGolds: string[];
  em: number;
  cover: number;
  f1: number;
  precision: number;
  recall: number;
}

Deno.test("metrics agree with CPython on 400 random unicode cases", async () => {
  const path = new URL("./testdata/metrics_cpython.json", import.meta.url);
  const { cases } = JSON.parse(await Deno.readTextFile(path)) as { cases: OracleCase[] };
  assert.equal(cases.length, 400);
  for (const [i, c] of cases.entries()) {
    const msg = `case ${i}: ${JSON.stringify(c.pred)} vs ${JSON.stringify(c.golds)}`;
    assert.equal(normalizeAnswer(c.pred), c.normPred, msg);
    assert.deepEqual(c.golds.map(normalizeAnswer), c.normGolds, msg);
    assert.equal(exactMatch(c.pred, c.golds), c.em, msg);
    assert.equal(coverExactMatch(c.pred, c.golds), c.cover, msg);
    const s = tokenScores(c.pred, c.golds);
    assert.ok(Math.abs(s.f1 - c.f1) < 1e-12, msg);
    assert.ok(Math.abs(s.precision - c.precision) < 1e-12, msg);
    assert.ok(Math.abs(s.recall - c.recall) < 1e-12, msg);
  }
});

Deno.test("answerScores bundles the three metrics", () => {
  assert.deepEqual(answerScores("Paris, France", ["Paris"]), { em: 0, f1: 2 / 3, coverEm: 1 });
  assert.deepEqual(answerScores("the paris", ["Paris", "Lyon"]), { em: 1, f1: 1, coverEm: 1 });
});
