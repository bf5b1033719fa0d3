/**
 * Shared fixtures of the agent package's tests (not exported by mod.ts).
 *
 * @module
 */
import type { ModelConfig } from "@creditlab/kernels";

/** A one-layer model small enough for exact gradient comparisons on the cpu backend. */
export const TINY_MODEL: ModelConfig = {
  vocabSize: 24,
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  nKvHeads: 1,
  ffnHidden: 32,
  maxSeqLen: 32,
  ropeTheta: 10000,
  normEps: 1e-6,
  tiedEmbeddings: true,
};
