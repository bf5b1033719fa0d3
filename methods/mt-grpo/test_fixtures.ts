/**
 * Test fixtures of mt-grpo: random prompt groups whose trajectories take different numbers of
 * searches, with invalid rounds and empty search results mixed in (for the property tests), and
 * configs by patch.
 *
 * @example
 * ```ts
 * import { Rng } from "@creditlab/kernels";
 * import type { RoundScore } from "@creditlab/core";
 * const table: Record<string, RoundScore> = {};
 * const trajs = randomTurnTrajectories(new Rng(1), table, "demo");
 * ```
 * @module
 */
import type { RoundScore, Trajectory } from "@creditlab/core";
import type { Rng } from "@creditlab/kernels";
import { configWith, type RoundSpec, trajectory } from "../testing.ts";
import { MT_GRPO_DEFAULTS, type MtGrpoConfig } from "./config.ts";

/** The default config with `patch` applied (a fresh copy). */
export const mtCfg: (patch?: Partial<MtGrpoConfig>) => MtGrpoConfig = configWith(
  MT_GRPO_DEFAULTS,
);

/** A full search result (one passage) and an empty one. */
export const FULL = "<information> Doc 1(Title: t) some text . </information>";
export const EMPTY = "<information> </information>";

/**
 * 2 to 9 trajectories in groups 0..2, reward 0 or 1, each with 0..4 non-final rounds (a search
 * three times in four, one in five of them answered by an empty result; else an invalid action)
 * and an answer round. Every non-final round's policy text is unique (`tag`, row and round) and
 * gets random binary scores in `table` (for a `TableJudge`), invalid rounds included.
 */
export function randomTurnTrajectories(
  rng: Rng,
  table: Record<string, RoundScore>,
  tag: string,
): Trajectory[] {
  return Array.from({ length: 2 + rng.int(8) }, (_, i) => {
    const rounds: RoundSpec[] = Array.from({ length: rng.int(5) }, (_, k) => {
      const search = rng.next() < 0.75;
      const words = `${tag} t${i} r${k} ${"w ".repeat(rng.int(3))}`;
      const policy = search ? `<search> ${words}</search>` : `<think> ${words}</think>`;
      table[policy] = { retrieval: rng.int(2) as 0 | 1, thinking: rng.int(2) as 0 | 1 };
      const obs = search ? (rng.next() < 0.2 ? EMPTY : FULL) : "invalid action , use the tags";
      return { policy, obs };
    });
    return trajectory({
      groupId: rng.int(3),
      reward: rng.int(2),
      rounds: [...rounds, { policy: "<answer> a </answer>" }],
    });
  });
}
