/**
 * Shared fixtures of the train package's tests (not exported by mod.ts).
 *
 * @module
 */
import type { ModelConfig, Rng } from "@creditlab/kernels";
import { tinyModelConfig } from "@creditlab/kernels/testing";
import type { Trajectory } from "@creditlab/core";
import type { Method } from "./method.ts";

/** A one-layer model small enough for exact gradient comparisons on the cpu backend. */
export const TINY_MODEL: ModelConfig = tinyModelConfig({ vocabSize: 24 });

/** Clipping and KL settings of the loss in these tests (the aggregation varies). */
export const LOSS_BASE = {
  clipLow: 0.2,
  clipHigh: 0.28,
  dualClip: null,
  klCoef: 0,
  klEstimator: "k3" as const,
};

/** AdamW of these tests (no gradient clipping, so updates are comparable). */
export const TEST_ADAM = {
  lr: 0.01,
  beta1: 0.9,
  beta2: 0.99,
  eps: 1e-8,
  weightDecay: 0,
  maxGradNorm: null,
} as const;

/** `n` random trajectories of one prompt and one policy turn, two per group. */
export function randomTrajectories(rng: Rng, n: number): Trajectory[] {
  return Array.from({ length: n }, (_, i) => {
    const prompt = Int32Array.from({ length: 2 + rng.int(3) }, () => 4 + rng.int(20));
    const policy = Int32Array.from({ length: 1 + rng.int(6) }, () => 4 + rng.int(20));
    return {
      questionId: `q${i >> 1}`,
      groupId: i >> 1,
      reward: rng.int(2),
      meta: {},
      turns: [
        { role: "observation" as const, tokens: prompt, text: "", round: 0 },
        { role: "policy" as const, tokens: policy, text: "", round: 1 },
      ],
    };
  });
}

/**
 * A method that trains nothing: zero advantages, clip 0.2 both ways, no KL, no dynamic
 * sampling; `extra` overrides or adds fields (e.g. `resources`).
 */
export function inertMethod<C>(
  name: string,
  defaults: C,
  extra: Partial<Method<C>> = {},
): Method<C> {
  return {
    name,
    summary: "a test method",
    defaults,
    step: (b) => ({ advantages: new Float32Array(b.n * b.length), metrics: {} }),
    loss: () => ({
      clipLow: 0.2,
      clipHigh: 0.2,
      dualClip: null,
      klCoef: 0,
      klEstimator: "k3",
      aggregation: "token-mean",
    }),
    dynamicSampling: () => ({ kind: "off" }),
    ...extra,
  };
}
