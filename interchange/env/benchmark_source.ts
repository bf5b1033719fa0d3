/**
 * The open-domain QA benchmarks (NQ, TriviaQA, PopQA, HotpotQA, 2WikiMultiHopQA, MuSiQue,
 * Bamboogle) as data sources of the environment service: their questions by id, read from the
 * benchmark files under a folder (default: the shipped samples, `../shared/data/qa`). Each
 * split is its default variant (the file family with the most rows, ties to the smaller name),
 * the rows `data export` writes, so ids match an exported Search-R1 parquet's `id` column.
 *
 * Benchmarks have no gold chain: their verifier and round judge are the LLM backend's
 * (llm_backend.ts); their reward is EM/F1 against the golden answers (reward.ts).
 *
 * @module
 */
import {
  BENCHMARKS,
  canonicalQuestion,
  DEFAULT_QA_DIR,
  defaultVariantRows,
  parseBenchmarkDir,
} from "@creditlab/datasets";
import type { Question } from "@creditlab/core";
import { type EnvSource, indexQuestions } from "./sources.ts";

/** Canonical names of the seven benchmarks. */
export const BENCHMARK_NAMES: readonly string[] = BENCHMARKS.map((b) => b.name);

/**
 * Parse a `--benchmarks` value: comma-separated canonical names, or `all`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseBenchmarkList("nq, hotpotqa"), ["nq", "hotpotqa"]);
 * assert.equal(parseBenchmarkList("all").length, 7);
 * ```
 */
export function parseBenchmarkList(value: string): string[] {
  if (value.trim() === "all") return [...BENCHMARK_NAMES];
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new Error("--benchmarks: expected all or a list of names");
  for (const n of names) {
    if (!BENCHMARK_NAMES.includes(n)) {
      throw new Error(
        `--benchmarks: unknown benchmark ${JSON.stringify(n)} (expected all or any of ${
          BENCHMARK_NAMES.join(", ")
        })`,
      );
    }
  }
  return [...new Set(names)];
}

/**
 * The source of one benchmark's questions (any splits); `variants` (split -> variant) is only
 * reported by `/v1/info`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const q = { id: "test_0", question: "who?", goldenAnswers: ["Ann"], benchmark: "nq", split: "test" };
 * const source = benchmarkSource("nq", [q]);
 * assert.deepEqual(source.lookup("test_0"), [q]);
 * ```
 */
export function benchmarkSource(
  name: string,
  questions: readonly Question[],
  opts: { variants?: Record<string, string>; dir?: string } = {},
): EnvSource {
  const byId = indexQuestions(questions);
  const splits: Record<string, number> = {};
  for (const q of questions) splits[q.split] = (splits[q.split] ?? 0) + 1;
  return {
    dataSource: name,
    kind: "benchmark",
    size: questions.length,
    lookup: (id) => byId.get(id) ?? [],
    oracle: null,
    info: {
      data_source: name,
      kind: "benchmark",
      questions: splits,
      ...(opts.variants ? { variants: opts.variants } : {}),
      ...(opts.dir ? { dir: opts.dir } : {}),
      gold_entities: false,
    },
  };
}

/**
 * Read the benchmarks `names` from the files under `dir` (default {@link DEFAULT_QA_DIR}): one
 * source per benchmark, every split found (its default variant). Throws naming file, line and
 * field for a bad file, and naming the benchmark when `dir` holds none of its files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const [bamboogle] = await loadBenchmarkSources(["bamboogle"]);
 * assert.equal(bamboogle!.size, 125);
 * ```
 */
export async function loadBenchmarkSources(
  names: readonly string[],
  opts: { dir?: string } = {},
): Promise<EnvSource[]> {
  const dir = opts.dir ?? DEFAULT_QA_DIR;
  const { files } = await parseBenchmarkDir(dir);
  const wanted = new Set(names);
  // By split, each in the store's order (by source file, then row).
  const lists = defaultVariantRows(
    files.flatMap((f) => f.rows.filter((r) => wanted.has(r.benchmark))),
  );
  return names.map((name) => {
    const mine = lists.filter((l) => l[0]!.benchmark === name);
    if (mine.length === 0) throw new Error(`--benchmarks: no ${name} files under ${dir}`);
    const variants: Record<string, string> = {};
    const questions: Question[] = [];
    for (const list of mine) {
      variants[list[0]!.split] = list[0]!.variant;
      questions.push(...list.map(canonicalQuestion));
    }
    return benchmarkSource(name, questions, { variants, dir });
  });
}
