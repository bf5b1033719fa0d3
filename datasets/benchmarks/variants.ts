/**
 * The default variant of a benchmark split among parsed rows, chosen as the store's
 * `default_variants` view chooses it (store.ts): the file family with the most rows, ties to
 * the smaller name. `data export` and the environment service's benchmark sources read these.
 *
 * @module
 */
import type { StoredQuestion } from "./schema.ts";

/** The store's row order: by source file, then row. */
function storeOrder(a: StoredQuestion, b: StoredQuestion): number {
  return a.sourceFile < b.sourceFile
    ? -1
    : a.sourceFile > b.sourceFile
    ? 1
    : a.rowNumber - b.rowNumber;
}

/**
 * Per (benchmark, split) of `rows`: the rows of its default variant (the variant with the most
 * rows, ties to the smaller name), in the store's order (source file, then row). The lists are
 * ordered by benchmark, then split.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const row = (variant: string, id: string) => ({
 *   benchmark: "nq", split: "test", variant, id, question: "?", goldenAnswers: ["a"],
 *   metadata: {}, sourceFile: `nq/${variant}.jsonl`, rowNumber: Number(id), format: "jsonl",
 * });
 * const [test] = defaultVariantRows([row("b", "0"), row("a", "1"), row("b", "2")]);
 * assert.deepEqual(test!.map((r) => [r.variant, r.id]), [["b", "0"], ["b", "2"]]);
 * ```
 */
export function defaultVariantRows(rows: readonly StoredQuestion[]): StoredQuestion[][] {
  const byVariant = new Map<string, StoredQuestion[]>();
  for (const r of rows) {
    const k = `${r.benchmark}\u0000${r.split}\u0000${r.variant}`;
    const list = byVariant.get(k);
    if (list) list.push(r);
    else byVariant.set(k, [r]);
  }
  const best = new Map<string, StoredQuestion[]>();
  for (const list of byVariant.values()) {
    const k = `${list[0]!.benchmark}\u0000${list[0]!.split}`;
    const prev = best.get(k);
    if (
      prev === undefined || list.length > prev.length ||
      (list.length === prev.length && list[0]!.variant < prev[0]!.variant)
    ) best.set(k, list);
  }
  const before = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...best.values()]
    .sort((a, b) => before(a[0]!.benchmark, b[0]!.benchmark) || before(a[0]!.split, b[0]!.split))
    .map((list) => [...list].sort(storeOrder));
}
