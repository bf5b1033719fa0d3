/**
 * Fixtures shared by A²TGPO's tests: hand-written groups (ids as methods/testing.ts gives them:
 * 4 + word length) and configs.
 *
 * @module
 */
import type { Trajectory } from "@creditlab/core";
import { answerRound, configWith, groupOf, searchRound } from "../testing.ts";
import { A2TGPO_DEFAULTS, type A2tgpoConfig } from "./config.ts";

/** The defaults with `patch` applied (a fresh copy). */
export const cfg: (patch?: Partial<A2tgpoConfig>) => A2tgpoConfig = configWith(A2TGPO_DEFAULTS);

/**
 * One group of two 2-round trajectories: A searches, reads "paris" (the gold) and answers it
 * (reward 1); B searches, reads "x" and answers "x" (reward 0). Ids: Question 13, who 7, ? 5,
 * <search> 12, a 5, </search> 13, <information> 17, paris 9, </information> 18, <answer> 12, x 5.
 */
export function pair(groupId = 0): Trajectory[] {
  return groupOf(groupId, [
    { reward: 1, rounds: [searchRound("a", "paris"), answerRound("paris")] },
    { reward: 0, rounds: [searchRound("b", "x"), answerRound("x")] },
  ]);
}

/**
 * One group whose trajectories took 2, 3 and 4 rounds (1, 2, 3 searches, then an answer), with
 * different search results, so the gains differ by trajectory and turn. Rewards 1, 0, 1.
 */
export function ladder(groupId = 0): Trajectory[] {
  return groupOf(groupId, [
    { reward: 1, rounds: [searchRound("a", "paris"), answerRound("paris")] },
    {
      reward: 0,
      rounds: [searchRound("b", "cat"), searchRound("c", "paris dog"), answerRound("x")],
    },
    {
      reward: 1,
      rounds: [
        searchRound("d", "paris paris"),
        searchRound("e", "the"),
        searchRound("f", "paris river"),
        answerRound("paris"),
      ],
    },
  ]);
}
