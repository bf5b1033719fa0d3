/**
 * Test helpers of the model (`@creditlab/kernels/testing`; not part of the package's main entry
 * point).
 *
 * @module
 */
import type { ModelConfig } from "./model.ts";

/**
 * A tiny model for tests: one layer, `dModel` 16, two query heads sharing one KV head,
 * `ffnHidden` 32, 32 positions, tied embeddings; `over` sets the vocabulary and anything else.
 */
export function tinyModelConfig(
  over: Partial<ModelConfig> & Pick<ModelConfig, "vocabSize">,
): ModelConfig {
  const { vocabSize, ...rest } = over;
  return {
    vocabSize,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    nKvHeads: 1,
    ffnHidden: 32,
    maxSeqLen: 32,
    ropeTheta: 10000,
    normEps: 1e-6,
    tiedEmbeddings: true,
    ...rest,
  };
}
