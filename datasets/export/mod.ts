/**
 * Data out: the benchmarks and SearchWorld worlds in other trainers' formats (`deno task data
 * export`). Search-R1 / verl parquet: search_r1.ts (rows, prompt, columns, writer) and
 * export.ts (what is exported, written all or nothing).
 *
 * @module
 */
export {
  ExportError,
  type ExportQuestion,
  SEARCH_R1_ABILITY,
  SEARCH_R1_COLUMNS,
  searchR1Prompt,
  searchR1Question,
  type SearchR1Row,
  searchR1Rows,
  writeSearchR1Parquet,
} from "./search_r1.ts";
export {
  DEFAULT_WORLD_SEED,
  EXPORT_FORMATS,
  exportData,
  type ExportedFile,
  type ExportFormat,
  type ExportOptions,
  type ExportReport,
} from "./export.ts";
