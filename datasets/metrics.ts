/**
 * Answer metrics exactly as Search-R1 and FlashRAG define them.
 *
 * References (behaviour reproduced, Python semantics included):
 * - FlashRAG `flashrag/evaluator/utils.py` `normalize_answer` and `flashrag/evaluator/metrics.py`
 *   `ExactMatch`, `F1_Score.token_level_scores`, `Sub_ExactMatch` (Jin et al. 2024,
 *   arXiv 2405.13576).
 * - Search-R1 `verl/utils/reward_score/qa_em.py` `em_check` / `subem_check` (Jin et al. 2025,
 *   arXiv 2503.09516), which use the same normalisation.
 *
 * `normalize_answer(s) = white_space_fix(remove_articles(remove_punc(lower(s))))` where
 * - `lower` is Python's `str.lower` (full Unicode lower-casing; JS `toLowerCase` matches it),
 * - `remove_punc` deletes the 32 ASCII characters of Python's `string.punctuation` (non-ASCII
 *   punctuation such as "–" or "’" is kept, as in Python),
 * - `remove_articles` is `re.sub(r"\b(a|an|the)\b", " ", text)` with Python 3's Unicode-aware
 *   `\b` (a word character is a Unicode letter, number or `_`; JS `\b` is ASCII-only, so we use
 *   explicit look-arounds: "aña" keeps its "a" as in Python),
 * - `white_space_fix` is `" ".join(text.split())` with Python's `str.split()` whitespace set
 *   (includes U+001C..U+001F and U+0085, excludes U+FEFF, unlike JS `\s`).
 *
 * @module
 */

/** Python's `string.punctuation`: the 32 ASCII punctuation characters. */
export const PYTHON_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

const PUNCT_RE = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
/** `\b(a|an|the)\b` with Python 3 (Unicode) word characters: letters, numbers, underscore. */
const ARTICLE_RE = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
/** Characters for which Python's `str.isspace()` is true (what `str.split()` splits on). */
const PY_WS =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WS_RUN_RE = new RegExp(`[${PY_WS}]+`, "g");
const WS_TRIM_RE = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, "g");

/**
 * Python's `str.strip()` (no argument): remove leading and trailing characters for which
 * `str.isspace()` is true (JavaScript's `trim` differs: it keeps U+001C-U+001F and U+0085 and
 * removes U+FEFF).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(pyStrip("\u001f who ?\u00a0"), "who ?");
 * assert.equal(pyStrip("\ufeffwho"), "\ufeffwho");
 * ```
 */
export function pyStrip(text: string): string {
  return text.replace(WS_TRIM_RE, "");
}

/**
 * Python's `str.split()` (no argument): split on runs of whitespace, no empty tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(pySplit("  a \u00a0b\n"), ["a", "b"]);
 * ```
 */
export function pySplit(text: string): string[] {
  const trimmed = text.replace(WS_TRIM_RE, "");
  return trimmed === "" ? [] : trimmed.split(WS_RUN_RE);
}

/**
 * FlashRAG / Search-R1 `normalize_answer`: lower-case, remove ASCII punctuation, remove the
 * words a/an/the, collapse whitespace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(normalizeAnswer("The  Eiffel-Tower!"), "eiffeltower");
 * assert.equal(normalizeAnswer("A Tale of Two Cities"), "tale of two cities");
 * ```
 */
export function normalizeAnswer(s: string): string {
  const lowered = s.toLowerCase();
  const noPunct = lowered.replace(PUNCT_RE, "");
  const noArticles = noPunct.replace(ARTICLE_RE, " ");
  return pySplit(noArticles).join(" ");
}

/** Golden answers as the sources give them: a list, or a single string. */
export type GoldenAnswers = string | readonly string[];

function asList(golds: GoldenAnswers): readonly string[] {
  return typeof golds === "string" ? [golds] : golds;
}

/**
 * Exact match: 1 if `normalizeAnswer(pred)` equals `normalizeAnswer(g)` for some golden answer
 * g, else 0 (FlashRAG `ExactMatch.calculate_em`, Search-R1 `em_check`). No golds gives 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(exactMatch("the Beatles.", ["Beatles", "Fab Four"]), 1);
 * ```
 */
export function exactMatch(pred: string, golds: GoldenAnswers): 0 | 1 {
  const p = normalizeAnswer(pred);
  for (const g of asList(golds)) if (normalizeAnswer(g) === p) return 1;
  return 0;
}

/**
 * Cover exact match ("sub-EM", FlashRAG `Sub_ExactMatch` metric `acc`, Search-R1
 * `subem_check`): 1 if some normalised golden answer is a substring of the normalised
 * prediction. As in the reference, a golden answer that normalises to "" is covered by any
 * prediction.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(coverExactMatch("It was Paris, France", ["Paris"]), 1);
 * ```
 */
export function coverExactMatch(pred: string, golds: GoldenAnswers): 0 | 1 {
  const p = normalizeAnswer(pred);
  for (const g of asList(golds)) if (p.includes(normalizeAnswer(g))) return 1;
  return 0;
}

/** Token-level scores of {@link tokenScores}. */
export interface TokenScores {
  f1: number;
  precision: number;
  recall: number;
}

const SPECIAL = new Set(["yes", "no", "noanswer"]);

/**
 * FlashRAG `F1_Score.token_level_scores`, faithfully:
 * for each golden answer g (normalised), skip it (score 0) when the normalised prediction p or g
 * is one of "yes", "no", "noanswer" and p != g; otherwise with token multisets P = split(p),
 * G = split(g) and c = |P ∩ G| (multiset intersection), skip if c = 0, else
 * precision = c/|P|, recall = c/|G|, F1 = 2·precision·recall / (precision + recall).
 * Each of f1, precision and recall is the maximum over golden answers *independently* (as in
 * FlashRAG), starting from 0. Empty prediction or empty gold scores 0 (unlike SQuAD).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = tokenScores("Barack Obama", ["Obama"]);
 * assert.deepEqual(s, { f1: 2 / 3, precision: 0.5, recall: 1 });
 * ```
 */
export function tokenScores(pred: string, golds: GoldenAnswers): TokenScores {
  const out: TokenScores = { f1: 0, precision: 0, recall: 0 };
  const p = normalizeAnswer(pred);
  const predTokens = pySplit(p);
  for (const gold of asList(golds)) {
    const g = normalizeAnswer(gold);
    if (SPECIAL.has(p) && p !== g) continue;
    if (SPECIAL.has(g) && p !== g) continue;
    const goldTokens = pySplit(g);
    const counts = new Map<string, number>();
    for (const t of predTokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    let same = 0;
    for (const t of goldTokens) {
      const c = counts.get(t) ?? 0;
      if (c > 0) {
        same++;
        counts.set(t, c - 1);
      }
    }
    if (same === 0) continue;
    const precision = same / predTokens.length;
    const recall = same / goldTokens.length;
    const f1 = (2 * precision * recall) / (precision + recall);
    out.f1 = Math.max(out.f1, f1);
    out.precision = Math.max(out.precision, precision);
    out.recall = Math.max(out.recall, recall);
  }
  return out;
}

/**
 * Token F1, max over golden answers (FlashRAG metric `f1`); see {@link tokenScores}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(tokenF1("yes", ["no"]), 0);
 * assert.equal(tokenF1("the cat sat", ["a cat"]), 2 / 3);
 * ```
 */
export function tokenF1(pred: string, golds: GoldenAnswers): number {
  return tokenScores(pred, golds).f1;
}

/** All answer metrics of one prediction. */
export interface AnswerScores {
  em: 0 | 1;
  f1: number;
  coverEm: 0 | 1;
}

/**
 * EM, token F1 and cover-EM of one prediction against its golden answers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(answerScores("Paris, France", ["Paris"]), { em: 0, f1: 2 / 3, coverEm: 1 });
 * ```
 */
export function answerScores(pred: string, golds: GoldenAnswers): AnswerScores {
  return {
    em: exactMatch(pred, golds),
    f1: tokenF1(pred, golds),
    coverEm: coverExactMatch(pred, golds),
  };
}
