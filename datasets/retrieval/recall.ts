/**
 * Retrieval quality on questions with known supporting passages: recall@k of supporting
 * titles (the HotpotQA `supporting_facts` titles).
 *
 *     recall@k = mean over questions of |titles(top-k) ∩ S_q| / |S_q|
 *     all@k    = fraction of questions with S_q ⊆ titles(top-k)
 *
 * where S_q is the set of supporting titles of question q and the query is the question text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCorpusFile } from "../corpus/parse.ts";
 * import { Bm25Index } from "./bm25.ts";
 * const index = Bm25Index.build((await parseCorpusFile(HOTPOT_TRAIN_100_CORPUS)).passages);
 * const qs = await readHotpotSupporting(HOTPOT_TRAIN_100);
 * const r = supportingTitleRecall(index, qs, { ks: [3, 5] });
 * // { n: 100, recall: { 3: ..., 5: ... }, all: { 3: ..., 5: ... } }
 * assert.equal(r.n, 100);
 * ```
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SyncSearcher } from "./server.ts";

const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** The HotpotQA train-100 question file (original format) shipped in ../shared/data/qa. */
export const HOTPOT_TRAIN_100: string = resolve(
  REPO_ROOT,
  "../shared/data/qa/hotpotqa/hotpotqa_train_100_hipporag.json",
);
/** Its matching corpus. */
export const HOTPOT_TRAIN_100_CORPUS: string = resolve(
  REPO_ROOT,
  "../shared/data/qa/corpus/hotpotqa_train_100_corpus_hipporag.json",
);

/** A question with the titles of its supporting passages. */
export interface SupportedQuestion {
  id: string;
  question: string;
  supportingTitles: string[];
}

/** Read an original-format HotpotQA file (`_id, question, supporting_facts [[title, i]]`). */
export async function readHotpotSupporting(path: string): Promise<SupportedQuestion[]> {
  const data: unknown = JSON.parse(await Deno.readTextFile(path));
  if (!Array.isArray(data)) throw new Error(`${path}: expected a JSON list of HotpotQA questions`);
  return data.map((q: unknown, i: number) => {
    const r = q as Record<string, unknown>;
    const where = `${path}: entry ${i}`;
    if (typeof r?.["question"] !== "string") {
      throw new Error(`${where}: field "question": expected a string`);
    }
    const sf = r["supporting_facts"];
    if (
      !Array.isArray(sf) || sf.length === 0 ||
      !sf.every((f) => Array.isArray(f) && typeof f[0] === "string")
    ) {
      throw new Error(
        `${where}: field "supporting_facts": expected a non-empty list of [title, sentence]`,
      );
    }
    return {
      id: typeof r["_id"] === "string" ? r["_id"] : String(i),
      question: r["question"],
      supportingTitles: [...new Set(sf.map((f) => f[0] as string))],
    };
  });
}

/** Recall figures per k. */
export interface RecallReport {
  n: number;
  /** Mean fraction of supporting titles in the top k, by k. */
  recall: Record<number, number>;
  /** Fraction of questions with every supporting title in the top k, by k. */
  all: Record<number, number>;
}

/** Recall@k of supporting titles with the question text as the query (see module doc). */
export function supportingTitleRecall(
  searcher: SyncSearcher,
  questions: readonly SupportedQuestion[],
  opts: { ks: readonly number[] },
): RecallReport {
  const maxK = Math.max(...opts.ks);
  const recall: Record<number, number> = {};
  const all: Record<number, number> = {};
  for (const k of opts.ks) recall[k] = all[k] = 0;
  for (const q of questions) {
    const titles = searcher.search(q.question, maxK).map((p) => p.title);
    for (const k of opts.ks) {
      const top = new Set(titles.slice(0, k));
      const hit = q.supportingTitles.filter((t) => top.has(t)).length;
      recall[k]! += hit / q.supportingTitles.length;
      if (hit === q.supportingTitles.length) all[k]!++;
    }
  }
  const n = questions.length;
  for (const k of opts.ks) {
    recall[k] = n > 0 ? recall[k]! / n : 0;
    all[k] = n > 0 ? all[k]! / n : 0;
  }
  return { n, recall, all };
}
