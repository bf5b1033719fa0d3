/**
 * The canonical question: one row of a QA benchmark or of SearchWorld.
 * @module
 */

/** One hop of a gold reasoning chain: the query that finds the bridge entity. */
export interface ChainStep {
  /** A search query that retrieves the passage holding this hop's fact. */
  query: string;
  /** The entity this hop resolves to (the bridge entity; the last hop's is the answer). */
  entity: string;
  /** The relation followed on this hop, when the source knows it. */
  relation?: string;
}

/** One question in the canonical schema (benchmarks and SearchWorld alike). */
export interface Question {
  id: string;
  question: string;
  goldenAnswers: string[];
  /** Ground-truth entities on the reasoning path (SearchWorld; E-GRPO uses them). */
  goldEntities?: string[];
  /** The gold reasoning chain (SearchWorld; the privileged verifier and oracle judge read it). */
  goldChain?: ChainStep[];
  benchmark: string;
  split: string;
  /** Anything else the source carried (never dropped silently). */
  metadata?: Record<string, unknown>;
}
