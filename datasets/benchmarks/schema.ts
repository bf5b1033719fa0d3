/**
 * The seven open-domain QA benchmarks and the stored question row (the canonical `Question`
 * is in @creditlab/core).
 *
 * @module
 */
import type { Question } from "@creditlab/core";

/** A benchmark the ingest knows: canonical name, evaluation split and folder/file aliases. */
export interface BenchmarkSpec {
  /** Canonical lower-case name (the `benchmark` column). */
  name: string;
  /** The split Search-R1/FlashRAG evaluate on (METHODS.md: NQ/TriviaQA/PopQA/Bamboogle test, the rest dev). */
  evalSplit: Split;
  /** Folder or file-name prefixes that identify the benchmark (lower-case). */
  aliases: readonly string[];
}

/** Canonical split names. `validation`/`val` in file names map to `dev`. */
export type Split = "train" | "dev" | "test";

/** The seven benchmarks of Search-R1's evaluation (METHODS.md), in its table order. */
export const BENCHMARKS: readonly BenchmarkSpec[] = [
  { name: "nq", evalSplit: "test", aliases: ["nq", "nq_open", "nq-open", "natural_questions"] },
  { name: "triviaqa", evalSplit: "test", aliases: ["triviaqa", "trivia_qa", "trivia-qa", "tqa"] },
  { name: "popqa", evalSplit: "test", aliases: ["popqa", "pop_qa"] },
  { name: "hotpotqa", evalSplit: "dev", aliases: ["hotpotqa", "hotpot_qa", "hotpot"] },
  {
    name: "2wikimultihopqa",
    evalSplit: "dev",
    aliases: ["2wikimultihopqa", "2wikimultihop_qa", "2wikimultihop", "2wiki", "2wikimqa"],
  },
  { name: "musique", evalSplit: "dev", aliases: ["musique", "musique_ans"] },
  { name: "bamboogle", evalSplit: "test", aliases: ["bamboogle"] },
];

/** Look up a benchmark by canonical name or alias (case-insensitive); undefined if unknown. */
export function benchmarkByAlias(name: string): BenchmarkSpec | undefined {
  const key = name.toLowerCase();
  return BENCHMARKS.find((b) => b.name === key || b.aliases.includes(key));
}

/** Map a file-name token to a canonical split, or undefined. */
export function splitFromToken(token: string): Split | undefined {
  switch (token.toLowerCase()) {
    case "train":
      return "train";
    case "dev":
    case "val":
    case "validation":
      return "dev";
    case "test":
      return "test";
    default:
      return undefined;
  }
}

/** A canonical row with its provenance: one row of the DuckDB `questions` table. */
export interface StoredQuestion {
  benchmark: string;
  split: string;
  /** Which file family the row came from (file stem); several variants of one split coexist. */
  variant: string;
  id: string;
  question: string;
  goldenAnswers: string[];
  metadata: Record<string, unknown>;
  /** Path of the source file relative to the ingest input directory. */
  sourceFile: string;
  /** 0-based record index in the source file. */
  rowNumber: number;
  /** Name of the format reader that parsed the file. */
  format: string;
}

/**
 * The canonical `Question` of a stored row: its provenance (variant, source file, row, format)
 * dropped.
 */
export function canonicalQuestion(r: StoredQuestion): Question {
  return {
    id: r.id,
    question: r.question,
    goldenAnswers: r.goldenAnswers,
    benchmark: r.benchmark,
    split: r.split,
    metadata: r.metadata,
  };
}
