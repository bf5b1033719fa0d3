/**
 * The columns of the comparison table: Search-R1's seven benchmarks in its order, then
 * SearchWorld (in-domain) and SearchWorld-OOD. The average column is the mean over the seven
 * open-domain benchmarks (as in Search-R1), computed per seed and only when all seven are there.
 * The seven benchmark columns and their name aliases come from `core/benchmark.ts`
 * ({@link SEARCH_R1_BENCHMARKS}, {@link canonicalBenchmark}); only the column key of
 * 2WikiMultiHopQA differs here (`"2wiki"`).
 *
 * @module
 */

import { canonicalBenchmark, SEARCH_R1_BENCHMARKS, type SearchR1Key } from "@creditlab/core";

/**
 * Key of a table column: a Search-R1 benchmark key (`"nq"`, `"triviaqa"`, `"popqa"`,
 * `"hotpotqa"`, `"2wiki"`, `"musique"`, `"bamboogle"`), `"searchworld"` or `"searchworld-ood"`.
 */
export type ColumnKey =
  | Exclude<SearchR1Key, "2wikimultihopqa">
  | "2wiki"
  | "searchworld"
  | "searchworld-ood";

/** One column of the table. */
export interface Column {
  key: ColumnKey;
  label: string;
  /** Part of the seven-benchmark average. */
  inAverage: boolean;
}

/** Column key of a Search-R1 benchmark: its canonical key, "2wiki" for 2WikiMultiHopQA. */
function qaColumn(key: SearchR1Key): ColumnKey {
  return key === "2wikimultihopqa" ? "2wiki" : key;
}

/** The columns in table order (Search-R1's layout, then SearchWorld). */
export const COLUMNS: readonly Column[] = [
  ...SEARCH_R1_BENCHMARKS.map((b): Column => ({
    key: qaColumn(b.key),
    label: b.header,
    inAverage: true,
  })),
  { key: "searchworld", label: "SearchWorld", inAverage: false },
  { key: "searchworld-ood", label: "SearchWorld-OOD", inAverage: false },
];

/**
 * Table column of an evaluation, or null when it is not one of the table's benchmarks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(columnOf("2WikiMultihopQA", "dev"), "2wiki");
 * assert.equal(columnOf("searchworld", "test-ood"), "searchworld-ood");
 * ```
 */
export function columnOf(benchmark: string, split: string): ColumnKey | null {
  const b = benchmark.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (b.startsWith("searchworld")) {
    return b.includes("ood") || /ood/i.test(split) ? "searchworld-ood" : "searchworld";
  }
  const key = canonicalBenchmark(b);
  return key === null ? null : qaColumn(key);
}

const SPLIT_RANK = ["test", "dev", "validation", "val"];

/** Preference between two splits of one benchmark (lower is preferred): test, dev, validation, then by name. */
export function splitRank(split: string): number {
  const i = SPLIT_RANK.indexOf(split.toLowerCase());
  return i < 0 ? SPLIT_RANK.length : i;
}
