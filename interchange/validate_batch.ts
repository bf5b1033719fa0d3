/**
 * The checks of a batch of records together ({@link validateBatch}): unique trajectory ids, one
 * question per group, one data source and ground truth per question. Every failure is an
 * {@link InterchangeError} naming where the offending record came from.
 *
 * @module
 */
import { InterchangeError, shown, type Where } from "./errors.ts";
import type { TrajectoryRecord } from "./record.ts";

/**
 * Check a batch of (individually valid) records together: trajectory ids unique, every group
 * (`uid`) about one question, and every question with one data source and ground truth.
 * `whereOf(i)` says where record i came from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = (id: string, q: string) => ({ trajectory_id: id, uid: "g", question_id: q,
 *   data_source: "nq", ground_truth: { target: ["a"] } }) as never;
 * assert.throws(
 *   () => validateBatch([rec("t0", "q1"), rec("t1", "q2")], (i) => ({ source: "b.jsonl", at: `line ${i + 1}` })),
 *   /b.jsonl: line 2: field question_id: expected "q1" \(group "g" is about question q1, line 1\)/,
 * );
 * ```
 */
export function validateBatch(
  records: readonly TrajectoryRecord[],
  whereOf: (i: number) => Where,
): void {
  const batch = new BatchChecker(records, whereOf);
  for (let i = 0; i < records.length; i++) batch.check(i);
}

/**
 * The checks of {@link validateBatch}, record by record: {@link check} record i after records
 * 0..i-1 (the same errors as the whole batch at once).
 */
export class BatchChecker {
  readonly #ids = new Map<string, number>();
  readonly #groups = new Map<string, number>();
  readonly #questions = new Map<string, number>();

  constructor(
    readonly records: readonly TrajectoryRecord[],
    readonly whereOf: (i: number) => Where,
  ) {}

  /** Check record `i` against the records before it. */
  check(i: number): void {
    const { records, whereOf } = this;
    const r = records[i]!;
    const fail = (field: string, expected: string, got: unknown): never => {
      throw new InterchangeError(whereOf(i), { field, expected, got: shown(got) });
    };
    const seen = this.#ids.get(r.trajectory_id);
    if (seen !== undefined) {
      fail("trajectory_id", `a unique id (already used at ${whereOf(seen).at})`, r.trajectory_id);
    }
    this.#ids.set(r.trajectory_id, i);
    const g = this.#groups.get(r.uid);
    if (g === undefined) this.#groups.set(r.uid, i);
    else if (records[g]!.question_id !== r.question_id) {
      fail(
        "question_id",
        `${JSON.stringify(records[g]!.question_id)} (group ${
          JSON.stringify(r.uid)
        } is about question ${records[g]!.question_id}, ${whereOf(g).at})`,
        r.question_id,
      );
    }
    const q = this.#questions.get(r.question_id);
    if (q === undefined) this.#questions.set(r.question_id, i);
    else {
      const first = records[q]!;
      const at = `question ${r.question_id} at ${whereOf(q).at}`;
      if (first.data_source !== r.data_source) {
        fail("data_source", `${JSON.stringify(first.data_source)} (as for ${at})`, r.data_source);
      }
      const gt = (x: TrajectoryRecord) =>
        JSON.stringify([x.ground_truth.target, x.ground_truth.entities ?? null]);
      if (gt(first) !== gt(r)) {
        fail("ground_truth", `${gt(first)} (as for ${at})`, gt(r));
      }
    }
  }
}
