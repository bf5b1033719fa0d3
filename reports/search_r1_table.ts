/**
 * Evaluation results as a markdown table in the layout of Search-R1's main table
 * (Jin et al. 2025, arXiv 2503.09516, Table 3): one row per method/policy, the seven
 * open-domain QA benchmarks as columns (core's `SEARCH_R1_BENCHMARKS`), then the average.
 * Any other benchmark (e.g. SearchWorld) gets an extra column after Avg and is not averaged.
 *
 * @example
 * ```ts
 * console.log(searchR1Table([{ label: "grpo", benchmark: "nq", em: 0.395, n: 3610 }]));
 * ```
 * @module
 */
import { canonicalBenchmark, SEARCH_R1_BENCHMARKS } from "@creditlab/core";

/** One evaluated cell: a policy (`label`) on one benchmark. */
export interface EvalRow {
  /** Row label (method, checkpoint or endpoint). */
  label: string;
  /** Benchmark name; the seven standard ones are recognised by {@link canonicalBenchmark}. */
  benchmark: string;
  /** Exact match in [0, 1]. */
  em: number;
  /** Token F1 in [0, 1], when computed. */
  f1?: number;
  /** Number of questions evaluated. */
  n: number;
}

/** Options of {@link searchR1Table}. */
export interface EvalTableOptions {
  /** Which metric fills the cells (default `"em"`). Rows without f1 show n/a for `"f1"`. */
  metric?: "em" | "f1";
  /** Decimal places (default 3, as in Search-R1). */
  digits?: number;
}

/**
 * Markdown table in the Search-R1 layout. Cells hold the chosen metric with `digits`
 * decimals; a missing cell is `n/a`. Avg is the mean over the standard benchmarks present in
 * the row, annotated `(k/7)` when fewer than seven are present (Search-R1 averages all seven).
 * Rows appear in order of first appearance of their label; extra benchmarks sorted by name.
 * A caption line gives the metric and the number of questions per column.
 *
 * @example
 * ```ts
 * searchR1Table([
 *   { label: "grpo", benchmark: "nq", em: 0.4, n: 10 },
 *   { label: "grpo", benchmark: "searchworld", em: 0.5, n: 20 },
 * ]);
 * // | Method | NQ† | TriviaQA* | ... | Avg | searchworld |
 * // | grpo | 0.400 | n/a | ... | 0.400 (1/7) | 0.500 |
 * ```
 */
export function searchR1Table(rows: readonly EvalRow[], opts: EvalTableOptions = {}): string {
  const metric = opts.metric ?? "em";
  const digits = opts.digits ?? 3;
  if (!Number.isInteger(digits) || digits < 0 || digits > 10) {
    throw new RangeError(`searchR1Table: digits must be an integer in [0, 10], got ${digits}`);
  }
  const labels: string[] = [];
  const cells = new Map<string, Map<string, EvalRow>>();
  const extras = new Set<string>();
  rows.forEach((r, i) => {
    const where = `searchR1Table: rows[${i}] (${JSON.stringify(r.label)}, ${
      JSON.stringify(r.benchmark)
    })`;
    if (typeof r.label !== "string" || r.label === "") {
      throw new Error(`${where}: label must be a non-empty string`);
    }
    if (typeof r.benchmark !== "string" || r.benchmark === "") {
      throw new Error(`${where}: benchmark must be a non-empty string`);
    }
    checkUnit(r.em, `${where}: em`);
    if (r.f1 !== undefined) checkUnit(r.f1, `${where}: f1`);
    if (!Number.isInteger(r.n) || r.n < 0) {
      throw new Error(`${where}: n must be a non-negative integer, got ${r.n}`);
    }
    const key = canonicalBenchmark(r.benchmark) ?? r.benchmark;
    if (canonicalBenchmark(r.benchmark) === null) extras.add(key);
    let byBench = cells.get(r.label);
    if (!byBench) {
      byBench = new Map();
      cells.set(r.label, byBench);
      labels.push(r.label);
    }
    if (byBench.has(key)) throw new Error(`${where}: a second result for this label and benchmark`);
    byBench.set(key, r);
  });
  const extraKeys = [...extras].sort();
  const value = (r: EvalRow | undefined): number | undefined =>
    r === undefined ? undefined : metric === "em" ? r.em : r.f1;
  const fmt = (v: number | undefined): string => v === undefined ? "n/a" : v.toFixed(digits);

  const header = [
    "Method",
    ...SEARCH_R1_BENCHMARKS.map((b) => `${b.header}${b.inDomain ? "†" : "*"}`),
    "Avg",
    ...extraKeys,
  ];
  const lines = [
    `| ${header.map(escapeCell).join(" | ")} |`,
    `|${header.map((_, i) => i === 0 ? " --- " : " ---: ").join("|")}|`,
  ];
  for (const label of labels) {
    const byBench = cells.get(label)!;
    const std = SEARCH_R1_BENCHMARKS.map((b) => value(byBench.get(b.key)));
    const present = std.filter((v): v is number => v !== undefined);
    const avg = present.length === 0
      ? "n/a"
      : fmt(present.reduce((a, b) => a + b, 0) / present.length) +
        (present.length < SEARCH_R1_BENCHMARKS.length
          ? ` (${present.length}/${SEARCH_R1_BENCHMARKS.length})`
          : "");
    const row = [label, ...std.map(fmt), avg, ...extraKeys.map((k) => fmt(value(byBench.get(k))))];
    lines.push(`| ${row.map(escapeCell).join(" | ")} |`);
  }
  const columns = [
    ...SEARCH_R1_BENCHMARKS.map((b) => ({ key: b.key, header: b.header })),
    ...extraKeys.map((k) => ({ key: k, header: k })),
  ];
  const ns = columns.flatMap(({ key, header }) => {
    const values = [
      ...new Set(labels.flatMap((l) => {
        const r = cells.get(l)!.get(key);
        return r === undefined ? [] : [r.n];
      })),
    ];
    return values.length === 0 ? [] : [`${header} ${values.join("/")}`];
  });
  const metricName = metric === "em" ? "exact match" : "token F1";
  lines.push(
    "",
    `${metricName} (Search-R1 normalize_answer); † in-domain, * out-of-domain; n: ${
      ns.length ? ns.join(", ") : "none"
    }.`,
  );
  return lines.join("\n") + "\n";
}

function checkUnit(v: unknown, where: string): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new RangeError(`${where} must be a number in [0, 1], got ${JSON.stringify(v)}`);
  }
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
