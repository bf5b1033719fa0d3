/**
 * Shared fixtures of PBSD's tests: the config helper and the hand-worked group. Token ids are
 * 4 + (word length % 50) (methods/testing.ts), and the test double scorer (test_scorer.ts)
 * encodes the gold line the same way.
 *
 * The group (question q0, golden answer "paris"; prompt "whereabouts" = [15]):
 *
 * | row | reward | rounds                                                  |
 * | --- | ------ | ------------------------------------------------------- |
 * | 0   | 1      | S1 = search "paris", S2 = search "xy", answer "paris"   |
 * | 1   | 0      | S1, S2, answer "nairobi"                                |
 * | 2   | 0      | answer "nairobi" (K = 1)                                |
 * | 3   | 1      | S2, answer "paris"                                      |
 *
 * with S1 = `<search> paris </search>` [12, 9, 13] + `<information> abc </information>`
 * [17, 7, 18] and S2 = `<search> xy </search>` [12, 6, 13] + the same observation; the answer
 * turns are [12, 9, 13] ("paris") and [12, 11, 13] ("nairobi"). The default gold line
 * "gold answer : paris" encodes to [8, 10, 5, 9].
 *
 * @module
 */
import type { PolicyScorer, Trajectory } from "@creditlab/core";
import type { MethodBatch } from "@creditlab/train";
import {
  answerRound,
  configWith,
  contextOf,
  groupOf,
  question,
  rowCheck,
  searchRound,
} from "../testing.ts";
import { pbsd, PBSD_DEFAULTS, type PbsdConfig, type PbsdRecord } from "./mod.ts";
import { CopyScorer } from "./test_scorer.ts";

/** A PBSD config: the defaults with `patch` applied. */
export const cfg: (patch?: Partial<PbsdConfig>) => PbsdConfig = configWith(PBSD_DEFAULTS);

const S1 = searchRound("paris", "abc");
const S2 = searchRound("xy", "abc");
const WIN = answerRound("paris");
const LOSE = answerRound("nairobi");

/** The hand-worked group (module doc). */
export function goldenGroup(): Trajectory[] {
  return groupOf(0, [
    { prompt: "whereabouts", reward: 1, rounds: [S1, S2, WIN] },
    { prompt: "whereabouts", reward: 0, rounds: [S1, S2, LOSE] },
    { prompt: "whereabouts", reward: 0, rounds: [LOSE] },
    { prompt: "whereabouts", reward: 1, rounds: [S2, WIN] },
  ]);
}

/**
 * GRPO's advantage of the golden group: rewards [1, 0, 0, 1], mean 0.5, unbiased std
 * sqrt(1/3) = 0.577350; A = 0.5 / (0.577350 + 1e-6) = 0.866024.
 */
export const A_GOLDEN = 0.5 / (Math.sqrt(1 / 3) + 1e-6);

/**
 * Check row `row` of `adv`: `a * w[k - 1]` on the policy tokens of round k (w[k - 1] = 1 when
 * absent), exactly 0 on every other token.
 */
export const expectRow: ReturnType<typeof rowCheck> = rowCheck((a, w, k) => a * (w[k - 1] ?? 1));

/** Run PBSD's step on `batch` with `scorer` granted. */
export function run(
  batch: MethodBatch<PbsdRecord>,
  config: PbsdConfig,
  scorer: PolicyScorer | null = new CopyScorer(),
  questions = [question("q0")],
) {
  return Promise.resolve(pbsd.step(
    batch,
    contextOf(config, { questions, ...(scorer ? { resources: { "policy-scorer": scorer } } : {}) }),
  ));
}
