/**
 * Search-R1 / verl training data: the rows and columns Search-R1's data scripts write
 * (PeterGriffinJin/Search-R1 `scripts/data_process/nq_search.py`, `qa_search_train_merge.py` and
 * `qa_search_test_merge.py`, as of commit a14dc3a), so that a Search-R1 or verl PPO/GRPO run
 * trains or validates on creditlab's data unchanged.
 *
 * Per question (`make_prefix` with `template_type='base'`, then `process_fn`):
 *
 * - the question is stripped of surrounding whitespace (Python `str.strip()`) and gets a
 *   trailing `?` when it has none;
 * - `data_source`: the benchmark name (Search-R1's reward routing knows nq, triviaqa, popqa,
 *   hotpotqa, 2wikimultihopqa, musique, bamboogle);
 * - `prompt`: one user message, Search-R1's instruction with the question filled in
 *   ({@link searchR1Prompt});
 * - `ability`: `"fact-reasoning"`;
 * - `reward_model`: `{style: "rule", ground_truth: {target: golden answers}}`;
 * - `extra_info`: `{split, index}`, index = 0-based row of the question in its split.
 *
 * Search-R1 builds the rows with `datasets.map`, which keeps the source's FlashRAG columns
 * `id`, `question` (as stripped and `?`-terminated) and `golden_answers` in front of the five
 * new ones; so do we ({@link SEARCH_R1_COLUMNS}). Types are what `Dataset.to_parquet` (pyarrow)
 * infers from those Python values: strings, `list<string>`, `list<struct<role, content>>`,
 * `struct<style, ground_truth: struct<target: list<string>>>`, `struct<split, index: int64>`.
 *
 * Two choices of ours: one file per data source and split (Search-R1 concatenates sources into
 * one `train.parquet` / `test.parquet`; verl takes a list of files, `data.train_files=[...]`),
 * and `extra_info.split` is the canonical split of the rows (`dev` for a dev set; Search-R1's
 * test merge labels dev sets `test`).
 *
 * @module
 */
import { withDuckDb } from "../duckdb.ts";
import { pyStrip } from "../metrics.ts";

/** Search-R1's `ability` value. */
export const SEARCH_R1_ABILITY = "fact-reasoning";

/** The columns of a Search-R1 parquet file, in order, with their DuckDB types. */
export const SEARCH_R1_COLUMNS: Readonly<Record<string, string>> = {
  id: "VARCHAR",
  question: "VARCHAR",
  golden_answers: "VARCHAR[]",
  data_source: "VARCHAR",
  prompt: "STRUCT(role VARCHAR, content VARCHAR)[]",
  ability: "VARCHAR",
  reward_model: "STRUCT(style VARCHAR, ground_truth STRUCT(target VARCHAR[]))",
  extra_info: 'STRUCT(split VARCHAR, "index" BIGINT)',
};

/** One row of a Search-R1 parquet file. */
export interface SearchR1Row {
  id: string;
  /** The question as Search-R1 keeps it: stripped, ending with `?`. */
  question: string;
  golden_answers: string[];
  data_source: string;
  prompt: { role: "user"; content: string }[];
  ability: string;
  reward_model: { style: "rule"; ground_truth: { target: string[] } };
  extra_info: { split: string; index: number };
}

/** A question to export, with where it came from (for errors). */
export interface ExportQuestion {
  id: string;
  question: string;
  goldenAnswers: readonly string[];
  /** Its source, e.g. `nq/test.jsonl:3` or `searchworld easy seed 7, train[3]`. */
  where: string;
}

/** A question that cannot be written (names the source, place and field). */
export class ExportError extends Error {
  constructor(where: string, field: string, problem: string) {
    super(`${where}: field "${field}": ${problem}`);
    this.name = "ExportError";
  }
}

/**
 * The question as Search-R1's `process_fn` leaves it: stripped, with a `?` appended unless it
 * ends with one. Throws on a question that is empty once stripped (Search-R1 would fail with
 * an IndexError).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(searchR1Question("  who wrote hamlet "), "who wrote hamlet?");
 * assert.equal(searchR1Question("who wrote hamlet?"), "who wrote hamlet?");
 * ```
 */
export function searchR1Question(question: string, where = "question"): string {
  const q = pyStrip(question);
  if (q === "") throw new ExportError(where, "question", "empty once stripped of whitespace");
  return q.endsWith("?") ? q : `${q}?`;
}

/**
 * Search-R1's user prompt (`make_prefix`, template `base`) for a question already in Search-R1's
 * form ({@link searchR1Question}): its tag protocol (`<think>`, `<search>`, `<information>`,
 * `<answer>`) and the question, newline-terminated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = searchR1Prompt("who wrote hamlet?");
 * assert.ok(p.startsWith("Answer the given question. You must conduct reasoning inside <think>"));
 * assert.ok(p.endsWith("For example, <answer> Beijing </answer>. Question: who wrote hamlet?\n"));
 * ```
 */
export function searchR1Prompt(question: string): string {
  return [
    "Answer the given question. ",
    "You must conduct reasoning inside <think> and </think> first every time you get new information. ",
    "After reasoning, if you find you lack some knowledge, you can call a search engine by ",
    "<search> query </search> and it will return the top searched results between ",
    "<information> and </information>. ",
    "You can search as many times as your want. ",
    "If you find no further external knowledge needed, you can directly provide the answer ",
    "inside <answer> and </answer>, without detailed illustrations. ",
    `For example, <answer> Beijing </answer>. Question: ${question}\n`,
  ].join("");
}

/**
 * The Search-R1 rows of one data source and split, `extra_info.index` = position in
 * `questions`. Throws {@link ExportError} naming the question's source and field for an empty
 * question, no golden answer or a non-string answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const [row] = searchR1Rows(
 *   [{ id: "test_0", question: "who wrote hamlet", goldenAnswers: ["Shakespeare"], where: "nq/test.jsonl:1" }],
 *   { dataSource: "nq", split: "test" },
 * );
 * assert.equal(row!.prompt[0]!.role, "user");
 * assert.deepEqual(row!.reward_model, { style: "rule", ground_truth: { target: ["Shakespeare"] } });
 * assert.deepEqual(row!.extra_info, { split: "test", index: 0 });
 * ```
 */
export function searchR1Rows(
  questions: readonly ExportQuestion[],
  opts: { dataSource: string; split: string },
): SearchR1Row[] {
  return questions.map((q, index): SearchR1Row => {
    if (q.goldenAnswers.length === 0) {
      throw new ExportError(q.where, "golden_answers", "expected at least one answer");
    }
    q.goldenAnswers.forEach((a, i) => {
      if (typeof a !== "string") {
        throw new ExportError(q.where, `golden_answers[${i}]`, `expected a string, got ${a}`);
      }
    });
    const question = searchR1Question(q.question, q.where);
    return {
      id: q.id,
      question,
      golden_answers: [...q.goldenAnswers],
      data_source: opts.dataSource,
      prompt: [{ role: "user", content: searchR1Prompt(question) }],
      ability: SEARCH_R1_ABILITY,
      reward_model: { style: "rule", ground_truth: { target: [...q.goldenAnswers] } },
      extra_info: { split: opts.split, index },
    };
  });
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The `from_json` structure of a row (DuckDB type names; a list is a one-element array). */
const JSON_STRUCTURE = JSON.stringify([{
  id: "VARCHAR",
  question: "VARCHAR",
  golden_answers: ["VARCHAR"],
  data_source: "VARCHAR",
  prompt: [{ role: "VARCHAR", content: "VARCHAR" }],
  ability: "VARCHAR",
  reward_model: { style: "VARCHAR", ground_truth: { target: ["VARCHAR"] } },
  extra_info: { split: "VARCHAR", index: "BIGINT" },
}]);

/**
 * Write rows to `path` as Parquet through DuckDB (in memory), with the columns and types of
 * {@link SEARCH_R1_COLUMNS}, in row order: to `tmp` (default `<path>.tmp-<pid>`), then renamed
 * to `path` unless `rename` is false (the caller renames several files at once). A failure
 * removes the temporary file.
 *
 * @example
 * ```ts
 * import { join } from "node:path";
 * const dir = await Deno.makeTempDir();
 * const rows = searchR1Rows(
 *   [{ id: "0", question: "who wrote hamlet", goldenAnswers: ["Shakespeare"], where: "x:1" }],
 *   { dataSource: "nq", split: "test" },
 * );
 * await writeSearchR1Parquet(join(dir, "test.parquet"), rows);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeSearchR1Parquet(
  path: string,
  rows: readonly SearchR1Row[],
  opts: { tmp?: string; rename?: boolean } = {},
): Promise<void> {
  const tmp = opts.tmp ?? `${path}.tmp-${Deno.pid}`;
  await withDuckDb(":memory:", async (conn) => {
    try {
      const cols = Object.entries(SEARCH_R1_COLUMNS);
      await conn.run(
        `CREATE TABLE rows (${cols.map(([k, t]) => `"${k}" ${t}`).join(", ")})`,
      );
      // Chunks keep each JSON parameter small; row order is kept by the ORDER BY below.
      const chunk = 2000;
      for (let i = 0; i < rows.length; i += chunk) {
        await conn.run(
          `INSERT INTO rows SELECT ${cols.map(([k]) => `r."${k}"`).join(", ")}
           FROM (SELECT unnest(from_json($1::JSON, ${sqlString(JSON_STRUCTURE)})) AS r)`,
          [JSON.stringify(rows.slice(i, i + chunk))],
        );
      }
      await conn.run(
        `COPY (SELECT * FROM rows ORDER BY extra_info."index") TO ${
          sqlString(tmp)
        } (FORMAT parquet)`,
      );
      if (opts.rename !== false) await Deno.rename(tmp, path);
    } catch (e) {
      await Deno.remove(tmp).catch(() => undefined);
      throw e;
    }
  });
}
