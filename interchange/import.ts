/**
 * Rollouts in: records of the interchange format (another trainer's rollouts, with the
 * advantages its credit assignment gave them) become one run of the run store, so that
 * `deno task report` shows their credit per round, heat maps and tool calls as for our own
 * runs.
 *
 * The records become the trajectory rows our trainer stores (`trajectoryRowsFromBatch` of the
 * batch `buildBatch` makes of them): tokens = `prompt_ids` then `response_ids`, roles and rounds
 * from the turn spans, loss mask 1 on policy tokens, the record's `advantages` at its response
 * tokens (0 on the prompt), its `method_record`, reward = `reward` (else `outcome_reward`, else
 * the outcome), outcome = Search-R1 exact match of `answer` against `ground_truth.target` (its
 * `outcome_reward` when the target is empty), its question and ground truth, search
 * calls counted from the policy turns' actions. One import is one step of one run (status
 * `completed`), with the harness's step metrics computed from the records; the run's config
 * names the source file, its format and version and where the credit came from. Everything is
 * written in one transaction ({@link RunStore.recordRun}): a failure records nothing.
 *
 * @module
 */
import { type MethodRecord, METRIC } from "@creditlab/core";
import { buildBatch } from "@creditlab/agent";
import { exactMatch } from "@creditlab/datasets";
import {
  type RunStore,
  type TrajectoryRow,
  trajectoryRowsFromBatch,
  validateMethodRecord,
} from "@creditlab/runstore";
import { trajectoriesFromRecords } from "./convert.ts";
import { InterchangeError, type Where } from "./errors.ts";
import { FORMAT_NAME, FORMAT_VERSION, type TrajectoryRecord } from "./record.ts";

/** Where the records came from, as the run's config records it. */
export interface ImportSource {
  /** The file's path. */
  path: string;
  encoding: "jsonl" | "parquet";
  /** SHA-256 of the file's bytes, when known. */
  sha256?: string;
}

/** How the records' advantages were computed, as the run's config records it. */
export type CreditSource =
  | { from: "file" }
  | { from: "creditlab"; method: string; config: unknown; metrics: Record<string, number> };

/** Options of {@link importRecords}. */
export interface ImportOptions {
  /** The experiment the run joins (`deno task report <experiment>`). */
  experiment: string;
  /** Method name of the run (default: the records' `method`, else "external"). */
  method?: string;
  /** Arm of the run (default "method"). */
  arm?: string;
  /** Seed of the run (default 0); a second import of one experiment, method and arm needs another. */
  seed?: number;
  /** The step the trajectories are stored at (default 0). */
  step?: number;
  source: ImportSource;
  /** How the advantages were computed (default: they came with the file). */
  credit?: CreditSource;
  /** The commit of the code that imported them (`runs.git_commit`). */
  commit: string;
  /** Where record i came from, for errors (default `records[i]` of the source path). */
  whereOf?: (i: number) => Where;
}

/** What {@link importRecords} recorded. */
export interface ImportResult {
  runId: string;
  experiment: string;
  method: string;
  arm: string;
  seed: number;
  step: number;
  trajectories: number;
  groups: number;
  /** The step metrics logged. */
  metrics: Record<string, number>;
}

/** The method name of the records' outputs: `opts.method`, else theirs, else "external". */
function methodOf(
  records: readonly TrajectoryRecord[],
  opts: { method?: string | undefined; whereOf: (i: number) => Where },
): string {
  let found: string | undefined;
  records.forEach((r, i) => {
    const m = r.method ?? undefined;
    if (m === undefined) return;
    const want = opts.method ?? found;
    if (want !== undefined && m !== want) {
      throw new InterchangeError(opts.whereOf(i), {
        field: "method",
        expected: opts.method !== undefined
          ? `the method given to the import, ${JSON.stringify(want)}`
          : `the method of the records before it, ${JSON.stringify(want)}`,
        got: JSON.stringify(m),
      });
    }
    found ??= m;
  });
  return opts.method ?? found ?? "external";
}

/**
 * The run-store rows of (validated) records that carry their advantages, in order, and the
 * harness step metrics of the batch (reward, outcome, groups, search and feedback calls,
 * invalid actions). Throws an {@link InterchangeError} naming the record and field for a record
 * without advantages or with a method record the store cannot keep.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = (id: string, answer: string, adv: number) => ({
 *   version: 1, uid: "g", trajectory_id: id, data_source: "nq", question_id: "q1",
 *   ground_truth: { target: ["ann"] }, prompt_ids: [1], prompt_text: "question : who ?",
 *   response_ids: [7, 8], response_mask: [1, 1], answer, advantages: [adv, adv],
 *   turns: [{ role: "policy" as const, round: 1, start: 0, end: 2, text: `<answer> ${answer} </answer>` }],
 * });
 * const { rows, metrics } = rowsFromRecords([rec("a", "ann", 1), rec("b", "bob", -1)]);
 * assert.deepEqual(rows[0]!.advantages, [0, 1, 1]); // the prompt token gets 0
 * assert.deepEqual(rows.map((r) => r.outcome), [1, 0]);
 * assert.equal(metrics["outcome/em"], 0.5);
 * ```
 */
export function rowsFromRecords(
  records: readonly TrajectoryRecord[],
  opts: { whereOf?: (i: number) => Where } = {},
): { rows: TrajectoryRow[]; metrics: Record<string, number> } {
  const whereOf = opts.whereOf ?? ((i: number) => ({ source: "records", at: `records[${i}]` }));
  if (records.length === 0) throw new Error("import: no records (a run needs at least one)");
  const { trajectories, questions } = trajectoriesFromRecords(records);
  const outcomes = new Float32Array(records.length);
  const methodRecords: (MethodRecord | undefined)[] = [];
  records.forEach((rec, i) => {
    if (rec.advantages === undefined || rec.advantages === null) {
      throw new InterchangeError(whereOf(i), {
        field: "advantages",
        expected: "the per-token advantages of the record's credit assignment " +
          "(an output of `deno task credit`, or of the engine)",
        got: "null",
      });
    }
    const t = trajectories[i]!;
    const q = questions.get(t.questionId)!;
    // A record without gold answers (allowed beside its outcome reward, e.g. a run-store file)
    // keeps the outcome it was scored with.
    outcomes[i] = q.goldenAnswers.length === 0
      ? rec.outcome_reward ?? 0
      : t.answer === undefined
      ? 0
      : exactMatch(t.answer, q.goldenAnswers);
    t.reward = rec.reward ?? rec.outcome_reward ?? outcomes[i]!;
    const mr = rec.method_record ?? undefined;
    if (mr !== undefined) {
      try {
        validateMethodRecord(mr, "method_record");
      } catch (e) {
        throw new InterchangeError(whereOf(i), {
          field: "method_record",
          expected: "a method record the run store keeps ({rounds?: {label, values}, calls?})",
          got: (e as Error).message,
        });
      }
    }
    methodRecords.push(mr);
  });
  const batch = buildBatch(trajectories);
  const advantages = new Float32Array(batch.n * batch.length);
  records.forEach((rec, i) =>
    advantages.set(rec.advantages!, i * batch.length + rec.prompt_ids.length)
  );
  const rows = trajectoryRowsFromBatch(batch, advantages, {
    records: methodRecords,
    outcomes,
    questions,
  });
  rows.forEach((row, i) => {
    const rec = records[i]!;
    row.extra = {
      trajectory_id: rec.trajectory_id,
      uid: rec.uid,
      data_source: rec.data_source,
      ...(rec.outcome_reward !== undefined && rec.outcome_reward !== null
        ? { outcome_reward: rec.outcome_reward }
        : {}),
    };
  });
  return { rows, metrics: stepMetrics(rows, trajectories.map((t) => t.turns)) };
}

function stepMetrics(
  rows: readonly TrajectoryRow[],
  turns: readonly (readonly { role: string; action?: { kind: string } }[])[],
): Record<string, number> {
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const groups = new Map<number, TrajectoryRow[]>();
  for (const r of rows) groups.set(r.groupId, [...(groups.get(r.groupId) ?? []), r]);
  const g = [...groups.values()];
  return {
    [METRIC.rewardMean]: mean(rows.map((r) => r.reward)),
    [METRIC.outcomeEm]: mean(rows.map((r) => r.outcome)),
    [METRIC.groupCount]: g.length,
    [METRIC.noSuccessShare]: mean(g.map((l) => (l.some((r) => r.outcome >= 1) ? 0 : 1))),
    [METRIC.uniformGroupShare]: mean(
      g.map((l) => (l.every((r) => r.reward === l[0]!.reward) ? 1 : 0)),
    ),
    [METRIC.toolCallsMean]: mean(rows.map((r) => r.toolCalls)),
    [METRIC.feedbackCallsMean]: mean(
      turns.map((ts) => ts.filter((t) => t.role === "feedback").length),
    ),
    [METRIC.invalidActionsMean]: mean(
      turns.map((ts) =>
        ts.filter((t) => t.role === "policy" && t.action?.kind === "invalid").length
      ),
    ),
    [METRIC.trajectoriesKept]: rows.length,
  };
}

/**
 * Record (validated) records with their advantages as one completed run of `store` (see the
 * module doc). Refuses a second run of the same experiment, method, arm and seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { RunStore } from "@creditlab/runstore";
 * const dir = await Deno.makeTempDir();
 * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
 * const rec = (id: string, answer: string, adv: number) => ({
 *   version: 1, uid: "g", trajectory_id: id, data_source: "nq", question_id: "q1",
 *   ground_truth: { target: ["ann"] }, prompt_ids: [1], prompt_text: "question : who ?",
 *   response_ids: [7, 8], response_mask: [1, 1], answer, advantages: [adv, adv], method: "grpo",
 *   turns: [{ role: "policy" as const, round: 1, start: 0, end: 2, text: `<answer> ${answer} </answer>` }],
 * });
 * const source = { path: "rollouts.jsonl", encoding: "jsonl" as const };
 * const r = await importRecords(store, [rec("a", "ann", 1), rec("b", "bob", -1)], { experiment: "ext", source, commit: "abc" });
 * assert.equal(r.runId, "r0001-grpo-s0");
 * assert.equal((await store.findRun({ experiment: "ext" }))?.status, "completed");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function importRecords(
  store: RunStore,
  records: readonly TrajectoryRecord[],
  opts: ImportOptions,
): Promise<ImportResult> {
  if (opts.experiment === "") throw new Error("import: the experiment name must not be empty");
  const whereOf = opts.whereOf ??
    ((i: number) => ({ source: opts.source.path, at: `records[${i}]` }));
  const method = methodOf(records, { method: opts.method, whereOf });
  const arm = opts.arm ?? "method";
  const seed = opts.seed ?? 0;
  const step = opts.step ?? 0;
  const { rows, metrics } = rowsFromRecords(records, { whereOf });
  const prev = await store.findRun({ experiment: opts.experiment, method, arm, seed });
  if (prev !== undefined) {
    throw new Error(
      `import: experiment ${opts.experiment} already has run ${prev.id} (method ${method}, arm ${arm}, seed ${seed}); give another --seed or --arm`,
    );
  }
  const credit = opts.credit ?? { from: "file" };
  const logged = { ...metrics, ...(credit.from === "creditlab" ? credit.metrics : {}) };
  const groups = new Set(rows.map((r) => r.groupId)).size;
  const config = {
    import: {
      source: opts.source.path,
      encoding: opts.source.encoding,
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      ...(opts.source.sha256 !== undefined ? { sha256: opts.source.sha256 } : {}),
      records: records.length,
      groups,
      questions: new Set(records.map((r) => r.question_id)).size,
      dataSources: [...new Set(records.map((r) => r.data_source))].sort(),
      step,
    },
    credit: credit.from === "file"
      ? { from: "file", method }
      : { from: "creditlab", method: credit.method, config: credit.config },
  };
  const runId = await store.recordRun(
    {
      method,
      arm,
      seed,
      experiment: opts.experiment,
      preset: "import",
      backend: "external",
      commit: opts.commit,
      config,
    },
    { status: "completed", steps: [{ step, metrics: logged, rows }] },
  );
  return {
    runId,
    experiment: opts.experiment,
    method,
    arm,
    seed,
    step,
    trajectories: rows.length,
    groups,
    metrics: logged,
  };
}
