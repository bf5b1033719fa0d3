/**
 * Fixtures of the sweep tests: hand-written sweep lines in cli/sweep.ts's format
 * ({@link sweepLineText}, their settings {@link sweepSettingsFixture}) and the golden 3 labels
 * x 3 seeds sweep ({@link goldenSweepLines}), whose numbers are worked by hand in
 * sweeps_section_test.ts. They are never shown as results.
 *
 * @module
 */

/** One line of a hand-written sweep results file (cli/sweep.ts's format), for the sweep tests. */
export interface SweepLineFixture {
  label: string | null;
  method: string;
  methodConfig: Record<string, unknown>;
  seed: number;
  /** EM after RL per world; the warm start's EM is 0.5 in-domain and 0.4 OOD. */
  after: { in: number; ood: number };
  n?: number;
  commit?: string;
  backend?: string;
}

/**
 * The `settings` of a fixture sweep line ({@link sweepLineText}): preset smoke, regime mixed,
 * the warm start of SFT seed 1, 300 questions per world unless `n` says otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(sweepSettingsFixture({ method: "alpha", methodConfig: {} }).n, 300);
 * ```
 */
export function sweepSettingsFixture(
  f: Pick<SweepLineFixture, "method" | "methodConfig" | "n">,
): Record<string, unknown> {
  return {
    preset: "smoke",
    regime: "mixed",
    sftSeed: 1,
    method: f.method,
    methodConfig: f.methodConfig,
    n: f.n ?? 300,
    sft: { steps: 200, decayMinLrRatio: null, observationWeight: 0 },
    rl: {
      steps: 20,
      questionsPerStep: 16,
      groupSize: 4,
      lr: 0.0003,
      warmupSteps: 6,
      temperature: 0.5,
    },
  };
}

/**
 * The JSON text of a sweep line (no newline): preset smoke, regime mixed, warm start of SFT seed
 * 1 shared by every seed, 300 questions per world unless `n` says otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = sweepLineText({ label: "x", method: "alpha", methodConfig: {}, seed: 1, after: { in: 0.5, ood: 0.4 } });
 * assert.equal(JSON.parse(text).settings.n, 300);
 * ```
 */
export function sweepLineText(f: SweepLineFixture): string {
  return JSON.stringify({
    date: "2026-12-07T00:00:00.000Z",
    commit: f.commit ?? "c0ffee",
    machine: { cpu: "fixture", cores: 2 },
    backend: f.backend ?? "wasm",
    label: f.label,
    settings: sweepSettingsFixture(f),
    seed: f.seed,
    worlds: {
      in: {
        before: 0.5,
        after: f.after.in,
        gained: 0,
        lost: 0,
        lookupBefore: 0.6,
        lookupAfter: 0.6,
      },
      ood: {
        before: 0.4,
        after: f.after.ood,
        gained: 0,
        lost: 0,
        lookupBefore: 0.6,
        lookupAfter: 0.6,
      },
    },
    trainReward: { first5: 0.5, last5: 0.6, first20pct: 0.5, last20pct: 0.6 },
    regimeMeasures: { noSuccessShare: 0.3, toolCalls: 1.5, nearMissShare: 0.4 },
    finalKl: null,
    jobs: 2,
    seconds: { rl: 10, total: 20 },
  });
}

/**
 * The golden sweep of the tests, 3 labels x 3 seeds, one design (Δ in points, per seed 1, 2, 3):
 * grpo in +1 +2 +3, OOD 0 +2 +4; "factor 0.1" (method alpha, shaping.factor 0.1) in +2 +4 +6,
 * OOD +1 +1 +4; "factor 1" (shaping.factor 1) in 0 +3 +3, OOD -2 0 +2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(goldenSweepLines().length, 9);
 * ```
 */
export function goldenSweepLines(): string[] {
  const grpo = { klCoef: 0.001 };
  const alpha = (factor: number) => ({ klCoef: 0.001, shaping: { factor, when: "always" } });
  const rows: [string, string, Record<string, unknown>, number[], number[]][] = [
    ["grpo", "grpo", grpo, [0.51, 0.52, 0.53], [0.40, 0.42, 0.44]],
    ["factor 0.1", "alpha", alpha(0.1), [0.52, 0.54, 0.56], [0.41, 0.41, 0.44]],
    ["factor 1", "alpha", alpha(1), [0.50, 0.53, 0.53], [0.38, 0.40, 0.42]],
  ];
  return rows.flatMap(([label, method, methodConfig, ins, oods]) =>
    [1, 2, 3].map((seed) =>
      sweepLineText({
        label,
        method,
        methodConfig,
        seed,
        after: { in: ins[seed - 1]!, ood: oods[seed - 1]! },
      })
    )
  );
}
