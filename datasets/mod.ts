/**
 * @creditlab/datasets: DuckDB/Arrow pipelines for the seven QA benchmarks, corpora, BM25
 * retrieval, SearchWorld, and the Search-R1 metrics.
 * @module
 */
export {};
export * from "./duckdb.ts";
export * from "./metrics.ts";
export * from "./entities.ts";
export * as searchworld from "./searchworld/mod.ts";
export {
  generateWorld,
  oodConfig,
  OracleRoundJudge,
  SearchWorldVerifier,
  World,
  WORLD_PRESETS,
  worldPreset,
  worldVocabulary,
} from "./searchworld/mod.ts";
export type {
  Diagnosis,
  Entity,
  EntityType,
  HopMix,
  RelationId,
  VerifierDetail,
  VerifierOptions,
  WorldConfig,
  WorldData,
  WorldPresetName,
} from "./searchworld/mod.ts";
export * from "./retrieval/mod.ts";
export * from "./benchmarks/mod.ts";
export * from "./corpus/mod.ts";
export * from "./export/mod.ts";
