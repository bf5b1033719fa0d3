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
import { Rng, type Transformer } from "@creditlab/kernels";
import {
  buildBatch,
  checkTreeShape,
  type EntityAnonymizer,
  rollout,
  type RolloutConfig,
  samplingTemperature,
  treeRollout,
  type WordTokenizer,
} from "@creditlab/agent";
import {
  type MethodRecord,
  METRIC,
  NEAR_MISS_METRIC,
  type Question,
  type RolloutBatch,
  type Trajectory,
} from "@creditlab/core";
import type {
  Method,
  MethodBatch,
  MethodContext,
  RolloutStrategy,
  TrainingResources,
} from "./method.ts";
import { grantResources } from "./resources.ts";
import { TransformerPolicyScorer, withPolicyScorer } from "./policy_scorer.ts";
import type { CheckpointStore, TrainState } from "./checkpoint.ts";
import { Progress } from "./progress.ts";
import { AdamW, type AdamWConfig } from "./optim.ts";
import { type PolicyUpdates, updatePlan } from "./update_plan.ts";
import { behaviourLogProbs, gradientStep, type StepMetrics } from "./gradient_step.ts";
import { checkStepResult, feedbackHook, lossClipScale, scoreTrajectories } from "./method_calls.ts";
import { batchGroupMetrics, nearMissShare, noSuccessShare } from "./step_metrics.ts";

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
  /**
   * The environment's search tool and training-only resources (served as the method asks).
   * `"policy-scorer"` is never asked of it: the trainer serves that kind itself, from `model`.
   */
  resources: TrainingResources;
  config: RlConfig;
  seed: number;
  sink: TrainSink;
  checkpoints: CheckpointStore;
  /** Entity anonymisation of the policy's text (see agent/anonymize.ts). */
  anonymizer?: EntityAnonymizer;
  /** Stop after this step (exclusive), to simulate a kill in tests. */
  stopAfter?: number;
  log?: (line: string) => void;
}

/** The random stream of step `step` of a run seeded `seed`. */
export function stepRng(seed: number, step: number): Rng {
  return new Rng((Math.imul(seed >>> 0, 0x85ebca6b) ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0);
}

/**
 * The strategy of a method's training rollouts under its config and the run's rollout config
 * (`Method.rolloutStrategy`; flat when it names none), checked: a tree's shape must be valid,
 * and a tree cannot be combined with the method's feedback call.
 *
 * @example
 * ```ts
 * import type { Method } from "./method.ts";
 * const flat = { name: "m" } as Method<null>;
 * const rollout = { groupSize: 4, maxSearchTurns: 4, topK: 3, maxTurnTokens: 24, maxTotalTokens: 480, temperature: 1, topP: 1 };
 * rolloutStrategyOf(flat, null, rollout); // { kind: "flat" }
 * ```
 */
export function rolloutStrategyOf<C, R extends MethodRecord>(
  method: Method<C, R>,
  config: C,
  rollout: RolloutConfig,
): RolloutStrategy {
  const strategy = method.rolloutStrategy?.(config, rollout) ?? { kind: "flat" };
  if (strategy.kind === "tree") {
    checkTreeShape(strategy, `method ${method.name}: tree rollout strategy`);
    if (method.rolloutHooks?.offersFeedback(config)) {
      throw new Error(
        `method ${method.name}: a tree rollout strategy cannot be combined with the feedback call`,
      );
    }
  } else if (strategy.kind !== "flat") {
    throw new Error(
      `method ${method.name}: unknown rollout strategy ${JSON.stringify(strategy)}`,
    );
  }
  return strategy;
}

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Run RL training (resuming from the latest checkpoint when there is one). */
export async function trainRl<C, R extends MethodRecord = MethodRecord>(
  opts: TrainRlOptions<C, R>,
): Promise<{ steps: number; stopped: "done" | "bad-steps" | "stop-after" }> {
  const { model, tokenizer, method, methodConfig, config, sink, checkpoints } = opts;
  const log = opts.log ?? ((l: string) => console.log(l));
  const loss = method.loss(methodConfig);
  // What the method asks for, served once for the whole run (nothing when it asks nothing). The
  // policy scorer is the trainer's, over `model` itself (updated in place by the optimizer only
  // after `method.step`), so scoring in a step sees the weights its rollouts were sampled with.
  const resources = grantResources(method, methodConfig, {
    search: opts.resources.search,
    provide: withPolicyScorer(
      opts.resources.provide,
      () =>
        new TransformerPolicyScorer(model, tokenizer, {
          ...(opts.anonymizer ? { anonymizer: opts.anonymizer } : {}),
        }),
    ),
  });
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
  const strategy = rolloutStrategyOf(method, methodConfig, config.rollout);
  const byId = new Map(opts.questions.map((q) => [q.id, q] as const));
  const progress = new Progress({ total: config.steps, label: method.name });
  let stopped: "done" | "bad-steps" | "stop-after" = "done";
  for (let step = start; step < config.steps; step++) {
    if (opts.stopAfter !== undefined && step >= opts.stopAfter) {
      stopped = "stop-after";
      break;
    }
    const stepStart = performance.now();
    let rolloutMs = 0;
    let creditMs = 0;
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
      let t0 = performance.now();
      const sampling = {
        model,
        tokenizer,
        search: opts.resources.search,
        config: config.rollout,
        rng,
        groupIdBase: step * 1_000_000 + r * config.questionsPerStep,
        ...(opts.anonymizer ? { anonymizer: opts.anonymizer } : {}),
      };
      const got = strategy.kind === "tree"
        ? await treeRollout(qs, { ...sampling, shape: strategy })
        : await rollout(qs, { ...sampling, ...(feedback ? { feedback } : {}) });
      rolloutMs += performance.now() - t0;
      t0 = performance.now();
      const scored = scoreTrajectories(got, { questions: byId, method, ctx });
      creditMs += performance.now() - t0;
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
      const t0 = performance.now();
      const result = checkStepResult(method.name, await method.step(batch, ctx), batch);
      creditMs += performance.now() - t0;
      const updateStart = performance.now();
      const advantages = result.advantages;
      const weights = result.lossWeights;
      const clipScale = lossClipScale(result.clipScale, batch.lossMask);
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
          clipScale,
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
      metrics[METRIC.updateSeconds] = (performance.now() - updateStart) / 1000;
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
    metrics[METRIC.rolloutSeconds] = rolloutMs / 1000;
    metrics[METRIC.creditSeconds] = creditMs / 1000;
    metrics[METRIC.stepSeconds] = (performance.now() - stepStart) / 1000;
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
