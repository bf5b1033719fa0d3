/**
 * Retrieval: corpus documents, scored passages, and the search tool the agent calls.
 * @module
 */

/** A corpus passage before scoring. */
export interface Doc {
  id: string;
  title: string;
  text: string;
}

/** A search result: a passage and its retrieval score (as the agent sees it). */
export interface Passage {
  id: string;
  title: string;
  text: string;
  score: number;
}

/** Anything that answers `search(query, k)` (BM25 in DuckDB, or a `/retrieve` server). */
export interface SearchTool {
  search(query: string, k: number): Promise<Passage[]>;
}
