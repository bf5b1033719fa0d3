import assert from "node:assert/strict";
import { LUCENE_STOP_WORDS, stopWordSet, tokenize } from "./tokenize.ts";

/** Assert `tokenize(text)` for each `[text, its tokens separated by single spaces]`. */
function assertTokens(cases: readonly (readonly [text: string, tokens: string])[]): void {
  for (const [text, tokens] of cases) {
    assert.deepEqual(tokenize(text), tokens === "" ? [] : tokens.split(" "), JSON.stringify(text));
  }
}

Deno.test("tokenize: lower-case and split on non-alphanumerics", () => {
  assertTokens([
    ["Evan L. Morris (1977–2015) was a lobbyist", "evan l morris 1977 2015 was a lobbyist"],
    ["  --  ", ""],
    ["", ""],
  ]);
});

Deno.test("tokenize: folds accents and keeps non-Latin letters", () => {
  assertTokens([
    ["Alû, Café-Crème", "alu cafe creme"],
    ["東京 Tower", "東京 tower"],
  ]);
});

Deno.test("tokenize: ASCII fast path agrees with the Unicode path", () => {
  const ascii = "The Quick_brown fox's 42nd jump!";
  // Appending a non-ASCII separator forces the Unicode path; tokens must be the same.
  assert.deepEqual(tokenize(ascii + " —"), tokenize(ascii));
});

Deno.test("tokenize: stop words", () => {
  assert.equal(LUCENE_STOP_WORDS.size, 33);
  assert.deepEqual(tokenize("The Demon of Lilu", { stopWords: LUCENE_STOP_WORDS }), [
    "demon",
    "lilu",
  ]);
  assert.deepEqual(tokenize("the demon", { stopWords: stopWordSet({ kind: "none" }) }), [
    "the",
    "demon",
  ]);
  assert.deepEqual(
    tokenize("The Demon", { stopWords: stopWordSet({ kind: "custom", words: ["Demon"] }) }),
    ["the"],
  );
});
