/**
 * A method's credit on stored trajectories, recomputed under another config of the same method:
 * the run store's trajectory files are interchange-format records, and interchange's
 * `creditRecords` is the trainer's own in-process credit (the `credit` verb's function). What the
 * records lack, the environment the run trained in gives back ({@link runEnvironment}): the
 * SearchWorld testbed of the run's recorded preset and regime, rebuilt (it is deterministic) —
 * the questions' gold chains, its search tool and its oracle round judge.
 *
 * Whether that suffices is checked, not assumed: the caller replays the recorded config first
 * and compares with the stored advantages ({@link maxAbsDifference}). A method that asks for the
 * policy scorer cannot be replayed at all ({@link replayRefusal}): its credit needs the weights
 * of each step's policy.
 *
 * @module
 */

import {
  getRegime,
  isJsonObject,
  type Question,
  type RoundJudge,
  type SearchTool,
} from "@creditlab/core";
import { buildTestbed, getPreset } from "@creditlab/experiments";
import {
  creditRecords,
  goldHopOf,
  mergeConfig,
  type TrajectoryRecord,
} from "@creditlab/interchange";
import { recordsOfRows, type RunRecord, type TrajectoryRow } from "@creditlab/runstore";
import { asksFor, type Method } from "@creditlab/train";
import { judgedRounds } from "../methods/round_judge.ts";

/** What a replay is given besides the records. */
export interface ReplayEnvironment {
  /** What it is, in words, for the report. */
  label: string;
  /** Questions by id (their gold chains fill records that lack `ground_truth.chain`). */
  questions: ReadonlyMap<string, Question>;
  search?: SearchTool;
  judge?: RoundJudge;
}

/**
 * The environment a run trained in: the SearchWorld testbed of its recorded preset and regime
 * (`config.regime`), rebuilt; else the records alone, saying why.
 */
export function runEnvironment(run: RunRecord): ReplayEnvironment {
  const regime = isJsonObject(run.config) ? run.config["regime"] : undefined;
  try {
    const tb = buildTestbed(
      getPreset(run.preset),
      typeof regime === "string" ? { regime: getRegime(regime) } : {},
    );
    const qs = [...tb.world.questions("train"), ...tb.world.questions("test")];
    return {
      label: `the SearchWorld testbed of preset "${run.preset}"${
        typeof regime === "string" ? `, regime "${regime}"` : ""
      }, rebuilt (gold chains, BM25 search tool, oracle round judge)`,
      questions: new Map(qs.map((q) => [q.id, q])),
      search: tb.search,
      judge: tb.resources.provide({ kind: "round-judge" }),
    };
  } catch (e) {
    return {
      label: `the stored records alone (no testbed for preset "${run.preset}": ${
        (e as Error).message
      })`,
      questions: new Map(),
    };
  }
}

/**
 * Why a method cannot be replayed outside training under `config`, or null: it asks for the
 * policy scorer (log-probs of the policy being trained, at each step's weights).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const m = { name: "m", resources: () => [{ kind: "policy-scorer" as const }] } as never;
 * assert.match(replayRefusal(m, {})!, /policy scorer/);
 * assert.equal(replayRefusal({ name: "g" } as never, {}), null);
 * ```
 */
export function replayRefusal(method: Method<unknown>, config: unknown): string | null {
  if (!asksFor(method, config, "policy-scorer")) return null;
  return `${method.name} asks for the policy scorer (log-probs of the policy being trained, ` +
    "at the weights of each step), which only the trainer has: its credit cannot be " +
    "recomputed from the store, so only the recorded credit is shown";
}

function checkFields(recorded: unknown, variant: unknown, path: string): void {
  if (!isJsonObject(variant) || !isJsonObject(recorded)) return;
  if ("kind" in variant && variant["kind"] !== recorded["kind"]) return; // a new union member
  for (const [k, v] of Object.entries(variant)) {
    const p = path === "" ? k : `${path}.${k}`;
    if (!(k in recorded)) {
      throw new Error(
        `--variant: field "${p}" is not a field of the recorded config (${
          Object.keys(recorded).sort().join(", ")
        })`,
      );
    }
    checkFields(recorded[k], v, p);
  }
}

/**
 * The recorded method config with the variant merged in (interchange's `mergeConfig`), after
 * checking that every field of the variant is one of the recorded config and that it changes
 * something; the method's own config check runs on the result (`method.loss`). Throws naming
 * the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const m = { name: "m", loss: () => ({}) } as never;
 * const recorded = { a: 1, b: { c: 2 } };
 * assert.deepEqual(variantConfig(m, { recorded, variant: { b: { c: 3 } } }), { a: 1, b: { c: 3 } });
 * assert.throws(() => variantConfig(m, { recorded, variant: { z: 1 } }), /field "z" is not a field/);
 * assert.throws(() => variantConfig(m, { recorded, variant: { a: 1 } }), /equals the recorded config/);
 * ```
 */
export function variantConfig(
  method: Method<unknown>,
  opts: { recorded: unknown; variant: Record<string, unknown> },
): unknown {
  const { recorded, variant } = opts;
  checkFields(recorded, variant, "");
  const merged = mergeConfig(recorded, variant);
  if (JSON.stringify(merged) === JSON.stringify(recorded)) {
    throw new Error(
      `--variant: ${JSON.stringify(variant)} equals the recorded config of ${method.name}: ` +
        "nothing to compare",
    );
  }
  try {
    method.loss(merged);
  } catch (e) {
    throw new Error(`--variant: ${(e as Error).message}`);
  }
  return merged;
}

/** Largest |a − b| over two records' advantages (Infinity when either has none). */
export function maxAbsDifference(
  a: readonly TrajectoryRecord[],
  b: readonly TrajectoryRecord[],
): number {
  let max = 0;
  a.forEach((r, i) => {
    const x = r.advantages;
    const y = b[i]?.advantages;
    if (!x || !y || x.length !== y.length) {
      max = Infinity;
      return;
    }
    for (let t = 0; t < x.length; t++) max = Math.max(max, Math.abs(x[t]! - y[t]!));
  });
  return max;
}

/** What {@link storedRecords} returns. */
export interface StoredRecords {
  /** The step's rows in row order, as interchange records (gold chains filled in). */
  records: TrajectoryRecord[];
  /** Records whose chain came from the environment; records whose question did not match it. */
  filled: number;
  mismatched: number;
}

/**
 * A stored step's rows as records, row order; a record without `ground_truth.chain` gets the
 * environment's gold chain of its question when the question id, text and gold answers agree.
 */
export function storedRecords(
  rows: readonly TrajectoryRow[],
  env: ReplayEnvironment,
  opts: { where: string },
): StoredRecords {
  const where = opts.where;
  const sorted = [...rows].sort((a, b) => a.row - b.row);
  let filled = 0;
  let mismatched = 0;
  const records = recordsOfRows(sorted, (i) => `${where} row ${sorted[i]!.row}`).map((rec) => {
    const q = env.questions.get(rec.question_id);
    if (q === undefined || rec.ground_truth.chain || !q.goldChain) return rec;
    const same = (rec.question ?? q.question) === q.question &&
      JSON.stringify(rec.ground_truth.target) === JSON.stringify(q.goldenAnswers);
    if (!same) {
      mismatched++;
      return rec;
    }
    filled++;
    return { ...rec, ground_truth: { ...rec.ground_truth, chain: q.goldChain.map(goldHopOf) } };
  });
  return { records, filled, mismatched };
}

/**
 * The method's credit for a stored step's records under `config`, as the trainer computes it
 * (interchange's `creditRecords`, the environment's judge and search tool granted).
 */
export async function replayRecords(
  records: readonly TrajectoryRecord[],
  method: Method<unknown>,
  opts: { config: unknown; env: ReplayEnvironment; step: number },
): Promise<TrajectoryRecord[]> {
  const out = await creditRecords(records, method, {
    config: opts.config,
    judgedRounds,
    step: opts.step,
    ...(opts.env.judge ? { judge: opts.env.judge } : {}),
    ...(opts.env.search ? { search: opts.env.search } : {}),
  });
  return out.records;
}
