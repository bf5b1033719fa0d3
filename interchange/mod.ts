/**
 * @creditlab/interchange: the trajectory interchange format (version 1; README.md is the
 * specification) and credit for external rollouts.
 *
 * - record.ts: the record type ({@link TrajectoryRecord}), one per trajectory, every per-token
 *   array aligned to the response tokens (verl `responses` / `response_mask` /
 *   `rollout_log_probs`, `uid`; SkyRL `GeneratorOutput`; slime `Sample`; rLLM `Step`);
 * - validate.ts, checker.ts, validate_batch.ts, errors.ts: strict checks (of a record, its values,
 *   a batch), errors naming file, line/row, field and expectation;
 * - jsonl.ts, parquet.ts, files.ts: JSON Lines and Parquet (DuckDB) encodings;
 * - response.ts: the response layout (spans, mask, log-probs) of our turns, group ids of uids;
 * - format.ts: all of the above, the format alone (`@creditlab/interchange/format`: core and
 *   DuckDB only; the run store writes its trajectory files with it);
 * - convert.ts: to and from our `Trajectory` (and the questions a method's context needs);
 * - credit.ts, credit_slices.ts, recorded_judge.ts, config.ts: a registered method's credit for
 *   records, exactly as our trainer computes it in-process (`deno task credit`), at once or in
 *   slices that yield between them;
 * - credit_server.ts, credit_request.ts, arrow.ts: the same over HTTP on 127.0.0.1
 *   (`deno task serve-credit`), with JSON or Arrow IPC bodies, bounded and time-sliced like the
 *   other servers;
 * - import.ts: records with their advantages as a run of the run store (`deno task runs import`),
 *   so that `deno task report` shows external rollouts;
 * - env/: the environment as services (`deno task serve-env`): the privileged verifier, the
 *   round judge and the reward over HTTP, for SearchWorld and the QA benchmarks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getMethod } from "@creditlab/train";
 * import "../methods/mod.ts";
 * import { judgedRounds } from "../methods/round_judge.ts";
 * import { readRecords, writeRecords } from "./format.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const rec = (id: string, answer: string) => ({
 *   version: 1, uid: "g", trajectory_id: id, data_source: "nq", question_id: "q1",
 *   ground_truth: { target: ["ann"] }, prompt_ids: [1], prompt_text: "question : who ?",
 *   response_ids: [7, 8], response_mask: [1, 1], answer,
 *   turns: [{ role: "policy" as const, round: 1, start: 0, end: 2, text: `<answer> ${answer} </answer>` }],
 * });
 * await writeRecords(path, [rec("a", "ann"), rec("b", "bob")]);
 * const { records } = await creditRecords(await readRecords(path), getMethod("grpo"), { judgedRounds });
 * assert.equal(records[0]!.method, "grpo");
 * assert.equal(records[0]!.advantages!.length, 2); // one per response token
 * await Deno.remove(path);
 * ```
 * @module
 */
export * from "./format.ts";
export {
  ARROW_STREAM_TYPE,
  type CreditAnswer,
  type CreditOutput,
  outputsFromArrow,
  outputsToArrow,
  outputsToArrowSliced,
  recordsFromArrow,
  recordsFromArrowSliced,
  recordsToArrow,
} from "./arrow.ts";
export {
  type RecordBatch,
  recordFromTrajectory,
  type RecordFromTrajectoryOptions,
  trajectoriesFromRecords,
  trajectoryFromRecord,
} from "./convert.ts";
export { mergeConfig, parseConfigOverride } from "./config.ts";
export { type RecordedJudgeOptions, recordedRoundJudge, RecordedScores } from "./recorded_judge.ts";
export {
  type CreditOptions,
  creditRecords,
  type CreditResult,
  POLICY_SCORER_REFUSAL,
} from "./credit.ts";
export {
  creditHandler,
  type CreditServer,
  type CreditServiceOptions,
  DEFAULT_MAX_BODY_BYTES,
  serveCredit,
  type ServeCreditOptions,
} from "./credit_server.ts";
export {
  type CreditSource,
  type ImportOptions,
  importRecords,
  type ImportResult,
  type ImportSource,
  rowsFromRecords,
} from "./import.ts";
export * from "./env/mod.ts";
