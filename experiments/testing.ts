/**
 * Test helpers over the SearchWorld testbed (`@creditlab/experiments/testing`; not part of
 * the package's main entry point).
 *
 * @module
 */
import { Rng, Transformer } from "@creditlab/kernels";
import type { ExperimentPreset } from "./presets.ts";
import type { Testbed } from "./testbed.ts";

/**
 * A small one-layer policy (`dModel` 32, `ffnHidden` 64; the rest of `preset.model`) over the
 * testbed's vocabulary, initialised from `seed`. The caller disposes of it.
 */
export function smallPolicy(
  testbed: Testbed,
  opts: { preset: ExperimentPreset; seed: number },
): Transformer {
  const { preset, seed } = opts;
  return new Transformer(
    {
      ...preset.model,
      nLayers: 1,
      dModel: 32,
      ffnHidden: 64,
      vocabSize: testbed.tokenizer.vocabSize,
    },
    { rng: new Rng(seed) },
  );
}
