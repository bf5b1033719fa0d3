/**
 * Retrieval: the BM25 search tool, its tokenizer and persistence, the Search-R1 `/retrieve`
 * server and client.
 * @module
 */
export * from "./format.ts";
export * from "./tokenize.ts";
export * from "./bm25.ts";
export * from "./persist.ts";
export * from "./synthetic.ts";
export * from "./http_guard.ts";
export * from "./sliced_json.ts";
export * from "./server.ts";
export * from "./client.ts";
export * from "./recall.ts";
export * from "./sql_bm25.ts";
