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
 * rollouts; CAPF's rewards and step read the verdicts recorded on feedback turns). No
 * dynamic-sampling filter is applied: the batch is scored as given (the engine filters).
 *
 * @module
 */
import type { JudgedRound, MethodRecord, RoundJudge, Trajectory } from "@creditlab/core";
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
  type TrainingResources,
} from "@creditlab/train";
import { trajectoriesFromRecords } from "./convert.ts";
import type { Where } from "./errors.ts";
import type { TrajectoryRecord } from "./record.ts";
import { recordedRoundJudge } from "./recorded_judge.ts";

/** Options of {@link creditRecords}. */
export interface CreditOptions {
  /** The method's full config (default: its defaults). */
  config?: unknown;
  /** What a round judge is asked about a trajectory (methods/round_judge.ts `judgedRounds`). */
  judgedRounds: (t: Trajectory) => JudgedRound[];
  /** Asked for judged trajectories whose records carry no `extras.judge_scores`. */
  judge?: RoundJudge;
  /** Where record i came from (for errors); default `records[i]` of "records". */
  whereOf?: (i: number) => Where;
  /** Seed of the context's Rng (no shipped method draws from it in rewards or step). Default 0. */
  seed?: number;
  /** The context's step number. Default 0. */
  step?: number;
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
  const { trajectories, questions } = trajectoriesFromRecords(records);
  const judge = recordedRoundJudge(records, trajectories, {
    judgedRounds: opts.judgedRounds,
    whereOf,
    ...(opts.judge ? { fallback: opts.judge } : {}),
  });
  const env: TrainingResources = {
    search: {
      search: () => Promise.reject(new Error("credit: no search tool (nothing is rolled out)")),
    },
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
  const outcomes = new Float32Array(records.length);
  records.forEach((rec, i) => {
    const t = trajectories[i]!;
    const q = questions.get(t.questionId)!;
    const o = rec.outcome_reward ??
      (t.answer === undefined ? 0 : exactMatch(t.answer, q.goldenAnswers));
    t.meta.outcome = o;
    outcomes[i] = o;
  });
  const groupIds = Int32Array.from(trajectories, (t) => t.groupId);
  const shaped = method.rewards
    ? method.rewards({ trajectories, outcomes, groupIds }, ctx)
    : { rewards: outcomes };
  const n = records.length;
  if (!(shaped.rewards instanceof Float32Array) || shaped.rewards.length !== n) {
    throw new Error(`method ${method.name}: rewards() must return a Float32Array of ${n} rewards`);
  }
  if (shaped.records !== undefined && shaped.records.length !== n) {
    throw new Error(
      `method ${method.name}: rewards() returned ${shaped.records.length} records for ${n} trajectories`,
    );
  }
  trajectories.forEach((t, i) => {
    const r = shaped.rewards[i]!;
    if (!Number.isFinite(r)) {
      throw new Error(`method ${method.name}: reward of ${whereOf(i).at} is ${r}`);
    }
    t.reward = r;
  });
  const metrics: Record<string, number> = { ...(shaped.metrics ?? {}) };
  checkMethodMetrics(method.name, metrics, "rewards()");
  const batch: MethodBatch<MethodRecord> = {
    ...buildBatch(trajectories),
    rewardRecords: shaped.records ? [...shaped.records] : trajectories.map(() => undefined),
  };
  const result = checkStepResult(method.name, await method.step(batch, ctx), batch);
  Object.assign(metrics, result.metrics);
  const kept = result.records ?? batch.rewardRecords;
  const L = batch.length;
  const out = records.map((rec, i): TrajectoryRecord => {
    const from = i * L + rec.prompt_ids.length;
    const to = from + rec.response_ids.length;
    return {
      ...rec,
      reward: batch.rewards[i]!,
      advantages: numbers(result.advantages, from, to),
      loss_weights: result.lossWeights ? numbers(result.lossWeights, from, to) : null,
      method: method.name,
      method_record: plain(kept[i]),
    };
  });
  return { records: out, metrics };
}
