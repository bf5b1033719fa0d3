/**
 * Dataset cards: per benchmark, per (split, variant): rows, answers per question, question
 * length distribution (words and characters), source files with SHA-256, and a content hash of
 * the canonical rows. Written as `<benchmark>.json` and `<benchmark>.md`; deterministic (no
 * timestamps), so the same store gives the same bytes.
 *
 * Other packages can add a section (e.g. retrieval recall on HotpotQA) with
 * {@link upsertCardSection}; re-writing cards keeps sections whose id is not built in.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { BENCHMARKS } from "./schema.ts";

/** Summary of a numeric sample. Quantiles are nearest-rank: the ceil(q·n)-th smallest value. */
export interface Distribution {
  n: number;
  mean: number;
  min: number;
  p10: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  max: number;
}

/** One (split, variant) of a benchmark. */
export interface VariantCard {
  split: string;
  variant: string;
  /** The default variant of its (benchmark, split): most rows, ties by name. */
  isDefault: boolean;
  /** The default variant of the benchmark's evaluation split (`eval_questions`). */
  isEvaluationSet: boolean;
  rows: number;
  files: CardFile[];
  answersPerQuestion: Distribution;
  /** Rows with more than one golden answer. */
  multiAnswerRows: number;
  questionWords: Distribution;
  questionChars: Distribution;
  /** Histogram of question length in words: bucket label -> rows. */
  questionWordHistogram: { bucket: string; rows: number }[];
  /**
   * Content hash of the canonical rows: the file's `contentSha256` for a one-file variant, else
   * SHA-256 over the files' `contentSha256 + "\n"` in path order.
   */
  contentHash: string;
}

/** A free-form card section added by another tool. */
export interface CardSection {
  id: string;
  title: string;
  markdown: string;
  data?: unknown;
}

/** The card of one benchmark. */
export interface DatasetCard {
  benchmark: string;
  evalSplit: string;
  rows: number;
  /** SHA-256 over the lines `split/variant contentHash`, sorted. */
  contentHash: string;
  variants: VariantCard[];
  sections: CardSection[];
}

/**
 * Nearest-rank summary of a sample given as (value, count) pairs: quantile q is the
 * ceil(q·n)-th smallest value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(distributionFromCounts([[1, 2], [3, 2]]).p50, 1); // values 1, 1, 3, 3
 * ```
 */
export function distributionFromCounts(
  pairs: readonly (readonly [number, number])[],
): Distribution {
  const s = [...pairs].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const n = s.reduce((a, [, c]) => a + c, 0);
  const at = (rank: number) => {
    let seen = 0;
    for (const [v, c] of s) {
      seen += c;
      if (seen >= rank) return v;
    }
    return s[s.length - 1]?.[0] ?? 0;
  };
  const q = (p: number) => (n === 0 ? 0 : at(Math.max(1, Math.ceil(p * n))));
  const mean = n === 0 ? 0 : s.reduce((a, [v, c]) => a + v * c, 0) / n;
  return {
    n,
    mean: Math.round(mean * 1000) / 1000,
    min: n === 0 ? 0 : s[0]![0],
    p10: q(0.1),
    p25: q(0.25),
    p50: q(0.5),
    p75: q(0.75),
    p90: q(0.9),
    max: n === 0 ? 0 : s[s.length - 1]![0],
  };
}

/**
 * Nearest-rank summary of `xs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(distribution([1, 2, 3, 4]).p50, 2);
 * ```
 */
export function distribution(xs: readonly number[]): Distribution {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return distributionFromCounts([...counts.entries()]);
}

const BUCKETS: [string, number][] = [
  ["1-5", 5],
  ["6-10", 10],
  ["11-15", 15],
  ["16-20", 20],
  ["21-30", 30],
  ["31-50", 50],
  ["51+", Infinity],
];

/** A source file of a variant, as recorded in `benchmark_files`. */
export interface CardFile {
  path: string;
  format: string;
  container: string;
  rows: number;
  sha256: string;
  /** SHA-256 over `JSON.stringify([id, question, golden_answers]) + "\n"` per row, in file order. */
  contentSha256: string;
}

/**
 * Per (split, variant) statistics as value-count histograms (the per-file histograms of
 * `benchmark_files`, concatenated; a value may repeat across files).
 */
export interface VariantStats {
  split: string;
  variant: string;
  /** (number of golden answers, rows) pairs. */
  answers: [number, number][];
  /** (question length in whitespace-separated words, rows) pairs. */
  words: [number, number][];
  /** (question length in Unicode code points, rows) pairs. */
  chars: [number, number][];
  files: CardFile[];
}

/** Build the card of one benchmark from per-variant statistics. */
export function buildCard(
  benchmark: string,
  stats: readonly VariantStats[],
  opts: { defaults: ReadonlySet<string>; sections?: CardSection[] },
): DatasetCard {
  const spec = BENCHMARKS.find((b) => b.name === benchmark);
  const sorted = [...stats].sort((a, b) => {
    const ka = `${a.split}/${a.variant}`;
    const kb = `${b.split}/${b.variant}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const variants: VariantCard[] = sorted.map((st) => {
    const answersPerQuestion = distributionFromCounts(st.answers);
    const hash = createHash("sha256");
    const files = [...st.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const f of files) hash.update(`${f.contentSha256}\n`);
    const isDefault = opts.defaults.has(`${st.split}/${st.variant}`);
    return {
      split: st.split,
      variant: st.variant,
      isDefault,
      isEvaluationSet: isDefault && st.split === spec?.evalSplit,
      rows: answersPerQuestion.n,
      files: files.map((f) => ({ ...f })),
      answersPerQuestion,
      multiAnswerRows: st.answers.filter(([v]) => v > 1).reduce((a, [, c]) => a + c, 0),
      questionWords: distributionFromCounts(st.words),
      questionChars: distributionFromCounts(st.chars),
      questionWordHistogram: BUCKETS.map(([bucket, hi], i) => {
        const lo = i === 0 ? 0 : BUCKETS[i - 1]![1];
        return {
          bucket,
          rows: st.words.filter(([w]) => w > lo && w <= hi).reduce((a, [, c]) => a + c, 0),
        };
      }),
      contentHash: files.length === 1 ? files[0]!.contentSha256 : hash.digest("hex"),
    };
  });
  const top = createHash("sha256");
  for (const v of variants) top.update(`${v.split}/${v.variant} ${v.contentHash}\n`);
  return {
    benchmark,
    evalSplit: spec?.evalSplit ?? "",
    rows: variants.reduce((a, v) => a + v.rows, 0),
    contentHash: top.digest("hex"),
    variants,
    sections: opts.sections ?? [],
  };
}

function fmtDist(d: Distribution): string {
  return `${d.min} / ${d.p25} / ${d.p50} / ${d.p75} / ${d.max} (mean ${d.mean})`;
}

/**
 * Render a card as markdown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const card = buildCard("nq", [], { defaults: new Set() }); // no variants: the header only
 * assert.ok(renderCardMarkdown(card).startsWith("# Dataset card: nq"));
 * ```
 */
export function renderCardMarkdown(card: DatasetCard): string {
  const L: string[] = [];
  L.push(`# Dataset card: ${card.benchmark}`, "");
  L.push(`- Evaluation split: \`${card.evalSplit}\``);
  L.push(`- Rows (all splits and variants): ${card.rows}`);
  L.push(`- Content hash (SHA-256 over variant hashes): \`${card.contentHash}\``, "");
  L.push(
    "| split | variant | default | eval set | rows | answers/question (min/p25/median/p75/max) | multi-answer rows | question words (min/p25/median/p75/max) | question chars median | content hash |",
    "|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const v of card.variants) {
    L.push(
      `| ${v.split} | ${v.variant} | ${v.isDefault ? "yes" : ""} | ${
        v.isEvaluationSet ? "yes" : ""
      } | ${v.rows} | ${fmtDist(v.answersPerQuestion)} | ${v.multiAnswerRows} | ${
        fmtDist(v.questionWords)
      } | ${v.questionChars.p50} | \`${v.contentHash.slice(0, 16)}\` |`,
    );
  }
  for (const v of card.variants) {
    L.push("", `## ${v.split} / ${v.variant}`, "");
    L.push("Source files:", "");
    for (const f of v.files) {
      L.push(
        `- \`${f.path}\` (${f.format}, ${f.container}, ${f.rows} rows, sha256 \`${f.sha256}\`)`,
      );
    }
    L.push("", "Question length (words):", "", "| words | rows |", "|---|---|");
    for (const h of v.questionWordHistogram) L.push(`| ${h.bucket} | ${h.rows} |`);
    L.push(
      "",
      `Question words p10/p90: ${v.questionWords.p10}/${v.questionWords.p90}; chars min/median/max: ${v.questionChars.min}/${v.questionChars.p50}/${v.questionChars.max}.`,
    );
  }
  for (const s of card.sections) L.push("", `## ${s.title}`, "", s.markdown.trimEnd());
  return L.join("\n") + "\n";
}

async function readCardJson(path: string): Promise<DatasetCard | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as DatasetCard;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function writeCardFiles(dir: string, card: DatasetCard): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const json = join(dir, `${card.benchmark}.json`);
  const md = join(dir, `${card.benchmark}.md`);
  await Deno.writeTextFile(json, JSON.stringify(card, null, 2) + "\n");
  await Deno.writeTextFile(md, renderCardMarkdown(card));
  return [md, json];
}

/**
 * Build and write the cards of `benchmarks` (default: every benchmark in the store) from an
 * open store connection. Existing sections added with {@link upsertCardSection} are kept.
 * Returns the written paths.
 */
export async function writeCards(
  conn: DuckDBConnection,
  dir: string,
  opts: { benchmarks?: readonly string[] } = {},
): Promise<string[]> {
  const benchmarks = opts.benchmarks ??
    ((await conn.runAndReadAll("SELECT DISTINCT benchmark FROM questions ORDER BY 1"))
      .getRowObjectsJS()
      .map((r) => r.benchmark as string));
  const defaults = new Set(
    (await conn.runAndReadAll(
      "SELECT split || '/' || variant AS k, benchmark FROM default_variants",
    ))
      .getRowObjectsJS().map((r) => `${r.benchmark}|${r.k}`),
  );
  const written: string[] = [];
  for (const b of benchmarks) {
    const stats = new Map<string, VariantStats>();
    const get = (split: string, variant: string) => {
      const k = `${split}/${variant}`;
      let st = stats.get(k);
      if (!st) stats.set(k, st = { split, variant, answers: [], words: [], chars: [], files: [] });
      return st;
    };
    const files = (await conn.runAndReadAll(
      `SELECT split, variant, source_file, format, container, rows, sha256, content_sha256,
         CAST(answers_hist AS VARCHAR), CAST(words_hist AS VARCHAR), CAST(chars_hist AS VARCHAR)
       FROM benchmark_files WHERE benchmark = $1 ORDER BY source_file`,
      [b],
    )).getRows();
    for (
      const [split, variant, path, format, container, rows, sha256, contentSha256, ah, wh, ch]
        of files
    ) {
      const st = get(split as string, variant as string);
      st.files.push({
        path: path as string,
        format: format as string,
        container: container as string,
        rows: rows as number,
        sha256: sha256 as string,
        contentSha256: contentSha256 as string,
      });
      st.answers.push(...JSON.parse(ah as string) as [number, number][]);
      st.words.push(...JSON.parse(wh as string) as [number, number][]);
      st.chars.push(...JSON.parse(ch as string) as [number, number][]);
    }
    const mine = new Set(
      [...defaults].filter((k) => k.startsWith(`${b}|`)).map((k) => k.slice(b.length + 1)),
    );
    const old = await readCardJson(join(dir, `${b}.json`));
    const card = buildCard(b, [...stats.values()], {
      defaults: mine,
      sections: old?.sections ?? [],
    });
    written.push(...await writeCardFiles(dir, card));
  }
  return written;
}

/**
 * Add or replace (by id) a section of a benchmark's card and re-render its markdown. The card
 * must exist (run the ingest first).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * const dir = await Deno.makeTempDir(); // in the project: DEFAULT_CARDS_DIR, written by the ingest
 * const card = buildCard("hotpotqa", [], { defaults: new Set() });
 * await Deno.writeTextFile(join(dir, "hotpotqa.json"), JSON.stringify(card));
 * const section = { id: "bm25-recall", title: "BM25 recall", markdown: "recall@3 0.71" };
 * await upsertCardSection(dir, "hotpotqa", section); // [".../hotpotqa.md", ".../hotpotqa.json"]
 * assert.match(await Deno.readTextFile(join(dir, "hotpotqa.md")), /## BM25 recall/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function upsertCardSection(
  dir: string,
  benchmark: string,
  section: CardSection,
): Promise<string[]> {
  const path = join(dir, `${benchmark}.json`);
  const card = await readCardJson(path);
  if (!card) {
    throw new Error(`upsertCardSection: no card at ${path}; run \`deno task data ingest\` first`);
  }
  const i = card.sections.findIndex((s) => s.id === section.id);
  if (i >= 0) card.sections[i] = section;
  else card.sections.push(section);
  return await writeCardFiles(dir, card);
}
