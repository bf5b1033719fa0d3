/**
 * Passage corpora: parse FlashRAG / HippoRAG corpus files and keep them in DuckDB.
 * @module
 */
export * from "./contents.ts";
export * from "./parse.ts";
export * from "./store.ts";
