/**
 * Hand-built fixtures for method tests: trajectories written as a list of rounds, flattened
 * into a {@link RolloutBatch} the same way the agent's batcher does (policy tokens mask 1,
 * observation/feedback tokens mask 0, explicit group and round ids).
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
import assert from "node:assert/strict";
import {
  type Action,
  type FeedbackVerdict,
  type JudgedRound,
  type MethodRecord,
  type PolicyScorer,
  type Question,
  ROLE_CODE,
  type RolloutBatch,
  type RoundJudge,
  type RoundScore,
  type ScoreRequest,
  type ScorerStats,
  type SearchTool,
  type Trajectory,
  type Turn,
} from "@creditlab/core";
import type {
  CheckpointStore,
  Method,
  MethodBatch,
  MethodContext,
  ResourceKind,
  ResourceOf,
  Rewards,
  StepMetrics,
  TrainSink,
} from "@creditlab/train";
import { Rng } from "@creditlab/kernels";

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
 * Plain reference of GRPO's group statistics for trajectory `t` of `trajs` (its group: the
 * trajectories with its groupId): the mean and unbiased standard deviation of the group's
 * rewards; a one-trajectory group has mean 0 and std 1 (verl's rule).
 */
export function referenceGroup(
  trajs: readonly Trajectory[],
  t: Trajectory,
): { single: boolean; mean: number; sd: number } {
  const mates = trajs.filter((u) => u.groupId === t.groupId).map((u) => u.reward);
  const single = mates.length === 1;
  const mean = single ? 0 : mates.reduce((x, y) => x + y, 0) / mates.length;
  const sd = single
    ? 1
    : Math.sqrt(mates.reduce((x, y) => x + (y - mean) ** 2, 0) / (mates.length - 1));
  return { single, mean, sd };
}

/**
 * Plain reference of GRPO's advantage of trajectory `t` of `trajs`: (r - mean) / (sd + eps)
 * over its group ({@link referenceGroup}), r - mean without `normalizeStd`; exactly 0 when r is
 * the group's mean.
 *
 * @example
 * ```ts
 * const g = groupOf(0, [{ reward: 1, rounds: [] }, { reward: 0, rounds: [] }]);
 * referenceAdvantage(g, g[0]!, { normalizeStd: false, eps: 1e-6 }); // 0.5
 * ```
 */
export function referenceAdvantage(
  trajs: readonly Trajectory[],
  t: Trajectory,
  cfg: { normalizeStd: boolean; eps: number },
): number {
  const { mean, sd } = referenceGroup(trajs, t);
  const d = t.reward - mean;
  return d === 0 ? 0 : cfg.normalizeStd ? d / (sd + cfg.eps) : d;
}

/**
 * Check a method's per-token advantages `got` of `batchOf(trajs, { padTo: length })` against
 * a plain reference walked turn by turn (not through the batch's layout): `row(t, r)` gives,
 * for trajectory `t` (row r), the expected value of each token of a policy turn, checked
 * within `tol`; the tokens of other turns and the padding must be exactly 0. Failure messages
 * start with `label`.
 *
 * @example
 * ```ts
 * const g = groupOf(0, [{ reward: 1, rounds: [{ policy: "<answer> a </answer>" }] }]);
 * const batch = batchOf(g, { padTo: 8 });
 * const got = batch.lossMask.map((m) => m * 2);
 * assertPerToken(got, g, batch.length, () => () => 2, { tol: 1e-6, label: "demo" });
 * ```
 */
export function assertPerToken(
  got: Float32Array,
  trajs: readonly Trajectory[],
  length: number,
  row: (t: Trajectory, r: number) => (turn: Turn) => number,
  opts: { tol: number; label: string },
): void {
  let i = 0;
  trajs.forEach((t, r) => {
    const value = row(t, r);
    const start = i;
    for (const turn of t.turns) {
      const want = turn.role === "policy" ? value(turn) : 0;
      for (let j = 0; j < turn.tokens.length; j++, i++) {
        const ok = turn.role === "policy" ? Math.abs(got[i]! - want) < opts.tol : got[i] === 0;
        assert.ok(ok, `${opts.label} row ${r} token ${i - start}: ${got[i]} vs ${want}`);
      }
    }
    for (; i < start + length; i++) {
      assert.equal(got[i], 0, `${opts.label} row ${r} token ${i - start} (padding)`);
    }
  });
  assert.equal(got.length, i, `${opts.label}: ${got.length} advantages for ${i} tokens`);
}

/**
 * Check row `row` of the per-token values `got` of `batch` round by round: `want(k)` within
 * `tol` (default 1e-5) on every trainable token of round k, exactly 0 on every other token
 * (padding included). Failure messages name the row, token and round, after `label` if given.
 *
 * @example
 * ```ts
 * const batch = batchOf(groupOf(0, [{ reward: 1, rounds: [searchRound("a"), answerRound("b")] }]));
 * const got = Float32Array.from(batch.lossMask, (m, i) => m * batch.roundIds[i]!);
 * assertRowRounds(got, batch, { row: 0, want: (k) => k });
 * ```
 */
export function assertRowRounds(
  got: Float32Array,
  batch: RolloutBatch,
  opts: { row: number; want: (round: number) => number; tol?: number; label?: string },
): void {
  const { row } = opts;
  const tol = opts.tol ?? 1e-5;
  const label = opts.label === undefined ? "" : `${opts.label} `;
  for (let t = 0; t < batch.length; t++) {
    const i = row * batch.length + t;
    const k = batch.roundIds[i]!;
    const trained = batch.lossMask[i] !== 0;
    const want = trained ? opts.want(k) : 0;
    assert.ok(
      trained ? Math.abs(got[i]! - want) < tol : got[i] === 0,
      `${label}row ${row} token ${t} (round ${k}): ${got[i]} vs ${want}`,
    );
  }
}

/**
 * Check every row of the per-token values `got` of `batch` against hand-worked values per
 * round: `want[r][k - 1]` on the trainable tokens of round k of row r, within `tol`, and exactly
 * 0 elsewhere ({@link assertRowRounds}); `want` has one list per row.
 *
 * @example
 * ```ts
 * const batch = batchOf(groupOf(0, [
 *   { reward: 1, rounds: [searchRound("a"), answerRound("b")] },
 *   { reward: 0, rounds: [answerRound("c")] },
 * ]));
 * const got = Float32Array.from(batch.lossMask, (m, i) => m * batch.roundIds[i]!);
 * assertRounds(got, batch, { want: [[1, 2], [1]] });
 * ```
 */
export function assertRounds(
  got: Float32Array,
  batch: RolloutBatch,
  opts: { want: readonly (readonly number[])[]; tol?: number; label?: string },
): void {
  const { want, ...rest } = opts;
  const label = opts.label ?? "rounds";
  assert.equal(got.length, batch.n * batch.length, `${label}: one value per token of the batch`);
  assert.equal(want.length, batch.n, `${label}: one list of rounds per row`);
  want.forEach((rounds, row) =>
    assertRowRounds(got, batch, { ...rest, row, want: (k) => rounds[k - 1]! })
  );
}

/**
 * A check of one row against hand-worked values, as a method's golden tests write it:
 * `check(batch, adv, row, a, perRound)` asserts `want(a, perRound, k)` on every trainable token
 * of round k of row `row` of `adv` (the trajectory's value `a` combined with round k's
 * `perRound` value) and exactly 0 on every other token ({@link assertRowRounds}).
 *
 * @example
 * ```ts
 * const expectRow = rowCheck((a, step, k) => a + step[k - 1]!);
 * const batch = batchOf(groupOf(0, [{ reward: 1, rounds: [searchRound("a"), answerRound("b")] }]));
 * const adv = Float32Array.from(batch.lossMask, (m, i) => m * (1 + batch.roundIds[i]!));
 * expectRow(batch, adv, 0, 1, [1, 2]); // 1 + 1 on round 1, 1 + 2 on round 2
 * ```
 */
export function rowCheck(
  want: (a: number, perRound: readonly number[], round: number) => number,
): (batch: RolloutBatch, adv: Float32Array, row: number, a: number, perRound: number[]) => void {
  return (batch, adv, row, a, perRound) =>
    assertRowRounds(adv, batch, { row, want: (k) => want(a, perRound, k) });
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

/** A search tool over a fixed list of passages (substring match on the query's words). */
export class ListSearch implements SearchTool {
  constructor(private readonly passages: { id: string; title: string; text: string }[] = []) {}
  search(
    query: string,
    k: number,
  ): Promise<{ id: string; title: string; text: string; score: number }[]> {
    const words = query.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
    const scored = this.passages.map((p) => ({
      ...p,
      score: words.filter((w) => p.text.toLowerCase().includes(w)).length,
    }));
    return Promise.resolve(
      scored.filter((p) => p.score > 0).sort((a, b) => b.score - a.score).slice(0, k),
    );
  }
}

/**
 * A method's config builder for tests: `cfg(patch)` is a deep copy of `defaults` with the
 * top-level fields of `patch` over it (the defaults are frozen; the copy is the test's own).
 *
 * @example
 * ```ts
 * const cfg = configWith({ coef: 1, eps: 1e-6 });
 * cfg({ coef: 0 }); // { coef: 0, eps: 1e-6 }
 * ```
 */
export function configWith<C extends object>(defaults: Readonly<C>): (patch?: Partial<C>) => C {
  return (patch = {}) => ({ ...structuredClone(defaults) as C, ...patch });
}

/**
 * A method context for tests. `resources` are the granted training-only resources by kind
 * (e.g. `{ "round-judge": judge }`); asking for another kind throws like the trainer's grant.
 */
export function contextOf<C>(
  config: C,
  opts: {
    questions?: Question[];
    resources?: Partial<ResourceOf>;
    step?: number;
    seed?: number;
  } = {},
): MethodContext<C> {
  const questions = new Map((opts.questions ?? [question("q0")]).map((q) => [q.id, q]));
  const granted: Partial<ResourceOf> = opts.resources ?? {};
  return {
    config,
    questions,
    resources: {
      search: new ListSearch(),
      get<K extends ResourceKind>(kind: K): ResourceOf[K] {
        const r = granted[kind];
        if (r === undefined) {
          throw new Error(`test context: no "${kind}" resource was granted`);
        }
        return r as ResourceOf[K];
      },
    },
    rng: new Rng(opts.seed ?? 0),
    step: opts.step ?? 0,
  };
}

/** The values rounded to 4 decimals, the precision of most hand-worked golden values. */
export function r4(xs: ArrayLike<number>): number[] {
  return Array.from(xs, (v) => Number(v.toFixed(4)));
}

/** Rows of a per-token array, cut to each row's real length (for readable assertions). */
export function rowsOf(values: Float32Array, batch: RolloutBatch): number[][] {
  return Array.from(
    { length: batch.n },
    (_, r) => Array.from(values.subarray(r * batch.length, r * batch.length + batch.lengths[r]!)),
  );
}

/**
 * A chat client that answers from a function of the messages, and records every call
 * (exercises the prompt building, JSON parsing and caching of LLM judges and verifiers
 * without a model server).
 */
export class ScriptedChat {
  readonly calls: { messages: { role: string; content: string }[]; temperature: number }[] = [];
  constructor(private readonly reply: (userMessage: string, callIndex: number) => string) {}
  complete(
    messages: { role: "system" | "user" | "assistant"; content: string }[],
    opts: { temperature: number; maxTokens: number; stop?: string[] },
  ): Promise<string> {
    this.calls.push({ messages, temperature: opts.temperature });
    const user = messages.filter((m) => m.role === "user").map((m) => m.content).join("\n");
    return Promise.resolve(this.reply(user, this.calls.length - 1));
  }
}

/**
 * A round judge that looks each round's scores up by its policy text (0/0 when absent), and
 * records the rounds of every call.
 */
export class TableJudge implements RoundJudge {
  readonly seen: JudgedRound[][] = [];
  constructor(private readonly table: Record<string, RoundScore>) {}
  score(_q: Question, rounds: JudgedRound[]): Promise<RoundScore[]> {
    this.seen.push(rounds);
    return Promise.resolve(
      rounds.map((r) => this.table[r.policyText] ?? { retrieval: 0, thinking: 0 }),
    );
  }
}

/**
 * Random trajectories for property tests of round-judge methods: 2 to 9 of them, in groups
 * 0..2, reward 0 or 1, each with 0..`maxSearches` search rounds (answered by one passage) and
 * an answer round. Every search round's policy text is unique (`<search> [tag] t<i> r<k> ...`)
 * and gets random binary scores in `table` (for a {@link TableJudge}).
 *
 * @example
 * ```ts
 * import { Rng } from "@creditlab/kernels";
 * import type { RoundScore } from "@creditlab/core";
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

/** The per-token advantages of a method's step on a batch. */
export async function advantagesOf<C, R extends MethodRecord>(
  method: Method<C, R>,
  batch: MethodBatch<R>,
  ctx: MethodContext<C>,
): Promise<Float32Array> {
  return (await method.step(batch, ctx)).advantages;
}

/** The method's rewards of trajectories with the given outcomes (one sampling round). */
export function rewardsOf<C, R extends MethodRecord>(
  method: Method<C, R>,
  trajectories: Trajectory[],
  outcomes: readonly number[],
  ctx: MethodContext<C>,
): Rewards<R> {
  const input = {
    trajectories,
    outcomes: Float32Array.from(outcomes),
    groupIds: Int32Array.from(trajectories, (t) => t.groupId),
  };
  return method.rewards ? method.rewards(input, ctx) : { rewards: input.outcomes };
}

/** A checkpoint store that keeps nothing (wiring tests train a few steps from scratch). */
export const noCheckpoints: CheckpointStore = {
  latest: () => Promise.resolve(null),
  save: () => Promise.resolve(),
  restore: () => Promise.reject(new Error("no checkpoints in this test")),
};

/** A training sink that appends a copy of each step's metrics to `into`. */
export function metricsSink(into: StepMetrics[]): TrainSink {
  return {
    logStep: (_step, m) => {
      into.push({ ...m });
      return Promise.resolve();
    },
  };
}

/**
 * TEST DOUBLE base of the policy scorers in method tests (igpo, pbsd, a2tgpo): it keeps the
 * counters the trainer's scorer keeps (a request per request, a forward pass per non-empty
 * target, context + target tokens), records every call's requests, checks them, and scores
 * each target token with the subclass's {@link TestScorer.tokenLogProb} given the tokens before
 * it (the context and the earlier targets, or with `ignoreContext` the earlier targets only).
 * A real function of the tokens, so golden values can be worked by hand.
 */
export abstract class TestScorer implements PolicyScorer {
  readonly calls: ScoreRequest[][] = [];
  readonly #stats: ScorerStats = { requests: 0, forwardPasses: 0, tokens: 0 };
  constructor(readonly ignoreContext = false) {}
  abstract encode(text: string, opts?: { episode?: readonly Turn[] }): Int32Array;
  /** log pi(y | before). */
  protected abstract tokenLogProb(y: number, before: readonly number[]): number;
  get stats(): Readonly<ScorerStats> {
    return { ...this.#stats };
  }
  logProbs(requests: readonly ScoreRequest[]): Promise<Float32Array[]> {
    this.calls.push([...requests]);
    const out = requests.map(({ context, target }, i) => {
      if (!(context instanceof Int32Array) || !(target instanceof Int32Array)) {
        throw new TypeError(`test scorer: request ${i} needs Int32Array context and target`);
      }
      if (context.length === 0 && target.length > 0) {
        throw new RangeError(`test scorer: request ${i} has an empty context`);
      }
      const lp = new Float32Array(target.length);
      for (let t = 0; t < target.length; t++) {
        const earlier = Array.from(target.subarray(0, t));
        lp[t] = this.tokenLogProb(
          target[t]!,
          this.ignoreContext ? earlier : [...context, ...earlier],
        );
      }
      this.#stats.requests++;
      if (target.length > 0) this.#stats.forwardPasses++;
      this.#stats.tokens += context.length + target.length;
      return lp;
    });
    return Promise.resolve(out);
  }
}
