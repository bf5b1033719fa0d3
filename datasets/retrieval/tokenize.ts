/**
 * The BM25 tokenizer: lower-case, fold accents, split on non-alphanumerics, drop stop words.
 *
 * Steps, in order (documented because BM25 scores depend on every one of them):
 * 1. Lower-case (`String.prototype.toLowerCase`, locale-independent).
 * 2. Fold accents: NFKD normalisation, then drop combining marks (`"Alû"` -> `"alu"`). Applied
 *    only when the text holds a non-ASCII character, so ASCII text takes a fast path.
 * 3. Split on every character that is not a Unicode letter or number (`[^\p{L}\p{N}]+`):
 *    `"Lilu (mythology)"` -> `["lilu", "mythology"]`, `"1977–2015"` -> `["1977", "2015"]`.
 * 4. Optionally drop stop words. The default list is Lucene's `EnglishAnalyzer` default stop
 *    set (33 words), the set Pyserini's default BM25 analyzer drops, so our scores stay close
 *    to Pyserini's (which Search-R1/FlashRAG use for BM25). Dropping them also keeps the
 *    longest posting lists out of the hot path.
 *
 * No stemming: Lucene's analyzer also applies the Porter stemmer, which we do not (a partial
 * stemmer would be worse than none). Expect small ranking differences from Pyserini on
 * inflected words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tokens = tokenize("The Demon of Lilu (mythology)!", { stopWords: LUCENE_STOP_WORDS });
 * assert.deepEqual(tokens, ["demon", "lilu", "mythology"]);
 * ```
 * @module
 */

/** Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET` (the Pyserini default stop set). */
export const LUCENE_STOP_WORDS: ReadonlySet<string> = new Set([
  "a",
  "an",
  "and",
  "are",
  "as",
  "at",
  "be",
  "but",
  "by",
  "for",
  "if",
  "in",
  "into",
  "is",
  "it",
  "no",
  "not",
  "of",
  "on",
  "or",
  "such",
  "that",
  "the",
  "their",
  "then",
  "there",
  "these",
  "they",
  "this",
  "to",
  "was",
  "will",
  "with",
]);

/** Stop-word choice of the tokenizer. */
export type StopWords =
  | { kind: "none" }
  | { kind: "lucene" }
  | { kind: "custom"; words: readonly string[] };

/** Options of {@link tokenize}. */
export interface TokenizeOptions {
  /** Words to drop after lower-casing and folding (default: none). */
  stopWords?: ReadonlySet<string>;
}

/** Resolve a {@link StopWords} choice to a set (`none` -> empty set). */
export function stopWordSet(choice: StopWords): ReadonlySet<string> {
  switch (choice.kind) {
    case "none":
      return new Set();
    case "lucene":
      return LUCENE_STOP_WORDS;
    case "custom":
      return new Set(choice.words.map((w) => w.toLowerCase()));
  }
}

// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
const COMBINING = /\p{M}+/gu;
const SPLIT = /[^\p{L}\p{N}]+/u;

function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122);
}

/**
 * Tokenize `text` (see the module doc for the exact steps).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tokens = tokenize("Evan L. Morris (1977–2015)");
 * assert.deepEqual(tokens, ["evan", "l", "morris", "1977", "2015"]);
 * ```
 */
export function tokenize(text: string, opts: TokenizeOptions = {}): string[] {
  const stop = opts.stopWords;
  const lower = text.toLowerCase();
  const out: string[] = [];
  if (NON_ASCII.test(lower)) {
    const folded = lower.normalize("NFKD").replace(COMBINING, "");
    for (const t of folded.split(SPLIT)) {
      if (t.length > 0 && !(stop?.has(t) ?? false)) out.push(t);
    }
    return out;
  }
  let start = -1;
  const n = lower.length;
  for (let i = 0; i <= n; i++) {
    const alnum = i < n && isAsciiAlnum(lower.charCodeAt(i));
    if (alnum) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      const t = lower.substring(start, i);
      if (!(stop?.has(t) ?? false)) out.push(t);
      start = -1;
    }
  }
  return out;
}
