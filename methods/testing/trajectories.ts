/**
 * Hand-built trajectories for method tests: trajectories written as a list of rounds, flattened
 * into a {@link RolloutBatch} the same way the agent's batcher does (policy tokens mask 1,
 * observation/feedback tokens mask 0, explicit group and round ids); groups, questions, and
 * random trajectories for property tests.
 *
 * Each word of a turn's text is one token, so token counts are easy to read off a test.
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
import {
  type Action,
  type FeedbackVerdict,
  type Question,
  ROLE_CODE,
  type RoundScore,
  type Trajectory,
  type Turn,
} from "@creditlab/core";
import type { MethodBatch } from "@creditlab/train";
import type { Rng } from "@creditlab/kernels";

/** One policy round and what the environment answered. */
export interface RoundSpec {
  /** The policy's text (one token per whitespace-separated word). */
  policy: string;
  /** The action; parsed from the tags in `policy` when omitted. */
  action?: Action;
  /** Text of the observation (or feedback) that answered this round, if any. */
  obs?: string;
  /** Role of `obs` (default `observation`). */
  obsRole?: "observation" | "feedback";
  /** The verifier's verdict on a `feedback` observation (none when omitted). */
  verdict?: FeedbackVerdict;
}

/** A trajectory written by hand. */
export interface TrajectorySpec {
  groupId: number;
  reward: number;
  questionId?: string;
  prompt?: string;
  rounds: RoundSpec[];
  meta?: Record<string, unknown>;
}

function toks(text: string): Int32Array {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  return Int32Array.from(words, (w) => 4 + (w.length % 50));
}

function between(text: string, tag: string): string | null {
  const open = text.lastIndexOf(`<${tag}>`);
  const close = text.lastIndexOf(`</${tag}>`);
  if (open < 0 || close < open) return null;
  return text.slice(open + tag.length + 2, close).trim();
}

/** Parse an action from a hand-written policy text (last tag wins, like the protocol). */
export function actionOf(text: string): Action {
  const answer = between(text, "answer");
  if (answer !== null) return { kind: "answer", text: answer };
  const feedback = between(text, "feedback");
  if (feedback !== null) return { kind: "feedback", draft: feedback };
  const query = between(text, "search");
  if (query !== null) return { kind: "search", query };
  return { kind: "invalid", reason: "no tag" };
}

/**
 * A search round: `<search> query </search>`, answered by the observation
 * `<information> info </information>`.
 *
 * @example
 * ```ts
 * const t = trajectory({ groupId: 0, reward: 1, rounds: [searchRound("a b"), answerRound("b")] });
 * ```
 */
export function searchRound(query: string, info = "doc"): RoundSpec {
  return { policy: `<search> ${query} </search>`, obs: `<information> ${info} </information>` };
}

/** An answer round: `<answer> text </answer>` (the trajectory's last round). */
export function answerRound(text: string): RoundSpec {
  return { policy: `<answer> ${text} </answer>` };
}

/** Build a trajectory from rounds. */
export function trajectory(spec: TrajectorySpec): Trajectory {
  const promptText = spec.prompt ?? "Question: who ?";
  const turns: Turn[] = [{
    role: "observation",
    tokens: toks(promptText),
    text: promptText,
    round: 0,
  }];
  let answer: string | undefined;
  spec.rounds.forEach((r, i) => {
    const round = i + 1;
    const action = r.action ?? actionOf(r.policy);
    if (action.kind === "answer") answer = action.text;
    turns.push({ role: "policy", tokens: toks(r.policy), text: r.policy, action, round });
    if (r.obs !== undefined) {
      turns.push({
        role: r.obsRole ?? "observation",
        tokens: toks(r.obs),
        text: r.obs,
        round,
        ...(r.verdict ? { verdict: r.verdict } : {}),
      });
    }
  });
  const t: Trajectory = {
    questionId: spec.questionId ?? "q0",
    groupId: spec.groupId,
    turns,
    reward: spec.reward,
    meta: { ...(spec.meta ?? {}) },
  };
  if (answer !== undefined) t.answer = answer;
  return t;
}

/** The trajectories of one group (`groupId` for all), from their specs. */
export function groupOf(groupId: number, specs: Omit<TrajectorySpec, "groupId">[]): Trajectory[] {
  return specs.map((s) => trajectory({ groupId, ...s }));
}

/**
 * Flatten trajectories into a padded batch (rewards from `traj.reward`), with the rows' reward
 * records (default: none), as a method's `step` sees it.
 */
export function batchOf<R = never>(
  trajectories: Trajectory[],
  opts: { padTo?: number; rewardRecords?: readonly (R | undefined)[] } = {},
): MethodBatch<R> {
  const n = trajectories.length;
  const lengths = Int32Array.from(
    trajectories,
    (t) => t.turns.reduce((a, u) => a + u.tokens.length, 0),
  );
  const length = Math.max(opts.padTo ?? 0, ...lengths);
  const b: MethodBatch<R> = {
    rewardRecords: opts.rewardRecords ?? trajectories.map(() => undefined),
    trajectories,
    n,
    length,
    tokens: new Int32Array(n * length),
    lossMask: new Float32Array(n * length),
    roundIds: new Int32Array(n * length),
    roles: new Uint8Array(n * length),
    groupIds: Int32Array.from(trajectories, (t) => t.groupId),
    rewards: Float32Array.from(trajectories, (t) => t.reward),
    numRounds: Int32Array.from(
      trajectories,
      (t) => t.turns.reduce((a, u) => (u.role === "policy" ? Math.max(a, u.round) : a), 0),
    ),
    lengths,
  };
  trajectories.forEach((t, r) => {
    let pos = r * length;
    for (const turn of t.turns) {
      const end = pos + turn.tokens.length;
      b.tokens.set(turn.tokens, pos);
      b.roundIds.fill(turn.round, pos, end);
      b.roles.fill(turn.round === 0 ? ROLE_CODE.pad : ROLE_CODE[turn.role], pos, end);
      if (turn.role === "policy") b.lossMask.fill(1, pos, end);
      pos = end;
    }
  });
  return b;
}

/** A question fixture. */
export function question(id: string, opts: Partial<Omit<Question, "id">> = {}): Question {
  return {
    id,
    question: opts.question ?? `question ${id}`,
    goldenAnswers: opts.goldenAnswers ?? ["paris"],
    benchmark: opts.benchmark ?? "fixture",
    split: opts.split ?? "train",
    ...(opts.goldEntities ? { goldEntities: opts.goldEntities } : {}),
    ...(opts.goldChain ? { goldChain: opts.goldChain } : {}),
  };
}

/**
 * Random trajectories for property tests of round-judge methods: 2 to 9 of them, in groups
 * 0..2, reward 0 or 1, each with 0..`maxSearches` search rounds (answered by one passage) and
 * an answer round. Every search round's policy text is unique (`<search> [tag] t<i> r<k> ...`)
 * and gets random binary scores in `table` (for a {@link TableJudge}, doubles.ts).
 *
 * @example
 * ```ts
 * import { Rng } from "@creditlab/kernels";
 * import type { RoundScore } from "@creditlab/core";
 * import { TableJudge } from "./doubles.ts";
 * const table: Record<string, RoundScore> = {};
 * const batch = batchOf(randomTrajectories(new Rng(1), table, { maxSearches: 3 }), { padTo: 50 });
 * const judge = new TableJudge(table);
 * ```
 */
export function randomTrajectories(
  rng: Rng,
  table: Record<string, RoundScore>,
  opts: { maxSearches: number; tag?: string },
): Trajectory[] {
  const prefix = opts.tag === undefined ? "" : `${opts.tag} `;
  return Array.from({ length: 2 + rng.int(8) }, (_, i) => {
    const rounds = Array.from({ length: rng.int(opts.maxSearches + 1) }, (_, k) => {
      const policy = `<search> ${prefix}t${i} r${k} ${"w ".repeat(rng.int(3))}</search>`;
      table[policy] = { retrieval: rng.int(2) as 0 | 1, thinking: rng.int(2) as 0 | 1 };
      return { policy, obs: "<information> doc </information>" };
    });
    return trajectory({
      groupId: rng.int(3),
      reward: rng.int(2),
      rounds: [...rounds, { policy: "<answer> a </answer>" }],
    });
  });
}
