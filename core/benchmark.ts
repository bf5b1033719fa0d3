/**
 * The seven open-domain QA benchmarks of Search-R1's main table (Jin et al. 2025, arXiv
 * 2503.09516, Table 3), in its column order — general QA (NQ†, TriviaQA*, PopQA*) then multi-hop
 * QA (HotpotQA†, 2Wiki*, MuSiQue*, Bamboogle*), † in-domain and * out-of-domain — and the names
 * they go by. {@link SEARCH_R1_BENCHMARKS} and {@link canonicalBenchmark} are the single
 * description of the seven columns: reports' `searchR1Table` and its report columns
 * (reports/benchmarks.ts) are built from them.
 *
 * @module
 */

/** Canonical key of one of the seven standard benchmarks. */
export type SearchR1Key =
  | "nq"
  | "triviaqa"
  | "popqa"
  | "hotpotqa"
  | "2wikimultihopqa"
  | "musique"
  | "bamboogle";

/** The seven standard benchmarks, in Search-R1's column order. */
export const SEARCH_R1_BENCHMARKS: readonly {
  key: SearchR1Key;
  header: string;
  inDomain: boolean;
}[] = [
  { key: "nq", header: "NQ", inDomain: true },
  { key: "triviaqa", header: "TriviaQA", inDomain: false },
  { key: "popqa", header: "PopQA", inDomain: false },
  { key: "hotpotqa", header: "HotpotQA", inDomain: true },
  { key: "2wikimultihopqa", header: "2Wiki", inDomain: false },
  { key: "musique", header: "MuSiQue", inDomain: false },
  { key: "bamboogle", header: "Bamboogle", inDomain: false },
];

const ALIASES: Record<string, SearchR1Key> = {
  nq: "nq",
  naturalquestions: "nq",
  triviaqa: "triviaqa",
  tqa: "triviaqa",
  popqa: "popqa",
  hotpotqa: "hotpotqa",
  hotpot: "hotpotqa",
  "2wikimultihopqa": "2wikimultihopqa",
  "2wiki": "2wikimultihopqa",
  "2wikimqa": "2wikimultihopqa",
  musique: "musique",
  bamboogle: "bamboogle",
};

/**
 * The canonical key of a standard benchmark name (case, `-`, `_` and spaces ignored), or
 * null for any other benchmark.
 *
 * @example
 * ```ts
 * canonicalBenchmark("2Wiki-MultihopQA"); // "2wikimultihopqa"
 * canonicalBenchmark("searchworld"); // null
 * ```
 */
export function canonicalBenchmark(name: string): SearchR1Key | null {
  return ALIASES[name.toLowerCase().replace(/[\s_-]+/g, "")] ?? null;
}
