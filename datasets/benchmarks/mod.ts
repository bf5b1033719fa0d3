/**
 * The seven QA benchmarks: ingest into DuckDB/Parquet, canonical loaders, dataset cards.
 * See README.md beside this file.
 *
 * @module
 */
export { benchmarkByAlias, BENCHMARKS, canonicalQuestion } from "./schema.ts";
export { defaultVariantRows } from "./variants.ts";
export type { BenchmarkSpec, Split as BenchmarkSplit, StoredQuestion } from "./schema.ts";
export { IngestCommittedError, IngestError } from "./errors.ts";
export type { IngestCommitted, InputLocation } from "./errors.ts";
export { detectFormat, FORMAT_READERS } from "./formats.ts";
export type { FormatName, FormatReader, ParsedRecord } from "./formats.ts";
export { classify, discoverFiles } from "./discover.ts";
export type { DiscoveredFile, SkippedFile } from "./discover.ts";
export {
  ingestBenchmarks,
  parseBenchmarkDir,
  parseBenchmarkFile,
  writeBenchmarks,
} from "./ingest.ts";
export type { IngestReport, ParsedFile, ParsedInput, SplitSource, WriteOptions } from "./ingest.ts";
export {
  ensureSchema,
  loadBenchmarkArrow,
  loadParquetArrow,
  loadQuestions,
  loadStoredQuestions,
  SCHEMA_SQL,
} from "./store.ts";
export type { QuestionQuery, StoreSource } from "./store.ts";
export {
  buildCard,
  distribution,
  renderCardMarkdown,
  upsertCardSection,
  writeCards,
} from "./card.ts";
export type { CardSection, DatasetCard, Distribution, VariantCard } from "./card.ts";
export {
  DEFAULT_CARDS_DIR,
  DEFAULT_DATA_DIR,
  DEFAULT_DB,
  DEFAULT_PARQUET_DIR,
  DEFAULT_QA_DIR,
  REPO_ROOT,
} from "./paths.ts";
