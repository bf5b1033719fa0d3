/**
 * Credit for records: what our trainer computes in-process for one batch (train/trainer.ts),
 * on trajectories that came from a file or a request. The same calls in the same order:
 *
 *     outcomes -> method.rewards (the trainer's reward hook; default: the outcome)
 *       -> buildBatch (agent/batch.ts) -> method.step -> checkStepResult
 *
 * The outcome is the record's `outcome_reward`, else the Search-R1 exact match of its `answer`
 * (what the trainer's `scoreTrajectories` computes). Resources: a method's round judge answers
 * from the records' `extras.judge_scores` (then an optional fallback judge, an LLM endpoint);
 * CAPF's privileged verifier is granted but never called (it answers feedback calls during
 * rollouts; CAPF's rewards and step read the verdicts recorded on feedback turns); the search
 * tool is the one given (`search`: StepSearch looks up each question's gold passages with it),
 * else one that refuses. A method that asks for the policy scorer (the policy being trained,
 * scoring sequences it did not sample) is refused when its resources are granted, before its
 * rewards or step run ({@link POLICY_SCORER_REFUSAL}): the service has no policy weights; such
 * methods run only inside the trainer. No dynamic-sampling filter is applied: the batch is
 * scored as given (the engine filters).
 *
 * With `pause` (the credit service's time slicer), the same result is computed in slices that
 * yield between them: the per-record work record by record, the batch in chunks of rows
 * (credit_slices.ts), and a method's calls that it declares group-local (`Method.groupLocal`:
 * grpo's step; the rewards of every shipped method) on slices of whole groups. A step that is
 * not group-local (methods that report metrics over the whole batch) runs on
 * the whole batch at once.
 *
 * @module
 */
import type {
  JudgedRound,
  MethodRecord,
  Question,
  RolloutBatch,
  RoundJudge,
  SearchTool,
  Trajectory,
} from "@creditlab/core";
import { buildBatch } from "@creditlab/agent";
import { exactMatch } from "@creditlab/datasets";
import { Rng } from "@creditlab/kernels";
import {
  checkMethodMetrics,
  checkStepResult,
  grantResources,
  type Method,
  type MethodBatch,
  type MethodContext,
  resourceProvider,
  type Rewards,
  type StepResult,
  type TrainingResources,
} from "@creditlab/train";
import { groupIdsOf, trajectoryFromRecord } from "./convert.ts";
import { buildBatchInChunks, groupSlices, SLICE_TOKENS } from "./credit_slices.ts";
import type { Where } from "./errors.ts";
import type { TrajectoryRecord } from "./record.ts";
import { RecordedScores } from "./recorded_judge.ts";

/** Options of {@link creditRecords}. */
export interface CreditOptions {
  /** The method's full config (default: its defaults). */
  config?: unknown;
  /** What a round judge is asked about a trajectory (methods/round_judge.ts `judgedRounds`). */
  judgedRounds: (t: Trajectory) => JudgedRound[];
  /** Asked for judged trajectories whose records carry no `extras.judge_scores`. */
  judge?: RoundJudge;
  /**
   * The search tool granted to the method (`TrainingResources.search`): the one the rollouts
   * searched with (a `RetrieverClient` of the same `serve-retriever`; `--retriever URL`).
   * StepSearch asks it for each question's gold passages (the hops' `ground_truth.chain`
   * queries). Absent: a tool that refuses every search, saying how to give one.
   */
  search?: SearchTool;
  /** Where record i came from (for errors); default `records[i]` of "records". */
  whereOf?: (i: number) => Where;
  /** Seed of the context's Rng (no shipped method draws from it in rewards or step). Default 0. */
  seed?: number;
  /** The context's step number. Default 0. */
  step?: number;
  /**
   * Work in slices, awaiting `pause()` between them (a `TimeSlicer`'s pause, which yields to the
   * event loop once its slice is used up): the same result, bit for bit (see the module doc).
   * Absent: the trainer's calls on the whole batch, in one stretch.
   */
  pause?: () => Promise<void>;
  /**
   * With `pause`: padded tokens (rows x longest row) per slice of whole groups and per chunk of
   * the batch (default 65,536, about a millisecond of a step).
   */
  sliceTokens?: number;
}

/** What {@link creditRecords} returns. */
export interface CreditResult {
  /** The records with their outputs set: reward, advantages, loss_weights, method, method_record. */
  records: TrajectoryRecord[];
  /** The method's metrics of the batch (its rewards' metrics, then its step's). */
  metrics: Record<string, number>;
}

/** `a[from..to)` as a plain array (a loop: `Array.from` of a typed array is several times slower). */
function numbers(a: Float32Array, from: number, to: number): number[] {
  const out: number[] = new Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = a[i]!;
  return out;
}

function plain(rec: MethodRecord | undefined): MethodRecord | null {
  return rec === undefined ? null : JSON.parse(JSON.stringify(rec));
}

const noPause = (): Promise<void> => Promise.resolve();

/** The search tool granted without {@link CreditOptions.search}: it refuses, saying how to give one. */
const NO_SEARCH: SearchTool = {
  search: (query) =>
    Promise.reject(
      new Error(
        `credit: no search tool was given, and the method searched for ${JSON.stringify(query)}; ` +
          "give the one the rollouts used: --retriever URL (a running `deno task " +
          "serve-retriever` over their corpus) to `deno task credit` or `serve-credit`, or " +
          "creditRecords' `search` option",
      ),
    ),
};

/**
 * Why credit refuses a method that asks for the policy scorer (its error, after "method NAME: "):
 * the service holds no policy, so the credit of a method that scores with it (the log-probs the
 * policy being trained gives to sequences it did not sample) can only be computed in the trainer.
 */
export const POLICY_SCORER_REFUSAL: string =
  'credit: the method asks for the "policy-scorer" resource, and the credit service has no ' +
  "policy weights: a method that scores sequences with the policy being trained runs only " +
  "inside the trainer (`deno task train`), which serves the scorer from the weights its " +
  "rollouts were sampled with. Credit for it here would need those exact weights of the step " +
  "(a checkpoint of the rollout policy) and a forward pass over them per record.";

/** A call's metrics, refused when the method declared the call group-local (it has none). */
function noMetrics(method: string, call: string, metrics: Record<string, number> | undefined) {
  if (metrics !== undefined && Object.keys(metrics).length > 0) {
    throw new Error(
      `method ${method}: ${call} returned metrics, but the method declares it group-local ` +
        "(Method.groupLocal: no metrics)",
    );
  }
}

/**
 * Compute `method`'s credit for a batch of (validated) records, as our trainer would for the
 * same trajectories: per-token advantages aligned to `response_ids`, the shaped reward, loss
 * weights when the method returns them, and its per-trajectory record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getMethod } from "@creditlab/train";
 * import "../methods/mod.ts";
 * import { judgedRounds } from "../methods/round_judge.ts";
 * const rec = (id: string, answer: string) => ({
 *   version: 1, uid: "g", trajectory_id: id, data_source: "nq", question_id: "q1",
 *   ground_truth: { target: ["ann"] }, prompt_ids: [1], prompt_text: "question : who ?",
 *   response_ids: [7, 8], response_mask: [1, 1], answer,
 *   turns: [{ role: "policy" as const, round: 1, start: 0, end: 2, text: `<answer> ${answer} </answer>` }],
 * });
 * const out = await creditRecords([rec("a", "ann"), rec("b", "bob")], getMethod("grpo"), { judgedRounds });
 * assert.ok(out.records[0]!.advantages![0]! > 0 && out.records[1]!.advantages![0]! < 0);
 * ```
 */
export async function creditRecords(
  records: readonly TrajectoryRecord[],
  method: Method<unknown>,
  opts: CreditOptions,
): Promise<CreditResult> {
  if (records.length === 0) throw new Error("credit: no records (a batch needs at least one)");
  const whereOf = opts.whereOf ?? ((i: number) => ({ source: "records", at: `records[${i}]` }));
  const config = opts.config ?? method.defaults;
  const pause = opts.pause ?? noPause;
  const sliceTokens = opts.sliceTokens ?? SLICE_TOKENS;
  if (!Number.isInteger(sliceTokens) || sliceTokens < 1) {
    throw new RangeError(`credit: sliceTokens must be a positive integer, got ${sliceTokens}`);
  }
  const n = records.length;
  // The records' trajectories and questions (convert.ts trajectoriesFromRecords) and the
  // round judge of their scores (recorded_judge.ts), record by record.
  const groupIds = groupIdsOf(records.map((r) => r.uid));
  const questions = new Map<string, Question>();
  const trajectories: Trajectory[] = new Array(n);
  for (let i = 0; i < n; i++) {
    await pause();
    trajectories[i] = trajectoryFromRecord(records[i]!, groupIds[i]!, questions);
  }
  const scores = new RecordedScores({
    judgedRounds: opts.judgedRounds,
    whereOf,
    ...(opts.judge ? { fallback: opts.judge } : {}),
  });
  for (let i = 0; i < n; i++) {
    await pause();
    scores.add(records[i]!, trajectories[i]!, i);
  }
  const judge = scores.judge();
  const env: TrainingResources = {
    search: opts.search ?? NO_SEARCH,
    provide: resourceProvider("credit", {
      "privileged-verifier": () => ({
        verify: () =>
          Promise.reject(
            new Error(
              "credit: the privileged verifier answers feedback calls during rollouts; credit " +
                "reads the verdicts recorded on feedback turns instead",
            ),
          ),
      }),
      "round-judge": () => judge,
      "policy-scorer": () => {
        throw new Error(POLICY_SCORER_REFUSAL);
      },
    }),
  };
  const ctx: MethodContext<unknown> = {
    config,
    questions,
    resources: grantResources(method, config, env),
    rng: new Rng(opts.seed ?? 0),
    step: opts.step ?? 0,
  };
  // The trainer's scoring (train/method_calls.ts scoreTrajectories), with the record's outcome
  // reward taking the place of the exact match when the engine gives one.
  const outcomes = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    await pause();
    const rec = records[i]!;
    const t = trajectories[i]!;
    const q = questions.get(t.questionId)!;
    const o = rec.outcome_reward ??
      (t.answer === undefined ? 0 : exactMatch(t.answer, q.goldenAnswers));
    t.meta.outcome = o;
    outcomes[i] = o;
  }
  const sliced = opts.pause !== undefined;
  const local = method.groupLocal ?? {};
  const slices = sliced && (local.rewards || local.step || !method.rewards)
    ? groupSlices(trajectories, sliceTokens)
    : null;

  // Rewards: one call on the whole batch, or one per slice of whole groups.
  const rewards = new Float32Array(n);
  const rewardRecords: (MethodRecord | undefined)[] = new Array(n).fill(undefined);
  const metrics: Record<string, number> = {};
  const shape = (rows: readonly number[] | null): Rewards<MethodRecord> => {
    const ts = rows === null ? trajectories : rows.map((r) => trajectories[r]!);
    const os = rows === null ? outcomes : Float32Array.from(rows, (r) => outcomes[r]!);
    const gs = Int32Array.from(ts, (t) => t.groupId);
    const shaped = method.rewards
      ? method.rewards({ trajectories: ts, outcomes: os, groupIds: gs }, ctx)
      : { rewards: os };
    const m = ts.length;
    if (!(shaped.rewards instanceof Float32Array) || shaped.rewards.length !== m) {
      throw new Error(
        `method ${method.name}: rewards() must return a Float32Array of ${m} rewards`,
      );
    }
    if (shaped.records !== undefined && shaped.records.length !== m) {
      throw new Error(
        `method ${method.name}: rewards() returned ${shaped.records.length} records for ${m} trajectories`,
      );
    }
    return shaped;
  };
  if (slices !== null && (local.rewards || !method.rewards)) {
    for (const rows of slices) {
      await pause();
      const shaped = shape(rows);
      noMetrics(method.name, "rewards()", shaped.metrics);
      rows.forEach((r, j) => {
        rewards[r] = shaped.rewards[j]!;
        rewardRecords[r] = shaped.records?.[j];
      });
    }
  } else {
    await pause();
    const shaped = shape(null);
    rewards.set(shaped.rewards);
    shaped.records?.forEach((rec, i) => rewardRecords[i] = rec);
    Object.assign(metrics, shaped.metrics ?? {});
  }
  for (let i = 0; i < n; i++) {
    const r = rewards[i]!;
    if (!Number.isFinite(r)) {
      throw new Error(`method ${method.name}: reward of ${whereOf(i).at} is ${r}`);
    }
    trajectories[i]!.reward = r;
  }
  checkMethodMetrics(method.name, metrics, "rewards()");

  // The step: one call on the whole batch, or one per slice of whole groups. Each row's outputs
  // are read off the batch its step saw.
  const rowReward = new Float32Array(n);
  const advantages: number[][] = new Array(n);
  const lossWeights: (number[] | null)[] = new Array(n);
  const kept: (MethodRecord | undefined)[] = new Array(n);
  const read = async (
    rows: readonly number[] | null,
    batch: MethodBatch<MethodRecord>,
    result: StepResult<MethodRecord>,
  ) => {
    const L = batch.length;
    const keep = result.records ?? batch.rewardRecords;
    for (let j = 0; j < batch.n; j++) {
      await pause();
      const i = rows === null ? j : rows[j]!;
      const from = j * L + records[i]!.prompt_ids.length;
      const to = from + records[i]!.response_ids.length;
      rowReward[i] = batch.rewards[j]!;
      advantages[i] = numbers(result.advantages, from, to);
      lossWeights[i] = result.lossWeights ? numbers(result.lossWeights, from, to) : null;
      kept[i] = keep[j];
    }
  };
  if (slices !== null && local.step) {
    for (const rows of slices) {
      await pause();
      const ts = rows.map((r) => trajectories[r]!);
      const batch: MethodBatch<MethodRecord> = {
        ...buildBatch(ts),
        rewardRecords: rows.map((r) => rewardRecords[r]),
      };
      const result = checkStepResult(method.name, await method.step(batch, ctx), batch);
      noMetrics(method.name, "step()", result.metrics);
      await read(rows, batch, result);
    }
  } else {
    const built: RolloutBatch = sliced
      ? await buildBatchInChunks(trajectories, pause, sliceTokens)
      : buildBatch(trajectories);
    const batch: MethodBatch<MethodRecord> = { ...built, rewardRecords };
    await pause();
    const result = checkStepResult(method.name, await method.step(batch, ctx), batch);
    Object.assign(metrics, result.metrics);
    await read(null, batch, result);
  }
  const out: TrajectoryRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    await pause();
    out[i] = {
      ...records[i]!,
      reward: rowReward[i]!,
      advantages: advantages[i]!,
      loss_weights: lossWeights[i]!,
      method: method.name,
      method_record: plain(kept[i]),
    };
  }
  return { records: out, metrics };
}
