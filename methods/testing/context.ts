/**
 * A method under test: its config builder, its context (questions, granted resources, rng,
 * step), calls of its `step` and `rewards`, and the trainer's checkpoint store and metrics
 * sink for wiring tests.
 *
 * @example
 * ```ts
 * const cfg = configWith({ coef: 1 });
 * const ctx = contextOf(cfg({ coef: 2 }), { step: 3 });
 * ctx.config.coef; // 2
 * ```
 * @module
 */
import type { MethodRecord, Question, Trajectory } from "@creditlab/core";
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
import { ListSearch } from "./doubles.ts";
import { question } from "./trajectories.ts";

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
