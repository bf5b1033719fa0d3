/**
 * The BM25 index as the agent's asynchronous `SearchTool`.
 * @module
 */
import type { Passage, SearchTool } from "@creditlab/core";
import type { Bm25Index } from "./bm25.ts";

/**
 * Wrap an index as the agent's asynchronous `SearchTool`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bm25Index } from "./bm25.ts";
 * const tool = bm25SearchTool(Bm25Index.build([{ id: "0", title: "Lilu", text: "a demon" }]));
 * const passages = await tool.search("lilu", 3);
 * assert.equal(passages[0]?.id, "0");
 * ```
 */
export function bm25SearchTool(index: Bm25Index): SearchTool {
  return {
    search(query: string, k: number): Promise<Passage[]> {
      try {
        return Promise.resolve(index.search(query, k));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}
