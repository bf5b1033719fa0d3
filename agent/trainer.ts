/**
 * The RL trainer: rollout -> the method's rewards -> the method's step (advantages, loss
 * weights, metrics, per-trajectory records) -> clipped policy-gradient step with KL to a
 * frozen reference policy. It calls only the {@link Method} interface; no method's logic lives
 * here. Metric names: core's `METRIC` for the harness's, `<method>/<name>` for the method's.
 *
 * Determinism: every random draw of step s comes from `stepRng(seed, s)`, so a run resumed
 * from the checkpoint after step s continues exactly as the uninterrupted run would.
 *
 * @module
 */
import {
  detach,
  groupOutcomeStats,
  policyLoss,
  Rng,
  tf,
  type Transformer,
} from "@creditlab/kernels";
import { exactMatch } from "@creditlab/datasets";
import { buildBatch, lengthBuckets, sliceRows } from "./batch.ts";
import { AdamW, type AdamWConfig, addGradients } from "./optim.ts";
import { type FeedbackHook, rollout, type RolloutConfig, samplingTemperature } from "./rollout.ts";
import type { WordTokenizer } from "./tokenizer.ts";
import {
  type HarnessMetric,
  isMethodMetric,
  type MethodRecord,
  METRIC,
  type PolicyLossConfig,
  type Question,
  type RolloutBatch,
  type Trajectory,
} from "@creditlab/core";
import type { Method, MethodBatch, MethodContext, StepResult, TrainingResources } from "./types.ts";
import { grantResources } from "./resources.ts";
import type { CheckpointStore, TrainState } from "./checkpoint.ts";
import { Progress } from "./progress.ts";
import { NEAR_MISS_METRIC, nearMissShare } from "./regimes.ts";
import type { EntityAnonymizer } from "./anonymize.ts";

/** RL hyper-parameters (method-independent). */
export interface RlConfig {
  /** Total RL steps. */
  steps: number;
  /** Prompts per step (B); each is sampled `rollout.groupSize` times. */
  questionsPerStep: number;
  rollout: RolloutConfig;
  optimizer: AdamWConfig;
  /** Save a checkpoint every this many steps (and after the last). */
  checkpointEvery: number;
  /** Stop the run after this many steps with a non-finite loss or gradient. */
  maxBadSteps: number;
  /**
   * How a step's rollouts become optimizer updates (default: one update on the whole batch).
   * See {@link PolicyUpdates}.
   */
  updates?: PolicyUpdates;
}

/**
 * Several optimizer updates per rollout step, as PPO and GRPO run them: verl's
 * `ppo_mini_batch_size` (here counted in groups) and `ppo_epochs`, DeepSeekMath's μ (GRPO
 * iterations per batch, Algorithm 1). The step's groups are shuffled each epoch and cut into
 * mini-batches of `groupsPerUpdate` whole groups; each mini-batch is one optimizer update. The
 * advantages are the method's, computed once on the whole batch; the behaviour policy's
 * log-probs (the ratio's denominator) are recomputed once before the first update, at the
 * rollout temperature, so every update after the first is off-policy and the clip applies.
 */
export interface PolicyUpdates {
  /** Groups per optimizer update (verl: ppo_mini_batch_size, in prompts). */
  groupsPerUpdate: number;
  /** Passes over the step's batch (verl: ppo_epochs; DeepSeekMath: μ). */
  epochs: number;
}

/**
 * The optimizer updates of one step: lists of batch rows, each list whole groups. One list with
 * every row when `updates` is absent or asks for a single update (no random draw then).
 *
 * @example
 * ```ts
 * // 4 groups of 2 rows, 2 groups per update, 1 epoch: two updates of 4 rows each
 * const plan = updatePlan(new Int32Array([0, 0, 1, 1, 2, 2, 3, 3]), {
 *   updates: { groupsPerUpdate: 2, epochs: 1 },
 *   rng: new Rng(1),
 * });
 * plan.length; // 2
 * ```
 */
export function updatePlan(
  groupIds: Int32Array,
  opts: { updates: PolicyUpdates | undefined; rng: Rng },
): number[][] {
  const rowsOf = new Map<number, number[]>();
  groupIds.forEach((g, r) => rowsOf.set(g, [...(rowsOf.get(g) ?? []), r]));
  const groups = [...rowsOf.keys()];
  const u = opts.updates;
  if (u !== undefined) validateUpdates(u);
  if (u === undefined || (u.epochs === 1 && u.groupsPerUpdate >= groups.length)) {
    return [Array.from(groupIds, (_, r) => r)];
  }
  const plan: number[][] = [];
  for (let e = 0; e < u.epochs; e++) {
    const order = opts.rng.shuffle([...groups]);
    for (let i = 0; i < order.length; i += u.groupsPerUpdate) {
      plan.push(order.slice(i, i + u.groupsPerUpdate).flatMap((g) => rowsOf.get(g)!));
    }
  }
  return plan;
}

function validateUpdates(u: PolicyUpdates): void {
  if (!Number.isInteger(u.groupsPerUpdate) || u.groupsPerUpdate < 1) {
    throw new Error(
      `RlConfig.updates.groupsPerUpdate: expected an integer >= 1, got ${u.groupsPerUpdate}`,
    );
  }
  if (!Number.isInteger(u.epochs) || u.epochs < 1) {
    throw new Error(`RlConfig.updates.epochs: expected an integer >= 1, got ${u.epochs}`);
  }
}

/**
 * Log-probs of a batch's tokens under `model` at `temperature`, no gradient (`[n * length]`, the
 * batch's layout): the behaviour policy (or the reference) of a step with several updates.
 */
export function behaviourLogProbs(
  model: Transformer,
  batch: RolloutBatch,
  opts: { temperature: number; microBatchRows?: number },
): Float32Array {
  const out = new Float32Array(batch.n * batch.length);
  const mb = Math.max(1, opts.microBatchRows ?? RL_MICRO_BATCH_ROWS);
  for (const rows of lengthBuckets(batch.lengths.subarray(0, batch.n), mb)) {
    const sl = sliceRows(batch, rows, {});
    const lp = tf.tidy(() =>
      model.logProbs(tf.tensor2d(sl.tokens, [sl.n, sl.len], "int32"), {
        temperature: opts.temperature,
      })
    );
    const v = lp.dataSync();
    lp.dispose();
    rows.forEach((row, r) => out.set(v.subarray(r * sl.len, (r + 1) * sl.len), row * batch.length));
  }
  return out;
}

/** What the trainer records after each step. */
export type StepMetrics = Record<string, number>;

/** Callbacks for recording (the run store implements them). */
export interface TrainSink {
  logStep(step: number, metrics: StepMetrics): Promise<void>;
  /**
   * Called at checkpoint steps with the step's batch, its advantages and the method's
   * per-row records (for the run store's trajectory files).
   */
  logTrajectories?(
    step: number,
    batch: RolloutBatch,
    advantages: Float32Array,
    records: readonly (MethodRecord | undefined)[],
  ): Promise<void>;
  /** A resumed run drops whatever was recorded after its checkpoint. */
  truncateAfter?(step: number): Promise<void>;
}

/** Options of {@link trainRl}. */
export interface TrainRlOptions<C, R extends MethodRecord = MethodRecord> {
  model: Transformer;
  /** Frozen reference policy for the KL term (may be omitted when klCoef is 0). */
  refModel?: Transformer;
  tokenizer: WordTokenizer;
  method: Method<C, R>;
  methodConfig: C;
  questions: Question[];
  /** The environment's search tool and training-only resources (served as the method asks). */
  resources: TrainingResources;
  config: RlConfig;
  seed: number;
  sink: TrainSink;
  checkpoints: CheckpointStore;
  /** Entity anonymisation of the policy's text (see anonymize.ts). */
  anonymizer?: EntityAnonymizer;
  /** Stop after this step (exclusive), to simulate a kill in tests. */
  stopAfter?: number;
  log?: (line: string) => void;
}

/** The random stream of step `step` of a run seeded `seed`. */
export function stepRng(seed: number, step: number): Rng {
  return new Rng((Math.imul(seed >>> 0, 0x85ebca6b) ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0);
}

/** What {@link scoreTrajectories} returns for one sampling round. */
export interface ScoredRound<R> {
  /** The method's record per trajectory (aligned with the input), undefined where none. */
  records: (R | undefined)[];
  /** The method's reward metrics of the round. */
  metrics: Record<string, number>;
}

/** Throws unless every metric of `metrics` is named `<method>/<name>` and is a number. */
export function checkMethodMetrics(
  method: string,
  metrics: Record<string, number>,
  where: string,
): void {
  for (const [k, v] of Object.entries(metrics)) {
    if (!isMethodMetric(k, method)) {
      throw new Error(
        `method ${method}: ${where} returned metric ${JSON.stringify(k)}; a method's metrics are ` +
          `named "${method}/<name>"`,
      );
    }
    if (typeof v !== "number") {
      throw new Error(`method ${method}: ${where} metric ${k} is not a number`);
    }
  }
}

/**
 * Score the trajectories of one sampling round: the exact-match outcome (recorded as
 * `meta.outcome`), then the method's `rewards` (default: the outcome), which set each
 * trajectory's `reward`. Returns the method's records and metrics of the round.
 */
export function scoreTrajectories<C, R extends MethodRecord>(
  trajs: Trajectory[],
  opts: {
    questions: ReadonlyMap<string, Question>;
    method: Method<C, R>;
    ctx: MethodContext<C>;
  },
): ScoredRound<R> {
  const outcomes = new Float32Array(trajs.length);
  trajs.forEach((t, i) => {
    const q = opts.questions.get(t.questionId);
    if (!q) throw new Error(`scoreTrajectories: no question with id ${t.questionId}`);
    if (q.goldenAnswers.length === 0) {
      throw new Error(`scoreTrajectories: question ${q.id} has no golden answers`);
    }
    const outcome = t.answer === undefined ? 0 : exactMatch(t.answer, q.goldenAnswers);
    t.meta.outcome = outcome;
    outcomes[i] = outcome;
  });
  const { method } = opts;
  const out = method.rewards
    ? method.rewards(
      { trajectories: trajs, outcomes, groupIds: Int32Array.from(trajs, (t) => t.groupId) },
      opts.ctx,
    )
    : { rewards: outcomes };
  if (!(out.rewards instanceof Float32Array) || out.rewards.length !== trajs.length) {
    throw new Error(
      `method ${method.name}: rewards() must return a Float32Array of ${trajs.length} rewards`,
    );
  }
  if (out.records !== undefined && out.records.length !== trajs.length) {
    throw new Error(
      `method ${method.name}: rewards() returned ${out.records.length} records for ${trajs.length} trajectories`,
    );
  }
  trajs.forEach((t, i) => {
    const r = out.rewards[i]!;
    if (!Number.isFinite(r)) {
      throw new Error(`method ${method.name}: reward of question ${t.questionId} is ${r}`);
    }
    t.reward = r;
  });
  const metrics = out.metrics ?? {};
  checkMethodMetrics(method.name, metrics, "rewards()");
  return { records: out.records ? [...out.records] : trajs.map(() => undefined), metrics };
}

/**
 * Check a method's step result against its batch: array lengths, record count and metric
 * names. Returns it.
 */
export function checkStepResult<R>(
  method: string,
  res: StepResult<R>,
  batch: RolloutBatch,
): StepResult<R> {
  const tokens = batch.n * batch.length;
  if (!(res.advantages instanceof Float32Array) || res.advantages.length !== tokens) {
    throw new Error(
      `method ${method}: advantages has ${res.advantages?.length} entries, batch has ${tokens} tokens`,
    );
  }
  if (res.lossWeights !== undefined && res.lossWeights.length !== tokens) {
    throw new Error(
      `method ${method}: lossWeights has ${res.lossWeights.length} entries, batch has ${tokens} tokens`,
    );
  }
  if (res.records !== undefined && res.records.length !== batch.n) {
    throw new Error(
      `method ${method}: step returned ${res.records.length} records for ${batch.n} rows`,
    );
  }
  checkMethodMetrics(method, res.metrics, "step()");
  return res;
}

/**
 * Harness metrics of the trained batch: its number of groups and the share whose rewards are
 * all equal (they carry zero group-relative signal).
 */
export function batchGroupMetrics(batch: RolloutBatch): Record<string, number> {
  const s = groupOutcomeStats(batch.rewards, batch.groupIds);
  return {
    [METRIC.groupCount]: s.groups,
    [METRIC.uniformGroupShare]: s.groups === 0 ? 0 : s.uniformGroups / s.groups,
  };
}

/** Share of groups in which no trajectory has outcome 1 (the regime CAPF targets). */
export function noSuccessShare(trajs: Trajectory[]): number {
  const groups = new Map<number, boolean>();
  for (const t of trajs) {
    groups.set(t.groupId, (groups.get(t.groupId) ?? false) || t.meta.outcome === 1);
  }
  let none = 0;
  for (const ok of groups.values()) if (!ok) none++;
  return groups.size === 0 ? 0 : none / groups.size;
}

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * The training-only feedback call of a method's rollout hooks under its config, as the rollout
 * sees it; undefined when the method adds none.
 */
export function feedbackHook<C, R extends MethodRecord>(
  method: Method<C, R>,
  ctx: MethodContext<C>,
): FeedbackHook | undefined {
  const hooks = method.rolloutHooks;
  return hooks && hooks.offersFeedback(ctx.config)
    ? {
      maxCalls: hooks.maxCalls(ctx.config),
      call: (state, draft) => hooks.onFeedback(state, draft, ctx),
    }
    : undefined;
}

/** Run RL training (resuming from the latest checkpoint when there is one). */
export async function trainRl<C, R extends MethodRecord = MethodRecord>(
  opts: TrainRlOptions<C, R>,
): Promise<{ steps: number; stopped: "done" | "bad-steps" | "stop-after" }> {
  const { model, tokenizer, method, methodConfig, config, sink, checkpoints } = opts;
  const log = opts.log ?? ((l: string) => console.log(l));
  const loss = method.loss(methodConfig);
  // What the method asks for, served once for the whole run (nothing when it asks nothing).
  const resources = grantResources(method, methodConfig, opts.resources);
  if (loss.klCoef > 0 && !opts.refModel) throw new Error("trainRl: klCoef > 0 needs a refModel");
  const optimizer = new AdamW(model.variables(), config.optimizer);
  let start = 0;
  let badSteps = 0;
  const latest = await checkpoints.latest();
  if (latest !== null) {
    const st: TrainState = await checkpoints.restore(latest, { model, optimizer });
    start = st.step;
    badSteps = st.badSteps;
    await sink.truncateAfter?.(start - 1);
    log(`resumed from checkpoint at step ${start}`);
  }
  const byId = new Map(opts.questions.map((q) => [q.id, q] as const));
  const progress = new Progress({ total: config.steps, label: method.name });
  let stopped: "done" | "bad-steps" | "stop-after" = "done";
  for (let step = start; step < config.steps; step++) {
    if (opts.stopAfter !== undefined && step >= opts.stopAfter) {
      stopped = "stop-after";
      break;
    }
    const rng = stepRng(opts.seed, step);
    const ctx: MethodContext<C> = {
      config: methodConfig,
      questions: byId,
      resources,
      rng: rng.fork(),
      step,
    };
    const feedback = feedbackHook(method, ctx);
    const dyn = method.dynamicSampling(methodConfig);
    const trajs: Trajectory[] = [];
    let sampledGroups = 0;
    let allGroups: Trajectory[] = [];
    // The method's reward records of this step's trajectories, and its reward metrics
    // (trajectory-weighted sums over the sampling rounds).
    const rewardRecords = new Map<Trajectory, R>();
    const rewardMetricSums = new Map<string, { sum: number; n: number }>();
    const rounds = dyn.kind === "off" ? 1 : 1 + dyn.maxResampleRounds;
    for (let r = 0; r < rounds && sampledGroups < config.questionsPerStep; r++) {
      const qs = Array.from(
        { length: config.questionsPerStep },
        () => opts.questions[rng.int(opts.questions.length)]!,
      );
      const got = await rollout(qs, {
        model,
        tokenizer,
        search: opts.resources.search,
        config: config.rollout,
        rng,
        groupIdBase: step * 1_000_000 + r * config.questionsPerStep,
        ...(feedback ? { feedback } : {}),
        ...(opts.anonymizer ? { anonymizer: opts.anonymizer } : {}),
      });
      const scored = scoreTrajectories(got, { questions: byId, method, ctx });
      scored.records.forEach((rec, i) => {
        if (rec !== undefined) rewardRecords.set(got[i]!, rec);
      });
      for (const [k, v] of Object.entries(scored.metrics)) {
        const acc = rewardMetricSums.get(k) ?? { sum: 0, n: 0 };
        acc.sum += v * got.length;
        acc.n += got.length;
        rewardMetricSums.set(k, acc);
      }
      allGroups = allGroups.concat(got);
      if (dyn.kind === "off") {
        trajs.push(...got);
        sampledGroups = config.questionsPerStep;
      } else {
        const byGroup = new Map<number, Trajectory[]>();
        for (const t of got) byGroup.set(t.groupId, [...(byGroup.get(t.groupId) ?? []), t]);
        for (const g of byGroup.values()) {
          if (sampledGroups >= config.questionsPerStep) break;
          const first = g[0]!.reward;
          if (g.some((t) => t.reward !== first)) {
            trajs.push(...g);
            sampledGroups++;
          }
        }
      }
    }
    const metrics: StepMetrics = {
      [METRIC.rewardMean]: mean(allGroups.map((t) => t.reward)),
      [METRIC.outcomeEm]: mean(allGroups.map((t) => Number(t.meta.outcome))),
      [METRIC.noSuccessShare]: noSuccessShare(allGroups),
      [NEAR_MISS_METRIC]: nearMissShare(allGroups, byId),
      [METRIC.toolCallsMean]: mean(allGroups.map((t) => Number(t.meta.toolCalls))),
      [METRIC.feedbackCallsMean]: mean(allGroups.map((t) => Number(t.meta.feedbackCalls))),
      [METRIC.invalidActionsMean]: mean(allGroups.map((t) => Number(t.meta.invalidActions))),
      [METRIC.trajectoriesKept]: trajs.length,
    };
    for (const [k, { sum, n }] of rewardMetricSums) metrics[k] = n === 0 ? 0 : sum / n;
    if (trajs.length > 0) {
      const rolloutBatch = buildBatch(trajs);
      const batch: MethodBatch<R> = {
        ...rolloutBatch,
        rewardRecords: trajs.map((t) => rewardRecords.get(t)),
      };
      const result = checkStepResult(method.name, await method.step(batch, ctx), batch);
      const advantages = result.advantages;
      const weights = result.lossWeights;
      Object.assign(metrics, batchGroupMetrics(batch), result.metrics);
      const temperature = samplingTemperature(config.rollout);
      const plan = updatePlan(batch.groupIds, { updates: config.updates, rng });
      // Several updates: the behaviour policy's and the reference's log-probs are fixed for
      // the step, so each is computed once here, not in every update.
      const fixed = plan.length > 1
        ? {
          oldLogProbs: behaviourLogProbs(model, batch, { temperature }),
          ...(opts.refModel && loss.klCoef > 0
            ? { refLogProbs: behaviourLogProbs(opts.refModel, batch, { temperature }) }
            : {}),
        }
        : undefined;
      const res = { applied: true, metrics: {} as StepMetrics };
      for (const rows of plan) {
        const r = gradientStep({
          model,
          refModel: opts.refModel,
          optimizer,
          batch,
          advantages,
          weights,
          loss,
          temperature,
          ...(fixed ? { rows, ...fixed } : {}),
        });
        // Metrics of a step with several updates are their means.
        for (const [k, v] of Object.entries(r.metrics)) {
          res.metrics[k] = (res.metrics[k] ?? 0) + v / plan.length;
        }
        res.applied &&= r.applied;
        if (!r.applied) break;
      }
      if (plan.length > 1) res.metrics[METRIC.updates] = plan.length;
      Object.assign(metrics, res.metrics);
      if (!res.applied) {
        badSteps++;
        metrics[METRIC.skippedNonFinite] = 1;
        log(
          `step ${step}: non-finite loss or gradient, step skipped (${badSteps}/${config.maxBadSteps})`,
        );
      }
      const isCkpt = (step + 1) % config.checkpointEvery === 0 || step + 1 === config.steps;
      if (isCkpt) {
        await sink.logTrajectories?.(
          step,
          rolloutBatch,
          advantages,
          result.records ?? batch.rewardRecords,
        );
      }
    }
    await sink.logStep(step, metrics);
    progress.tick(step + 1, {
      reward: metrics[METRIC.rewardMean]!,
      em: metrics[METRIC.outcomeEm]!,
    });
    if ((step + 1) % config.checkpointEvery === 0 || step + 1 === config.steps) {
      await checkpoints.save({ step: step + 1, badSteps }, { model, optimizer });
    }
    if (badSteps >= config.maxBadSteps) {
      stopped = "bad-steps";
      log(`stopping: ${badSteps} steps with a non-finite loss`);
      break;
    }
  }
  progress.done();
  optimizer.dispose();
  return { steps: config.steps, stopped };
}

/**
 * Share of the whole batch's loss that a micro-batch carries, so that the sum of the
 * micro-batches' weighted losses equals the loss of the whole batch: trainable tokens for
 * `token-mean`, rows with a trainable token for the sequence-mean modes.
 */
function microBatchShare(mask: Float32Array, opts: { n: number; len: number; tokenMean: boolean }) {
  let tokens = 0, rows = 0;
  for (let r = 0; r < opts.n; r++) {
    let t = 0;
    for (let j = 0; j < opts.len; j++) t += mask[r * opts.len + j]!;
    tokens += t;
    if (t > 0) rows++;
  }
  return opts.tokenMean ? tokens : rows;
}

/**
 * Rows per micro-batch of a policy-gradient step. Attention is quadratic in the padded length,
 * so length-sorted micro-batches of a few rows cost less than big padded ones: one step on 64
 * smoke-preset rollouts (16 x 4) took 2.18 s in one micro-batch, 1.00 s at 16 rows, 0.91 s at 8,
 * 0.84 s at 4 and 1.03 s at 2 (medians of 3, one process, 2026-12-01); 8 keeps the per-call
 * overhead of bigger batches down.
 */
export const RL_MICRO_BATCH_ROWS = 8;

/**
 * The step-metric name of each metric of kernels' `policyLoss` (its names are the kernel's
 * API; the run store gets core's {@link METRIC} names). A kernel metric without a name here is
 * an error, so none is logged under a second convention.
 */
export const POLICY_LOSS_METRICS: Readonly<Record<string, HarnessMetric>> = Object.freeze({
  pgLoss: METRIC.pgLoss,
  kl: METRIC.kl,
  klLoss: METRIC.klLoss,
  clipFraction: METRIC.clipFraction,
  clipFractionDual: METRIC.dualClipFraction,
  approxKl: METRIC.behaviourKl,
  approxKlK3: METRIC.behaviourKlK3,
  ratioMean: METRIC.ratioMean,
  ratioMax: METRIC.ratioMax,
});

function lossMetricName(kernelName: string): HarnessMetric {
  const name = POLICY_LOSS_METRICS[kernelName];
  if (name === undefined) {
    throw new Error(
      `gradientStep: policyLoss metric ${JSON.stringify(kernelName)} has no step-metric name; ` +
        "add it to POLICY_LOSS_METRICS (and core's METRIC)",
    );
  }
  return name;
}

/**
 * One policy-gradient update on a batch. The batch is processed in micro-batches of at most
 * `microBatchRows` (default {@link RL_MICRO_BATCH_ROWS}) rows of similar length
 * ({@link lengthBuckets}; gradients accumulated, each micro-batch's loss weighted by its share
 * of the batch's tokens or sequences, so the update equals the whole-batch update up to float
 * rounding).
 */
export function gradientStep(
  args: {
    model: Transformer;
    refModel: Transformer | undefined;
    optimizer: AdamW;
    batch: RolloutBatch;
    advantages: Float32Array;
    weights: Float32Array | undefined;
    loss: PolicyLossConfig;
    microBatchRows?: number;
    /**
     * Temperature the batch was sampled at (default 1): log-probs (and the reference's) are
     * of the tempered policy `softmax(z / T)`, the one the rollout drew from.
     */
    temperature?: number;
    /** Update on these rows only (default: all); see {@link updatePlan}. */
    rows?: readonly number[];
    /**
     * Behaviour-policy log-probs (`[n * length]`, {@link behaviourLogProbs}); default: the
     * current policy's, detached (ratio 1: the one on-policy update of a step).
     */
    oldLogProbs?: Float32Array;
    /** The reference's log-probs in the same layout; default: computed here from `refModel`. */
    refLogProbs?: Float32Array;
  },
): { applied: boolean; metrics: StepMetrics } {
  const { model, refModel, optimizer, batch, advantages, weights } = args;
  const mb = Math.max(1, args.microBatchRows ?? RL_MICRO_BATCH_ROWS);
  const temperature = args.temperature ?? 1;
  // Dr. GRPO's constant normaliser must be the whole batch's length, not a micro-batch's.
  const loss = args.loss.aggregation === "seq-mean-token-sum-norm"
    ? { ...args.loss, maxLength: batch.length }
    : args.loss;
  const tokenMean = loss.aggregation === "token-mean";
  const all = args.rows ?? Array.from({ length: batch.n }, (_, r) => r);
  const chunks = lengthBuckets(all.map((r) => batch.lengths[r]!), mb)
    .map((idx) => idx.map((i) => all[i]!));
  // Every per-token array a micro-batch needs, sliced in one pass.
  const perToken = {
    mask: batch.lossMask,
    adv: advantages,
    ...(weights ? { w: weights } : {}),
    ...(args.oldLogProbs ? { old: args.oldLogProbs } : {}),
    ...(args.refLogProbs && loss.klCoef > 0 ? { ref: args.refLogProbs } : {}),
  };
  const slices = chunks.map((rows) => {
    const { n, len, tokens, arrays: a } = sliceRows(batch, rows, perToken);
    return { n, len, tokens, mask: a.mask, adv: a.adv, w: a.w, old: a.old, refLp: a.ref };
  });
  const shares = slices.map((sl) => microBatchShare(sl.mask, { n: sl.n, len: sl.len, tokenMean }));
  const total = shares.reduce((a, b) => a + b, 0);
  const vars = model.variables();
  let acc: tf.Tensor[] | null = null;
  let lossValue = 0;
  const metrics: StepMetrics = {};
  slices.forEach((sl, i) => {
    const share = total === 0 ? 0 : shares[i]! / total;
    if (share === 0 && total !== 0) return;
    const shape: [number, number] = [sl.n, sl.len];
    const tokens = tf.tensor2d(sl.tokens, shape, "int32");
    const mask = tf.tensor2d(sl.mask, shape);
    const adv = tf.tensor2d(sl.adv, shape);
    const w = sl.w ? tf.tensor2d(sl.w, shape) : undefined;
    const old = sl.old ? tf.tensor2d(sl.old, shape) : undefined;
    const ref = sl.refLp
      ? tf.tensor2d(sl.refLp, shape)
      : refModel && loss.klCoef > 0
      ? tf.tidy(() => refModel.logProbs(tokens, { temperature }))
      : undefined;
    let metricValues: Record<string, tf.Tensor | number> = {};
    const { value, grads } = tf.variableGrads(() => {
      const logProbs = model.logProbs(tokens, { temperature });
      // One on-policy update per batch: the behaviour policy is the current policy, so the
      // "old" log-probs are this forward pass's values, detached (ratio = 1, gradient of the
      // ratio = gradient of logp), not a second forward pass. Several updates per batch pass
      // the behaviour policy's log-probs in.
      const out = policyLoss({
        logProbs,
        oldLogProbs: old ?? detach(logProbs),
        ...(ref ? { refLogProbs: ref } : {}),
        advantages: adv,
        mask,
        ...(w ? { weights: w } : {}),
        // A non-finite loss must reach the skip-and-count path below, not throw.
        checkLogProbs: false,
      }, loss);
      metricValues = Object.fromEntries(
        Object.entries(out.metrics).map((
          [k, v],
        ) => [lossMetricName(k), typeof v === "number" ? v : tf.keep(v)]),
      );
      return tf.mul(out.loss, total === 0 ? 1 / slices.length : share) as tf.Scalar;
    }, vars);
    lossValue += value.dataSync()[0]!;
    for (const [k, v] of Object.entries(metricValues)) {
      const x = typeof v === "number" ? v : v.dataSync()[0]!;
      metrics[k] = (metrics[k] ?? 0) + x * (total === 0 ? 1 / slices.length : share);
      if (typeof v !== "number") v.dispose();
    }
    acc = addGradients(acc, vars.map((v) => grads[v.name]!));
    tf.dispose([tokens, mask, adv, value]);
    if (w) w.dispose();
    if (old) old.dispose();
    if (ref) ref.dispose();
  });
  metrics[METRIC.loss] = lossValue;
  metrics[METRIC.microBatches] = slices.length;
  let applied = false;
  if (acc !== null) {
    const gradList: tf.Tensor[] = acc;
    if (Number.isFinite(lossValue)) {
      const rep = optimizer.apply(gradList);
      applied = rep.applied;
      metrics[METRIC.gradNorm] = rep.gradNorm;
    }
    tf.dispose(gradList);
  }
  return { applied, metrics };
}
