/**
 * Hand-built fixtures for method tests: trajectories written as a list of rounds, flattened
 * into a {@link RolloutBatch} the same way the agent's batcher does (policy tokens mask 1,
 * observation/feedback tokens mask 0, explicit group and round ids).
 *
 * Each word of a turn's text is one token, so token counts are easy to read off a test.
 *
 * This file is the entry point (tests import it as `../testing.ts`); the fixtures live in
 * `testing/`, one concept a file:
 *
 * - testing/trajectories.ts: hand-written trajectories and rounds, groups, the batch, questions,
 *   random trajectories for property tests;
 * - testing/asserts.ts: plain references of GRPO's advantage, per-token and per-round checks
 *   against hand-worked values, rounding and row helpers;
 * - testing/doubles.ts: test doubles of the resources (search tool, scripted chat, table judge,
 *   the policy scorers' base);
 * - testing/context.ts: config builders, method contexts, calls of a method's step and rewards,
 *   the trainer's checkpoint store and metrics sink.
 *
 * @example
 * ```ts
 * const t = trajectory({
 *   groupId: 0,
 *   reward: 1,
 *   rounds: [
 *     { policy: "<search> a b </search>", obs: "<information> x </information>" },
 *     { policy: "<answer> b </answer>" },
 *   ],
 * });
 * const batch = batchOf([t]);
 * ```
 * @module
 */
export {
  actionOf,
  answerRound,
  batchOf,
  groupOf,
  question,
  randomTrajectories,
  type RoundSpec,
  searchRound,
  trajectory,
  type TrajectorySpec,
} from "./testing/trajectories.ts";
export {
  assertPerToken,
  assertRounds,
  assertRowRounds,
  r4,
  referenceAdvantage,
  referenceGroup,
  rowCheck,
  rowsOf,
} from "./testing/asserts.ts";
export { ListSearch, ScriptedChat, TableJudge, TestScorer } from "./testing/doubles.ts";
export {
  advantagesOf,
  configWith,
  contextOf,
  metricsSink,
  noCheckpoints,
  rewardsOf,
} from "./testing/context.ts";
